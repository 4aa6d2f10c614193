// Package env names the environment variables the functions read. The infrastructure sets
// them on each Lambda function from the function catalog, and the local stack sets the same
// names, so every variable a function reads is provided.
package env

import (
	"fmt"
	"strings"
)

// Names of the environment variables the functions read.
const (
	// TableName is the name of the DynamoDB certificate table.
	TableName = "CERT_TABLE_NAME"
	// TokenURL is the Cognito token endpoint, such as
	// https://example.auth.eu-west-1.amazoncognito.com/oauth2/token.
	TokenURL = "COGNITO_TOKEN_URL"
	// ClientID is the id of the machine-to-machine app client.
	ClientID = "COGNITO_CLIENT_ID"
	// ClientSecretARN is the ARN of the Secrets Manager secret that holds the app client's
	// secret as a plain string.
	ClientSecretARN = "COGNITO_CLIENT_SECRET_ARN"
	// ClientSecret is the app client's secret as a plain value. Only the local stack sets it;
	// deployed functions read ClientSecretARN.
	ClientSecret = "COGNITO_CLIENT_SECRET"
	// Issuer is the user pool's token issuer, such as
	// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123.
	Issuer = "COGNITO_ISSUER"
	// JWKSURL is the issuer's key set. When unset, the functions use Issuer followed by
	// /.well-known/jwks.json, as Cognito publishes it.
	JWKSURL = "COGNITO_JWKS_URL"
	// BuildVersion is the version string the health function reports.
	BuildVersion = "BUILD_VERSION"
)

// Lookup reads variables through getenv (os.Getenv in production, a map in tests).
type Lookup func(string) string

// Required returns the value of name, or an error naming the variable when it is empty.
func (l Lookup) Required(name string) (string, error) {
	v := strings.TrimSpace(l(name))
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// Optional returns the value of name, or def when it is empty.
func (l Lookup) Optional(name, def string) string {
	if v := strings.TrimSpace(l(name)); v != "" {
		return v
	}
	return def
}
