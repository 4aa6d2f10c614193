package component

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Identity sources of the authorizer. The access token is always part of the cache key. The
// client certificate serial number is added whenever results are cached, so that a cached
// allow never serves another certificate. An HTTP API authorizer accepts every access log
// variable as a $context identity source ("Identity sources" in the API Gateway developer
// guide's page on Lambda authorizers for HTTP APIs).
//
// NOTE: the client certificate source has been checked under mocks only, not on a live API.
const (
	IdentitySourceToken      = "$request.header.Authorization"
	IdentitySourceClientCert = "$context.identity.clientCert.serialNumber"
)

// APIArgs configures an API.
type APIArgs struct {
	// Functions are the deployed catalog functions. Each route of their catalog entries
	// becomes a route of the API.
	Functions []*Function
	// AuthorizerTTLSeconds is how long API Gateway caches an authorizer result; 0 turns
	// caching off.
	AuthorizerTTLSeconds int
	// Domain is the custom domain and its mutual TLS truststore.
	Domain DomainArgs
	// LogRetentionDays is the retention of the access log group.
	LogRetentionDays int
	// Tags are added to every child that takes tags.
	Tags pulumi.StringMap
}

// API is the HTTP API: reachable only through its custom domain with mutual TLS, with one
// Lambda integration per function, one route per catalog route, and the Lambda authorizer on
// the jwt routes.
type API struct {
	pulumi.ResourceState

	API        *apigatewayv2.Api
	Stage      *apigatewayv2.Stage
	Authorizer *apigatewayv2.Authorizer
	Domain     *Domain
	// Routes holds each route by its key, such as "GET /health".
	Routes map[string]*apigatewayv2.Route
	// URL is the API's base URL, https://<domain>.
	URL pulumi.StringOutput

	// routeKeys holds the key of each route by the name its resources derive from.
	routeKeys map[string]string
}

// NewAPI creates the API, its stage, integrations, routes, authorizer, invoke permissions and
// custom domain.
func NewAPI(ctx *pulumi.Context, name string, args *APIArgs, opts ...pulumi.ResourceOption) (*API, error) {
	if args == nil {
		return nil, fmt.Errorf("api %s: %w", name, ErrNilArgs)
	}
	c := &API{Routes: map[string]*apigatewayv2.Route{}, routeKeys: map[string]string{}}
	if err := register(ctx, "API", name, c, opts); err != nil {
		return nil, err
	}

	api, err := apigatewayv2.NewApi(ctx, name+"-http-api", &apigatewayv2.ApiArgs{
		ProtocolType: pulumi.String("HTTP"),
		// Clients must come through the custom domain, where mutual TLS is enforced.
		DisableExecuteApiEndpoint: pulumi.Bool(true),
		Tags:                      args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("api %s: http api: %w", name, err)
	}
	c.API = api

	if err := c.stage(ctx, name, args); err != nil {
		return nil, err
	}
	if err := c.authorizer(ctx, name, args); err != nil {
		return nil, err
	}
	for _, fn := range args.Functions {
		if err := c.routes(ctx, name, fn); err != nil {
			return nil, err
		}
	}

	domain, err := NewDomain(ctx, name+"-domain", &args.Domain, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("api %s: %w", name, err)
	}
	c.Domain = domain
	if _, err := apigatewayv2.NewApiMapping(ctx, name+"-mapping", &apigatewayv2.ApiMappingArgs{
		ApiId:      api.ID(),
		DomainName: domain.Name.ID(),
		Stage:      c.Stage.ID(),
	}, pulumi.Parent(c)); err != nil {
		return nil, fmt.Errorf("api %s: mapping: %w", name, err)
	}

	c.URL = pulumi.Sprintf("https://%s", domain.Name.DomainName)
	return c, finish(ctx, "API", name, c, pulumi.Map{
		"apiId": api.ID(),
		"url":   c.URL,
	})
}

// accessLogFormat is the JSON line API Gateway writes per request, with the client
// certificate that was presented. HTTP APIs support fewer variables than REST APIs (see
// "Customize HTTP API access logs" in the API Gateway developer guide), and read any other
// $context.authorizer.<name> as a value of the authorizer's context.
var accessLogFormat = map[string]string{
	"requestId":                "$context.requestId",
	"requestTime":              "$context.requestTime",
	"sourceIp":                 "$context.identity.sourceIp",
	"routeKey":                 "$context.routeKey",
	"status":                   "$context.status",
	"protocol":                 "$context.protocol",
	"responseLength":           "$context.responseLength",
	"integrationError":         "$context.integrationErrorMessage",
	"authorizerError":          "$context.authorizer.error",
	"clientCertSerialNumber":   "$context.identity.clientCert.serialNumber",
	"clientCertIssuerDN":       "$context.identity.clientCert.issuerDN",
	"clientCertSubjectDN":      "$context.identity.clientCert.subjectDN",
	"clientCertNotAfter":       "$context.identity.clientCert.validity.notAfter",
	"authorizerClientId":       "$context.authorizer." + apigw.ContextClientID,
	"integrationLatencyMillis": "$context.integrationLatency",
	"responseLatencyMillis":    "$context.responseLatency",
}

func (c *API) stage(ctx *pulumi.Context, name string, args *APIArgs) error {
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-access-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/apigateway/" + name),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("api %s: access log group: %w", name, err)
	}
	format, err := json.Marshal(accessLogFormat)
	if err != nil {
		return fmt.Errorf("api %s: marshal access log format: %w", name, err)
	}

	stage, err := apigatewayv2.NewStage(ctx, name+"-stage", &apigatewayv2.StageArgs{
		ApiId:      c.API.ID(),
		Name:       pulumi.String("$default"),
		AutoDeploy: pulumi.Bool(true),
		AccessLogSettings: &apigatewayv2.StageAccessLogSettingsArgs{
			DestinationArn: logs.Arn,
			Format:         pulumi.String(format),
		},
		Tags: args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("api %s: stage: %w", name, err)
	}
	c.Stage = stage
	return nil
}

// authorizer creates the Lambda authorizer when a function is marked as one.
func (c *API) authorizer(ctx *pulumi.Context, name string, args *APIArgs) error {
	var fn *Function
	for _, f := range args.Functions {
		if f.Catalog.Authorizer {
			fn = f
		}
	}
	if fn == nil {
		return nil
	}

	sources := pulumi.StringArray{pulumi.String(IdentitySourceToken)}
	if args.AuthorizerTTLSeconds > 0 {
		sources = append(sources, pulumi.String(IdentitySourceClientCert))
	}
	authorizer, err := apigatewayv2.NewAuthorizer(ctx, name+"-authorizer", &apigatewayv2.AuthorizerArgs{
		ApiId:                          c.API.ID(),
		AuthorizerType:                 pulumi.String("REQUEST"),
		AuthorizerUri:                  fn.InvokeArn,
		AuthorizerPayloadFormatVersion: pulumi.String("2.0"),
		EnableSimpleResponses:          pulumi.Bool(true),
		IdentitySources:                sources,
		AuthorizerResultTtlInSeconds:   pulumi.Int(args.AuthorizerTTLSeconds),
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("api %s: authorizer: %w", name, err)
	}
	c.Authorizer = authorizer

	if _, err := lambda.NewPermission(ctx, name+"-authorizer-invoke", &lambda.PermissionArgs{
		Function:  fn.Lambda.Name,
		Action:    pulumi.String("lambda:InvokeFunction"),
		Principal: pulumi.String("apigateway.amazonaws.com"),
		SourceArn: pulumi.Sprintf("%s/authorizers/%s", c.API.ExecutionArn, authorizer.ID()),
	}, pulumi.Parent(c)); err != nil {
		return fmt.Errorf("api %s: authorizer invoke permission: %w", name, err)
	}
	return nil
}

// routes creates fn's integration, its routes and the permission for the API to invoke it.
func (c *API) routes(ctx *pulumi.Context, name string, fn *Function) error {
	if len(fn.Catalog.Routes) == 0 {
		return nil
	}
	prefix := name + "-" + fn.Catalog.Name
	integration, err := apigatewayv2.NewIntegration(ctx, prefix+"-integration", &apigatewayv2.IntegrationArgs{
		ApiId:                c.API.ID(),
		IntegrationType:      pulumi.String("AWS_PROXY"),
		IntegrationMethod:    pulumi.String("POST"),
		IntegrationUri:       fn.InvokeArn,
		PayloadFormatVersion: pulumi.String("2.0"),
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("api %s: integration of %s: %w", name, fn.Catalog.Name, err)
	}

	for _, r := range fn.Catalog.Routes {
		// Two routes such as "GET /v1/widgets" and "GET /v1-widgets" have the same slug, so their
		// resources would have the same name.
		routeName := prefix + "-" + r.Slug()
		if other, ok := c.routeKeys[routeName]; ok {
			return fmt.Errorf("api %s: routes %q and %q both name their resources %s: change one of the paths", name, other, r.Key(), routeName)
		}
		c.routeKeys[routeName] = r.Key()

		routeArgs := &apigatewayv2.RouteArgs{
			ApiId:             c.API.ID(),
			RouteKey:          pulumi.String(r.Key()),
			Target:            pulumi.Sprintf("integrations/%s", integration.ID()),
			AuthorizationType: pulumi.String("NONE"),
		}
		if r.Auth == catalog.AuthJWT {
			if c.Authorizer == nil {
				return fmt.Errorf("api %s: route %q requires the authorizer, but no function is marked as one", name, r.Key())
			}
			routeArgs.AuthorizationType = pulumi.String("CUSTOM")
			routeArgs.AuthorizerId = c.Authorizer.ID()
		}
		route, err := apigatewayv2.NewRoute(ctx, routeName, routeArgs, pulumi.Parent(c))
		if err != nil {
			return fmt.Errorf("api %s: route %q: %w", name, r.Key(), err)
		}
		c.Routes[r.Key()] = route

		if _, err := lambda.NewPermission(ctx, routeName+"-invoke", &lambda.PermissionArgs{
			Function:  fn.Lambda.Name,
			Action:    pulumi.String("lambda:InvokeFunction"),
			Principal: pulumi.String("apigateway.amazonaws.com"),
			SourceArn: pulumi.Sprintf("%s/*/%s", c.API.ExecutionArn, sourcePath(r)),
		}, pulumi.Parent(c)); err != nil {
			return fmt.Errorf("api %s: invoke permission of route %q: %w", name, r.Key(), err)
		}
	}
	return nil
}

// sourcePath returns the METHOD/path part of the execute-api ARN of a request on r. The ARN
// holds the request's path, so each {parameter} segment matches any value.
func sourcePath(r catalog.Route) string {
	segments := strings.Split(r.Path, "/")
	for i, s := range segments {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segments[i] = "*"
		}
	}
	return r.Method + strings.Join(segments, "/")
}
