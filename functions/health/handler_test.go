package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/shared/apigw"
)

// fixtureSerial is the serial number of the certificate in testdata/request.json.
const fixtureSerial = "41510386053276981227703992094719363932"

var fixedNow = time.Date(2026, 12, 4, 20, 15, 42, 0, time.UTC)

func loadRequest(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var req events.APIGatewayV2HTTPRequest
	eventtest.Load(t, "testdata/request.json", &req)
	return req
}

// handle runs the handler on req and returns the status and the body decoded as generic
// JSON, so that the tests check the exact key paths clients read.
func handle(t *testing.T, req events.APIGatewayV2HTTPRequest) (int, map[string]any) {
	t.Helper()
	h := &Handler{Version: "1.2.3", Now: func() time.Time { return fixedNow }}
	resp, err := h.Handle(t.Context(), req)
	if err != nil {
		t.Fatalf("Handle() error = %v, want a response", err)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", resp.Body, err)
	}
	return resp.StatusCode, body
}

// path returns the value at a dotted key path of a decoded JSON object.
func path(body map[string]any, keys ...string) any {
	var v any = body
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestHandleWithCertificate(t *testing.T) {
	status, body := handle(t, loadRequest(t))
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200", status)
	}

	tests := []struct {
		path []string
		want any
	}{
		{[]string{"status"}, "ok"},
		{[]string{"version"}, "1.2.3"},
		{[]string{"time"}, "2026-12-04T20:15:42Z"},
		{[]string{"certificate", "serialNumber"}, fixtureSerial},
		{[]string{"certificate", "subject", "commonName"}, "demo-client"},
		{[]string{"certificate", "subject", "organization"}, []any{"Example Corp"}},
		{[]string{"certificate", "subject", "organizationalUnit"}, []any{"Payments"}},
		{[]string{"certificate", "subject", "locality"}, []any{"Berlin"}},
		{[]string{"certificate", "subject", "province"}, []any{"Berlin"}},
		{[]string{"certificate", "subject", "country"}, []any{"DE"}},
		{[]string{"certificate", "subjectDN"}, "CN=demo-client,OU=Payments,O=Example Corp,L=Berlin,ST=Berlin,C=DE"},
		{[]string{"certificate", "issuerDN"}, "CN=mtls-api Test Intermediate CA,O=Example Corp,C=DE"},
		{[]string{"certificate", "notBefore"}, "2026-01-01T00:00:00Z"},
		{[]string{"certificate", "notAfter"}, "2126-01-01T00:00:00Z"},
		{[]string{"certificate", "daysToExpiry"}, float64(36186)},
		{[]string{"authorizer", "clientId"}, "4l0c4lcl13nt1d"},
		{[]string{"authorizer", "scope"}, "mtls-api/access"},
	}
	for _, tt := range tests {
		got, _ := json.Marshal(path(body, tt.path...))
		want, _ := json.Marshal(tt.want)
		if string(got) != string(want) {
			t.Errorf("body %v = %s, want %s", tt.path, got, want)
		}
	}
}

func TestHandleDaysToExpiry(t *testing.T) {
	tests := []struct {
		name     string
		notAfter time.Time
		want     float64
	}{
		{"a day and a half left", fixedNow.Add(36 * time.Hour), 1},
		{"less than a day left", fixedNow.Add(time.Hour), 0},
		{"expired an hour ago", fixedNow.Add(-time.Hour), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := eventtest.Certificate(t, eventtest.CertOptions{NotBefore: fixedNow.AddDate(0, 0, -10), NotAfter: tt.notAfter})
			req := loadRequest(t)
			req.RequestContext.Authentication.ClientCert = apigw.EventClientCert(cert)

			_, body := handle(t, req)
			if got := path(body, "certificate", "daysToExpiry"); got != tt.want {
				t.Errorf("daysToExpiry = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHandleWithoutCertificate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*events.APIGatewayV2HTTPRequest)
	}{
		{"no authentication block", func(r *events.APIGatewayV2HTTPRequest) {
			r.RequestContext.Authentication = events.APIGatewayV2HTTPRequestContextAuthentication{}
		}},
		{"unparseable PEM", func(r *events.APIGatewayV2HTTPRequest) {
			r.RequestContext.Authentication.ClientCert.ClientCertPem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
		}},
		{"serial differs from PEM", func(r *events.APIGatewayV2HTTPRequest) {
			r.RequestContext.Authentication.ClientCert.SerialNumber = "1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := loadRequest(t)
			tt.modify(&req)

			status, body := handle(t, req)
			if status != http.StatusOK {
				t.Errorf("status = %d, want 200", status)
			}
			if _, ok := body["certificate"]; ok {
				t.Errorf("body has a certificate %v, want none", body["certificate"])
			}
			if body["status"] != "ok" {
				t.Errorf("body status = %v, want ok", body["status"])
			}
		})
	}
}

func TestHandleWithoutAuthorizer(t *testing.T) {
	req := loadRequest(t)
	req.RequestContext.Authorizer = nil

	_, body := handle(t, req)
	if _, ok := body["authorizer"]; ok {
		t.Errorf("body has an authorizer part %v, want none", body["authorizer"])
	}
	if path(body, "certificate", "serialNumber") != fixtureSerial {
		t.Errorf("certificate.serialNumber = %v, want %s", path(body, "certificate", "serialNumber"), fixtureSerial)
	}
}
