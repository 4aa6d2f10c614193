package cognitolocal_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

const (
	clientID = "4l0c4lcl13nt1d"
	// secret has every character that form encoding changes, so a client that skips the
	// encoding of RFC 6749 section 2.3.1 fails.
	secret = "s3cr3t+/=:% &?"
)

// generatedKeys caches the test keys, because a 2048-bit RSA key takes a noticeable part of a
// second to generate.
var generatedKeys sync.Map

// rsaKey returns the RSA key of the given size generated for name, the same one on every call.
func rsaKey(t testing.TB, name string, bits int) *rsa.PrivateKey {
	t.Helper()
	if key, ok := generatedKeys.Load(name); ok {
		return key.(*rsa.PrivateKey)
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	actual, _ := generatedKeys.LoadOrStore(name, key)
	return actual.(*rsa.PrivateKey)
}

func startProvider(t *testing.T, opts cognitolocal.Options) *cognitolocal.Provider {
	t.Helper()
	if opts.Clients == nil {
		opts.Clients = map[string]cognitolocal.Client{
			clientID: {Secret: secret, Scopes: []string{oauth.Scope, "mtls-api/admin"}},
		}
	}
	if opts.Key == nil {
		opts.Key = rsaKey(t, "test", 2048)
	}
	return cognitolocal.StartTest(t, opts)
}

// tokenRequest describes one request to the token endpoint.
type tokenRequest struct {
	method      string
	contentType string
	basicUser   string
	basicPass   string
	rawAuth     string
	body        string
}

func basic(id, secret string) (string, string) {
	return url.QueryEscape(id), url.QueryEscape(secret)
}

func postToken(t *testing.T, p *cognitolocal.Provider, r tokenRequest) (*http.Response, []byte) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.contentType == "" {
		r.contentType = "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(t.Context(), r.method, p.TokenURL(), strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", r.contentType)
	if r.basicUser != "" {
		req.SetBasicAuth(r.basicUser, r.basicPass)
	}
	if r.rawAuth != "" {
		req.Header.Set("Authorization", r.rawAuth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// fetchKeys returns the provider's key set by kid, parsed by hand so that the test does not
// share code with the provider.
func fetchKeys(t *testing.T, p *cognitolocal.Provider) map[string]*rsa.PublicKey {
	t.Helper()
	resp, err := get(t, p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %s, want 200", p.JWKSURL(), resp.Status)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" {
			t.Fatalf("key %v: want kty RSA, alg RS256, use sig", k)
		}
		n, errN := base64.RawURLEncoding.DecodeString(k["n"])
		e, errE := base64.RawURLEncoding.DecodeString(k["e"])
		if errN != nil || errE != nil {
			t.Fatalf("key %s: n or e is not base64url", k["kid"])
		}
		keys[k["kid"]] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return keys
}

// get sends a GET request for target, canceled when the test ends.
func get(t *testing.T, target string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return http.DefaultClient.Do(req)
}

// verify checks the signature of token against keys and returns its header and claims.
func verify(t *testing.T, keys map[string]*rsa.PublicKey, token string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	decode := func(s string) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	header, claims := decode(parts[0]), decode(parts[1])

	kid, _ := header["kid"].(string)
	key, ok := keys[kid]
	if !ok {
		t.Fatalf("token kid %q is not in the key set", kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("token signature: %v", err)
	}
	return header, claims
}

func TestTokenIssuesCognitoClaims(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := startProvider(t, cognitolocal.Options{
		Now:           func() time.Time { return now },
		TokenLifetime: 5 * time.Minute,
	})

	user, pass := basic(clientID, secret)
	resp, body := postToken(t, p, tokenRequest{
		basicUser: user,
		basicPass: pass,
		body:      "grant_type=client_credentials&scope=" + url.QueryEscape(oauth.Scope),
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST token = %d %s, want 200", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}

	var tr oauth.TokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 300 {
		t.Errorf("token_type, expires_in = %q, %d, want Bearer, 300", tr.TokenType, tr.ExpiresIn)
	}

	header, claims := verify(t, fetchKeys(t, p), tr.AccessToken)
	if len(header) != 2 || header["alg"] != "RS256" || header["kid"] != p.KeyID() {
		t.Errorf("header = %v, want exactly alg RS256 and kid %s", header, p.KeyID())
	}

	wantKeys := []string{"auth_time", "client_id", "exp", "iat", "iss", "jti", "scope", "sub", "token_use", "version"}
	var gotKeys []string
	for k := range claims {
		gotKeys = append(gotKeys, k)
	}
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("claim names = %v, want %v", gotKeys, wantKeys)
	}

	want := map[string]any{
		"sub":       clientID,
		"client_id": clientID,
		"token_use": "access",
		"scope":     oauth.Scope,
		"iss":       p.IssuerURL(),
		"iat":       float64(now.Unix()),
		"auth_time": float64(now.Unix()),
		"exp":       float64(now.Add(5 * time.Minute).Unix()),
		"version":   float64(2),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) != 36 {
		t.Errorf("claim jti = %q, want a UUID", jti)
	}
}

func TestTokenScopes(t *testing.T) {
	p := startProvider(t, cognitolocal.Options{})
	keys := fetchKeys(t, p)
	user, pass := basic(clientID, secret)

	tests := []struct {
		name string
		body string
		want string
	}{
		{"no scope gets all", "grant_type=client_credentials", oauth.Scope + " mtls-api/admin"},
		{"one scope", "grant_type=client_credentials&scope=mtls-api%2Fadmin", "mtls-api/admin"},
		{"repeated scope once", "grant_type=client_credentials&scope=mtls-api%2Faccess+mtls-api%2Faccess", oauth.Scope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postToken(t, p, tokenRequest{basicUser: user, basicPass: pass, body: tt.body})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST token = %d %s, want 200", resp.StatusCode, body)
			}
			var tr oauth.TokenResponse
			if err := json.Unmarshal(body, &tr); err != nil {
				t.Fatal(err)
			}
			_, claims := verify(t, keys, tr.AccessToken)
			if claims["scope"] != tt.want {
				t.Errorf("scope = %v, want %q", claims["scope"], tt.want)
			}
		})
	}
}

func TestTokenClientSecretInBody(t *testing.T) {
	p := startProvider(t, cognitolocal.Options{})
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {secret},
	}
	resp, body := postToken(t, p, tokenRequest{body: form.Encode()})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST token = %d %s, want 200", resp.StatusCode, body)
	}
}

func TestTokenErrors(t *testing.T) {
	p := startProvider(t, cognitolocal.Options{})
	user, pass := basic(clientID, secret)
	grant := "grant_type=client_credentials"

	tests := []struct {
		name       string
		req        tokenRequest
		wantStatus int
		wantError  string
	}{
		{"wrong secret", tokenRequest{basicUser: user, basicPass: "wrong", body: grant}, 401, oauth.ErrorInvalidClient},
		{"unknown client", tokenRequest{basicUser: "other", basicPass: pass, body: grant}, 401, oauth.ErrorInvalidClient},
		{"secret not form encoded", tokenRequest{basicUser: clientID, basicPass: secret, body: grant}, 401, oauth.ErrorInvalidClient},
		{"malformed basic", tokenRequest{rawAuth: "Basic !!!", body: grant}, 401, oauth.ErrorInvalidClient},
		{"bearer instead of basic", tokenRequest{rawAuth: "Bearer abc", body: grant}, 401, oauth.ErrorInvalidClient},
		{"wrong secret in body", tokenRequest{body: grant + "&client_id=" + clientID + "&client_secret=wrong"}, 400, oauth.ErrorInvalidClient},
		{"no authentication", tokenRequest{body: grant}, 400, oauth.ErrorInvalidClient},
		{"two authentication methods", tokenRequest{basicUser: user, basicPass: pass, body: grant + "&client_secret=x"}, 400, oauth.ErrorInvalidRequest},
		{"other grant", tokenRequest{basicUser: user, basicPass: pass, body: "grant_type=password"}, 400, oauth.ErrorUnsupportedGrantType},
		{"missing grant", tokenRequest{basicUser: user, basicPass: pass, body: "scope=mtls-api%2Faccess"}, 400, oauth.ErrorInvalidRequest},
		{"repeated grant", tokenRequest{basicUser: user, basicPass: pass, body: grant + "&" + grant}, 400, oauth.ErrorInvalidRequest},
		{"scope not allowed", tokenRequest{basicUser: user, basicPass: pass, body: grant + "&scope=openid"}, 400, oauth.ErrorInvalidScope},
		{"empty scope", tokenRequest{basicUser: user, basicPass: pass, body: grant + "&scope="}, 400, oauth.ErrorInvalidScope},
		{"json body", tokenRequest{contentType: "application/json", basicUser: user, basicPass: pass, body: `{"grant_type":"client_credentials"}`}, 400, oauth.ErrorInvalidRequest},
		{"malformed form", tokenRequest{basicUser: user, basicPass: pass, body: "grant_type=%zz"}, 400, oauth.ErrorInvalidRequest},
		{"oversized body", tokenRequest{basicUser: user, basicPass: pass, body: grant + "&pad=" + strings.Repeat("a", 70<<10)}, 400, oauth.ErrorInvalidRequest},
		{"GET", tokenRequest{method: http.MethodGet, basicUser: user, basicPass: pass}, 405, oauth.ErrorInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postToken(t, p, tt.req)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			var er oauth.ErrorResponse
			if err := json.Unmarshal(body, &er); err != nil {
				t.Fatalf("body %q is not an error response: %v", body, err)
			}
			if er.Error != tt.wantError {
				t.Errorf("error = %q, want %q", er.Error, tt.wantError)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := resp.Header.Get("WWW-Authenticate"); (got != "") != (tt.wantStatus == 401) {
				t.Errorf("WWW-Authenticate = %q with status %d, want a challenge exactly with 401", got, tt.wantStatus)
			}
		})
	}
}

func TestAddKeyRotates(t *testing.T) {
	p := startProvider(t, cognitolocal.Options{})
	oldKID := p.KeyID()
	oldToken, err := p.Sign(p.NewClaims(clientID, []string{oauth.Scope}))
	if err != nil {
		t.Fatal(err)
	}

	newKID, err := p.AddKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if newKID == oldKID || p.KeyID() != newKID {
		t.Fatalf("AddKey(nil) = %q with KeyID %q, want a new kid other than %q", newKID, p.KeyID(), oldKID)
	}

	keys := fetchKeys(t, p)
	if len(keys) != 2 {
		t.Fatalf("key set has %d keys after rotation, want 2", len(keys))
	}
	header, _ := verify(t, keys, oldToken)
	if header["kid"] != oldKID {
		t.Errorf("old token kid = %v, want %s", header["kid"], oldKID)
	}
	newToken, err := p.Sign(p.NewClaims(clientID, []string{oauth.Scope}))
	if err != nil {
		t.Fatal(err)
	}
	if header, _ := verify(t, keys, newToken); header["kid"] != newKID {
		t.Errorf("new token kid = %v, want %s", header["kid"], newKID)
	}

	again, err := p.AddKey(rsaKey(t, "test", 2048))
	if err != nil {
		t.Fatal(err)
	}
	if again != oldKID || len(fetchKeys(t, p)) != 2 {
		t.Errorf("AddKey(old key) = %q, want %q without a third key", again, oldKID)
	}
}

func TestURLs(t *testing.T) {
	p, err := cognitolocal.New("http://127.0.0.1:9000/", cognitolocal.Options{PoolID: "eu-west-1_Test", Key: rsaKey(t, "test", 2048)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"issuer", p.IssuerURL(), "http://127.0.0.1:9000/eu-west-1_Test"},
		{"token", p.TokenURL(), "http://127.0.0.1:9000/oauth2/token"},
		{"jwks", p.JWKSURL(), "http://127.0.0.1:9000/eu-west-1_Test/.well-known/jwks.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s URL = %q, want %q", tt.name, tt.got, tt.want)
			}
		})
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		base string
		opts cognitolocal.Options
	}{
		{"empty base", "", cognitolocal.Options{}},
		{"no scheme", "127.0.0.1:9000", cognitolocal.Options{}},
		{"ftp", "ftp://127.0.0.1", cognitolocal.Options{}},
		{"negative lifetime", "http://127.0.0.1", cognitolocal.Options{TokenLifetime: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Key = rsaKey(t, "test", 2048)
			if _, err := cognitolocal.New(tt.base, tt.opts); err == nil {
				t.Errorf("New(%q) succeeded, want an error", tt.base)
			}
		})
	}
}

func TestListenServesAndCloses(t *testing.T) {
	s, err := cognitolocal.Listen("127.0.0.1:0", cognitolocal.Options{Key: rsaKey(t, "test", 2048)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.JWKSURL(), s.URL+"/") {
		t.Errorf("JWKSURL() = %q, want it under %q", s.JWKSURL(), s.URL)
	}
	resp, err := get(t, s.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d, want 200", s.JWKSURL(), resp.StatusCode)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if resp, err := get(t, s.JWKSURL()); err == nil {
		resp.Body.Close()
		t.Error("GET after Close succeeded, want a connection error")
	}
}
