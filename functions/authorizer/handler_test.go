package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/mtls-api/mtls-api/functions/internal/accesstoken"
	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/functions/internal/jwks"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

const (
	appClientID = "4l0c4lcl13nt1d"
	// fixtureSerial is the serial number of the certificate in testdata/request.json.
	fixtureSerial = "41510386053276981227703992094719363932"
)

var fixedNow = time.Date(2026, 12, 4, 20, 15, 42, 0, time.UTC)

// staticKeys is a key set that never changes, or fails with err when set.
type staticKeys struct {
	keys map[string]*rsa.PublicKey
	err  error
	hang bool
}

func (s *staticKeys) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if s.hang {
		<-ctx.Done()
		return nil, fmt.Errorf("%w: %w", jwks.ErrFetch, ctx.Err())
	}
	if s.err != nil {
		return nil, s.err
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w %q", jwks.ErrUnknownKey, kid)
}

type testEnv struct {
	handler  *Handler
	provider *cognitolocal.Provider
	keys     *staticKeys
	records  *eventtest.Records
	logs     *bytes.Buffer
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	testKey := eventtest.RSAKey(t, "issuer", 2048)
	p, err := cognitolocal.New("http://127.0.0.1:9", cognitolocal.Options{Key: testKey, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{
		provider: p,
		keys:     &staticKeys{keys: map[string]*rsa.PublicKey{p.KeyID(): &testKey.PublicKey}},
		records:  &eventtest.Records{Records: map[string]certificate.Record{}},
		logs:     &bytes.Buffer{},
	}
	verifier, err := accesstoken.New(e.keys, accesstoken.Config{
		Issuer:   p.IssuerURL(),
		ClientID: appClientID,
		Scope:    oauth.Scope,
		Now:      func() time.Time { return fixedNow },
	})
	if err != nil {
		t.Fatal(err)
	}

	req := loadRequest(t, "")
	cert, err := apigw.FromAuthorizerRequest(&req)
	if err != nil {
		t.Fatal(err)
	}
	rec := certificate.NewRecord(cert.Certificate, "demo-client", fixedNow.AddDate(0, -1, 0))
	e.records.Records[rec.SerialNumber] = rec

	e.handler = &Handler{
		Verifier: verifier,
		Records:  e.records,
		Now:      func() time.Time { return fixedNow },
		Logger:   slog.New(slog.NewJSONHandler(e.logs, nil)),
		Timeout:  200 * time.Millisecond,
	}
	return e
}

// token returns an access token of the app client with the scope, changed by modify.
func (e *testEnv) token(t testing.TB, modify func(*oauth.AccessTokenClaims)) string {
	t.Helper()
	claims := e.provider.NewClaims(appClientID, []string{oauth.Scope})
	if modify != nil {
		modify(&claims)
	}
	token, err := e.provider.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// loadRequest returns the fixture with authorization as its Authorization header.
func loadRequest(t testing.TB, authorization string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	var req events.APIGatewayV2CustomAuthorizerV2Request
	eventtest.Load(t, "testdata/request.json", &req)
	req.Headers["authorization"] = authorization
	req.IdentitySource = []string{authorization}
	return req
}

func TestHandleAllows(t *testing.T) {
	tests := []struct {
		name   string
		header func(token string) map[string]string
	}{
		{"lowercase header", func(tok string) map[string]string { return map[string]string{"authorization": "Bearer " + tok} }},
		{"canonical header", func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }},
		{"lowercase scheme", func(tok string) map[string]string { return map[string]string{"authorization": "bearer " + tok} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			req := loadRequest(t, "")
			req.Headers = tt.header(e.token(t, nil))

			resp, err := e.handler.Handle(t.Context(), req)
			if err != nil {
				t.Fatalf("Handle() error = %v, want nil", err)
			}
			if !resp.IsAuthorized {
				t.Fatalf("IsAuthorized = false, want true; logs: %s", e.logs)
			}
			want := map[string]any{
				apigw.ContextSerialNumber: fixtureSerial,
				apigw.ContextClientID:     "demo-client",
				apigw.ContextScope:        oauth.Scope,
				apigw.ContextSubjectCN:    "demo-client",
			}
			for k, v := range want {
				if resp.Context[k] != v {
					t.Errorf("Context[%s] = %v, want %v", k, resp.Context[k], v)
				}
			}
			if len(resp.Context) != len(want) {
				t.Errorf("Context = %v, want exactly the keys of %v", resp.Context, want)
			}
			checkLog(t, e.logs, "allow", "")
		})
	}
}

func TestHandleDenies(t *testing.T) {
	opErr := &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem", Err: errors.New("connection refused")}

	tests := []struct {
		name          string
		authorization func(t *testing.T, e *testEnv) string
		setup         func(e *testEnv, req *events.APIGatewayV2CustomAuthorizerV2Request)
		wantReason    string
	}{
		{name: "no header", authorization: constant(""), wantReason: "missingToken"},
		{name: "basic scheme", authorization: constant("Basic YTpi"), wantReason: "notBearer"},
		{name: "bearer without token", authorization: constant("Bearer "), wantReason: "notBearer"},
		{name: "token without scheme", authorization: func(t *testing.T, e *testEnv) string { t.Helper(); return e.token(t, nil) }, wantReason: "notBearer"},
		{name: "two tokens", authorization: func(t *testing.T, e *testEnv) string {
			t.Helper()
			return "Bearer " + e.token(t, nil) + " " + e.token(t, nil)
		}, wantReason: "malformedToken"},
		{name: "oversized token", authorization: constant("Bearer " + strings.Repeat("a", maxTokenBytes+1)), wantReason: "malformedToken"},
		{name: "garbage token", authorization: constant("Bearer not.a.jwt"), wantReason: "invalidToken"},
		{name: "alg none", authorization: func(t *testing.T, e *testEnv) string { t.Helper(); return "Bearer " + unsignedToken(t, e) }, wantReason: "invalidSignature"},
		{name: "tampered claims", authorization: func(t *testing.T, e *testEnv) string {
			t.Helper()
			return "Bearer " + tamperedToken(t, e)
		}, wantReason: "invalidSignature"},
		{name: "expired", authorization: bearer(func(c *oauth.AccessTokenClaims) { c.ExpiresAt = fixedNow.Add(-time.Hour).Unix() }), wantReason: "tokenExpired"},
		{name: "issued in the future", authorization: bearer(func(c *oauth.AccessTokenClaims) { c.IssuedAt = fixedNow.Add(time.Hour).Unix() }), wantReason: "tokenNotYetValid"},
		{name: "wrong issuer", authorization: bearer(func(c *oauth.AccessTokenClaims) {
			c.Issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"
		}), wantReason: "wrongIssuer"},
		{name: "id token", authorization: bearer(func(c *oauth.AccessTokenClaims) { c.TokenUse = "id" }), wantReason: "wrongTokenUse"},
		{name: "other client", authorization: bearer(func(c *oauth.AccessTokenClaims) { c.ClientID = "other" }), wantReason: "wrongClientId"},
		{name: "other scope", authorization: bearer(func(c *oauth.AccessTokenClaims) { c.Scope = "mtls-api/admin" }), wantReason: "missingScope"},
		{name: "unknown kid", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.keys.keys = map[string]*rsa.PublicKey{}
		}, wantReason: "unknownKey"},
		{name: "key set unavailable", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.keys.err = fmt.Errorf("%w: GET jwks returned 500", jwks.ErrFetch)
		}, wantReason: "keysUnavailable"},
		{name: "key set hangs", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.keys.hang = true
		}, wantReason: "keysUnavailable"},
		{name: "no certificate", authorization: bearer(nil), setup: func(_ *testEnv, r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.RequestContext.Authentication = events.APIGatewayV2HTTPRequestContextAuthentication{}
		}, wantReason: "noCertificate"},
		{name: "unparseable certificate", authorization: bearer(nil), setup: func(_ *testEnv, r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.RequestContext.Authentication.ClientCert.ClientCertPem = "garbage"
		}, wantReason: "invalidCertificate"},
		{name: "not registered", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Records = map[string]certificate.Record{}
		}, wantReason: "notRegistered"},
		{name: "revoked", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Update(func(r *certificate.Record) { r.Status = certificate.StatusRevoked })
		}, wantReason: "revoked"},
		{name: "superseded", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Update(func(r *certificate.Record) { r.Status = certificate.StatusSuperseded })
		}, wantReason: "superseded"},
		{name: "record expired", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Update(func(r *certificate.Record) { r.NotAfter = fixedNow.Add(-time.Second) })
		}, wantReason: "expired"},
		{name: "record not yet valid", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Update(func(r *certificate.Record) { r.NotBefore = fixedNow.Add(time.Minute) })
		}, wantReason: "notYetValid"},
		{name: "fingerprint mismatch", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Update(func(r *certificate.Record) { r.FingerprintSHA256 = strings.Repeat("f", 64) })
		}, wantReason: "fingerprintMismatch"},
		{name: "table unavailable", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Err = fmt.Errorf("get certificate: %w", opErr)
		}, wantReason: "storeUnavailable"},
		{name: "table hangs", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Hang = true
		}, wantReason: "storeUnavailable"},
		{name: "record does not decode", authorization: bearer(nil), setup: func(e *testEnv, _ *events.APIGatewayV2CustomAuthorizerV2Request) {
			e.records.Err = errors.New("decode certificate: bad item")
		}, wantReason: "storeError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			authorization := tt.authorization(t, e)
			req := loadRequest(t, authorization)
			if authorization == "" {
				delete(req.Headers, "authorization")
				req.IdentitySource = nil
			}
			if tt.setup != nil {
				tt.setup(e, &req)
			}

			start := time.Now()
			resp, err := e.handler.Handle(t.Context(), req)
			if err != nil {
				t.Fatalf("Handle() error = %v, want nil", err)
			}
			if resp.IsAuthorized || resp.Context != nil {
				t.Errorf("Handle() = %+v, want a deny without context", resp)
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Handle() took %s, want it bounded by the handler timeout", elapsed)
			}
			record := checkLog(t, e.logs, "deny", tt.wantReason)
			if strings.HasPrefix(authorization, "Bearer ey") && strings.Contains(e.logs.String(), strings.TrimPrefix(authorization, "Bearer ")) {
				t.Errorf("log record %v contains the token", record)
			}
		})
	}
}

func constant(s string) func(*testing.T, *testEnv) string {
	return func(*testing.T, *testEnv) string { return s }
}

func bearer(modify func(*oauth.AccessTokenClaims)) func(*testing.T, *testEnv) string {
	return func(t *testing.T, e *testEnv) string {
		t.Helper()
		return "Bearer " + e.token(t, modify)
	}
}

// unsignedToken returns a valid token's header and claims with alg none and no signature.
func unsignedToken(t *testing.T, e *testEnv) string {
	t.Helper()
	parts := strings.Split(e.token(t, nil), ".")
	header := `{"kid":"` + e.provider.KeyID() + `","alg":"none"}`
	return b64([]byte(header)) + "." + parts[1] + "."
}

// tamperedToken returns a valid token whose client_id claim is changed after signing.
func tamperedToken(t *testing.T, e *testEnv) string {
	t.Helper()
	parts := strings.Split(e.token(t, func(c *oauth.AccessTokenClaims) { c.ClientID = "other" }), ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	payload = []byte(strings.Replace(string(payload), `"client_id":"other"`, `"client_id":"`+appClientID+`"`, 1))
	return parts[0] + "." + b64(payload) + "." + parts[2]
}

// checkLog checks that the handler logged one JSON record with outcome and reason, and
// returns it.
func checkLog(t *testing.T, logs *bytes.Buffer, outcome, reason string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d records, want 1: %s", len(lines), logs)
	}
	var record map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &record); err != nil {
		t.Fatal(err)
	}
	if record["outcome"] != outcome {
		t.Errorf("log outcome = %v, want %s", record["outcome"], outcome)
	}
	if reason != "" && record["reason"] != reason {
		t.Errorf("log reason = %v, want %s (record %v)", record["reason"], reason, record)
	}
	return record
}

func BenchmarkHandle(b *testing.B) {
	e := newTestEnv(b)
	e.handler.Logger = slog.New(slog.DiscardHandler)
	req := loadRequest(b, "Bearer "+e.token(b, nil))
	ctx := context.Background()

	b.ReportAllocs()
	for b.Loop() {
		resp, _ := e.handler.Handle(ctx, req)
		if !resp.IsAuthorized {
			b.Fatal("Handle() denied a valid request")
		}
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
