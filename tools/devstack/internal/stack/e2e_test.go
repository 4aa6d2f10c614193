package stack_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/oauth"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/stack"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// local is the one stack every end-to-end test in this package uses. Starting it builds the
// function binaries and starts dynalite, so TestMain starts it once.
var local *stack.Stack

// logBuffer collects the stack's log; TestMain prints it when a test failed.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func TestMain(m *testing.M) {
	os.Exit(runWithStack(m))
}

func runWithStack(m *testing.M) int {
	root, err := stack.FindRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stateDir, err := os.MkdirTemp("", "devstack-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(stateDir)

	var logs logBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	local, err = stack.Start(ctx, stack.Config{
		Root:           root,
		StateDir:       stateDir,
		Addr:           "127.0.0.1:0",
		Log:            slog.New(slog.NewTextHandler(&logs, nil)),
		FunctionOutput: &logs,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "start the local stack: %v\n%s", err, logs.buf.String())
		return 1
	}

	code := m.Run()
	if err := local.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "stop the local stack: %v\n", err)
		code = 1
	}
	// The endpoint in certctl.env is stale once the stack stops.
	if _, err := os.Stat(local.Files.CertctlEnv); !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "after Close, stat %s = %v, want the file removed\n", local.Files.CertctlEnv, err)
		code = 1
	}
	if code != 0 {
		logs.mu.Lock()
		fmt.Fprintf(os.Stderr, "local stack log:\n%s", logs.buf.String())
		logs.mu.Unlock()
	}
	return code
}

// client returns an HTTPS client that trusts the local CA and presents cert, if any.
func client(t *testing.T, cert *tls.Certificate) *http.Client {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(local.Authority.Root.Certificate)
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	transport := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}
}

func demoClient(t *testing.T) *http.Client {
	t.Helper()
	cert := local.Authority.TLSCertificate(local.Demo)
	return client(t, &cert)
}

// registeredClient issues a client certificate for clientID, registers it active and returns
// an HTTPS client presenting it.
func registeredClient(t *testing.T, clientID string) (*http.Client, ca.KeyPair) {
	t.Helper()
	kp, err := local.Authority.IssueClient(ca.ClientRequest{ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Store.Put(t.Context(), certificate.NewRecord(kp.Certificate, clientID, time.Now())); err != nil {
		t.Fatal(err)
	}
	cert := local.Authority.TLSCertificate(kp)
	return client(t, &cert), kp
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, method, path, token string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, local.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func requestToken(t *testing.T, c *http.Client) response {
	t.Helper()
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}}
	return do(t, c, http.MethodPost, "/oauth/token", "", strings.NewReader(form.Encode()))
}

// token gets an access token for c's certificate and fails the test without one.
func token(t *testing.T, c *http.Client) string {
	t.Helper()
	resp := requestToken(t, c)
	if resp.status != http.StatusOK {
		t.Fatalf("POST /oauth/token status = %d, want 200; body %s", resp.status, resp.body)
	}
	var tr oauth.TokenResponse
	if err := json.Unmarshal(resp.body, &tr); err != nil {
		t.Fatalf("decode token response %s: %v", resp.body, err)
	}
	return tr.AccessToken
}

// healthBody is the part of the health response the tests read.
type healthBody struct {
	Certificate struct {
		SerialNumber string `json:"serialNumber"`
		Subject      struct {
			CommonName string `json:"commonName"`
		} `json:"subject"`
	} `json:"certificate"`
	Authorizer struct {
		ClientID string `json:"clientId"`
		Scope    string `json:"scope"`
	} `json:"authorizer"`
}

func TestTokenForDemoClient(t *testing.T) {
	resp := requestToken(t, demoClient(t))

	if resp.status != http.StatusOK {
		t.Fatalf("POST /oauth/token status = %d, want 200; body %s", resp.status, resp.body)
	}
	var tr oauth.TokenResponse
	if err := json.Unmarshal(resp.body, &tr); err != nil {
		t.Fatalf("decode %s: %v", resp.body, err)
	}
	if tr.AccessToken == "" || strings.Count(tr.AccessToken, ".") != 2 {
		t.Errorf("access_token = %q, want a JWT", tr.AccessToken)
	}
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		t.Errorf("token_type = %q, want Bearer", tr.TokenType)
	}
	if tr.ExpiresIn <= 0 {
		t.Errorf("expires_in = %d, want a positive lifetime", tr.ExpiresIn)
	}
	if got := resp.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

func TestHealthWithDemoToken(t *testing.T) {
	c := demoClient(t)
	resp := do(t, c, http.MethodGet, "/health", token(t, c), nil)

	if resp.status != http.StatusOK {
		t.Fatalf("GET /health status = %d, want 200; body %s", resp.status, resp.body)
	}
	var body healthBody
	if err := json.Unmarshal(resp.body, &body); err != nil {
		t.Fatalf("decode %s: %v", resp.body, err)
	}
	if want := certificate.FormatSerial(local.Demo.Certificate.SerialNumber); body.Certificate.SerialNumber != want {
		t.Errorf("certificate.serialNumber = %q, want %q", body.Certificate.SerialNumber, want)
	}
	if body.Certificate.Subject.CommonName != stack.DemoCommonName {
		t.Errorf("certificate.subject.commonName = %q, want %q", body.Certificate.Subject.CommonName, stack.DemoCommonName)
	}
	if body.Authorizer.ClientID != stack.DemoClientID {
		t.Errorf("authorizer.clientId = %q, want %q", body.Authorizer.ClientID, stack.DemoClientID)
	}
	if body.Authorizer.Scope != oauth.Scope {
		t.Errorf("authorizer.scope = %q, want %q", body.Authorizer.Scope, oauth.Scope)
	}
}

func TestRevokedCertificate(t *testing.T) {
	c, kp := registeredClient(t, "revoked-client")
	issued := token(t, c)

	serial := certificate.FormatSerial(kp.Certificate.SerialNumber)
	if _, err := local.Store.Revoke(t.Context(), serial, "keyCompromise", time.Now()); err != nil {
		t.Fatal(err)
	}

	wantOAuthError(t, "POST /oauth/token with a revoked certificate", requestToken(t, c), http.StatusForbidden, oauth.ErrorUnauthorizedClient)
	if resp := do(t, c, http.MethodGet, "/health", issued, nil); resp.status != http.StatusForbidden {
		t.Errorf("GET /health with a revoked certificate status = %d, want 403; body %s", resp.status, resp.body)
	}
	if resp := do(t, demoClient(t), http.MethodGet, "/health", issued, nil); resp.status != http.StatusOK {
		t.Errorf("GET /health with the demo certificate and the revoked client's token status = %d, want 200; body %s", resp.status, resp.body)
	}
}

func TestSupersededCertificate(t *testing.T) {
	c, kp := registeredClient(t, "superseded-client")
	issued := token(t, c)

	serial := certificate.FormatSerial(kp.Certificate.SerialNumber)
	if _, err := local.Store.Supersede(t.Context(), serial, time.Now()); err != nil {
		t.Fatal(err)
	}

	wantOAuthError(t, "POST /oauth/token with a superseded certificate", requestToken(t, c), http.StatusForbidden, oauth.ErrorUnauthorizedClient)
	if resp := do(t, c, http.MethodGet, "/health", issued, nil); resp.status != http.StatusForbidden {
		t.Errorf("GET /health with a superseded certificate status = %d, want 403; body %s", resp.status, resp.body)
	}
}

// TestTokenRequestErrors sends form bodies that the token function rejects. The gateway
// base64-encodes them as API Gateway does, so these also show that the function decodes them.
func TestTokenRequestErrors(t *testing.T) {
	tests := []struct {
		name       string
		form       string
		wantStatus int
		wantCode   string
	}{
		{name: "password grant", form: "grant_type=password", wantStatus: http.StatusBadRequest, wantCode: oauth.ErrorUnsupportedGrantType},
		{name: "other scope", form: "grant_type=client_credentials&scope=mtls-api%2Fadmin", wantStatus: http.StatusBadRequest, wantCode: oauth.ErrorInvalidScope},
		{name: "repeated grant", form: "grant_type=client_credentials&grant_type=client_credentials", wantStatus: http.StatusBadRequest, wantCode: oauth.ErrorInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, demoClient(t), http.MethodPost, "/oauth/token", "", strings.NewReader(tt.form))
			wantOAuthError(t, "POST /oauth/token with "+tt.form, resp, tt.wantStatus, tt.wantCode)
		})
	}
}

// wantOAuthError checks that resp is an RFC 6749 error response with status and error code,
// marked not to be stored.
func wantOAuthError(t *testing.T, request string, resp response, status int, code string) {
	t.Helper()
	if resp.status != status {
		t.Errorf("%s status = %d, want %d; body %s", request, resp.status, status, resp.body)
	}
	var body oauth.ErrorResponse
	if err := json.Unmarshal(resp.body, &body); err != nil {
		t.Errorf("%s body %s is not an OAuth error: %v", request, resp.body, err)
	}
	if body.Error != code {
		t.Errorf("%s error = %q, want %q", request, body.Error, code)
	}
	if got := resp.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s Cache-Control = %q, want no-store", request, got)
	}
}

func TestUnregisteredCertificate(t *testing.T) {
	kp, err := local.Authority.IssueClient(ca.ClientRequest{ClientID: "unregistered-client"})
	if err != nil {
		t.Fatal(err)
	}
	cert := local.Authority.TLSCertificate(kp)
	c := client(t, &cert)

	wantOAuthError(t, "POST /oauth/token with an unregistered certificate", requestToken(t, c), http.StatusNotFound, oauth.ErrorInvalidClient)
	if resp := do(t, c, http.MethodGet, "/health", token(t, demoClient(t)), nil); resp.status != http.StatusForbidden {
		t.Errorf("GET /health with an unregistered certificate status = %d, want 403; body %s", resp.status, resp.body)
	}
}

func TestHandshakeRejected(t *testing.T) {
	other, err := ca.New(ca.Config{Organization: "another CA"}, ca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.IssueClient(ca.ClientRequest{ClientID: stack.DemoClientID})
	if err != nil {
		t.Fatal(err)
	}
	foreignCert := other.TLSCertificate(foreign)

	tests := []struct {
		name string
		cert *tls.Certificate
	}{
		{name: "certificate from another CA", cert: &foreignCert},
		{name: "no client certificate", cert: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/oauth/token", "/health"} {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, local.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := client(t, tt.cert).Do(req)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("POST %s = status %d, want a failed TLS handshake", path, resp.StatusCode)
				}
				if !strings.Contains(err.Error(), "tls:") {
					t.Errorf("POST %s error = %v, want a TLS alert", path, err)
				}
			}
		})
	}
}

func TestOldTLSVersionRejected(t *testing.T) {
	cert := local.Authority.TLSCertificate(local.Demo)
	roots := x509.NewCertPool()
	roots.AddCert(local.Authority.Root.Certificate)
	addr := strings.TrimPrefix(local.URL, "https://")

	dialer := tls.Dialer{Config: &tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS11,
	}}
	conn, err := dialer.DialContext(t.Context(), "tcp", addr)
	if err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake succeeded, want it rejected")
	}
}

func TestHostileTokens(t *testing.T) {
	c := demoClient(t)
	valid := token(t, c)
	claims := func() oauth.AccessTokenClaims {
		return local.Cognito.NewClaims(stack.AppClientID, []string{oauth.Scope})
	}
	sign := func(claims oauth.AccessTokenClaims) string {
		t.Helper()
		signed, err := local.Cognito.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}

	expired := claims()
	expired.IssuedAt = time.Now().Add(-2 * time.Hour).Unix()
	expired.AuthTime = expired.IssuedAt
	expired.ExpiresAt = time.Now().Add(-time.Hour).Unix()

	wrongScope := claims()
	wrongScope.Scope = "mtls-api/other"

	wrongIssuer := claims()
	wrongIssuer.Issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"

	wrongClient := claims()
	wrongClient.ClientID = "another-app-client"

	idToken := claims()
	idToken.TokenUse = "id"

	stranger, err := cognitolocal.New("http://127.0.0.1:9", cognitolocal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	foreignSigned, err := stranger.Sign(claims())
	if err != nil {
		t.Fatal(err)
	}

	parts := strings.Split(valid, ".")
	tamperedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString(
		[]byte(strings.Replace(mustDecode(t, parts[1]), oauth.Scope, "mtls-api/admin", 1))) + "." + parts[2]
	tamperedSignature := parts[0] + "." + parts[1] + "." + flipFirst(parts[2])
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	tests := []struct {
		name  string
		token string
	}{
		{name: "tampered payload", token: tamperedPayload},
		{name: "tampered signature", token: tamperedSignature},
		{name: "alg none", token: unsigned},
		{name: "expired", token: sign(expired)},
		{name: "wrong scope", token: sign(wrongScope)},
		{name: "wrong issuer", token: sign(wrongIssuer)},
		{name: "other app client", token: sign(wrongClient)},
		{name: "id token", token: sign(idToken)},
		{name: "unknown signing key", token: foreignSigned},
		{name: "not a JWT", token: "not-a-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, c, http.MethodGet, "/health", tt.token, nil)
			if resp.status != http.StatusForbidden {
				t.Errorf("GET /health with %s token status = %d, want 403; body %s", tt.name, resp.status, resp.body)
			}
			if got := strings.TrimSpace(string(resp.body)); got != `{"message":"Forbidden"}` {
				t.Errorf("GET /health with %s token body = %s, want {\"message\":\"Forbidden\"}", tt.name, got)
			}
		})
	}

	t.Run("control", func(t *testing.T) {
		if resp := do(t, c, http.MethodGet, "/health", sign(claims()), nil); resp.status != http.StatusOK {
			t.Errorf("GET /health with a freshly signed token status = %d, want 200; body %s", resp.status, resp.body)
		}
	})
}

func TestGatewayErrors(t *testing.T) {
	c := demoClient(t)
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   string
	}{
		{name: "missing Authorization", method: http.MethodGet, path: "/health", wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "unknown path", method: http.MethodGet, path: "/nothing", wantStatus: 404, wantBody: `{"message":"Not Found"}`},
		{name: "method without route", method: http.MethodGet, path: "/oauth/token", wantStatus: 404, wantBody: `{"message":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, c, tt.method, tt.path, "", nil)
			if resp.status != tt.wantStatus {
				t.Errorf("%s %s status = %d, want %d", tt.method, tt.path, resp.status, tt.wantStatus)
			}
			if got := strings.TrimSpace(string(resp.body)); got != tt.wantBody {
				t.Errorf("%s %s body = %s, want %s", tt.method, tt.path, got, tt.wantBody)
			}
		})
	}
}

func TestStateFiles(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		wantMode os.FileMode
	}{
		{name: "CA certificate", path: local.Files.CACert, wantMode: 0o644},
		{name: "demo certificate", path: local.Files.DemoCert, wantMode: 0o644},
		{name: "demo key", path: local.Files.DemoKey, wantMode: 0o600},
		{name: "server key", path: local.Files.ServerKey, wantMode: 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != tt.wantMode {
				t.Errorf("mode of %s = %o, want %o", tt.path, got, tt.wantMode)
			}
		})
	}

	demo, err := ca.ReadCertificate(local.Files.DemoCert)
	if err != nil {
		t.Fatal(err)
	}
	if !demo.Equal(local.Demo.Certificate) {
		t.Errorf("%s holds another certificate than the registered demo certificate", local.Files.DemoCert)
	}
	root, err := ca.ReadCertificate(local.Files.CACert)
	if err != nil {
		t.Fatal(err)
	}
	if !root.Equal(local.Authority.Root.Certificate) {
		t.Errorf("%s holds another certificate than the local root CA", local.Files.CACert)
	}
}

func TestInstructions(t *testing.T) {
	var out bytes.Buffer
	if err := local.WriteInstructions(&out, local.Files.Dir); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"--cacert ca.pem --cert demo-client.pem --key demo-client-key.pem",
		local.URL + "/oauth/token",
		local.URL + "/health",
		`-H "Authorization: Bearer $TOKEN"`,
		"run: . certctl.env",
		"  export CERTCTL_DIR=ca\n",
		"  export CERT_TABLE_NAME=" + stack.TableName + "\n",
		"  export AWS_REGION=" + stack.Region + "\n",
		"  export AWS_ENDPOINT_URL_DYNAMODB=" + local.DynamoDBEndpoint + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("WriteInstructions() lacks %q:\n%s", want, text)
		}
	}
}

func mustDecode(t *testing.T, segment string) string {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// flipFirst changes the first character of a base64url segment to another valid one.
func flipFirst(segment string) string {
	if segment[0] == 'A' {
		return "B" + segment[1:]
	}
	return "A" + segment[1:]
}
