package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go"

	"github.com/mtls-api/mtls-api/functions/internal/cognito"
	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

var fixedNow = time.Date(2026, 12, 4, 20, 15, 42, 0, time.UTC)

// issuedToken stands for a Cognito access token. Tests check that it never reaches a log.
const issuedToken = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJjbGllbnQifQ.c2lnbmF0dXJl"

// fakeTokens returns a fixed token or error and counts calls.
type fakeTokens struct {
	token oauth.TokenResponse
	err   error
	calls int
	scope string
}

func (f *fakeTokens) Token(_ context.Context, scope string) (oauth.TokenResponse, error) {
	f.calls++
	f.scope = scope
	return f.token, f.err
}

func loadRequest(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var req events.APIGatewayV2HTTPRequest
	eventtest.Load(t, "testdata/request.json", &req)
	return req
}

// fixtureRecord returns the active record of the certificate in testdata/request.json.
func fixtureRecord(t *testing.T) certificate.Record {
	t.Helper()
	req := loadRequest(t)
	cert, err := apigw.FromHTTPRequest(&req)
	if err != nil {
		t.Fatal(err)
	}
	return certificate.NewRecord(cert.Certificate, "demo-client", fixedNow.AddDate(0, -1, 0))
}

type testEnv struct {
	handler *Handler
	records *eventtest.Records
	tokens  *fakeTokens
	logs    *bytes.Buffer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	rec := fixtureRecord(t)
	e := &testEnv{
		records: &eventtest.Records{Records: map[string]certificate.Record{rec.SerialNumber: rec}},
		tokens:  &fakeTokens{token: oauth.TokenResponse{AccessToken: issuedToken, TokenType: "Bearer", ExpiresIn: 3600}},
		logs:    &bytes.Buffer{},
	}
	e.handler = &Handler{
		Records: e.records,
		Tokens:  e.tokens,
		Now:     func() time.Time { return fixedNow },
		Logger:  slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	return e
}

func TestHandleIssuesToken(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*events.APIGatewayV2HTTPRequest)
	}{
		{"base64 form body", func(*events.APIGatewayV2HTTPRequest) {}},
		{"plain form body", func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = "grant_type=client_credentials&scope=mtls-api%2Faccess", false
		}},
		{"no body", func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = "", false
			delete(r.Headers, "content-type")
		}},
		{"form without grant_type", func(r *events.APIGatewayV2HTTPRequest) {
			r.Body, r.IsBase64Encoded = "scope=mtls-api%2Faccess", false
		}},
		{"content type with charset", func(r *events.APIGatewayV2HTTPRequest) {
			r.Headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			req := loadRequest(t)
			tt.modify(&req)

			resp, err := e.handler.Handle(t.Context(), req)
			if err != nil {
				t.Fatalf("Handle() error = %v, want nil", err)
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, body %s, want 200", resp.StatusCode, resp.Body)
			}
			checkHeaders(t, resp)

			var got oauth.TokenResponse
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatal(err)
			}
			if got != e.tokens.token {
				t.Errorf("body = %+v, want %+v", got, e.tokens.token)
			}
			if e.tokens.scope != oauth.Scope {
				t.Errorf("Token scope = %q, want %q", e.tokens.scope, oauth.Scope)
			}
			record := checkLogs(t, e.logs, "issued", "")
			if record["clientId"] != "demo-client" || record["serialNumber"] != fixtureRecord(t).SerialNumber {
				t.Errorf("log record = %v, want clientId demo-client and the fixture's serialNumber", record)
			}
		})
	}
}

func TestHandleRejects(t *testing.T) {
	opErr := &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem", Err: errors.New("dial tcp 127.0.0.1:1: connection refused")}

	tests := []struct {
		name       string
		modify     func(*events.APIGatewayV2HTTPRequest)
		setup      func(*testEnv)
		wantStatus int
		wantError  string
		wantReason string
	}{
		{
			name: "password grant",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.Body, r.IsBase64Encoded = "grant_type=password&username=a&password=b", false
			},
			wantStatus: 400, wantError: oauth.ErrorUnsupportedGrantType, wantReason: "unsupportedGrantType",
		},
		{
			name:       "empty grant_type",
			modify:     func(r *events.APIGatewayV2HTTPRequest) { r.Body, r.IsBase64Encoded = "grant_type=", false },
			wantStatus: 400, wantError: oauth.ErrorUnsupportedGrantType, wantReason: "unsupportedGrantType",
		},
		{
			name:       "invalid base64",
			modify:     func(r *events.APIGatewayV2HTTPRequest) { r.Body = "grant_type=client_credentials" },
			wantStatus: 400, wantError: oauth.ErrorInvalidRequest, wantReason: "invalidBase64",
		},
		{
			name: "json body",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.Body, r.IsBase64Encoded = `{"grant_type":"client_credentials"}`, false
				r.Headers["content-type"] = "application/json"
			},
			wantStatus: 400, wantError: oauth.ErrorInvalidRequest, wantReason: "contentType",
		},
		{
			name:       "malformed form",
			modify:     func(r *events.APIGatewayV2HTTPRequest) { r.Body, r.IsBase64Encoded = "grant_type=%zz", false },
			wantStatus: 400, wantError: oauth.ErrorInvalidRequest, wantReason: "malformedForm",
		},
		{
			name: "repeated grant_type",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.Body, r.IsBase64Encoded = "grant_type=client_credentials&grant_type=client_credentials", false
			},
			wantStatus: 400, wantError: oauth.ErrorInvalidRequest, wantReason: "repeatedParameter",
		},
		{
			name: "oversized body",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.Body, r.IsBase64Encoded = "grant_type=client_credentials&pad="+strings.Repeat("a", maxBodyBytes), false
			},
			wantStatus: 400, wantError: oauth.ErrorInvalidRequest, wantReason: "bodyTooLarge",
		},
		{
			name: "other scope",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.Body, r.IsBase64Encoded = "grant_type=client_credentials&scope=openid", false
			},
			wantStatus: 400, wantError: oauth.ErrorInvalidScope, wantReason: "invalidScope",
		},
		{
			name: "no certificate",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.RequestContext.Authentication = events.APIGatewayV2HTTPRequestContextAuthentication{}
			},
			wantStatus: 401, wantError: oauth.ErrorInvalidClient, wantReason: "noCertificate",
		},
		{
			name: "unparseable certificate",
			modify: func(r *events.APIGatewayV2HTTPRequest) {
				r.RequestContext.Authentication.ClientCert.ClientCertPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
			},
			wantStatus: 401, wantError: oauth.ErrorInvalidClient, wantReason: "invalidCertificate",
		},
		{
			name:       "not registered",
			setup:      func(e *testEnv) { e.records.Records = map[string]certificate.Record{} },
			wantStatus: 404, wantError: oauth.ErrorInvalidClient, wantReason: "notRegistered",
		},
		{
			name: "revoked",
			setup: func(e *testEnv) {
				e.records.Update(func(r *certificate.Record) { r.Status = certificate.StatusRevoked })
			},
			wantStatus: 403, wantError: oauth.ErrorUnauthorizedClient, wantReason: "revoked",
		},
		{
			name: "superseded",
			setup: func(e *testEnv) {
				e.records.Update(func(r *certificate.Record) { r.Status = certificate.StatusSuperseded })
			},
			wantStatus: 403, wantError: oauth.ErrorUnauthorizedClient, wantReason: "superseded",
		},
		{
			name: "record expired",
			setup: func(e *testEnv) {
				e.records.Update(func(r *certificate.Record) { r.NotAfter = fixedNow.Add(-time.Minute) })
			},
			wantStatus: 403, wantError: oauth.ErrorUnauthorizedClient, wantReason: "expired",
		},
		{
			name: "record not yet valid",
			setup: func(e *testEnv) {
				e.records.Update(func(r *certificate.Record) { r.NotBefore = fixedNow.Add(time.Minute) })
			},
			wantStatus: 403, wantError: oauth.ErrorUnauthorizedClient, wantReason: "notYetValid",
		},
		{
			name: "fingerprint mismatch",
			setup: func(e *testEnv) {
				e.records.Update(func(r *certificate.Record) { r.FingerprintSHA256 = strings.Repeat("0", 64) })
			},
			wantStatus: 403, wantError: oauth.ErrorUnauthorizedClient, wantReason: "fingerprintMismatch",
		},
		{
			name:       "table unavailable",
			setup:      func(e *testEnv) { e.records.Err = fmt.Errorf("get certificate 1 from certificates: %w", opErr) },
			wantStatus: 503, wantError: oauth.ErrorTemporarilyUnavailable, wantReason: "storeUnavailable",
		},
		{
			name:       "table hangs",
			setup:      func(e *testEnv) { e.records.Hang = true },
			wantStatus: 503, wantError: oauth.ErrorTemporarilyUnavailable, wantReason: "storeUnavailable",
		},
		{
			name:       "record does not decode",
			setup:      func(e *testEnv) { e.records.Err = errors.New("decode certificate 1: unmarshal failed") },
			wantStatus: 500, wantError: oauth.ErrorServerError, wantReason: "storeError",
		},
		{
			name: "cognito error",
			setup: func(e *testEnv) {
				e.tokens.err = fmt.Errorf("%w: status 400, error \"invalid_client\"", cognito.ErrTokenEndpoint)
			},
			wantStatus: 502, wantError: oauth.ErrorServerError, wantReason: "tokenEndpoint",
		},
		{
			name: "secret unreadable",
			setup: func(e *testEnv) {
				e.tokens.err = fmt.Errorf("%w: get secret arn: AccessDenied", cognito.ErrClientSecret)
			},
			wantStatus: 500, wantError: oauth.ErrorServerError, wantReason: "secretUnavailable",
		},
		{
			name:       "token issuer fails otherwise",
			setup:      func(e *testEnv) { e.tokens.err = errors.New("unexpected") },
			wantStatus: 500, wantError: oauth.ErrorServerError, wantReason: "tokenError",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tt.setup != nil {
				tt.setup(e)
			}
			req := loadRequest(t)
			if tt.modify != nil {
				tt.modify(&req)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()

			resp, err := e.handler.Handle(ctx, req)
			if err != nil {
				t.Fatalf("Handle() error = %v, want nil", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			checkHeaders(t, resp)

			var body oauth.ErrorResponse
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %q is not an error response: %v", resp.Body, err)
			}
			if body.Error != tt.wantError {
				t.Errorf("error = %q, want %q", body.Error, tt.wantError)
			}
			if body.ErrorDescription == "" {
				t.Error("error_description is empty, want a description")
			}
			if strings.Contains(resp.Body, "dial tcp") || strings.Contains(resp.Body, "AccessDenied") {
				t.Errorf("body %q leaks an internal error", resp.Body)
			}
			wantCalls := 0
			if tt.wantReason == "tokenEndpoint" || tt.wantReason == "secretUnavailable" || tt.wantReason == "tokenError" {
				wantCalls = 1
			}
			if e.tokens.calls != wantCalls {
				t.Errorf("Token calls = %d, want %d", e.tokens.calls, wantCalls)
			}
			checkLogs(t, e.logs, "rejected", tt.wantReason)
		})
	}
}

func checkHeaders(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	if got := resp.Headers["Cache-Control"]; got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
}

// checkLogs checks that the handler logged exactly one JSON record with the outcome and reason
// and without the token, and returns it.
func checkLogs(t *testing.T, logs *bytes.Buffer, outcome, reason string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d records, want 1: %s", len(lines), logs)
	}
	if strings.Contains(lines[0], issuedToken) {
		t.Errorf("log record %s contains the access token", lines[0])
	}
	var record map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &record); err != nil {
		t.Fatal(err)
	}
	if record["outcome"] != outcome {
		t.Errorf("log outcome = %v, want %s", record["outcome"], outcome)
	}
	if reason != "" && record["reason"] != reason {
		t.Errorf("log reason = %v, want %s", record["reason"], reason)
	}
	return record
}

func FuzzParseBody(f *testing.F) {
	f.Add("grant_type=client_credentials", "application/x-www-form-urlencoded", false)
	f.Add(base64.StdEncoding.EncodeToString([]byte("grant_type=client_credentials&scope=mtls-api%2Faccess")), "application/x-www-form-urlencoded", true)
	f.Add("grant_type=password", "application/x-www-form-urlencoded", false)
	f.Add("%zz=1&a=b;c", "application/x-www-form-urlencoded; charset=utf-8", false)
	f.Add("", "", false)
	f.Add("===", "text/plain", true)

	f.Fuzz(func(t *testing.T, body, contentType string, encoded bool) {
		req := &events.APIGatewayV2HTTPRequest{
			Headers:         map[string]string{"content-type": contentType},
			Body:            body,
			IsBase64Encoded: encoded,
		}
		fail := parseBody(req)
		if fail != nil {
			if fail.status != http.StatusBadRequest || fail.code == "" || fail.reason == "" {
				t.Fatalf("parseBody() = %+v, want a complete 400 failure", fail)
			}
			return
		}
		// An accepted body is a well-formed form that names no other grant and no other scope.
		raw := body
		if encoded {
			decoded, err := base64.StdEncoding.DecodeString(body)
			if err != nil {
				t.Fatalf("parseBody(%q) accepted invalid base64", body)
			}
			raw = string(decoded)
		}
		if strings.TrimSpace(raw) == "" {
			return
		}
		form, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("parseBody(%q) accepted a malformed form: %v", raw, err)
		}
		if form.Has("grant_type") && form.Get("grant_type") != oauth.GrantClientCredentials {
			t.Fatalf("parseBody(%q) accepted grant_type %q", raw, form.Get("grant_type"))
		}
		if form.Has("scope") && strings.TrimSpace(strings.ReplaceAll(form.Get("scope"), oauth.Scope, "")) != "" {
			t.Fatalf("parseBody(%q) accepted scope %q", raw, form.Get("scope"))
		}
	})
}
