package logging_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mtls-api/mtls-api/functions/internal/logging"
)

// TestNewAddsRequestID checks the logger's output on standard output, where Lambda collects
// it. The format depends on AWS_LAMBDA_LOG_FORMAT, so the test checks only for the fields.
func TestNewAddsRequestID(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, defaultLogger := os.Stdout, slog.Default()
	os.Stdout = w
	t.Cleanup(func() {
		os.Stdout = stdout
		slog.SetDefault(defaultLogger)
	})

	logger := logging.New()
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "8f5e2a1c-request"})
	slog.InfoContext(ctx, "request allowed", logging.KeyOutcome, "allow")
	os.Stdout = stdout
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := io.Copy(&out, r); err != nil {
		t.Fatal(err)
	}

	if slog.Default() != logger {
		t.Error("New() did not make its logger the default")
	}
	for _, want := range []string{"8f5e2a1c-request", "requestId", "outcome", "request allowed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log output %q does not contain %q", out.String(), want)
		}
	}
}
