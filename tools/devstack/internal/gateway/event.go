package gateway

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/shared/apigw"
)

// TimeLayout is the layout of requestContext.time, such as "12/Mar/2020:19:03:58 +0000".
const TimeLayout = "02/Jan/2006:15:04:05 -0700"

// Stage is the only stage of the local API, the one API Gateway names $default.
const Stage = "$default"

// API describes the API the events claim to come from.
type API struct {
	// AccountID is the AWS account id of requestContext.accountId.
	AccountID string
	// APIID is the HTTP API id of requestContext.apiId and of the authorizer's routeArn.
	APIID string
	// Region is the AWS region of the authorizer's routeArn.
	Region string
}

// Request is one request as the gateway received and routed it.
type Request struct {
	// HTTP is the incoming request. Its body is read into Body beforehand.
	HTTP *http.Request
	// Body is the request body.
	Body []byte
	// Match is the route serving the request.
	Match Match
	// ID is the gateway's request id, requestContext.requestId.
	ID string
	// Time is when the gateway received the request.
	Time time.Time
}

// NewRequestID returns a random request id in the form API Gateway HTTP APIs use, such as
// "JvZ4qjTfiYcEMiQ=".
func NewRequestID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// BuildEvent returns the payload format 2.0 event API Gateway sends to the function of the
// route req matched. authorizerContext is the context the Lambda authorizer returned, or nil
// for a route without an authorizer.
//
// As in API Gateway, header names are lowercased and repeated headers and query parameters
// are joined with commas. Cookies move from the Cookie header to the cookies field, and a body
// is base64-encoded unless its Content-Type is textual and it is valid UTF-8.
func BuildEvent(api API, req Request, authorizerContext map[string]any) events.APIGatewayV2HTTPRequest {
	headers, cookies := eventHeaders(req.HTTP)
	body, isBase64 := eventBody(req.HTTP.Header.Get("Content-Type"), req.Body)

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              req.Match.Route.Key(),
		RawPath:               req.HTTP.URL.EscapedPath(),
		RawQueryString:        req.HTTP.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(req.HTTP.URL.RawQuery),
		PathParameters:        req.Match.PathParameters,
		RequestContext:        requestContext(api, req),
		Body:                  body,
		IsBase64Encoded:       isBase64,
	}
	if authorizerContext != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			Lambda: authorizerContext,
		}
	}
	return ev
}

// BuildAuthorizerEvent returns the payload format 2.0 event of a REQUEST Lambda authorizer
// whose identity source is $request.header.Authorization. identitySource holds the value of
// that header; API Gateway returns 401 without calling the authorizer when it is missing.
func BuildAuthorizerEvent(api API, req Request) events.APIGatewayV2CustomAuthorizerV2Request {
	headers, cookies := eventHeaders(req.HTTP)
	return events.APIGatewayV2CustomAuthorizerV2Request{
		Version:               "2.0",
		Type:                  "REQUEST",
		RouteArn:              routeARN(api, req),
		IdentitySource:        []string{req.HTTP.Header.Get("Authorization")},
		RouteKey:              req.Match.Route.Key(),
		RawPath:               req.HTTP.URL.EscapedPath(),
		RawQueryString:        req.HTTP.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(req.HTTP.URL.RawQuery),
		RequestContext:        requestContext(api, req),
		PathParameters:        req.Match.PathParameters,
	}
}

// routeARN returns the execute-api ARN of the route, such as
// arn:aws:execute-api:us-east-1:000000000000:devstack/$default/GET/health.
func routeARN(api API, req Request) string {
	return fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s",
		api.Region, api.AccountID, api.APIID, Stage, req.HTTP.Method, req.HTTP.URL.EscapedPath())
}

func requestContext(api API, req Request) events.APIGatewayV2HTTPRequestContext {
	domain := hostname(req.HTTP.Host)
	rc := events.APIGatewayV2HTTPRequestContext{
		RouteKey:     req.Match.Route.Key(),
		AccountID:    api.AccountID,
		Stage:        Stage,
		RequestID:    req.ID,
		APIID:        api.APIID,
		DomainName:   domain,
		DomainPrefix: strings.Split(domain, ".")[0],
		Time:         req.Time.UTC().Format(TimeLayout),
		TimeEpoch:    req.Time.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method:    req.HTTP.Method,
			Path:      req.HTTP.URL.EscapedPath(),
			Protocol:  req.HTTP.Proto,
			SourceIP:  hostname(req.HTTP.RemoteAddr),
			UserAgent: req.HTTP.UserAgent(),
		},
	}
	if tls := req.HTTP.TLS; tls != nil && len(tls.PeerCertificates) > 0 {
		rc.Authentication.ClientCert = apigw.EventClientCert(tls.PeerCertificates[0])
	}
	return rc
}

// eventHeaders returns the request's headers as API Gateway passes them, and its cookies.
func eventHeaders(r *http.Request) (map[string]string, []string) {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		key := strings.ToLower(name)
		if key == "cookie" {
			for _, v := range values {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[key] = strings.Join(values, ",")
	}

	// Go moves the Host header out of the header map; API Gateway keeps it and adds the
	// forwarding headers of its load balancer.
	headers["host"] = r.Host
	headers["x-forwarded-for"] = hostname(r.RemoteAddr)
	headers["x-forwarded-proto"] = "https"
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	} else {
		headers["x-forwarded-port"] = "443"
	}
	return headers, cookies
}

// queryParameters returns the query string's parameters with repeated values joined by
// commas, or nil for an empty query. Pairs that do not decode are skipped, as url.ParseQuery
// skips them.
func queryParameters(rawQuery string) map[string]string {
	if rawQuery == "" {
		return nil
	}
	values, _ := url.ParseQuery(rawQuery)
	if len(values) == 0 {
		return nil
	}
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// eventBody returns body as the event's body field. Like API Gateway, it passes the body as
// text only when its Content-Type is textual, and base64-encodes any other body, so that a
// form-encoded token request arrives base64-encoded, as it does in AWS.
func eventBody(contentType string, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if isTextual(contentType) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// isTextual reports whether API Gateway passes a body of this media type as text.
//
// NOTE: AWS documents no list of the media types an HTTP API passes as text. These are the
// ones observed as text in payload 2.0 events: text/*, JSON, XML and JavaScript. Any other
// type, application/x-www-form-urlencoded included, and a missing Content-Type arrive
// base64-encoded.
func isTextual(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mediaType, "text/"),
		strings.HasSuffix(mediaType, "+json"), strings.HasSuffix(mediaType, "+xml"):
		return true
	}
	switch mediaType {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return false
}

// hostname returns the host of a host:port pair, or hostport itself when it has no port.
func hostname(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return hostport
}
