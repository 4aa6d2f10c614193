// Package response builds the payload format 2.0 responses of HTTP API functions.
package response

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// internalError is the body sent when a body cannot be encoded, which only a programming
// error causes. It matches what API Gateway sends for a failed integration.
const internalError = `{"message":"Internal Server Error"}`

// JSON returns a response with the given status and v encoded as a JSON body, with
// Content-Type application/json. When v cannot be encoded, it returns status 500.
func JSON(status int, v any) events.APIGatewayV2HTTPResponse {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(internalError)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}
}
