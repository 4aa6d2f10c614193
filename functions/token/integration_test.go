package main

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/functions/internal/accesstoken"
	"github.com/mtls-api/mtls-api/functions/internal/certcheck"
	"github.com/mtls-api/mtls-api/functions/internal/cognito"
	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/functions/internal/jwks"
	"github.com/mtls-api/mtls-api/functions/internal/secret"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/dynalite"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

const (
	integrationTable    = "certificates"
	integrationClientID = "4l0c4lcl13nt1d"
	// integrationSecret needs form encoding, as Cognito secrets with such characters would.
	integrationSecret = "s3cr3t+/="
)

// newIntegrationHandler returns a Handler that reads records and requests tokens from p with
// clientSecret.
func newIntegrationHandler(t *testing.T, records certcheck.Records, p *cognitolocal.Provider, clientSecret string) *Handler {
	t.Helper()
	tokens, err := cognito.New(cognito.Config{
		TokenURL: p.TokenURL(),
		ClientID: integrationClientID,
		Secret:   secret.Static(clientSecret),
		Timeout:  2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Records: records, Tokens: tokens, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
}

func requestWith(t *testing.T, cert *apigw.ClientCert) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := loadRequest(t)
	req.RequestContext.Authentication.ClientCert = apigw.EventClientCert(cert.Certificate)
	return req
}

func TestIntegrationTokenExchange(t *testing.T) {
	store := certstore.New(dynalite.StartTable(t, integrationTable), integrationTable)
	p := cognitolocal.StartTest(t, cognitolocal.Options{
		Clients: map[string]cognitolocal.Client{integrationClientID: {Secret: integrationSecret, Scopes: []string{oauth.Scope}}},
	})
	h := newIntegrationHandler(t, store, p, integrationSecret)

	registered := newCert(t)
	if err := store.Put(t.Context(), certificate.NewRecord(registered.Certificate, "demo-client", time.Now())); err != nil {
		t.Fatal(err)
	}
	unknown := newCert(t)

	resp := handle(t, h, requestWith(t, registered))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registered certificate: status = %d, body %s, want 200", resp.StatusCode, resp.Body)
	}
	var token oauth.TokenResponse
	if err := json.Unmarshal([]byte(resp.Body), &token); err != nil {
		t.Fatal(err)
	}
	verifier, err := accesstoken.New(jwks.New(p.JWKSURL(), jwks.Options{}), accesstoken.Config{
		Issuer: p.IssuerURL(), ClientID: integrationClientID, Scope: oauth.Scope,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(t.Context(), token.AccessToken); err != nil {
		t.Errorf("issued token does not verify: %v", err)
	}

	if resp := handle(t, h, requestWith(t, unknown)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unregistered certificate: status = %d, want 404", resp.StatusCode)
	}

	if _, err := store.Revoke(t.Context(), registered.SerialNumber, "keyCompromise", time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp := handle(t, h, requestWith(t, registered)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("revoked certificate: status = %d, want 403", resp.StatusCode)
	}
}

func TestIntegrationDependencyFailures(t *testing.T) {
	store := certstore.New(dynalite.StartTable(t, integrationTable), integrationTable)
	p := cognitolocal.StartTest(t, cognitolocal.Options{
		Clients: map[string]cognitolocal.Client{integrationClientID: {Secret: integrationSecret, Scopes: []string{oauth.Scope}}},
	})
	cert := newCert(t)
	if err := store.Put(t.Context(), certificate.NewRecord(cert.Certificate, "demo-client", time.Now())); err != nil {
		t.Fatal(err)
	}

	t.Run("wrong client secret", func(t *testing.T) {
		h := newIntegrationHandler(t, store, p, "wrong")
		if resp := handle(t, h, requestWith(t, cert)); resp.StatusCode != http.StatusBadGateway {
			t.Errorf("status = %d, body %s, want 502", resp.StatusCode, resp.Body)
		}
	})
	t.Run("table unreachable", func(t *testing.T) {
		down := certstore.New(dynalite.NewClient("http://"+closedAddress(t)), integrationTable)
		h := newIntegrationHandler(t, down, p, integrationSecret)
		if resp := handle(t, h, requestWith(t, cert)); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("status = %d, body %s, want 503", resp.StatusCode, resp.Body)
		}
	})
	t.Run("table missing", func(t *testing.T) {
		missing := certstore.New(dynalite.StartTable(t, "other"), integrationTable+"-missing")
		h := newIntegrationHandler(t, missing, p, integrationSecret)
		if resp := handle(t, h, requestWith(t, cert)); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("status = %d, body %s, want 503", resp.StatusCode, resp.Body)
		}
	})
}

func newCert(t *testing.T) *apigw.ClientCert {
	t.Helper()
	c := eventtest.Certificate(t, eventtest.CertOptions{CommonName: "demo-client"})
	return &apigw.ClientCert{Certificate: c, SerialNumber: certificate.FormatSerial(c.SerialNumber), FingerprintSHA256: certificate.Fingerprint(c.Raw)}
}

func handle(t *testing.T, h *Handler, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := h.Handle(t.Context(), req)
	if err != nil {
		t.Fatalf("Handle() error = %v, want nil", err)
	}
	return resp
}

// closedAddress returns a 127.0.0.1 address where nothing listens.
func closedAddress(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
