package accesstoken_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mtls-api/mtls-api/functions/internal/accesstoken"
	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/functions/internal/jwks"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

const appClientID = "4l0c4lcl13nt1d"

var now = time.Date(2026, 12, 4, 20, 15, 42, 0, time.UTC)

// staticKeys is a fixed key set.
type staticKeys map[string]*rsa.PublicKey

func (s staticKeys) Key(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w %q", jwks.ErrUnknownKey, kid)
}

type failingKeys struct{ err error }

func (f failingKeys) Key(context.Context, string) (*rsa.PublicKey, error) { return nil, f.err }

// fixture holds an issuer and a Verifier that trusts its key.
type fixture struct {
	issuer    *cognitolocal.Provider
	other     *cognitolocal.Provider // signs with a key the verifier does not know
	verifier  *accesstoken.Verifier
	publicKey *rsa.PublicKey // the issuer's
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clock := func() time.Time { return now }
	testKey, otherKey := eventtest.RSAKey(t, "issuer", 2048), eventtest.RSAKey(t, "other", 2048)
	issuer, err := cognitolocal.New("http://127.0.0.1:9", cognitolocal.Options{Key: testKey, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	other, err := cognitolocal.New("http://127.0.0.1:9", cognitolocal.Options{Key: otherKey, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	v, err := accesstoken.New(staticKeys{issuer.KeyID(): &testKey.PublicKey}, accesstoken.Config{
		Issuer:   issuer.IssuerURL(),
		ClientID: appClientID,
		Scope:    oauth.Scope,
		Now:      clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{issuer: issuer, other: other, verifier: v, publicKey: &testKey.PublicKey}
}

// sign returns a token of the app client signed by p, with its claims changed by modify.
func sign(t testing.TB, p *cognitolocal.Provider, modify func(*oauth.AccessTokenClaims)) string {
	t.Helper()
	claims := p.NewClaims(appClientID, []string{"openid", oauth.Scope})
	if modify != nil {
		modify(&claims)
	}
	token, err := p.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// signMap returns claims signed by p, for tokens that lack a claim.
func signMap(t testing.TB, p *cognitolocal.Provider, drop string) string {
	t.Helper()
	raw, _ := json.Marshal(p.NewClaims(appClientID, []string{oauth.Scope}))
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	delete(claims, drop)
	token, err := p.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// withHeader replaces the header of token, keeping its payload and signature.
func withHeader(token, header string) string {
	parts := strings.Split(token, ".")
	return b64([]byte(header)) + "." + parts[1] + "." + parts[2]
}

// tamper replaces the payload of token, keeping its header and signature.
func tamper(t testing.TB, token string, modify func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	modify(claims)
	raw, _ = json.Marshal(claims)
	return parts[0] + "." + b64(raw) + "." + parts[2]
}

// hmacWithPublicKey returns a token signed with HS256 using the issuer's public key as the
// HMAC secret, the classic algorithm confusion attack.
func hmacWithPublicKey(t testing.TB, kid string, keyBytes []byte) string {
	t.Helper()
	token := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": appClientID, "client_id": appClientID, "token_use": "access", "scope": oauth.Scope,
		"iss": "http://127.0.0.1:9/" + cognitolocal.DefaultPoolID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	token.Header["kid"] = kid
	s, err := token.SignedString(keyBytes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyAcceptsCognitoToken(t *testing.T) {
	f := newFixture(t)
	claims, err := f.verifier.Verify(t.Context(), sign(t, f.issuer, nil))
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	want := accesstoken.Claims{
		Subject:   appClientID,
		ClientID:  appClientID,
		Scope:     "openid " + oauth.Scope,
		ExpiresAt: now.Add(cognitolocal.DefaultTokenLifetime),
	}
	if *claims != want {
		t.Errorf("Verify() = %+v, want %+v", *claims, want)
	}
}

func TestVerifyAllowsClockSkew(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		modify func(*oauth.AccessTokenClaims)
	}{
		{"expired within leeway", func(c *oauth.AccessTokenClaims) { c.ExpiresAt = now.Add(-10 * time.Second).Unix() }},
		{"issued slightly ahead", func(c *oauth.AccessTokenClaims) { c.IssuedAt = now.Add(10 * time.Second).Unix() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.verifier.Verify(t.Context(), sign(t, f.issuer, tt.modify)); err != nil {
				t.Errorf("Verify() error = %v, want nil", err)
			}
		})
	}
}

func TestVerifyRejectsHostileTokens(t *testing.T) {
	f := newFixture(t)
	valid := sign(t, f.issuer, nil)
	kid := f.issuer.KeyID()

	pubDER, err := x509.MarshalPKIXPublicKey(f.publicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", jwt.ErrTokenMalformed},
		{"two segments", "a.b", jwt.ErrTokenMalformed},
		{"not base64", "!!.??.**", jwt.ErrTokenMalformed},
		{"alg none", withHeader(valid, `{"kid":"`+kid+`","alg":"none"}`), jwt.ErrTokenSignatureInvalid},
		{"alg none without signature", strings.Join(strings.Split(withHeader(valid, `{"alg":"none"}`), ".")[:2], ".") + ".", jwt.ErrTokenSignatureInvalid},
		{"HS256 with PEM public key", hmacWithPublicKey(t, kid, pubPEM), jwt.ErrTokenSignatureInvalid},
		{"HS256 with DER public key", hmacWithPublicKey(t, kid, pubDER), jwt.ErrTokenSignatureInvalid},
		{"RS512 header", withHeader(valid, `{"kid":"`+kid+`","alg":"RS512"}`), jwt.ErrTokenSignatureInvalid},
		{"PS256 header", withHeader(valid, `{"kid":"`+kid+`","alg":"PS256"}`), jwt.ErrTokenSignatureInvalid},
		{"unknown kid", sign(t, f.other, nil), jwks.ErrUnknownKey},
		{"other key under known kid", withHeader(sign(t, f.other, nil), `{"kid":"`+kid+`","alg":"RS256"}`), jwt.ErrTokenSignatureInvalid},
		{"no kid", withHeader(valid, `{"alg":"RS256"}`), accesstoken.ErrKeyID},
		{"numeric kid", withHeader(valid, `{"kid":7,"alg":"RS256"}`), accesstoken.ErrKeyID},
		{"tampered client_id", tamper(t, valid, func(c map[string]any) { c["client_id"] = "other" }), jwt.ErrTokenSignatureInvalid},
		{"tampered exp", tamper(t, valid, func(c map[string]any) { c["exp"] = now.Add(24 * time.Hour).Unix() }), jwt.ErrTokenSignatureInvalid},
		{"truncated signature", valid[:len(valid)-10], jwt.ErrTokenSignatureInvalid},
		{"expired", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.ExpiresAt = now.Add(-time.Minute).Unix() }), jwt.ErrTokenExpired},
		{"issued in the future", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.IssuedAt = now.Add(time.Hour).Unix() }), jwt.ErrTokenUsedBeforeIssued},
		{"no exp", signMap(t, f.issuer, "exp"), jwt.ErrTokenRequiredClaimMissing},
		{"wrong issuer", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) {
			c.Issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"
		}), jwt.ErrTokenInvalidIssuer},
		{"no issuer", signMap(t, f.issuer, "iss"), jwt.ErrTokenRequiredClaimMissing},
		{"id token", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.TokenUse = "id" }), accesstoken.ErrTokenUse},
		{"no token_use", signMap(t, f.issuer, "token_use"), accesstoken.ErrTokenUse},
		{"other client", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.ClientID = "other" }), accesstoken.ErrClientID},
		{"no client_id", signMap(t, f.issuer, "client_id"), accesstoken.ErrClientID},
		{"other scope", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.Scope = "mtls-api/admin" }), accesstoken.ErrScope},
		{"scope prefix only", sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.Scope = oauth.Scope + "x" }), accesstoken.ErrScope},
		{"no scope", signMap(t, f.issuer, "scope"), accesstoken.ErrScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := f.verifier.Verify(t.Context(), tt.token)
			if claims != nil {
				t.Errorf("Verify() claims = %+v, want nil", claims)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyTokenWithNotBefore(t *testing.T) {
	f := newFixture(t)
	raw, _ := json.Marshal(f.issuer.NewClaims(appClientID, []string{oauth.Scope}))
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims["nbf"] = now.Add(5 * time.Minute).Unix()
	token, err := f.issuer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := f.verifier.Verify(t.Context(), token); !errors.Is(err, jwt.ErrTokenNotValidYet) {
		t.Errorf("Verify() error = %v, want %v", err, jwt.ErrTokenNotValidYet)
	}
}

func TestVerifyKeySourceFailure(t *testing.T) {
	f := newFixture(t)
	fetchErr := fmt.Errorf("%w: GET returned 503", jwks.ErrFetch)
	v, err := accesstoken.New(failingKeys{fetchErr}, accesstoken.Config{Issuer: f.issuer.IssuerURL(), ClientID: appClientID, Scope: oauth.Scope})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := v.Verify(t.Context(), sign(t, f.issuer, nil)); !errors.Is(err, jwks.ErrFetch) {
		t.Errorf("Verify() error = %v, want %v", err, jwks.ErrFetch)
	}
}

func TestVerifyErrorOmitsToken(t *testing.T) {
	f := newFixture(t)
	token := sign(t, f.issuer, func(c *oauth.AccessTokenClaims) { c.ExpiresAt = now.Add(-time.Hour).Unix() })
	_, err := f.verifier.Verify(t.Context(), token)
	if err == nil {
		t.Fatal("Verify() succeeded, want an error")
	}
	for _, part := range strings.Split(token, ".") {
		if strings.Contains(err.Error(), part) {
			t.Errorf("Verify() error %q contains a part of the token", err)
		}
	}
}

func TestNewRequiresConfig(t *testing.T) {
	tests := []struct {
		name   string
		config accesstoken.Config
	}{
		{"no issuer", accesstoken.Config{ClientID: "c", Scope: "s"}},
		{"no client", accesstoken.Config{Issuer: "i", Scope: "s"}},
		{"no scope", accesstoken.Config{Issuer: "i", ClientID: "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := accesstoken.New(staticKeys{}, tt.config); err == nil {
				t.Error("New() succeeded, want an error")
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	valid := sign(f, fx.issuer, nil)
	f.Add(valid)
	f.Add(withHeader(valid, `{"alg":"none"}`))
	f.Add(sign(f, fx.other, nil))
	f.Add(tamper(f, valid, func(c map[string]any) { c["scope"] = "x" }))
	f.Add("e30.e30.")

	f.Fuzz(func(t *testing.T, token string) {
		claims, err := fx.verifier.Verify(context.Background(), token)
		if err != nil {
			if claims != nil {
				t.Fatalf("Verify() returned claims %+v with error %v", claims, err)
			}
			return
		}
		if claims.ClientID != appClientID || !strings.Contains(claims.Scope, oauth.Scope) {
			t.Fatalf("Verify(%q) accepted claims %+v", token, claims)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	token := sign(b, f.issuer, nil)
	ctx := context.Background()

	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.verifier.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}
