package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// ErrInvalidResponse means a function's response cannot be mapped to HTTP. API Gateway
// returns 500 Internal Server Error for such a response.
var ErrInvalidResponse = errors.New("gateway: invalid function response")

// Response is an HTTP response decoded from a function's payload format 2.0 response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// functionResponse is the payload format 2.0 response. It is decoded by hand rather than into
// events.APIGatewayV2HTTPResponse so that a missing statusCode is distinct from zero.
type functionResponse struct {
	StatusCode        *int                `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Cookies           []string            `json:"cookies"`
	Body              *string             `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// skippedHeaders are set by the HTTP server from the body and the connection, never by the
// function.
var skippedHeaders = map[string]bool{
	"Content-Length":    true,
	"Transfer-Encoding": true,
	"Connection":        true,
}

// DecodeResponse maps a function's response payload to HTTP as API Gateway does for payload
// format 2.0. A JSON object with a statusCode is a full response. Any other valid JSON is the
// body of a 200 response with Content-Type application/json, and a JSON string becomes its
// unquoted text. It returns an error wrapping ErrInvalidResponse for a payload that is not JSON,
// a status outside 100 to 599, or a body flagged as base64 that does not decode.
func DecodeResponse(payload []byte) (Response, error) {
	trimmed := bytes.TrimSpace(payload)
	if !json.Valid(trimmed) {
		return Response{}, fmt.Errorf("%w: payload is not JSON", ErrInvalidResponse)
	}

	var fr functionResponse
	isObject := len(trimmed) > 0 && trimmed[0] == '{'
	if isObject {
		if err := json.Unmarshal(trimmed, &fr); err != nil {
			return Response{}, fmt.Errorf("%w: %w", ErrInvalidResponse, err)
		}
	}
	if fr.StatusCode == nil {
		return inferredResponse(trimmed), nil
	}

	status := *fr.StatusCode
	if status < 100 || status > 599 {
		return Response{}, fmt.Errorf("%w: statusCode %d is outside 100 to 599", ErrInvalidResponse, status)
	}

	body, err := responseBody(fr)
	if err != nil {
		return Response{}, err
	}

	header := http.Header{}
	for name, value := range fr.Headers {
		if !skippedHeaders[http.CanonicalHeaderKey(name)] {
			header.Add(name, value)
		}
	}
	for name, values := range fr.MultiValueHeaders {
		if skippedHeaders[http.CanonicalHeaderKey(name)] {
			continue
		}
		for _, v := range values {
			if !slices.Contains(header.Values(name), v) {
				header.Add(name, v)
			}
		}
	}
	for _, c := range fr.Cookies {
		header.Add("Set-Cookie", c)
	}
	return Response{StatusCode: status, Header: header, Body: body}, nil
}

// inferredResponse is API Gateway's response to a function that returned JSON without a
// statusCode.
func inferredResponse(payload []byte) Response {
	body := payload
	var text string
	if json.Unmarshal(payload, &text) == nil {
		body = []byte(text)
	}
	return Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       body,
	}
}

func responseBody(fr functionResponse) ([]byte, error) {
	if fr.Body == nil {
		return nil, nil
	}
	if !fr.IsBase64Encoded {
		return []byte(*fr.Body), nil
	}
	body, err := base64.StdEncoding.DecodeString(*fr.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: body flagged isBase64Encoded does not decode: %w", ErrInvalidResponse, err)
	}
	return body, nil
}

// Write sends r to w. Without a Content-Type from the function, the response has none, so a
// missing header shows locally. Otherwise net/http would guess one from the body.
func (r Response) Write(w http.ResponseWriter) {
	for name, values := range r.Header {
		w.Header()[name] = values
	}
	if r.Header.Get("Content-Type") == "" {
		w.Header()["Content-Type"] = nil
	}
	w.WriteHeader(r.StatusCode)
	_, _ = w.Write(r.Body)
}

// gatewayError writes one of API Gateway's own error responses, such as 404
// {"message":"Not Found"}.
func gatewayError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]string{"message": http.StatusText(status)})
	_, _ = w.Write(body)
}
