package stack

import (
	"fmt"
	"strconv"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/env"
)

// Region is the AWS region the local functions and their SDK clients use.
const Region = "us-east-1"

// endpoints are the local values behind the environment variables of package env.
type endpoints struct {
	table        string
	dynamoDB     string
	tokenURL     string
	clientID     string
	clientSecret string
	issuer       string
	jwksURL      string
	version      string
}

// values maps each name of package env to its local value. There is no Secrets Manager
// locally, so a function that reads env.ClientSecretARN gets env.ClientSecret instead, the
// plain value the functions accept for the local stack only.
func (e endpoints) values() map[string][]string {
	return map[string][]string{
		env.TableName:       {env.TableName + "=" + e.table},
		env.TokenURL:        {env.TokenURL + "=" + e.tokenURL},
		env.ClientID:        {env.ClientID + "=" + e.clientID},
		env.ClientSecretARN: {env.ClientSecret + "=" + e.clientSecret},
		env.ClientSecret:    {env.ClientSecret + "=" + e.clientSecret},
		env.Issuer:          {env.Issuer + "=" + e.issuer},
		env.JWKSURL:         {env.JWKSURL + "=" + e.jwksURL},
		env.BuildVersion:    {env.BuildVersion + "=" + e.version},
	}
}

// functionEnv returns the whole environment of f's process: the variables its catalog entry
// names, and what the Lambda service and the AWS SDK expect. Nothing comes from the stack's
// own environment, so a developer's AWS profile or credentials never reach a function. It
// also returns the names f reads that the stack cannot set.
func functionEnv(f catalog.Function, e endpoints, runtimeAPI string) (vars []string, unknown []string) {
	vars = []string{
		"AWS_LAMBDA_RUNTIME_API=" + runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME=" + f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_LEVEL=INFO",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_ENDPOINT_URL_DYNAMODB=" + e.dynamoDB,
		"AWS_EC2_METADATA_DISABLED=true",
		"TZ=UTC",
	}

	values := e.values()
	for _, name := range f.Env {
		v, ok := values[name]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		vars = append(vars, v...)
	}
	return vars, unknown
}

// unknownEnvMessage explains a variable the stack does not set.
func unknownEnvMessage(function string, names []string) string {
	return fmt.Sprintf("function %s reads %v, which the local stack does not set; add it to endpoints in tools/devstack/internal/stack/env.go", function, names)
}
