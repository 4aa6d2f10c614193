package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
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

// childEnv marks the process that TestNewFollowsLambdaEnvironment starts, because the handler
// reads AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL once, when the process starts.
const childEnv = "LOGGING_TEST_CHILD"

func TestNewFollowsLambdaEnvironment(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		logging.New()
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5e2a1c-request"})
		slog.InfoContext(ctx, "request allowed", logging.KeyOutcome, "allow")
		slog.WarnContext(ctx, "request denied", logging.KeyOutcome, "deny")
		return
	}

	tests := []struct {
		name         string
		level        string
		wantMessages []string
	}{
		{name: "default level", level: "", wantMessages: []string{"request allowed", "request denied"}},
		{name: "warn level", level: "WARN", wantMessages: []string{"request denied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestNewFollowsLambdaEnvironment$")
			cmd.Env = append(os.Environ(), childEnv+"=1", "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL="+tt.level)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child process: %v", err)
			}

			var messages []string
			for line := range strings.Lines(string(out)) {
				if !strings.HasPrefix(line, "{") {
					continue // the test framework's own output
				}
				var record map[string]any
				if err := json.Unmarshal([]byte(line), &record); err != nil {
					t.Fatalf("log line %q is not JSON: %v", line, err)
				}
				if record["requestId"] != "8f5e2a1c-request" {
					t.Errorf("log record %v has requestId %v, want 8f5e2a1c-request", record, record["requestId"])
				}
				if _, ok := record["timestamp"]; !ok {
					t.Errorf("log record %v has no timestamp key", record)
				}
				messages = append(messages, fmt.Sprint(record["message"]))
			}
			if !slices.Equal(messages, tt.wantMessages) {
				t.Errorf("logged messages = %q, want %q", messages, tt.wantMessages)
			}
		})
	}
}
