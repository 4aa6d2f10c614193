package program_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/infra/component"
	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/env"
	"github.com/mtls-api/mtls-api/shared/oauth"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Type tokens of the resources the tests inspect.
const (
	typeAPI             = "aws:apigatewayv2/api:Api"
	typeStage           = "aws:apigatewayv2/stage:Stage"
	typeRoute           = "aws:apigatewayv2/route:Route"
	typeIntegration     = "aws:apigatewayv2/integration:Integration"
	typeAuthorizer      = "aws:apigatewayv2/authorizer:Authorizer"
	typeDomainName      = "aws:apigatewayv2/domainName:DomainName"
	typeAPIMapping      = "aws:apigatewayv2/apiMapping:ApiMapping"
	typeCertificate     = "aws:acm/certificate:Certificate"
	typeValidation      = "aws:acm/certificateValidation:CertificateValidation"
	typeRecord          = "aws:route53/record:Record"
	typeBucket          = "aws:s3/bucketV2:BucketV2"
	typeObject          = "aws:s3/bucketObjectv2:BucketObjectv2"
	typeVersioning      = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typeEncryption      = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	typePublicBlock     = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeBucketPolicy    = "aws:s3/bucketPolicy:BucketPolicy"
	typeTable           = "aws:dynamodb/table:Table"
	typeUserPool        = "aws:cognito/userPool:UserPool"
	typeUserPoolClient  = "aws:cognito/userPoolClient:UserPoolClient"
	typeResourceServer  = "aws:cognito/resourceServer:ResourceServer"
	typeSecret          = "aws:secretsmanager/secret:Secret"
	typeSecretVersion   = "aws:secretsmanager/secretVersion:SecretVersion"
	typeRepository      = "aws:ecr/repository:Repository"
	typeLifecycle       = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
	typeLogGroup        = "aws:cloudwatch/logGroup:LogGroup"
	typeRole            = "aws:iam/role:Role"
	typeRolePolicy      = "aws:iam/rolePolicy:RolePolicy"
	typeFunction        = "aws:lambda/function:Function"
	typePermission      = "aws:lambda/permission:Permission"
	typeFunctionComp    = "mtls-api:component:Function"
	componentTypePrefix = "mtls-api:component:"
)

func TestExecuteAPIEndpointDisabled(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			api := d.one(t, typeAPI)
			if !boolean(t, api.Inputs, "disableExecuteApiEndpoint") {
				t.Error("Api disableExecuteApiEndpoint = false, want true")
			}
			if got := str(t, api.Inputs, "protocolType"); got != "HTTP" {
				t.Errorf("Api protocolType = %q, want HTTP", got)
			}
		})
	}
}

func TestStageAccessLogs(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			stage := d.one(t, typeStage)
			if got := str(t, stage.Inputs, "name"); got != "$default" {
				t.Errorf("Stage name = %q, want $default", got)
			}
			if !boolean(t, stage.Inputs, "autoDeploy") {
				t.Error("Stage autoDeploy = false, want true")
			}
			format := str(t, stage.Inputs, "accessLogSettings.format")
			for _, want := range []string{"$context.identity.clientCert.serialNumber", "$context.identity.clientCert.issuerDN", "$context.requestId"} {
				if !strings.Contains(format, want) {
					t.Errorf("Stage access log format = %s, want it to contain %s", format, want)
				}
			}
			var fields map[string]string
			if err := json.Unmarshal([]byte(format), &fields); err != nil {
				t.Fatalf("Stage access log format = %s, want a JSON object of strings: %v", format, err)
			}
			for field, variable := range fields {
				if !accessLogVariable(variable) {
					t.Errorf("access log field %s = %q, want an HTTP API access log variable", field, variable)
				}
			}
			logs := d.named(t, "mtls-api-"+d.stack+"-api-access-logs", typeLogGroup)
			if got, want := str(t, stage.Inputs, "accessLogSettings.destinationArn"), str(t, logs.Outputs, "arn"); got != want {
				t.Errorf("Stage access log destination = %q, want the access log group %q", got, want)
			}
		})
	}
}

// httpAPILogVariables are the $context variables that HTTP API access logs support, from
// "Customize HTTP API access logs" in the API Gateway developer guide. Variables of REST APIs
// such as $context.authorizer.latency are not among them: an HTTP API reads
// $context.authorizer.<name> as a value of the authorizer's context instead.
var httpAPILogVariables = []string{
	"$context.accountId", "$context.apiId", "$context.authorizer.error",
	"$context.authorizer.principalId", "$context.awsEndpointRequestId", "$context.dataProcessed",
	"$context.domainName", "$context.domainPrefix", "$context.error.message",
	"$context.error.messageString", "$context.error.responseType", "$context.extendedRequestId",
	"$context.httpMethod", "$context.identity.clientCert.clientCertPem",
	"$context.identity.clientCert.subjectDN", "$context.identity.clientCert.issuerDN",
	"$context.identity.clientCert.serialNumber", "$context.identity.clientCert.validity.notBefore",
	"$context.identity.clientCert.validity.notAfter", "$context.identity.sourceIp",
	"$context.identity.userAgent", "$context.integration.error",
	"$context.integration.integrationStatus", "$context.integration.latency",
	"$context.integration.status", "$context.integrationErrorMessage", "$context.integrationLatency",
	"$context.integrationStatus", "$context.path", "$context.protocol", "$context.requestId",
	"$context.requestTime", "$context.requestTimeEpoch", "$context.responseLatency",
	"$context.responseLength", "$context.routeKey", "$context.stage", "$context.status",
}

// accessLogVariable reports whether v is an HTTP API access log variable or a value of the
// authorizer's context.
func accessLogVariable(v string) bool {
	if slices.Contains(httpAPILogVariables, v) {
		return true
	}
	key, ok := strings.CutPrefix(v, "$context.authorizer.")
	return ok && slices.Contains([]string{apigw.ContextSerialNumber, apigw.ContextClientID, apigw.ContextScope, apigw.ContextSubjectCN}, key)
}

func TestDomainMutualTLS(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			domain := d.one(t, typeDomainName)
			bucket := d.one(t, typeBucket)
			object := d.one(t, typeObject)

			if got := str(t, domain.Inputs, "domainName"); got != d.config.DomainName {
				t.Errorf("DomainName domainName = %q, want %q", got, d.config.DomainName)
			}
			wantURI := "s3://" + str(t, bucket.Outputs, "bucket") + "/" + str(t, object.Inputs, "key")
			if got := str(t, domain.Inputs, "mutualTlsAuthentication.truststoreUri"); got != wantURI {
				t.Errorf("truststoreUri = %q, want %q", got, wantURI)
			}
			if got, want := str(t, domain.Inputs, "mutualTlsAuthentication.truststoreVersion"), str(t, object.Outputs, "versionId"); got != want {
				t.Errorf("truststoreVersion = %q, want the uploaded object's version %q", got, want)
			}
			if got := str(t, domain.Inputs, "domainNameConfiguration.securityPolicy"); got != "TLS_1_2" {
				t.Errorf("securityPolicy = %q, want TLS_1_2", got)
			}
			if got := str(t, domain.Inputs, "domainNameConfiguration.endpointType"); got != "REGIONAL" {
				t.Errorf("endpointType = %q, want REGIONAL", got)
			}

			mapping := d.one(t, typeAPIMapping)
			if got, want := str(t, mapping.Inputs, "domainName"), d.config.DomainName; got != want {
				t.Errorf("ApiMapping domainName = %q, want %q", got, want)
			}
			if got := str(t, mapping.Inputs, "stage"); got != "$default" {
				t.Errorf("ApiMapping stage = %q, want $default", got)
			}
			if got, want := str(t, mapping.Inputs, "apiId"), str(t, d.one(t, typeStage).Inputs, "apiId"); got != want {
				t.Errorf("ApiMapping apiId = %q, want the stage's API %q", got, want)
			}
		})
	}
}

func TestDomainCertificate(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			domain := d.one(t, typeDomainName)
			arn := str(t, domain.Inputs, "domainNameConfiguration.certificateArn")

			if d.config.HostedZoneID == "" {
				if arn != d.config.CertificateARN {
					t.Errorf("certificateArn = %q, want the configured %q", arn, d.config.CertificateARN)
				}
				if n := len(d.ofType(typeCertificate)) + len(d.ofType(typeRecord)); n != 0 {
					t.Errorf("certificates and records with an existing certificate = %d, want 0", n)
				}
				return
			}

			cert := d.one(t, typeCertificate)
			if got := str(t, cert.Inputs, "validationMethod"); got != "DNS" {
				t.Errorf("Certificate validationMethod = %q, want DNS", got)
			}
			validation := d.one(t, typeValidation)
			if got, want := str(t, validation.Inputs, "certificateArn"), str(t, cert.Outputs, "arn"); got != want {
				t.Errorf("CertificateValidation certificateArn = %q, want %q", got, want)
			}
			if arn != str(t, cert.Outputs, "arn") {
				t.Errorf("domain certificateArn = %q, want the validated certificate %q", arn, str(t, cert.Outputs, "arn"))
			}
			records := d.ofType(typeRecord)
			if len(records) != 2 {
				t.Fatalf("Route 53 records = %d, want 2 (validation and alias)", len(records))
			}
			for _, r := range records {
				if got := str(t, r.Inputs, "zoneId"); got != d.config.HostedZoneID {
					t.Errorf("record %s zoneId = %q, want %q", r.Name, got, d.config.HostedZoneID)
				}
			}
		})
	}
}

func TestRoutesMatchCatalog(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			authorizer := d.one(t, typeAuthorizer)
			want := map[string]catalog.Route{}
			owner := map[string]string{}
			for _, f := range catalog.All() {
				for _, r := range f.Routes {
					want[r.Key()] = r
					owner[r.Key()] = f.Name
				}
			}

			routes := d.ofType(typeRoute)
			if len(routes) != len(want) {
				t.Errorf("routes = %d, want one per catalog route, %d", len(routes), len(want))
			}
			for _, route := range routes {
				key := str(t, route.Inputs, "routeKey")
				r, ok := want[key]
				if !ok {
					t.Errorf("route %q is not in the catalog", key)
					continue
				}
				delete(want, key)

				auth := str(t, route.Inputs, "authorizationType")
				switch r.Auth {
				case catalog.AuthJWT:
					if auth != "CUSTOM" || str(t, route.Inputs, "authorizerId") != authorizer.Name {
						t.Errorf("jwt route %q authorization = %s, want CUSTOM with the authorizer", key, auth)
					}
				case catalog.AuthMTLS:
					if auth != "NONE" {
						t.Errorf("mtls route %q authorizationType = %s, want NONE", key, auth)
					}
				}

				fn := d.named(t, "mtls-api-"+d.stack+"-"+owner[key]+"-function", typeFunction)
				integration := d.named(t, strings.TrimPrefix(str(t, route.Inputs, "target"), "integrations/"), typeIntegration)
				if got, wantURI := str(t, integration.Inputs, "integrationUri"), str(t, fn.Outputs, "invokeArn"); got != wantURI {
					t.Errorf("route %q integration URI = %q, want %s's %q", key, got, owner[key], wantURI)
				}
				if got := str(t, integration.Inputs, "payloadFormatVersion"); got != "2.0" {
					t.Errorf("route %q payloadFormatVersion = %q, want 2.0", key, got)
				}
			}
			for key := range want {
				t.Errorf("catalog route %q has no API route", key)
			}
		})
	}
}

func TestAuthorizer(t *testing.T) {
	tests := []struct {
		name, ttl       string
		wantClientCert  bool
		wantTTLInSecond int
	}{
		{name: "caching off", ttl: "0", wantClientCert: false, wantTTLInSecond: 0},
		{name: "caching on", ttl: "300", wantClientCert: true, wantTTLInSecond: 300},
		{name: "longest cache", ttl: "3600", wantClientCert: true, wantTTLInSecond: 3600},
	}
	for _, stack := range stacks {
		for _, tt := range tests {
			t.Run(stack+" "+tt.name, func(t *testing.T) {
				cfg := stackConfig(t, stack)
				cfg["mtls-api:authorizerResultTtlSeconds"] = tt.ttl
				d := preview(t, stack, cfg)
				a := d.one(t, typeAuthorizer)

				if got := str(t, a.Inputs, "authorizerType"); got != "REQUEST" {
					t.Errorf("authorizerType = %q, want REQUEST", got)
				}
				if got := str(t, a.Inputs, "authorizerPayloadFormatVersion"); got != "2.0" {
					t.Errorf("authorizerPayloadFormatVersion = %q, want 2.0", got)
				}
				if !boolean(t, a.Inputs, "enableSimpleResponses") {
					t.Error("enableSimpleResponses = false, want true")
				}
				ttl := number(t, a.Inputs, "authorizerResultTtlInSeconds")
				if ttl != tt.wantTTLInSecond {
					t.Errorf("authorizerResultTtlInSeconds = %d, want %d", ttl, tt.wantTTLInSecond)
				}
				sources := stringList(t, a.Inputs, "identitySources")
				hasCert := slices.Contains(sources, component.IdentitySourceClientCert)
				if ttl > 0 && !hasCert {
					t.Errorf("identitySources = %q with TTL %d, want the client certificate in the cache key", sources, ttl)
				}
				if hasCert != tt.wantClientCert {
					t.Errorf("identitySources = %q, client certificate included = %t, want %t", sources, hasCert, tt.wantClientCert)
				}
				if !slices.Contains(sources, component.IdentitySourceToken) {
					t.Errorf("identitySources = %q, want %s", sources, component.IdentitySourceToken)
				}

				fn, _ := catalog.Authorizer()
				lambda := d.named(t, "mtls-api-"+stack+"-"+fn.Name+"-function", typeFunction)
				if got, want := str(t, a.Inputs, "authorizerUri"), str(t, lambda.Outputs, "invokeArn"); got != want {
					t.Errorf("authorizerUri = %q, want %q", got, want)
				}
			})
		}
	}
}

func TestInvokePermissionsScopedToAPI(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			executionArn := str(t, d.one(t, typeAPI).Outputs, "executionArn")
			functionName := func(f catalog.Function) string {
				return str(t, d.named(t, "mtls-api-"+d.stack+"-"+f.Name+"-function", typeFunction).Outputs, "name")
			}

			// Each function may be invoked only through its own routes, and the authorizer only
			// as the API's authorizer.
			want := map[string]bool{}
			for _, f := range catalog.All() {
				for _, r := range f.Routes {
					path := regexp.MustCompile(`\{[^/]+\}`).ReplaceAllString(r.Path, "*")
					want[functionName(f)+" from "+executionArn+"/*/"+r.Method+path] = true
				}
			}
			authorizerFn, _ := catalog.Authorizer()
			want[functionName(authorizerFn)+" from "+executionArn+"/authorizers/"+d.one(t, typeAuthorizer).Name] = true

			got := map[string]bool{}
			for _, p := range d.ofType(typePermission) {
				if principal := str(t, p.Inputs, "principal"); principal != "apigateway.amazonaws.com" {
					t.Errorf("permission %s principal = %q, want apigateway.amazonaws.com", p.Name, principal)
				}
				if action := str(t, p.Inputs, "action"); action != "lambda:InvokeFunction" {
					t.Errorf("permission %s action = %q, want lambda:InvokeFunction", p.Name, action)
				}
				got[str(t, p.Inputs, "function")+" from "+str(t, p.Inputs, "sourceArn")] = true
			}
			for grant := range got {
				if !want[grant] {
					t.Errorf("invoke permission %q is not one route's or the authorizer's", grant)
				}
			}
			for grant := range want {
				if !got[grant] {
					t.Errorf("invoke permission %q is missing", grant)
				}
			}
		})
	}
}

func TestRolesAllowExactlyCatalogPermissions(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			table := d.one(t, typeTable)
			secret := d.one(t, typeSecret)
			arns := map[catalog.Resource]string{
				catalog.ResourceCertificateTable:        str(t, table.Outputs, "arn"),
				catalog.ResourceCertificateTableIndexes: str(t, table.Outputs, "arn") + "/index/" + certstore.ClientIndexName,
				catalog.ResourceClientSecret:            str(t, secret.Outputs, "arn"),
			}

			for _, f := range catalog.All() {
				t.Run(f.Name, func(t *testing.T) {
					parent := "mtls-api-" + d.stack + "-" + f.Name
					logGroup := d.child(t, parent, typeLogGroup)
					doc := policy(t, d.child(t, parent, typeRolePolicy).Inputs, "policy")

					want := map[string]bool{}
					for _, p := range f.Permissions {
						for _, a := range p.Actions {
							want[a+" on "+arns[p.Resource]] = true
						}
					}
					logStreams := str(t, logGroup.Outputs, "arn") + ":log-stream:*"
					want["logs:CreateLogStream on "+logStreams] = true
					want["logs:PutLogEvents on "+logStreams] = true

					got := map[string]bool{}
					for _, s := range doc.Statement {
						if s.Effect != "Allow" || s.Condition != nil || s.Principal != nil {
							t.Errorf("statement %s = %+v, want a plain Allow", s.Sid, s)
						}
						for _, a := range s.Action {
							if strings.Contains(a, "*") {
								t.Errorf("statement %s action %q has a wildcard", s.Sid, a)
							}
							for _, r := range s.Resource {
								// The one wildcard allowed is the stream name in the function's own
								// log group, which Lambda picks at run time.
								if strings.Contains(r, "*") && r != logStreams {
									t.Errorf("statement %s resource %q has a wildcard", s.Sid, r)
								}
								got[a+" on "+r] = true
							}
						}
					}
					for grant := range got {
						if !want[grant] {
							t.Errorf("role of %s allows %s, which its catalog entry does not grant", f.Name, grant)
						}
					}
					for grant := range want {
						if !got[grant] {
							t.Errorf("role of %s does not allow %s", f.Name, grant)
						}
					}

					trust := policy(t, d.child(t, parent, typeRole).Inputs, "assumeRolePolicy")
					if len(trust.Statement) != 1 || trust.Statement[0].Principal["Service"] != "lambda.amazonaws.com" {
						t.Errorf("trust policy of %s = %+v, want only lambda.amazonaws.com", f.Name, trust)
					}
				})
			}
		})
	}
}

func TestCognitoClientCredentialsOnly(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			pool := d.one(t, typeUserPool)
			if !boolean(t, pool.Inputs, "adminCreateUserConfig.allowAdminCreateUserOnly") {
				t.Error("user pool allowAdminCreateUserOnly = false, want true")
			}

			client := d.one(t, typeUserPoolClient)
			if got := stringList(t, client.Inputs, "allowedOauthFlows"); !slices.Equal(got, []string{oauth.GrantClientCredentials}) {
				t.Errorf("allowedOauthFlows = %q, want only %s", got, oauth.GrantClientCredentials)
			}
			if got := stringList(t, client.Inputs, "allowedOauthScopes"); !slices.Equal(got, []string{oauth.Scope}) {
				t.Errorf("allowedOauthScopes = %q, want only %s", got, oauth.Scope)
			}
			if !boolean(t, client.Inputs, "generateSecret") {
				t.Error("generateSecret = false, want true")
			}
			if !boolean(t, client.Inputs, "allowedOauthFlowsUserPoolClient") {
				t.Error("allowedOauthFlowsUserPoolClient = false, want true")
			}

			server := d.one(t, typeResourceServer)
			if got := str(t, server.Inputs, "identifier"); got != oauth.ResourceServerIdentifier {
				t.Errorf("resource server identifier = %q, want %q", got, oauth.ResourceServerIdentifier)
			}
			scope := value(t, server.Inputs, "scopes").ArrayValue()
			if len(scope) != 1 || scope[0].ObjectValue()["scopeName"].StringValue() != oauth.ScopeName {
				t.Errorf("resource server scopes = %v, want only %s", scope, oauth.ScopeName)
			}
		})
	}
}

func TestClientSecretOnlyInSecretsManager(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			secret := d.one(t, typeSecret)
			version := d.one(t, typeSecretVersion)
			secretString := value(t, version.Inputs, "secretString")
			if !secretString.ContainsSecrets() {
				t.Error("secret version secretString is not marked secret")
			}
			if secretString.IsSecret() {
				secretString = secretString.SecretValue().Element
			}
			if !secretString.IsString() || secretString.StringValue() != plan.MockClientSecret {
				t.Errorf("secret version secretString = %v, want the app client's secret", secretString)
			}
			if got, want := str(t, version.Inputs, "secretId"), secret.Name; !strings.HasPrefix(got, "arn:") || !strings.Contains(got, want) {
				t.Errorf("secret version secretId = %q, want the secret %s", got, want)
			}

			for _, fn := range d.ofType(typeFunction) {
				variables := value(t, fn.Inputs, "environment.variables").ObjectValue()
				for name, v := range variables {
					if name == env.ClientSecret {
						t.Errorf("function %s sets %s", fn.Name, name)
					}
					if v.ContainsSecrets() || (v.IsString() && v.StringValue() == plan.MockClientSecret) {
						t.Errorf("function %s variable %s holds the client secret", fn.Name, name)
					}
				}
				if slices.Contains(variableNames(variables), env.ClientSecretARN) {
					if got, want := str(t, fn.Inputs, "environment.variables."+env.ClientSecretARN), str(t, secret.Outputs, "arn"); got != want {
						t.Errorf("function %s %s = %q, want %q", fn.Name, env.ClientSecretARN, got, want)
					}
				}
			}
		})
	}
}

func TestCertificateTable(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			table := d.one(t, typeTable)
			if !boolean(t, table.Inputs, "pointInTimeRecovery.enabled") {
				t.Error("pointInTimeRecovery.enabled = false, want true")
			}
			if !boolean(t, table.Inputs, "serverSideEncryption.enabled") {
				t.Error("serverSideEncryption.enabled = false, want true")
			}
			if got := str(t, table.Inputs, "billingMode"); got != "PAY_PER_REQUEST" {
				t.Errorf("billingMode = %q, want PAY_PER_REQUEST", got)
			}
			if got := str(t, table.Inputs, "hashKey"); got != certstore.PartitionKey {
				t.Errorf("hashKey = %q, want %q", got, certstore.PartitionKey)
			}
			indexes := value(t, table.Inputs, "globalSecondaryIndexes").ArrayValue()
			if len(indexes) != 1 || indexes[0].ObjectValue()["name"].StringValue() != certstore.ClientIndexName ||
				indexes[0].ObjectValue()["hashKey"].StringValue() != certstore.ClientIndexKey {
				t.Errorf("globalSecondaryIndexes = %v, want %s on %s", indexes, certstore.ClientIndexName, certstore.ClientIndexKey)
			}

			if got := boolean(t, table.Inputs, "deletionProtectionEnabled"); got != d.config.Protect {
				t.Errorf("deletionProtectionEnabled = %t, want %t", got, d.config.Protect)
			}
			if d.stack == "prod" && !d.config.Protect {
				t.Error("prod stack protect = false, want true")
			}
			if table.Protect != d.config.Protect || table.RetainOnDelete != d.config.Protect {
				t.Errorf("table options protect = %t, retainOnDelete = %t, want both %t", table.Protect, table.RetainOnDelete, d.config.Protect)
			}
		})
	}
}

func TestStatefulResourcesProtected(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			for _, typ := range []string{typeTable, typeUserPool, typeBucket, typeObject} {
				r := d.one(t, typ)
				if r.Protect != d.config.Protect || r.RetainOnDelete != d.config.Protect {
					t.Errorf("%s options protect = %t, retainOnDelete = %t, want both %t", r.Name, r.Protect, r.RetainOnDelete, d.config.Protect)
				}
			}
			wantPool := "INACTIVE"
			if d.config.Protect {
				wantPool = "ACTIVE"
			}
			if got := str(t, d.one(t, typeUserPool).Inputs, "deletionProtection"); got != wantPool {
				t.Errorf("user pool deletionProtection = %q, want %q", got, wantPool)
			}
		})
	}
}

func TestRepositories(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			repos := d.ofType(typeRepository)
			if len(repos) != len(catalog.All()) {
				t.Errorf("repositories = %d, want one per function, %d", len(repos), len(catalog.All()))
			}
			for _, r := range repos {
				if got := str(t, r.Inputs, "imageTagMutability"); got != "IMMUTABLE" {
					t.Errorf("repository %s imageTagMutability = %q, want IMMUTABLE", r.Name, got)
				}
				if !boolean(t, r.Inputs, "imageScanningConfiguration.scanOnPush") {
					t.Errorf("repository %s scanOnPush = false, want true", r.Name)
				}
			}
			for _, l := range d.ofType(typeLifecycle) {
				rules := value(t, l.Inputs, "policy")
				if !strings.Contains(rules.StringValue(), `"tagStatus":"untagged"`) || strings.Contains(rules.StringValue(), `"tagStatus":"tagged"`) || strings.Contains(rules.StringValue(), `"tagStatus":"any"`) {
					t.Errorf("lifecycle policy %s = %s, want it to expire untagged images only", l.Name, rules.StringValue())
				}
			}
		})
	}
}

func TestLogGroupsHaveRetention(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			groups := d.ofType(typeLogGroup)
			if len(groups) != len(catalog.All())+1 {
				t.Errorf("log groups = %d, want one per function and one for access logs", len(groups))
			}
			for _, g := range groups {
				if got := number(t, g.Inputs, "retentionInDays"); got != d.config.LogRetentionDays {
					t.Errorf("log group %s retentionInDays = %d, want %d", g.Name, got, d.config.LogRetentionDays)
				}
			}
		})
	}
}

var digestReference = regexp.MustCompile(`^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9-]+@sha256:[0-9a-f]{64}$`)

func TestFunctions(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			for _, f := range catalog.All() {
				t.Run(f.Name, func(t *testing.T) {
					parent := "mtls-api-" + d.stack + "-" + f.Name
					fn := d.child(t, parent, typeFunction)
					repo := d.child(t, parent, typeRepository)
					logGroup := d.child(t, parent, typeLogGroup)

					if got := stringList(t, fn.Inputs, "architectures"); !slices.Equal(got, []string{"arm64"}) {
						t.Errorf("architectures = %q, want [arm64]", got)
					}
					if got := str(t, fn.Inputs, "packageType"); got != "Image" {
						t.Errorf("packageType = %q, want Image", got)
					}
					if got := str(t, fn.Inputs, "loggingConfig.logFormat"); got != "JSON" {
						t.Errorf("logFormat = %q, want JSON", got)
					}
					if got, want := str(t, fn.Inputs, "loggingConfig.logGroup"), str(t, logGroup.Inputs, "name"); got != want {
						t.Errorf("logGroup = %q, want its own %q", got, want)
					}
					uri := str(t, fn.Inputs, "imageUri")
					want := str(t, repo.Outputs, "repositoryUrl") + "@" + plan.PlaceholderDigest(f.Name).String()
					if uri != want || !digestReference.MatchString(uri) {
						t.Errorf("imageUri = %q, want the repository by digest %q", uri, want)
					}
					if got := number(t, fn.Inputs, "memorySize"); got != f.MemoryMB {
						t.Errorf("memorySize = %d, want %d", got, f.MemoryMB)
					}
					if got := number(t, fn.Inputs, "timeout"); got != int(f.Timeout.Seconds()) {
						t.Errorf("timeout = %d, want %d", got, int(f.Timeout.Seconds()))
					}

					names := variableNames(value(t, fn.Inputs, "environment.variables").ObjectValue())
					wantNames := slices.Sorted(slices.Values(f.Env))
					if !slices.Equal(names, wantNames) {
						t.Errorf("environment variables = %q, want the catalog's %q", names, wantNames)
					}
				})
			}
		})
	}
}

func TestEveryChildHasParent(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			prefix := "mtls-api-" + d.stack + "-"
			components := map[string]bool{}
			for _, r := range d.resources {
				if !r.Custom {
					components[r.Name] = true
				}
			}
			for _, r := range d.resources {
				if !strings.HasPrefix(r.Name, prefix) {
					t.Errorf("resource %s (%s) name lacks the stack prefix %q", r.Name, r.Type, prefix)
				}
				if r.Custom && !components[r.Parent] {
					t.Errorf("resource %s (%s) parent = %q, want a component", r.Name, r.Type, r.Parent)
				}
				if !r.Custom && !strings.HasPrefix(r.Type, componentTypePrefix) {
					t.Errorf("component %s type = %s, want the %s prefix", r.Name, r.Type, componentTypePrefix)
				}
			}
			if got := len(d.ofType(typeFunctionComp)); got != len(catalog.All()) {
				t.Errorf("function components = %d, want %d", got, len(catalog.All()))
			}
		})
	}
}

func TestTruststoreBucket(t *testing.T) {
	for _, d := range deployments(t) {
		t.Run(d.stack, func(t *testing.T) {
			if got := str(t, d.one(t, typeVersioning).Inputs, "versioningConfiguration.status"); got != "Enabled" {
				t.Errorf("bucket versioning = %q, want Enabled", got)
			}
			rules := value(t, d.one(t, typeEncryption).Inputs, "rules").ArrayValue()
			if len(rules) != 1 || rules[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()["sseAlgorithm"].StringValue() == "" {
				t.Errorf("bucket encryption rules = %v, want default encryption", rules)
			}
			block := d.one(t, typePublicBlock)
			for _, key := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if !boolean(t, block.Inputs, key) {
					t.Errorf("public access block %s = false, want true", key)
				}
			}

			// The deny must cover every principal, every action, and both the bucket and its
			// objects, or some requests without TLS would still be allowed.
			bucketArn := str(t, d.one(t, typeBucket).Outputs, "arn")
			doc := policy(t, d.one(t, typeBucketPolicy).Inputs, "policy")
			denies := false
			for _, s := range doc.Statement {
				if s.Effect == "Deny" && s.Condition["Bool"]["aws:SecureTransport"] == "false" &&
					s.Principal["AWS"] == "*" && slices.Equal(s.Action, []string{"s3:*"}) &&
					slices.Contains(s.Resource, bucketArn) && slices.Contains(s.Resource, bucketArn+"/*") {
					denies = true
				}
			}
			if !denies {
				t.Errorf("bucket policy = %+v, want a deny of every request without TLS to %s and its objects", doc, bucketArn)
			}

			source := value(t, d.one(t, typeObject).Inputs, "source")
			if !source.IsAsset() || source.AssetValue().Path != d.config.TruststorePath {
				t.Errorf("truststore object source = %v, want the file %s", source, d.config.TruststorePath)
			}
		})
	}
}

func variableNames(variables resource.PropertyMap) []string {
	names := make([]string, 0, len(variables))
	for k := range variables {
		names = append(names, string(k))
	}
	slices.Sort(names)
	return names
}
