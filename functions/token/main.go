// Command token is the Lambda function behind POST /oauth/token: it exchanges a registered,
// active client certificate for a Cognito access token.
package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/mtls-api/mtls-api/functions/internal/cognito"
	"github.com/mtls-api/mtls-api/functions/internal/logging"
	"github.com/mtls-api/mtls-api/functions/internal/secret"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/env"
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

	clientSecret := secret.Static(cfg.secret)
	if cfg.secretARN != "" {
		clientSecret = secret.New(secretsmanager.NewFromConfig(awsCfg), cfg.secretARN)
	}
	tokens, err := cognito.New(cognito.Config{
		TokenURL:   cfg.tokenURL,
		ClientID:   cfg.clientID,
		Secret:     clientSecret,
		HTTPClient: &http.Client{Timeout: cognito.DefaultTimeout},
	})
	if err != nil {
		logging.Exit(logger, "invalid configuration", err)
	}

	h := &Handler{
		Records: certstore.New(dynamodb.NewFromConfig(awsCfg), cfg.table),
		Tokens:  tokens,
		Now:     time.Now,
		Logger:  logger,
	}
	lambda.Start(h.Handle)
}
