package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/dynalite"
	"github.com/mtls-api/mtls-api/tools/certctl/internal/cli"
)

// dynaliteEnv returns an environment whose commands reach a fresh certificate table in
// dynalite through OpenDynamoDB, as certctl does against a local stack.
func dynaliteEnv(t *testing.T) *env {
	t.Helper()
	srv, err := dynalite.Start(t.Context(), dynalite.Options{Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := dynalite.CreateTable(t.Context(), srv.Client(), "certificates"); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t)
	e.realStore = true
	e.vars[cli.EnvEndpoint] = srv.Endpoint
	e.vars[cli.EnvRegion] = "eu-west-1"
	return e
}

func (e *env) listJSON(args ...string) []certificate.Record {
	e.t.Helper()
	r := e.mustRun(append([]string{"list", "--output", "json"}, args...)...)
	var records []certificate.Record
	if err := json.Unmarshal([]byte(r.stdout), &records); err != nil {
		e.t.Fatalf("list output is not JSON: %v\n%s", err, r.stdout)
	}
	return records
}

func TestDynaliteLifecycle(t *testing.T) {
	e := dynaliteEnv(t)
	run, mustRun := e.run, e.mustRun

	mustRun("init")
	mustRun("issue", "--client-id", "partner-a", "--out", e.path("a.pem"), "--register")
	old := readCert(t, e.path("a.pem"))
	mustRun("issue", "--client-id", "partner-b", "--out", e.path("b.pem"), "--register")
	b := readCert(t, e.path("b.pem"))

	records := e.listJSON()
	if len(records) != 2 {
		t.Fatalf("list = %d records, want 2", len(records))
	}
	mustRun("verify", "--cert", e.path("a.pem"), "--check-record")

	// Revoke, twice.
	mustRun("revoke", "--serial", serialOf(b), "--reason", "keyCompromise")
	wantFailure(t, run("revoke", "--serial", serialOf(b), "--reason", "keyCompromise"), cli.ExitError, "already revoked")
	wantFailure(t, run("revoke", "--serial", "4242", "--reason", "keyCompromise"), cli.ExitError, "certificate 4242 is not registered")
	r := run("verify", "--cert", e.path("b.pem"), "--check-record")
	if r.code != cli.ExitError || !strings.Contains(r.stdout, "record       FAILED") {
		t.Errorf("verify of a revoked certificate = exit %d\n%s, want a failed record check", r.code, r.stdout)
	}

	// Rotate with an overlap, then end it.
	mustRun("rotate", "--cert", e.path("a.pem"), "--out", e.path("a2.pem"))
	next := readCert(t, e.path("a2.pem"))
	statuses := map[string]certificate.Status{}
	for _, rec := range e.listJSON("--client-id", "partner-a") {
		statuses[rec.SerialNumber] = rec.Status
	}
	want := map[string]certificate.Status{serialOf(old): certificate.StatusActive, serialOf(next): certificate.StatusActive}
	if len(statuses) != 2 || statuses[serialOf(old)] != want[serialOf(old)] || statuses[serialOf(next)] != want[serialOf(next)] {
		t.Errorf("partner-a statuses during the overlap = %v, want %v", statuses, want)
	}
	mustRun("supersede", "--serial", serialOf(old))
	for _, rec := range e.listJSON("--status", "superseded") {
		if rec.SerialNumber != serialOf(old) {
			t.Errorf("superseded record %s, want only %s", rec.SerialNumber, serialOf(old))
		}
	}
	wantFailure(t, run("supersede", "--serial", serialOf(next)), cli.ExitError, "no other active certificate")

	// Register rejects a duplicate.
	wantFailure(t, run("register", "--cert", e.path("a2.pem")), cli.ExitError, "already registered")
}

// isolateAWSConfig keeps the AWS SDK away from the developer's configuration and credentials,
// and from the EC2 instance metadata endpoint.
func isolateAWSConfig(t *testing.T) {
	t.Helper()
	missing := t.TempDir() + "/none"
	for _, v := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(v, missing)
	}
	for _, v := range []string{
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestOpenDynamoDB(t *testing.T) {
	// No case makes a call: opening a store only builds the client.
	isolateAWSConfig(t)

	tests := []struct {
		name         string
		cfg          cli.TableConfig
		env          map[string]string
		wantLocation string
		wantErr      string
	}{
		{
			name:         "loopback endpoint",
			cfg:          cli.TableConfig{Table: "t", Endpoint: "http://127.0.0.1:8000"},
			wantLocation: "table t in us-east-1 at http://127.0.0.1:8000, dummy credentials for a local endpoint",
		},
		{
			name:         "localhost endpoint with region",
			cfg:          cli.TableConfig{Table: "t", Region: "eu-west-1", Endpoint: "http://localhost:8000"},
			wantLocation: "table t in eu-west-1 at http://localhost:8000, dummy credentials for a local endpoint",
		},
		{
			name:         "AWS with region",
			cfg:          cli.TableConfig{Table: "t", Region: "eu-west-1"},
			wantLocation: "table t in eu-west-1 on AWS, credentials from the default chain",
		},
		{
			name:         "AWS with region from the environment",
			cfg:          cli.TableConfig{Table: "t"},
			env:          map[string]string{"AWS_REGION": "eu-central-1"},
			wantLocation: "table t in eu-central-1 on AWS, credentials from the default chain",
		},
		{
			name:         "remote endpoint",
			cfg:          cli.TableConfig{Table: "t", Region: "eu-west-1", Endpoint: "https://dynamodb.example.test"},
			wantLocation: "table t in eu-west-1 at https://dynamodb.example.test, credentials from the default chain",
		},
		{
			name:         "endpoint from AWS_ENDPOINT_URL",
			cfg:          cli.TableConfig{Table: "t", Region: "eu-west-1"},
			env:          map[string]string{"AWS_ENDPOINT_URL": "https://dynamodb.example.test"},
			wantLocation: "table t in eu-west-1 at https://dynamodb.example.test, credentials from the default chain",
		},
		{name: "endpoint not a URL", cfg: cli.TableConfig{Table: "t", Endpoint: "127.0.0.1:8000"}, wantErr: `invalid endpoint "127.0.0.1:8000"`},
		{name: "endpoint scheme", cfg: cli.TableConfig{Table: "t", Endpoint: "ftp://127.0.0.1"}, wantErr: "invalid endpoint"},
		{name: "AWS without region", cfg: cli.TableConfig{Table: "t", Endpoint: "https://dynamodb.example.test"}, wantErr: "missing AWS region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			store, err := cli.OpenDynamoDB(t.Context(), tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("OpenDynamoDB(%+v) = %v, want an error containing %q", tt.cfg, err, tt.wantErr)
				}
				return
			}
			if err != nil || store == nil {
				t.Fatalf("OpenDynamoDB(%+v) = %v, %v, want a store", tt.cfg, store, err)
			}
			l, ok := store.(interface{ Location() string })
			if !ok {
				t.Fatalf("OpenDynamoDB(%+v) = %T, want a store with a Location method", tt.cfg, store)
			}
			if got := l.Location(); got != tt.wantLocation {
				t.Errorf("OpenDynamoDB(%+v).Location() = %q, want %q", tt.cfg, got, tt.wantLocation)
			}
		})
	}
}

func TestDynaliteUnreachable(t *testing.T) {
	e := newEnv(t)
	e.realStore = true
	// A port nothing listens on: the SDK fails fast with connection refused.
	e.vars[cli.EnvEndpoint] = "http://127.0.0.1:1"
	e.initCA()

	r := e.run("list")
	wantFailure(t, r, cli.ExitError, "list certificates in certificates")

	// The table's location comes before the first call, so a wrong endpoint shows even when
	// the call hangs.
	location := "certctl: using table certificates in us-east-1 at http://127.0.0.1:1, dummy credentials for a local endpoint\n"
	at, failure := strings.Index(r.stderr, location), strings.Index(r.stderr, "list certificates in certificates")
	if at < 0 || at > failure {
		t.Errorf("certctl list stderr = %q, want %q before the error", r.stderr, location)
	}
}
