package main

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/functions/internal/accesstoken"
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

// TestIntegrationAuthorize runs the authorizer's data path against dynalite and the local
// Cognito stand-in, both on 127.0.0.1: tokens come from the token endpoint, keys from the
// key set URL and records from the table.
func TestIntegrationAuthorize(t *testing.T) {
	const (
		table        = "certificates"
		clientSecret = "s3cr3t"
	)
	store := certstore.New(dynalite.StartTable(t, table), table)
	p := cognitolocal.StartTest(t, cognitolocal.Options{
		Key:     eventtest.RSAKey(t, "issuer", 2048),
		Clients: map[string]cognitolocal.Client{appClientID: {Secret: clientSecret, Scopes: []string{oauth.Scope}}},
	})

	tokens, err := cognito.New(cognito.Config{TokenURL: p.TokenURL(), ClientID: appClientID, Secret: secret.Static(clientSecret)})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	keys := jwks.New(p.JWKSURL(), jwks.Options{HTTPClient: &http.Client{}, Now: func() time.Time { return clock }})
	verifier, err := accesstoken.New(keys, accesstoken.Config{Issuer: p.IssuerURL(), ClientID: appClientID, Scope: oauth.Scope})
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Verifier: verifier, Records: store, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}

	c := eventtest.Certificate(t, eventtest.CertOptions{CommonName: "demo-client"})
	serial := certificate.FormatSerial(c.SerialNumber)
	if err := store.Put(t.Context(), certificate.NewRecord(c, "demo-client", time.Now())); err != nil {
		t.Fatal(err)
	}

	authorize := func(t *testing.T) bool {
		t.Helper()
		token, err := tokens.Token(t.Context(), oauth.Scope)
		if err != nil {
			t.Fatal(err)
		}
		req := loadRequest(t, "Bearer "+token.AccessToken)
		req.RequestContext.Authentication.ClientCert = apigw.EventClientCert(c)
		resp, err := h.Handle(t.Context(), req)
		if err != nil {
			t.Fatalf("Handle() error = %v, want nil", err)
		}
		if resp.IsAuthorized && resp.Context[apigw.ContextSerialNumber] != serial {
			t.Errorf("Context[serialNumber] = %v, want %s", resp.Context[apigw.ContextSerialNumber], serial)
		}
		return resp.IsAuthorized
	}

	t.Run("active certificate", func(t *testing.T) {
		if !authorize(t) {
			t.Error("IsAuthorized = false, want true")
		}
	})

	t.Run("rotated key within refresh interval", func(t *testing.T) {
		if _, err := p.AddKey(eventtest.RSAKey(t, "rotated", 2048)); err != nil {
			t.Fatal(err)
		}
		if authorize(t) {
			t.Error("IsAuthorized = true for a key the cache may not fetch yet, want false")
		}
	})

	t.Run("rotated key after refresh interval", func(t *testing.T) {
		clock = clock.Add(jwks.DefaultMinRefreshInterval)
		if !authorize(t) {
			t.Error("IsAuthorized = false after the key set refetch, want true")
		}
	})

	t.Run("revoked certificate", func(t *testing.T) {
		if _, err := store.Revoke(t.Context(), serial, "keyCompromise", time.Now()); err != nil {
			t.Fatal(err)
		}
		if authorize(t) {
			t.Error("IsAuthorized = true for a revoked certificate, want false")
		}
	})
}
