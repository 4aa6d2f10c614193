package cognito_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/functions/internal/cognito"
	"github.com/mtls-api/mtls-api/functions/internal/secret"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

const (
	clientID = "4l0c4lcl13nt1d"
	// clientSecret has characters that form encoding changes, so the test fails when the
	// client skips the encoding of RFC 6749 section 2.3.1.
	clientSecret = "a+b/c=d:e%f g"
)

func newClient(t *testing.T, tokenURL string, timeout time.Duration) *cognito.Client {
	t.Helper()
	c, err := cognito.New(cognito.Config{
		TokenURL: tokenURL,
		ClientID: clientID,
		Secret:   secret.Static(clientSecret),
		Timeout:  timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokenFromLocalCognito(t *testing.T) {
	p := cognitolocal.StartTest(t, cognitolocal.Options{
		Clients: map[string]cognitolocal.Client{clientID: {Secret: clientSecret, Scopes: []string{oauth.Scope}}},
	})
	c := newClient(t, p.TokenURL(), 0)

	got, err := c.Token(t.Context(), oauth.Scope)
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	if got.AccessToken == "" || got.TokenType != "Bearer" || got.ExpiresIn != 3600 {
		t.Errorf("Token() = %+v, want a Bearer token valid for 3600 s", got)
	}
}

func TestTokenSendsEncodedCredentials(t *testing.T) {
	var gotUser, gotPass, gotGrant, gotScope, gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotPass, _ = r.BasicAuth()
		gotType = r.Header.Get("Content-Type")
		_ = r.ParseForm()
		gotGrant, gotScope = r.PostForm.Get("grant_type"), r.PostForm.Get("scope")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"t","token_type":"bearer","expires_in":60}`))
	}))
	t.Cleanup(srv.Close)

	got, err := newClient(t, srv.URL, 0).Token(t.Context(), oauth.Scope)
	if err != nil {
		t.Fatalf("Token() error = %v", err)
	}
	if got.TokenType != "Bearer" {
		t.Errorf("token_type = %q, want Bearer", got.TokenType)
	}

	checks := []struct{ name, got, want string }{
		{"Basic user", gotUser, url.QueryEscape(clientID)},
		{"Basic password", gotPass, url.QueryEscape(clientSecret)},
		{"grant_type", gotGrant, oauth.GrantClientCredentials},
		{"scope", gotScope, oauth.Scope},
		{"Content-Type", gotType, "application/x-www-form-urlencoded"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantMsg string
	}{
		{"invalid client", 400, `{"error":"invalid_client"}`, `error "invalid_client"`},
		{"server error without body", 500, ``, "status 500"},
		{"html error page", 503, `<html>down</html>`, "status 503"},
		{"not json", 200, `ok`, "not a token response"},
		{"no access token", 200, `{"token_type":"Bearer","expires_in":3600}`, "no access_token"},
		{"wrong token type", 200, `{"access_token":"t","token_type":"mac","expires_in":3600}`, "token_type"},
		{"no expiry", 200, `{"access_token":"t","token_type":"Bearer"}`, "expires_in"},
		{"oversized", 200, `{"access_token":"` + strings.Repeat("a", 70<<10) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)

			_, err := newClient(t, srv.URL, 0).Token(t.Context(), oauth.Scope)
			if !errors.Is(err, cognito.ErrTokenEndpoint) {
				t.Fatalf("Token() error = %v, want ErrTokenEndpoint", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Token() error = %q, want it to mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), clientSecret) {
				t.Errorf("Token() error = %q contains the secret", err)
			}
		})
	}
}

func TestTokenEndpointHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })

	start := time.Now()
	_, err := newClient(t, srv.URL, 50*time.Millisecond).Token(t.Context(), oauth.Scope)
	if !errors.Is(err, cognito.ErrTokenEndpoint) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token() error = %v, want ErrTokenEndpoint and DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Token() took %s, want it bounded by the 50ms timeout", elapsed)
	}
}

func TestTokenEndpointUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()

	_, err := newClient(t, srv.URL, 0).Token(t.Context(), oauth.Scope)
	if !errors.Is(err, cognito.ErrTokenEndpoint) {
		t.Fatalf("Token() error = %v, want ErrTokenEndpoint", err)
	}
}

type failingSecret struct{}

func (failingSecret) Value(context.Context) (string, error) { return "", errors.New("access denied") }

func TestTokenSecretFailure(t *testing.T) {
	c, err := cognito.New(cognito.Config{TokenURL: "http://127.0.0.1:1/oauth2/token", ClientID: clientID, Secret: failingSecret{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Token(t.Context(), oauth.Scope)
	if !errors.Is(err, cognito.ErrClientSecret) || errors.Is(err, cognito.ErrTokenEndpoint) {
		t.Fatalf("Token() error = %v, want ErrClientSecret and not ErrTokenEndpoint", err)
	}
}

// hangingSecret blocks until its context ends, like a Secrets Manager call that never
// returns.
type hangingSecret struct{}

func (hangingSecret) Value(ctx context.Context) (string, error) {
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(10 * time.Second):
		return "", errors.New("secret read was not cancelled")
	}
}

func TestTokenSecretHangs(t *testing.T) {
	c, err := cognito.New(cognito.Config{
		TokenURL: "http://127.0.0.1:1/oauth2/token",
		ClientID: clientID,
		Secret:   hangingSecret{},
		Timeout:  50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err = c.Token(t.Context(), oauth.Scope)
	if !errors.Is(err, cognito.ErrClientSecret) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token() error = %v, want ErrClientSecret and DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Token() took %s, want it bounded by the 50ms timeout", elapsed)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name   string
		config cognito.Config
	}{
		{"relative URL", cognito.Config{TokenURL: "/oauth2/token", ClientID: clientID, Secret: secret.Static("s")}},
		{"other scheme", cognito.Config{TokenURL: "ftp://example.com/oauth2/token", ClientID: clientID, Secret: secret.Static("s")}},
		{"no client id", cognito.Config{TokenURL: "https://example.com/oauth2/token", Secret: secret.Static("s")}},
		{"no secret", cognito.Config{TokenURL: "https://example.com/oauth2/token", ClientID: clientID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cognito.New(tt.config); err == nil {
				t.Error("New() succeeded, want an error")
			}
		})
	}
}
