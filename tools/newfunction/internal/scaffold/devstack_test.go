package scaffold_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
)

// devstackReadyTimeout bounds the local stack's start: building every function and starting
// dynalite takes about ten seconds with a warm build cache.
const devstackReadyTimeout = 5 * time.Minute

// devstackStopTimeout bounds the local stack's stop after an interrupt.
const devstackStopTimeout = 30 * time.Second

var readyPattern = regexp.MustCompile(`ready at (https://\S+)`)

// localStack is a running local stack of the copy, started the way `make dev` starts it.
type localStack struct {
	url    string
	client *http.Client
	// serial is the demo client certificate's serial number.
	serial string
}

// testLocalStackServes starts the local stack of the copy and calls the two new routes with
// the demo client certificate, through the gateway, the authorizer and the function binaries.
func testLocalStackServes(repo string) func(*testing.T) {
	return func(t *testing.T) {
		s := startLocalStack(t, repo)
		token := s.accessToken(t)

		tests := []struct {
			name       string
			method     string
			path       string
			token      string
			wantStatus int
		}{
			{"jwt route with token", http.MethodGet, "/v1/testwidgets/42", token, http.StatusOK},
			{"jwt route without token", http.MethodGet, "/v1/testwidgets/42", "", http.StatusUnauthorized},
			{"mtls route", http.MethodPost, "/v1/testgadgets", "", http.StatusOK},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := s.do(t, tt.method, tt.path, tt.token, nil)
				if status != tt.wantStatus {
					t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, status, body, tt.wantStatus)
				}
				if status != http.StatusOK {
					return
				}
				var got struct {
					SerialNumber string `json:"serialNumber"`
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("%s %s body %q is not JSON: %v", tt.method, tt.path, body, err)
				}
				if got.SerialNumber != s.serial {
					t.Errorf("%s %s serialNumber = %q, want the demo certificate's %q", tt.method, tt.path, got.SerialNumber, s.serial)
				}
			})
		}
	}
}

// startLocalStack builds and starts tools/devstack in repo on a free port, with its state in a
// temporary folder, and stops it with an interrupt when the test ends.
func startLocalStack(t *testing.T, repo string) *localStack {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "devstack")
	run(t, repo, "go", "build", "-o", bin, "./tools/devstack")
	state := t.TempDir()

	// t.Context is cancelled before the cleanup runs, and cancelling would kill the stack. The
	// cleanup interrupts it instead, as Ctrl-C stops make dev, so that it stops its functions
	// and dynalite.
	cmd := exec.CommandContext(context.WithoutCancel(t.Context()), bin, "-addr", "127.0.0.1:0", "-dir", state)
	cmd.Dir = repo
	cmd.Stderr = testLog{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopLocalStack(t, cmd) })

	ready := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if m := readyPattern.FindStringSubmatch(scanner.Text()); m != nil {
				ready <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(ready)
	}()

	var base string
	select {
	case u, ok := <-ready:
		if !ok {
			t.Fatal("local stack exited before it was ready; its log is above")
		}
		base = u
	case <-time.After(devstackReadyTimeout):
		t.Fatalf("local stack not ready after %s", devstackReadyTimeout)
	}

	demo, err := tls.LoadX509KeyPair(filepath.Join(state, "demo-client.pem"), filepath.Join(state, "demo-client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(demo.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return &localStack{
		url:    base,
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: readPool(t, filepath.Join(state, "ca.pem")), Certificates: []tls.Certificate{demo}, MinVersion: tls.VersionTLS12}}},
		serial: certificate.FormatSerial(leaf.SerialNumber),
	}
}

// stopLocalStack interrupts the stack and waits for it to stop, killing it after
// devstackStopTimeout.
func stopLocalStack(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("local stack stopped with %v, want a clean stop after an interrupt", err)
		}
	case <-time.After(devstackStopTimeout):
		_ = cmd.Process.Kill()
		err := <-done
		t.Errorf("local stack still running %s after an interrupt; killed it: %v", devstackStopTimeout, err)
	}
}

func readPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		pool.AddCert(cert)
	}
	return pool
}

func (s *localStack) do(t *testing.T, method, path, token string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, data
}

// accessToken gets an access token for the demo client from POST /oauth/token.
func (s *localStack) accessToken(t *testing.T) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	status, body := s.do(t, http.MethodPost, "/oauth/token", "", strings.NewReader(form.Encode()))
	if status != http.StatusOK {
		t.Fatalf("POST /oauth/token = %d %s, want 200", status, body)
	}
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.AccessToken == "" {
		t.Fatalf("POST /oauth/token body %q has no access_token: %v", body, err)
	}
	return resp.AccessToken
}
