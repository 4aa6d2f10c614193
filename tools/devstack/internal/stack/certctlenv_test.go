package stack_test

import (
	"bufio"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/stack"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// readExports returns the variables of the export lines in the file at path. It accepts the
// values the stack writes: plain words, or single-quoted strings without a quote inside.
func readExports(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	vars := map[string]string{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		assignment, ok := strings.CutPrefix(line, "export ")
		name, value, found := strings.Cut(assignment, "=")
		if !ok || !found {
			t.Fatalf("%s has line %q, want only comments and export NAME=value lines", path, line)
		}
		vars[name] = strings.Trim(value, "'")
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return vars
}

func TestCertctlEnvFile(t *testing.T) {
	vars := readExports(t, local.Files.CertctlEnv)

	want := map[string]string{
		"CERTCTL_DIR":               local.Files.CADir,
		"CERT_TABLE_NAME":           stack.TableName,
		"AWS_REGION":                stack.Region,
		"AWS_ENDPOINT_URL_DYNAMODB": local.DynamoDBEndpoint,
	}
	for name, value := range want {
		if got := vars[name]; got != value {
			t.Errorf("%s sets %s=%q, want %q", local.Files.CertctlEnv, name, got, value)
		}
	}
	if len(vars) != len(want) {
		t.Errorf("%s sets %v, want only %v", local.Files.CertctlEnv, vars, want)
	}
}

// TestCertctlEnvWalkThrough follows the walk-through of the README with the values of
// certctl.env, as certctl uses them: issue from the CA directory, register in the table,
// call, revoke, and call again.
func TestCertctlEnvWalkThrough(t *testing.T) {
	vars := readExports(t, local.Files.CertctlEnv)

	authority, err := ca.Load(vars["CERTCTL_DIR"], ca.Options{})
	if err != nil {
		t.Fatalf("load the CA at CERTCTL_DIR: %v", err)
	}
	kp, err := authority.IssueClient(ca.ClientRequest{ClientID: "walk-through"})
	if err != nil {
		t.Fatal(err)
	}
	table := certstore.New(dynamodb.New(dynamodb.Options{
		Region:       vars["AWS_REGION"],
		BaseEndpoint: aws.String(vars["AWS_ENDPOINT_URL_DYNAMODB"]),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}), vars["CERT_TABLE_NAME"])
	if err := table.Put(t.Context(), certificate.NewRecord(kp.Certificate, "walk-through", time.Now())); err != nil {
		t.Fatalf("register in the table of certctl.env: %v", err)
	}

	cert := authority.TLSCertificate(kp)
	c := client(t, &cert)
	issued := token(t, c)
	if resp := do(t, c, http.MethodGet, "/health", issued, nil); resp.status != http.StatusOK {
		t.Fatalf("GET /health with the registered certificate status = %d, want 200; body %s", resp.status, resp.body)
	}

	serial := certificate.FormatSerial(kp.Certificate.SerialNumber)
	if _, err := table.Revoke(t.Context(), serial, "keyCompromise", time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp := do(t, c, http.MethodGet, "/health", issued, nil); resp.status != http.StatusForbidden {
		t.Errorf("GET /health after revoking the certificate status = %d, want 403; body %s", resp.status, resp.body)
	}
}
