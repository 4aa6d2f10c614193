package cli_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/tools/certctl/internal/cli"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func (e *env) record(serial string) certificate.Record {
	e.t.Helper()
	rec, err := e.store.Get(e.t.Context(), serial)
	if err != nil {
		e.t.Fatalf("Get(%s) = %v", serial, err)
	}
	return rec
}

func TestIssueRegister(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	e.vars[cli.EnvRegion] = "eu-west-1"
	e.vars[cli.EnvEndpoint] = "http://127.0.0.1:1"

	cert := e.issue("partner-a", "a.pem", "--register", "--table", "certs-dev")

	rec := e.record(serialOf(cert))
	want := certificate.NewRecord(cert, "partner-a", epoch)
	if rec != want {
		t.Errorf("record = %+v, want %+v", rec, want)
	}
	wantCfg := cli.TableConfig{Table: "certs-dev", Region: "eu-west-1", Endpoint: "http://127.0.0.1:1"}
	if len(e.opened) != 1 || e.opened[0] != wantCfg {
		t.Errorf("OpenStore config = %+v, want %+v (flag over environment)", e.opened, wantCfg)
	}
}

func TestIssueRegisterStoreFails(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	e.store.err = errors.New("connection refused")

	r := e.run("issue", "--client-id", "partner-a", "--out", e.path("a.pem"), "--register")
	wantFailure(t, r, cli.ExitError, "connection refused", "certctl register --cert "+e.path("a.pem"))
	if got := modeOf(t, e.path("a-key.pem")); got != 0o600 {
		t.Errorf("key mode = %04o, want 0600", got)
	}
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	cert := e.issue("partner-a", "a.pem")

	e.mustRun("register", "--cert", e.path("a.pem"))
	if got := e.record(serialOf(cert)).Status; got != certificate.StatusActive {
		t.Errorf("status = %q, want active", got)
	}

	other := newEnv(t)
	other.initCA()
	other.issue("stranger", "s.pem")

	tests := []failureCase{
		{name: "twice", args: []string{"--cert", e.path("a.pem")}, wantCode: cli.ExitError, wantInErr: []string{"already registered", "certctl list --client-id partner-a"}},
		{name: "other CA", args: []string{"--cert", other.path("s.pem")}, wantCode: cli.ExitError, wantInErr: []string{"not registering", "unknown authority"}},
		{name: "missing file", args: []string{"--cert", e.path("none.pem")}, wantCode: cli.ExitError, wantInErr: []string{"no such file"}},
		{name: "missing flag", args: nil, wantCode: cli.ExitUsage, wantInErr: []string{"missing --cert"}},
		{name: "client id mismatch", args: []string{"--cert", e.path("a.pem"), "--client-id", "partner-b"}, wantCode: cli.ExitUsage, wantInErr: []string{`"partner-b" differs from the client id "partner-a"`}},
		{name: "not a certificate", args: []string{"--cert", filepath.Join(e.caDir, ca.IntermediateKeyFile)}, wantCode: cli.ExitError, wantInErr: []string{"no PEM CERTIFICATE block"}},
	}
	runFailureCases(t, e, "register", tests)
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	cert := e.issue("partner-a", "a.pem", "--register")
	serial := serialOf(cert)
	e.now = epoch.Add(time.Hour)

	// The serial in the colon-separated hex form openssl prints.
	r := e.mustRun("revoke", "--serial", certificate.FormatSerialHex(cert.SerialNumber), "--reason", "KEYCOMPROMISE")
	rec := e.record(serial)
	if rec.Status != certificate.StatusRevoked || rec.RevocationReason != "keyCompromise" || !rec.RevokedAt.Equal(e.now) {
		t.Errorf("record = %s, %q, %s, want revoked, keyCompromise, %s", rec.Status, rec.RevocationReason, rec.RevokedAt, e.now)
	}
	if !strings.Contains(r.stdout, "status       revoked") {
		t.Errorf("stdout = %q, want the revoked record", r.stdout)
	}

	tests := []failureCase{
		{name: "twice", args: []string{"--serial", serial, "--reason", "superseded"}, wantCode: cli.ExitError, wantInErr: []string{"already revoked since " + e.now.Format(time.RFC3339), "keyCompromise"}},
		{name: "unknown serial", args: []string{"--serial", "12345", "--reason", "unspecified"}, wantCode: cli.ExitError, wantInErr: []string{"certificate 12345 is not registered", "certctl list"}},
		{name: "bare hex serial", args: []string{"--serial", "abc", "--reason", "unspecified"}, wantCode: cli.ExitUsage, wantInErr: []string{`invalid --serial`, `"abc"`}},
		{name: "missing serial", args: []string{"--reason", "unspecified"}, wantCode: cli.ExitUsage, wantInErr: []string{"missing --serial"}},
		{name: "missing reason", args: []string{"--serial", serial}, wantCode: cli.ExitUsage, wantInErr: []string{"missing --reason"}},
		{name: "unknown reason", args: []string{"--serial", serial, "--reason", "lost"}, wantCode: cli.ExitUsage, wantInErr: []string{`invalid reason "lost"`, "keyCompromise"}},
	}
	runFailureCases(t, e, "revoke", tests)
}

func TestList(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	a1 := e.issue("partner-a", "a1.pem", "--register")
	e.now = epoch.Add(time.Hour)
	a2 := e.issue("partner-a", "a2.pem", "--register")
	b := e.issue("partner-b", "b.pem", "--register")
	e.mustRun("revoke", "--serial", serialOf(b), "--reason", "cessationOfOperation")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "all", args: nil, want: []string{serialOf(a1), serialOf(a2), serialOf(b)}},
		{name: "one client", args: []string{"--client-id", "partner-a"}, want: []string{serialOf(a1), serialOf(a2)}},
		{name: "revoked", args: []string{"--status", "revoked"}, want: []string{serialOf(b)}},
		{name: "unknown client", args: []string{"--client-id", "nobody"}, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.mustRun(append([]string{"list", "--output", "json"}, tt.args...)...)
			var records []certificate.Record
			if err := json.Unmarshal([]byte(r.stdout), &records); err != nil {
				t.Fatalf("list output is not JSON: %v\n%s", err, r.stdout)
			}
			var got []string
			for _, rec := range records {
				got = append(got, rec.SerialNumber)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("list %v = %v, want %v", tt.args, got, tt.want)
			}
		})
	}

	r := e.mustRun("list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "SERIAL") {
		t.Fatalf("list table = %q, want a header and 3 rows", r.stdout)
	}
	if !strings.Contains(lines[3], "partner-b") || !strings.Contains(lines[3], "revoked") {
		t.Errorf("last row = %q, want partner-b revoked", lines[3])
	}
}

func TestListRejects(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		args      []string
		storeErr  error
		wantCode  int
		wantInErr []string
	}{
		{name: "bad output", args: []string{"--output", "yaml"}, wantCode: cli.ExitUsage, wantInErr: []string{`invalid --output "yaml"`}},
		{name: "bad status", args: []string{"--status", "expired"}, wantCode: cli.ExitUsage, wantInErr: []string{`invalid --status "expired"`}},
		{name: "bad client id", args: []string{"--client-id", "a/b"}, wantCode: cli.ExitUsage, wantInErr: []string{"invalid --client-id"}},
		{name: "table unreachable", storeErr: errors.New("dial tcp: connection refused"), wantCode: cli.ExitError, wantInErr: []string{"connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.store.err = tt.storeErr
			wantFailure(t, e.run(append([]string{"list"}, tt.args...)...), tt.wantCode, tt.wantInErr...)
		})
	}
}

func TestVerify(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	e.issue("partner-a", "a.pem", "--register", "--validity", "10d")
	revoked := e.issue("partner-b", "b.pem", "--register")
	e.mustRun("revoke", "--serial", serialOf(revoked), "--reason", "keyCompromise")
	e.issue("partner-c", "c.pem")
	other := newEnv(t)
	other.initCA()
	other.issue("stranger", "s.pem")

	tests := []struct {
		name       string
		args       []string
		at         time.Time
		wantCode   int
		wantOut    []string
		wantNotOut []string
	}{
		{name: "valid", args: []string{"--cert", e.path("a.pem"), "--check-record"}, at: epoch, wantCode: cli.ExitOK, wantOut: []string{"chain        ok", "validity     ok      until", "(10 days left)", "record       ok      active for client partner-a"}},
		{name: "expired", args: []string{"--cert", e.path("a.pem")}, at: epoch.Add(11 * 24 * time.Hour), wantCode: cli.ExitError, wantOut: []string{"chain        FAILED", "validity     FAILED  expired at"}},
		{name: "other CA", args: []string{"--cert", other.path("s.pem")}, at: epoch, wantCode: cli.ExitError, wantOut: []string{"chain        FAILED", "unknown authority"}, wantNotOut: []string{"validity     FAILED"}},
		{name: "revoked", args: []string{"--cert", e.path("b.pem"), "--check-record"}, at: epoch, wantCode: cli.ExitError, wantOut: []string{"chain        ok", "record       FAILED", "revoked"}},
		{name: "not registered", args: []string{"--cert", e.path("c.pem"), "--check-record"}, at: epoch, wantCode: cli.ExitError, wantOut: []string{"record       FAILED", "certctl register"}},
		{name: "record not asked", args: []string{"--cert", e.path("c.pem")}, at: epoch, wantCode: cli.ExitOK, wantNotOut: []string{"record"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.now = tt.at
			r := e.run(append([]string{"verify"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("stdout = %q, want it to contain %q", r.stdout, s)
				}
			}
			for _, s := range tt.wantNotOut {
				if strings.Contains(r.stdout, s) {
					t.Errorf("stdout = %q, want it without %q", r.stdout, s)
				}
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	e.issue("partner-a", "a.pem")

	wantFailure(t, e.run("verify"), cli.ExitUsage, "missing --cert")
	wantFailure(t, e.run("verify", "--cert", e.path("a.pem"), "--truststore", e.path("none.pem")), cli.ExitError, "read truststore", "no such file")
	wantFailure(t, e.run("verify", "--cert", e.path("a.pem"), "--truststore", e.path("a.pem")), cli.ExitError, "not a CA certificate")
}

func TestRotateWithOverlap(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	old := e.issue("partner-a", "a.pem", "--register", "--cn", "Partner A")
	e.now = epoch.Add(24 * time.Hour)

	r := e.mustRun("rotate", "--cert", e.path("a.pem"), "--out", e.path("a2.pem"), "--validity", "60d")
	next := readCert(t, e.path("a2.pem"))

	if got := modeOf(t, e.path("a2-key.pem")); got != 0o600 {
		t.Errorf("new key mode = %04o, want 0600", got)
	}
	if next.Subject.CommonName != "Partner A" {
		t.Errorf("new CommonName = %q, want the old one", next.Subject.CommonName)
	}
	if id, _ := ca.ClientID(next); id != "partner-a" {
		t.Errorf("new client id = %q, want partner-a", id)
	}
	if got := e.record(serialOf(old)).Status; got != certificate.StatusActive {
		t.Errorf("old status = %q during the overlap, want active", got)
	}
	if got := e.record(serialOf(next)).Status; got != certificate.StatusActive {
		t.Errorf("new status = %q, want active", got)
	}
	if !strings.Contains(r.stderr, "certctl supersede --serial "+serialOf(old)) {
		t.Errorf("stderr = %q, want the command that ends the overlap", r.stderr)
	}

	e.mustRun("supersede", "--serial", serialOf(old))
	if got := e.record(serialOf(old)).Status; got != certificate.StatusSuperseded {
		t.Errorf("old status = %q after supersede, want superseded", got)
	}
	wantFailure(t, e.run("supersede", "--serial", serialOf(old)), cli.ExitError, "already superseded")
}

func TestRotateImmediate(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	old := e.issue("partner-a", "a.pem", "--register")

	e.mustRun("rotate", "--cert", e.path("a.pem"), "--out", e.path("a2.pem"), "--immediate")
	rec := e.record(serialOf(old))
	if rec.Status != certificate.StatusSuperseded || !rec.RevokedAt.Equal(epoch) {
		t.Errorf("old record = %s at %s, want superseded at %s", rec.Status, rec.RevokedAt, epoch)
	}
}

func TestRotateRejects(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	e.issue("partner-a", "a.pem", "--register")
	revoked := e.issue("partner-b", "b.pem", "--register")
	e.mustRun("revoke", "--serial", serialOf(revoked), "--reason", "keyCompromise")
	e.issue("partner-c", "c.pem")
	writeTestFile(t, e.path("taken.pem"), "x")

	tests := []failureCase{
		{name: "revoked certificate", args: []string{"--cert", e.path("b.pem"), "--out", e.path("b2.pem")}, wantCode: cli.ExitError, wantInErr: []string{"is revoked", "certctl issue --client-id partner-b"}},
		{name: "unregistered certificate", args: []string{"--cert", e.path("c.pem"), "--out", e.path("c2.pem")}, wantCode: cli.ExitError, wantInErr: []string{"is not registered"}},
		{name: "output over old", args: []string{"--cert", e.path("a.pem"), "--out", e.path("a.pem")}, wantCode: cli.ExitUsage, wantInErr: []string{"would replace the current certificate"}},
		{name: "output exists", args: []string{"--cert", e.path("a.pem"), "--out", e.path("taken.pem")}, wantCode: cli.ExitError, wantInErr: []string{"file exists", "--force"}},
		{name: "missing output", args: []string{"--cert", e.path("a.pem")}, wantCode: cli.ExitUsage, wantInErr: []string{"missing --out"}},
		{name: "missing certificate", args: []string{"--out", e.path("x.pem")}, wantCode: cli.ExitUsage, wantInErr: []string{"missing --cert"}},
	}
	runFailureCases(t, e, "rotate", tests)
}

func TestSupersedeRejectsLastActive(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	cert := e.issue("partner-a", "a.pem", "--register")

	wantFailure(t, e.run("supersede", "--serial", serialOf(cert)), cli.ExitError, "no other active certificate", "certctl rotate")
	if got := e.record(serialOf(cert)).Status; got != certificate.StatusActive {
		t.Errorf("status = %q, want active", got)
	}
	wantFailure(t, e.run("supersede", "--serial", "999"), cli.ExitError, "certificate 999 is not registered")
}

func TestSupersedeRejectsExpiredSuccessor(t *testing.T) {
	e := newEnv(t)
	e.initCA()
	short := e.issue("partner-a", "short.pem", "--register", "--validity", "1d")
	e.now = epoch.Add(time.Hour)
	current := e.issue("partner-a", "current.pem", "--register", "--validity", "90d")
	e.now = epoch.Add(48 * time.Hour)

	// The only other active certificate of partner-a has expired, so it cannot take over.
	wantFailure(t, e.run("supersede", "--serial", serialOf(current)), cli.ExitError, "no other active certificate", serialOf(current))
	if got := e.record(serialOf(current)).Status; got != certificate.StatusActive {
		t.Errorf("status = %q, want active", got)
	}
	if got := e.record(serialOf(short)).Status; got != certificate.StatusActive {
		t.Errorf("expired certificate status = %q, want active, untouched", got)
	}
}
