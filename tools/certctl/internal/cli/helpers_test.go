package cli_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/tools/certctl/internal/cli"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

var epoch = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// memoryStore is an in-memory certificate table with the semantics of certstore.Store.
type memoryStore struct {
	mu      sync.Mutex
	records map[string]certificate.Record
	// err, when set, fails every call, as an unreachable table would.
	err error
}

func newMemoryStore() *memoryStore {
	return &memoryStore{records: map[string]certificate.Record{}}
}

func (s *memoryStore) Get(_ context.Context, serial string) (certificate.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return certificate.Record{}, s.err
	}
	key, err := certificate.CanonicalSerial(serial)
	if err != nil {
		return certificate.Record{}, err
	}
	rec, ok := s.records[key]
	if !ok {
		return certificate.Record{}, fmt.Errorf("certificate %s: %w", key, certstore.ErrNotFound)
	}
	return rec, nil
}

func (s *memoryStore) Put(_ context.Context, rec certificate.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if err := rec.Validate(); err != nil {
		return err
	}
	if _, ok := s.records[rec.SerialNumber]; ok {
		return fmt.Errorf("certificate %s: %w", rec.SerialNumber, certstore.ErrExists)
	}
	s.records[rec.SerialNumber] = rec
	return nil
}

func (s *memoryStore) Revoke(ctx context.Context, serial, reason string, at time.Time) (certificate.Record, error) {
	return s.deactivate(ctx, serial, certificate.StatusRevoked, reason, at)
}

func (s *memoryStore) Supersede(ctx context.Context, serial string, at time.Time) (certificate.Record, error) {
	return s.deactivate(ctx, serial, certificate.StatusSuperseded, "superseded", at)
}

func (s *memoryStore) deactivate(ctx context.Context, serial string, status certificate.Status, reason string, at time.Time) (certificate.Record, error) {
	rec, err := s.Get(ctx, serial)
	if err != nil {
		return rec, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.Status != certificate.StatusActive {
		return certificate.Record{}, fmt.Errorf("certificate %s: %w", rec.SerialNumber, certstore.ErrNotActive)
	}
	rec.Status, rec.RevokedAt, rec.RevocationReason = status, at.UTC().Truncate(time.Second), reason
	s.records[rec.SerialNumber] = rec
	return rec, nil
}

func (s *memoryStore) List(context.Context) ([]certificate.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	var out []certificate.Record
	for _, r := range s.records {
		out = append(out, r)
	}
	return out, nil
}

func (s *memoryStore) ListByClient(ctx context.Context, clientID string) ([]certificate.Record, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []certificate.Record
	for _, r := range all {
		if r.ClientID == clientID {
			out = append(out, r)
		}
	}
	return out, nil
}

// env is a test environment: a working folder, a CA folder, a clock and a table.
type env struct {
	t     *testing.T
	dir   string // working folder for output files
	caDir string
	now   time.Time
	store *memoryStore
	vars  map[string]string
	// opened records the table configurations passed to OpenStore.
	opened []cli.TableConfig
	// realStore makes commands use the production OpenStore instead of store.
	realStore bool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{
		t:     t,
		dir:   dir,
		caDir: filepath.Join(dir, "ca"),
		now:   epoch,
		store: newMemoryStore(),
	}
	e.vars = map[string]string{cli.EnvDir: e.caDir, cli.EnvTable: "certificates"}
	return e
}

func (e *env) app(stdout, stderr *bytes.Buffer) *cli.App {
	app := &cli.App{
		Stdout: stdout,
		Stderr: stderr,
		Getenv: func(name string) string { return e.vars[name] },
		Now:    func() time.Time { return e.now },
		OpenStore: func(_ context.Context, cfg cli.TableConfig) (cli.Store, error) {
			e.opened = append(e.opened, cfg)
			return e.store, nil
		},
	}
	if e.realStore {
		app.OpenStore = nil
	}
	return app
}

// result is the outcome of one certctl run.
type result struct {
	code           int
	stdout, stderr string
}

func (e *env) run(args ...string) result {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	code := e.app(&stdout, &stderr).Run(e.t.Context(), args)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "PRIVATE KEY") {
			e.t.Fatalf("certctl %v printed a private key", args)
		}
	}
	return r
}

// mustRun runs certctl and fails the test unless it succeeds.
func (e *env) mustRun(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != cli.ExitOK {
		e.t.Fatalf("certctl %s = exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// path returns a path in the working folder.
func (e *env) path(name string) string { return filepath.Join(e.dir, name) }

// initCA creates the CA of the environment.
func (e *env) initCA() {
	e.t.Helper()
	e.mustRun("init")
}

// issue issues a client certificate into name and returns it.
func (e *env) issue(clientID, name string, extra ...string) *x509.Certificate {
	e.t.Helper()
	e.mustRun(append([]string{"issue", "--client-id", clientID, "--out", e.path(name)}, extra...)...)
	return readCert(e.t, e.path(name))
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	cert, err := ca.ReadCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func serialOf(cert *x509.Certificate) string {
	return certificate.FormatSerial(cert.SerialNumber)
}

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

// wantFailure checks that r failed with code and that its stderr contains every fragment.
func wantFailure(t *testing.T, r result, code int, fragments ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code = %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	for _, f := range fragments {
		// Once, not more: a message that repeats its cause's text reads badly.
		if n := strings.Count(r.stderr, f); n != 1 {
			t.Errorf("stderr = %q, want it to contain %q once, found %d times", r.stderr, f, n)
		}
	}
}

// failureCase is a command line that must fail with wantCode and an error output containing
// every fragment of wantInErr.
type failureCase struct {
	name      string
	args      []string
	wantCode  int
	wantInErr []string
}

// runFailureCases runs each case as certctl command with the case's arguments.
func runFailureCases(t *testing.T, e *env, command string, tests []failureCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFailure(t, e.run(append([]string{command}, tt.args...)...), tt.wantCode, tt.wantInErr...)
		})
	}
}
