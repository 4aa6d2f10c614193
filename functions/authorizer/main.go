// Command authorizer is the Lambda authorizer of the jwt routes: it allows a request when its
// Cognito access token is valid and its client certificate is registered and active.
package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mtls-api/mtls-api/functions/internal/accesstoken"
	"github.com/mtls-api/mtls-api/functions/internal/jwks"
	"github.com/mtls-api/mtls-api/functions/internal/logging"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/env"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

func main() {
	logger := logging.New()
	cfg, err := loadConfig(env.Lookup(os.Getenv))
	if err != nil {
		logging.Exit(logger, "invalid configuration", err)
	}

	// The SDK reads the region, the credentials and endpoint overrides such as
	// AWS_ENDPOINT_URL_DYNAMODB from the environment.
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		logging.Exit(logger, "load AWS configuration", err)
	}

	keys := jwks.New(cfg.jwksURL, jwks.Options{HTTPClient: &http.Client{Timeout: jwks.DefaultFetchTimeout}})
	verifier, err := accesstoken.New(keys, accesstoken.Config{
		Issuer:   cfg.issuer,
		ClientID: cfg.clientID,
		Scope:    oauth.Scope,
	})
	if err != nil {
		logging.Exit(logger, "invalid configuration", err)
	}

	h := &Handler{
		Verifier: verifier,
		Records:  certstore.New(dynamodb.NewFromConfig(awsCfg), cfg.table),
		Now:      time.Now,
		Logger:   logger,
	}
	lambda.Start(h.Handle)
}
