// Command health is the Lambda function behind GET /health: it reports the service status,
// the build version and the caller's client certificate.
package main

import (
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mtls-api/mtls-api/functions/internal/logging"
	"github.com/mtls-api/mtls-api/shared/env"
)

func main() {
	logging.New()
	lookup := env.Lookup(os.Getenv)

	h := &Handler{
		Version: lookup.Optional(env.BuildVersion, "dev"),
		Now:     time.Now,
	}
	lambda.Start(h.Handle)
}
