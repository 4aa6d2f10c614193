package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/truststore"
	"github.com/mtls-api/mtls-api/tools/certctl/internal/cli"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func TestInitWritesCA(t *testing.T) {
	e := newEnv(t)
	r := e.mustRun("init", "--org", "Example", "--curve", "P-256", "--root-validity", "3650d", "--intermediate-validity", "365d")

	for name, want := range map[string]os.FileMode{
		ca.RootCertFile: 0o644, ca.RootKeyFile: 0o600, ca.IntermediateCertFile: 0o644,
		ca.IntermediateKeyFile: 0o600, ca.TruststoreFile: 0o644,
	} {
		if got := modeOf(t, filepath.Join(e.caDir, name)); got != want {
			t.Errorf("mode of %s = %04o, want %04o", name, got, want)
		}
	}
	root := readCert(t, filepath.Join(e.caDir, ca.RootCertFile))
	if got := root.Subject.String(); got != "CN=Example root CA,O=Example" {
		t.Errorf("root subject = %q, want the --org name", got)
	}
	if want := epoch.Add(3650 * 24 * time.Hour); !root.NotAfter.Equal(want) {
		t.Errorf("root NotAfter = %s, want %s", root.NotAfter, want)
	}
	if !strings.Contains(r.stdout, filepath.Join(e.caDir, ca.TruststoreFile)) {
		t.Errorf("stdout = %q, want the truststore path", r.stdout)
	}
}

func TestInitRejects(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		existing  bool
		wantCode  int
		wantInErr []string
	}{
		{name: "existing CA", args: []string{"init"}, existing: true, wantCode: cli.ExitError, wantInErr: []string{"already contains a CA", "--force"}},
		{name: "unknown curve", args: []string{"init", "--curve", "P-521"}, wantCode: cli.ExitUsage, wantInErr: []string{`invalid --curve "P-521"`}},
		{name: "bad duration", args: []string{"init", "--root-validity", "ten years"}, wantCode: cli.ExitUsage, wantInErr: []string{`invalid duration "ten years"`}},
		{name: "zero duration", args: []string{"init", "--root-validity", "0d"}, wantCode: cli.ExitUsage, wantInErr: []string{"must be positive"}},
		{name: "intermediate outlives root", args: []string{"init", "--root-validity", "10d", "--intermediate-validity", "20d"}, wantCode: cli.ExitError, wantInErr: []string{"exceeds root validity"}},
		{name: "positional argument", args: []string{"init", "extra"}, wantCode: cli.ExitUsage, wantInErr: []string{`unexpected argument "extra"`}},
		{name: "unknown flag", args: []string{"init", "--colour"}, wantCode: cli.ExitUsage, wantInErr: []string{"flag provided but not defined: -colour", "certctl init -h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.existing {
				e.initCA()
			}
			wantFailure(t, e.run(tt.args...), tt.wantCode, tt.wantInErr...)
		})
	}
}

func TestInitForceReplacesCA(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	before := readCert(t, filepath.Join(e.caDir, ca.RootCertFile))

	e.mustRun("init", "--force")
	after := readCert(t, filepath.Join(e.caDir, ca.RootCertFile))
	if before.Equal(after) {
		t.Error("init --force kept the old root")
	}
}

func TestInitDirFlagOverridesEnvironment(t *testing.T) {
	e := newEnv(t)
	other := e.path("other")
	e.mustRun("init", "--dir", other)
	if _, err := os.Stat(filepath.Join(other, ca.RootCertFile)); err != nil {
		t.Errorf("init --dir %s did not write there: %v", other, err)
	}
	if _, err := os.Stat(e.caDir); !os.IsNotExist(err) {
		t.Errorf("init --dir also wrote to %s from %s", e.caDir, cli.EnvDir)
	}
}

func TestIssueWritesCertificateAndKey(t *testing.T) {
	e := newEnv(t)
	e.initCA()

	r := e.mustRun("issue", "--client-id", "partner-a", "--cn", "Partner A", "--out", e.path("a.pem"), "--validity", "30d")
	cert := readCert(t, e.path("a.pem"))

	if got := modeOf(t, e.path("a-key.pem")); got != 0o600 {
		t.Errorf("key mode = %04o, want 0600", got)
	}
	if id, err := ca.ClientID(cert); err != nil || id != "partner-a" {
		t.Errorf("ClientID() = %q, %v, want partner-a", id, err)
	}
	if cert.Subject.CommonName != "Partner A" {
		t.Errorf("CommonName = %q, want Partner A", cert.Subject.CommonName)
	}
	if want := epoch.Add(30 * 24 * time.Hour); !cert.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %s, want %s", cert.NotAfter, want)
	}
	if !strings.Contains(r.stdout, "serial       "+serialOf(cert)) {
		t.Errorf("stdout = %q, want the decimal serial", r.stdout)
	}
	if len(e.opened) != 0 {
		t.Errorf("issue without --register opened the table %v", e.opened)
	}
	if _, err := ca.ReadKey(e.path("a-key.pem")); err != nil {
		t.Errorf("ReadKey(a-key.pem) = %v", err)
	}
}

func TestIssueRejects(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		prepare   func(e *env)
		wantCode  int
		wantInErr []string
	}{
		{name: "missing client id", args: []string{"--out", "x.pem"}, wantCode: cli.ExitUsage, wantInErr: []string{"missing --client-id"}},
		{name: "invalid client id", args: []string{"--client-id", "a b", "--out", "x.pem"}, wantCode: cli.ExitUsage, wantInErr: []string{`"a b" has ' ' at position 2`}},
		{name: "missing output", args: []string{"--client-id", "a"}, wantCode: cli.ExitUsage, wantInErr: []string{"missing --out"}},
		{name: "key over certificate", args: []string{"--client-id", "a", "--out", "x.pem", "--key-out", "x.pem"}, wantCode: cli.ExitUsage, wantInErr: []string{"same file as --out"}},
		{name: "register without table", args: []string{"--client-id", "a", "--out", "x.pem", "--register"}, prepare: func(e *env) { delete(e.vars, cli.EnvTable) }, wantCode: cli.ExitUsage, wantInErr: []string{"missing table name", cli.EnvTable}},
		{name: "no CA", args: []string{"--client-id", "a", "--out", "x.pem"}, prepare: func(e *env) { e.vars[cli.EnvDir] = e.path("nowhere") }, wantCode: cli.ExitError, wantInErr: []string{"certctl init"}},
		{
			name: "existing output", args: []string{"--client-id", "a", "--out", "x.pem"},
			prepare:  func(e *env) { writeTestFile(e.t, e.path("x.pem"), "old") },
			wantCode: cli.ExitError, wantInErr: []string{"file exists", "--force"},
		},
		{
			name: "key readable by others", args: []string{"--client-id", "a", "--out", "x.pem"},
			prepare:  func(e *env) { chmodTest(e.t, filepath.Join(e.caDir, ca.IntermediateKeyFile), 0o644) },
			wantCode: cli.ExitError, wantInErr: []string{"mode 0644", "chmod 600"},
		},
		{name: "outlives intermediate", args: []string{"--client-id", "a", "--out", "x.pem", "--validity", "5000d"}, wantCode: cli.ExitError, wantInErr: []string{"after the intermediate CA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.initCA()
			if tt.prepare != nil {
				tt.prepare(e)
			}
			args := []string{"issue"}
			for _, a := range tt.args {
				if strings.HasSuffix(a, ".pem") {
					a = e.path(a)
				}
				args = append(args, a)
			}
			wantFailure(t, e.run(args...), tt.wantCode, tt.wantInErr...)
		})
	}
}

func TestIssueForceOverwrites(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	first := e.issue("partner-a", "a.pem")
	second := e.issue("partner-a", "a.pem", "--force")
	if first.Equal(second) {
		t.Error("issue --force kept the old certificate")
	}
	if got := modeOf(t, e.path("a-key.pem")); got != 0o600 {
		t.Errorf("overwritten key mode = %04o, want 0600", got)
	}
}

func TestTruststoreRebuild(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	out := e.path("bundle.pem")

	r := e.mustRun("truststore", "--out", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := truststore.Validate(data)
	if err != nil {
		t.Fatalf("Validate(%s) = %v", out, err)
	}
	if len(b.Certificates) != 2 {
		t.Errorf("bundle has %d certificates, want 2", len(b.Certificates))
	}
	if !strings.Contains(r.stdout, "root") || !strings.Contains(r.stdout, "intermediate") {
		t.Errorf("stdout = %q, want a line per certificate", r.stdout)
	}
}

func TestTruststoreCheck(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	good := filepath.Join(e.caDir, ca.TruststoreFile)
	e.issue("partner-a", "leaf.pem")
	// A bundle that includes a client certificate is invalid.
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := os.ReadFile(e.path("leaf.pem"))
	if err != nil {
		t.Fatal(err)
	}
	bad := e.path("bad.pem")
	writeTestFile(t, bad, string(data)+string(leaf))

	tests := []failureCase{
		{name: "valid bundle", args: []string{"--check", good}, wantCode: cli.ExitOK},
		{name: "client certificate inside", args: []string{"--check", bad}, wantCode: cli.ExitError, wantInErr: []string{"certificate 3 (CN=partner-a,O=mtls-api)", "not a CA certificate"}},
		{name: "missing file", args: []string{"--check", e.path("none.pem")}, wantCode: cli.ExitError, wantInErr: []string{"no such file"}},
		{name: "check and out", args: []string{"--check", good, "--out", e.path("x.pem")}, wantCode: cli.ExitUsage, wantInErr: []string{"exclude each other"}},
	}
	runFailureCases(t, e, "truststore", tests)
}

func TestTruststoreCheckRejectsExpiredCA(t *testing.T) {
	e := newEnv(t)
	e.mustRun("init", "--root-validity", "20d", "--intermediate-validity", "10d")
	e.now = epoch.Add(15 * 24 * time.Hour)

	r := e.run("truststore", "--check", filepath.Join(e.caDir, ca.TruststoreFile))
	wantFailure(t, r, cli.ExitError, "certificate 1", "expired at")
}

func TestRotateIntermediateKeepsOldTrusted(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	oldClient := e.issue("partner-a", "old.pem")
	oldIntermediate := readCert(t, filepath.Join(e.caDir, ca.IntermediateCertFile))

	e.now = epoch.Add(time.Hour)
	e.mustRun("rotate-intermediate", "--validity", "730d")

	newIntermediate := readCert(t, filepath.Join(e.caDir, ca.IntermediateCertFile))
	if newIntermediate.Equal(oldIntermediate) {
		t.Fatal("rotate-intermediate kept the intermediate")
	}
	data, err := os.ReadFile(filepath.Join(e.caDir, ca.TruststoreFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := truststore.Validate(data)
	if err != nil {
		t.Fatalf("Validate(truststore.pem) = %v", err)
	}
	if len(b.Certificates) != 3 {
		t.Errorf("truststore has %d certificates during the overlap, want 3", len(b.Certificates))
	}
	e.mustRun("verify", "--cert", e.path("old.pem"))

	newClient := e.issue("partner-b", "new.pem")
	if err := newClient.CheckSignatureFrom(newIntermediate); err != nil {
		t.Errorf("new client certificate is not issued by the new intermediate: %v", err)
	}
	if err := oldClient.CheckSignatureFrom(oldIntermediate); err != nil {
		t.Errorf("old client certificate is not issued by the old intermediate: %v", err)
	}
}

func TestRotateIntermediateWithoutRootKey(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	if err := os.Remove(filepath.Join(e.caDir, ca.RootKeyFile)); err != nil {
		t.Fatal(err)
	}
	wantFailure(t, e.run("rotate-intermediate"), cli.ExitError, "root private key not available", "restore the root key file")
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func chmodTest(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
