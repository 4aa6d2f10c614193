package apigw

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Keys of the context the authorizer returns with a simple response. API Gateway passes the
// values to the route's function in requestContext.authorizer.lambda. Every value is a flat
// string.
const (
	ContextSerialNumber = "serialNumber"
	ContextClientID     = "clientId"
	ContextScope        = "scope"
	ContextSubjectCN    = "subjectCN"
)

// AuthorizerContext returns the string values the Lambda authorizer passed to a route event,
// or an empty map for a route without an authorizer. A non-string value is formatted with %v.
func AuthorizerContext(req *events.APIGatewayV2HTTPRequest) map[string]string {
	out := map[string]string{}
	if req.RequestContext.Authorizer == nil {
		return out
	}
	for k, v := range req.RequestContext.Authorizer.Lambda {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}
