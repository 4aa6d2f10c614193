package stack

import (
	"crypto/x509"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/env"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

var discard = slog.New(slog.DiscardHandler)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustEnsure(t *testing.T, files Files, now time.Time) *certificates {
	t.Helper()
	certs, err := ensureCertificates(files, fixedClock(now), discard)
	if err != nil {
		t.Fatalf("ensureCertificates() = %v, want no error", err)
	}
	return certs
}

func sameCert(a, b *x509.Certificate) bool { return a.Equal(b) }

func TestEnsureCertificatesReuses(t *testing.T) {
	files := newFiles(t.TempDir())
	now := time.Now()
	first := mustEnsure(t, files, now)

	second := mustEnsure(t, files, now.Add(time.Hour))

	if !sameCert(first.authority.Root.Certificate, second.authority.Root.Certificate) {
		t.Error("second start created a new root CA, want the kept one")
	}
	if !sameCert(first.demo.Certificate, second.demo.Certificate) {
		t.Error("second start issued a new demo certificate, want the kept one")
	}
	if !sameCert(first.server.Leaf, second.server.Leaf) {
		t.Error("second start issued a new server certificate, want the kept one")
	}
	for _, path := range []string{files.DemoKey, files.ServerKey} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != ca.KeyFileMode {
			t.Errorf("mode of %s = %o, want %o", path, info.Mode().Perm(), ca.KeyFileMode)
		}
	}
}

func TestEnsureCertificatesReplaces(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name        string
		damage      func(t *testing.T, files Files)
		later       time.Duration
		wantNewCA   bool
		wantNewDemo bool
	}{
		{
			name:        "demo certificate deleted",
			damage:      func(t *testing.T, files Files) { t.Helper(); remove(t, files.DemoCert) },
			wantNewDemo: true,
		},
		{
			name:        "demo key deleted",
			damage:      func(t *testing.T, files Files) { t.Helper(); remove(t, files.DemoKey) },
			wantNewDemo: true,
		},
		{
			name: "demo key from another pair",
			damage: func(t *testing.T, files Files) {
				t.Helper()
				data, err := os.ReadFile(files.ServerKey)
				if err != nil {
					t.Fatal(err)
				}
				if err := ca.WriteFile(files.DemoKey, data, ca.KeyFileMode, true); err != nil {
					t.Fatal(err)
				}
			},
			wantNewDemo: true,
		},
		{
			name: "demo certificate from another CA",
			damage: func(t *testing.T, files Files) {
				t.Helper()
				other, err := ca.New(ca.Config{}, ca.Options{})
				if err != nil {
					t.Fatal(err)
				}
				kp, err := other.IssueClient(ca.ClientRequest{ClientID: DemoClientID})
				if err != nil {
					t.Fatal(err)
				}
				if err := ca.WriteKeyPair(files.DemoCert, files.DemoKey, kp, true); err != nil {
					t.Fatal(err)
				}
			},
			wantNewDemo: true,
		},
		{
			name:        "demo certificate about to expire",
			later:       ca.DefaultClientValidity - time.Hour,
			wantNewDemo: true,
		},
		{
			name:        "CA about to expire",
			later:       ca.DefaultIntermediateValidity - time.Hour,
			wantNewCA:   true,
			wantNewDemo: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := newFiles(t.TempDir())
			first := mustEnsure(t, files, now)
			if tt.damage != nil {
				tt.damage(t, files)
			}

			second := mustEnsure(t, files, now.Add(tt.later))

			if gotNew := !sameCert(first.authority.Root.Certificate, second.authority.Root.Certificate); gotNew != tt.wantNewCA {
				t.Errorf("new root CA = %v, want %v", gotNew, tt.wantNewCA)
			}
			if gotNew := !sameCert(first.demo.Certificate, second.demo.Certificate); gotNew != tt.wantNewDemo {
				t.Errorf("new demo certificate = %v, want %v", gotNew, tt.wantNewDemo)
			}
			if err := verifyClient(second.authority, second.demo.Certificate, now.Add(tt.later)); err != nil {
				t.Errorf("demo certificate does not verify against the CA: %v", err)
			}
			if err := verifyServer(second.authority, second.server.Leaf, now.Add(tt.later)); err != nil {
				t.Errorf("server certificate does not verify against the CA: %v", err)
			}
		})
	}
}

func TestEnsureCertificatesCorruptCA(t *testing.T) {
	files := newFiles(t.TempDir())
	mustEnsure(t, files, time.Now())
	if err := os.WriteFile(filepath.Join(files.CADir, ca.IntermediateCertFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := ensureCertificates(files, time.Now, discard)
	if err == nil || !strings.Contains(err.Error(), "delete "+files.Dir) {
		t.Errorf("ensureCertificates() with a corrupt CA = %v, want an error saying to delete %s", err, files.Dir)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestFunctionEnv(t *testing.T) {
	e := endpoints{
		table: "certs", dynamoDB: "http://127.0.0.1:1", tokenURL: "http://127.0.0.1:2/oauth2/token",
		clientID: "app", clientSecret: "s3cret", issuer: "http://127.0.0.1:2/pool", jwksURL: "http://127.0.0.1:2/pool/.well-known/jwks.json",
		version: "local",
	}
	token := catalog.Function{Name: "token", MemoryMB: 256, Env: []string{env.TableName, env.TokenURL, env.ClientID, env.ClientSecretARN}}

	vars, unknown := functionEnv(token, e, "127.0.0.1:3")

	for _, want := range []string{
		"AWS_LAMBDA_RUNTIME_API=127.0.0.1:3",
		"AWS_LAMBDA_FUNCTION_NAME=token",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1",
		"AWS_REGION=" + Region,
		env.TableName + "=certs",
		env.TokenURL + "=http://127.0.0.1:2/oauth2/token",
		env.ClientID + "=app",
		env.ClientSecret + "=s3cret",
	} {
		if !slices.Contains(vars, want) {
			t.Errorf("functionEnv(token) lacks %s", want)
		}
	}
	for _, v := range vars {
		if strings.HasPrefix(v, env.ClientSecretARN+"=") || strings.HasPrefix(v, env.Issuer+"=") {
			t.Errorf("functionEnv(token) sets %s, which the token function does not read locally", v)
		}
		if strings.HasPrefix(v, "HOME=") || strings.HasPrefix(v, "AWS_PROFILE=") {
			t.Errorf("functionEnv(token) passes %s from the stack's environment", v)
		}
	}
	if len(unknown) != 0 {
		t.Errorf("functionEnv(token) unknown = %v, want none", unknown)
	}

	t.Run("unknown variable", func(t *testing.T) {
		f := catalog.Function{Name: "widgets", Env: []string{env.TableName, "WIDGETS_COLOR"}}
		_, unknown := functionEnv(f, e, "127.0.0.1:3")
		if !slices.Equal(unknown, []string{"WIDGETS_COLOR"}) {
			t.Errorf("functionEnv(widgets) unknown = %v, want [WIDGETS_COLOR]", unknown)
		}
	})

	t.Run("every catalog variable", func(t *testing.T) {
		for _, f := range catalog.All() {
			if _, unknown := functionEnv(f, e, "127.0.0.1:3"); len(unknown) != 0 {
				t.Errorf("functionEnv(%s) unknown = %v, want none", f.Name, unknown)
			}
		}
	})
}

func TestShellQuote(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{path: ".devstack/ca.pem", want: ".devstack/ca.pem"},
		{path: "/home/me/my repo/.devstack/ca.pem", want: "'/home/me/my repo/.devstack/ca.pem'"},
		{path: "/tmp/it's/ca.pem", want: `'/tmp/it'\''s/ca.pem'`},
		{path: "http://127.0.0.1:39099", want: "http://127.0.0.1:39099"},
		{path: "http://127.0.0.1:1/?a=b&c", want: "'http://127.0.0.1:1/?a=b&c'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.path); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.path, got, tt.want)
		}
	}
}
