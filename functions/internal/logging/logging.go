// Package logging sets up the structured logger of a Lambda function and names the keys its
// records use, so that every function logs the same fields under the same names.
package logging

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Keys of log record attributes, in lowerCamel case.
const (
	KeyOutcome      = "outcome"
	KeyReason       = "reason"
	KeyStatus       = "status"
	KeySerialNumber = "serialNumber"
	KeyClientID     = "clientId"
	KeyError        = "error"
)

// New returns the logger of a Lambda function and makes it the default slog logger. It adds
// the Lambda request id to every record logged with a context, as slog.InfoContext does. The
// format is JSON when AWS_LAMBDA_LOG_FORMAT is JSON, as it is for a function with the JSON log
// format, and text otherwise. AWS_LAMBDA_LOG_LEVEL sets the level (aws-lambda-go v1.55.1,
// lambdacontext.NewLogger).
func New() *slog.Logger {
	logger := lambdacontext.NewLogger()
	slog.SetDefault(logger)
	return logger
}

// Exit logs err under msg at error level and ends the process with status 1. A main calls it
// for an error before the handler starts, which Lambda then reports as an init error.
func Exit(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, KeyError, err.Error())
	os.Exit(1)
}
