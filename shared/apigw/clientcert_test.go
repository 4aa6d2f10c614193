package apigw_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
)

const fixtureSerial = "295990755083049101712519384016336253317"

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

func httpEvent(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var req events.APIGatewayV2HTTPRequest
	loadJSON(t, "http-event.json", &req)
	return req
}

func TestFromHTTPRequest(t *testing.T) {
	req := httpEvent(t)

	got, err := apigw.FromHTTPRequest(&req)
	if err != nil {
		t.Fatalf("FromHTTPRequest() error = %v", err)
	}
	if got.SerialNumber != fixtureSerial {
		t.Errorf("SerialNumber = %s, want %s", got.SerialNumber, fixtureSerial)
	}
	if got.CommonName() != "client-42" {
		t.Errorf("CommonName() = %q, want client-42", got.CommonName())
	}
	if want := certificate.Fingerprint(got.Certificate.Raw); got.FingerprintSHA256 != want {
		t.Errorf("FingerprintSHA256 = %s, want %s", got.FingerprintSHA256, want)
	}
	// The parsed subject agrees with the DN string API Gateway wrote next to the PEM.
	if dn := req.RequestContext.Authentication.ClientCert.SubjectDN; got.Certificate.Subject.String() != dn {
		t.Errorf("Subject = %q, want %q", got.Certificate.Subject.String(), dn)
	}
}

func TestFromAuthorizerRequest(t *testing.T) {
	var req events.APIGatewayV2CustomAuthorizerV2Request
	loadJSON(t, "authorizer-event.json", &req)

	got, err := apigw.FromAuthorizerRequest(&req)
	if err != nil {
		t.Fatalf("FromAuthorizerRequest() error = %v", err)
	}
	if got.SerialNumber != fixtureSerial {
		t.Errorf("SerialNumber = %s, want %s", got.SerialNumber, fixtureSerial)
	}
}

func TestFromHTTPRequestNoAuthentication(t *testing.T) {
	var req events.APIGatewayV2HTTPRequest
	loadJSON(t, "http-event-no-authentication.json", &req)

	_, err := apigw.FromHTTPRequest(&req)
	if !errors.Is(err, apigw.ErrNoCertificate) {
		t.Errorf("FromHTTPRequest() = %v, want ErrNoCertificate", err)
	}
}

func TestFromHTTPRequestInvalid(t *testing.T) {
	valid := httpEvent(t).RequestContext.Authentication.ClientCert

	tests := []struct {
		name   string
		mutate func(*events.APIGatewayV2HTTPRequestContextAuthenticationClientCert)
		want   error
	}{
		{name: "empty pem with dn", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) { c.ClientCertPem = "" }, want: apigw.ErrInvalidCertificate},
		{name: "not pem", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) { c.ClientCertPem = "hello" }, want: apigw.ErrInvalidCertificate},
		{name: "wrong block type", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) {
			c.ClientCertPem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		}, want: apigw.ErrInvalidCertificate},
		{name: "garbage der", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) {
			c.ClientCertPem = "-----BEGIN CERTIFICATE-----\nAAECAwQ=\n-----END CERTIFICATE-----\n"
		}, want: apigw.ErrInvalidCertificate},
		{name: "serial disagrees", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) { c.SerialNumber = "12345" }, want: apigw.ErrInvalidCertificate},
		{name: "serial not a number", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) { c.SerialNumber = "abc" }, want: apigw.ErrInvalidCertificate},
		{name: "serial in hex form", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) {
			c.SerialNumber = "0xdeadbeefdeadbeefdeadbeeefffcf185"
		}},
		{name: "serial in colon hex form", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) {
			c.SerialNumber = "de:ad:be:ef:de:ad:be:ef:de:ad:be:ee:ff:fc:f1:85"
		}},
		{name: "serial in bare hex form", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) {
			c.SerialNumber = "DEADBEEFDEADBEEFDEADBEEEFFFCF185"
		}},
		{name: "serial absent", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) { c.SerialNumber = "" }},
		{name: "dn strings ignored", mutate: func(c *events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) {
			c.SubjectDN = "CN=admin"
			c.IssuerDN = "CN=evil"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httpEvent(t)
			cert := valid
			tt.mutate(&cert)
			req.RequestContext.Authentication.ClientCert = cert

			got, err := apigw.FromHTTPRequest(&req)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("FromHTTPRequest() error = %v, want nil", err)
				}
				if got.CommonName() != "client-42" {
					t.Errorf("CommonName() = %q, want client-42 from the PEM", got.CommonName())
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("FromHTTPRequest() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestFromHTTPRequestInvalidSerial(t *testing.T) {
	tests := []struct {
		name   string
		serial *big.Int
	}{
		{name: "zero", serial: big.NewInt(0)},
		{name: "longer than 20 bytes", serial: new(big.Int).Lsh(big.NewInt(1), 8*21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := apigw.EventClientCert(selfSigned(t, tt.serial))
			withoutSerial := cert
			withoutSerial.SerialNumber = ""

			for _, ec := range []events.APIGatewayV2HTTPRequestContextAuthenticationClientCert{cert, withoutSerial} {
				req := httpEvent(t)
				req.RequestContext.Authentication.ClientCert = ec

				_, err := apigw.FromHTTPRequest(&req)
				if !errors.Is(err, apigw.ErrInvalidCertificate) {
					t.Errorf("FromHTTPRequest(serial %s, event serialNumber %q) = %v, want ErrInvalidCertificate",
						tt.serial, ec.SerialNumber, err)
				}
			}
		})
	}
}

// selfSigned returns a client certificate with the given serial number.
func selfSigned(t *testing.T, serial *big.Int) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "client-42"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestParseValidity(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  time.Time
	}{
		{name: "space padded day", input: "Aug  5 09:36:04 2021 GMT", want: time.Date(2021, 8, 5, 9, 36, 4, 0, time.UTC)},
		{name: "two digit day", input: "Dec 25 23:59:59 2030 GMT", want: time.Date(2030, 12, 25, 23, 59, 59, 0, time.UTC)},
		{name: "unpadded day", input: "Aug 5 09:36:04 2021 GMT", want: time.Date(2021, 8, 5, 9, 36, 4, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apigw.ParseValidity(tt.input)
			if err != nil {
				t.Fatalf("ParseValidity(%q) error = %v", tt.input, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseValidity(%q) = %v, want %v", tt.input, got, tt.want)
			}
		})
	}

	for _, bad := range []string{"", "2021-08-05T09:36:04Z", "Foo  5 09:36:04 2021 GMT", "Aug 32 09:36:04 2021 GMT"} {
		if _, err := apigw.ParseValidity(bad); err == nil {
			t.Errorf("ParseValidity(%q) error = nil, want an error", bad)
		}
	}
}

func FuzzParseValidity(f *testing.F) {
	for _, seed := range []string{"Aug  5 09:36:04 2021 GMT", "Dec 25 23:59:59 2030 GMT", "Aug 5 09:36:04 2021 GMT", "", "Feb 30 00:00:00 2021 GMT"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := apigw.ParseValidity(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseValidity(%q) = %v, want a time in UTC", s, got)
		}
		// A parsed time formats to the event form, which parses back to the same instant.
		again, err := apigw.ParseValidity(apigw.FormatValidity(got))
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseValidity(FormatValidity(%v)) = %v, %v, want the same time", got, again, err)
		}
	})
}

func TestEventClientCertRoundTrip(t *testing.T) {
	req := httpEvent(t)
	parsed, err := apigw.FromHTTPRequest(&req)
	if err != nil {
		t.Fatal(err)
	}

	built := apigw.EventClientCert(parsed.Certificate)

	if built != req.RequestContext.Authentication.ClientCert {
		t.Errorf("EventClientCert() = %+v, want the fixture's %+v", built, req.RequestContext.Authentication.ClientCert)
	}
}

func TestAuthorizerContext(t *testing.T) {
	req := httpEvent(t)
	req.RequestContext.Authorizer.Lambda["expiresIn"] = float64(3600)

	got := apigw.AuthorizerContext(&req)

	want := map[string]string{
		apigw.ContextClientID:     "client-42",
		apigw.ContextScope:        "mtls-api/access",
		apigw.ContextSerialNumber: fixtureSerial,
		apigw.ContextSubjectCN:    "client-42",
		"expiresIn":               "3600",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("AuthorizerContext()[%s] = %q, want %q", k, got[k], v)
		}
	}

	req.RequestContext.Authorizer = nil
	if got := apigw.AuthorizerContext(&req); len(got) != 0 {
		t.Errorf("AuthorizerContext(no authorizer) = %v, want empty", got)
	}
}

func FuzzFromHTTPRequest(f *testing.F) {
	pem, err := os.ReadFile(filepath.Join("testdata", "http-event.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(pem))
	f.Add(`{"requestContext":{"authentication":{"clientCert":{"clientCertPem":"x"}}}}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, data string) {
		var req events.APIGatewayV2HTTPRequest
		if json.Unmarshal([]byte(data), &req) != nil {
			return
		}
		got, err := apigw.FromHTTPRequest(&req)
		if err != nil {
			if !errors.Is(err, apigw.ErrNoCertificate) && !errors.Is(err, apigw.ErrInvalidCertificate) {
				t.Fatalf("FromHTTPRequest() error %v wraps neither sentinel", err)
			}
			return
		}
		if got.Certificate == nil || got.SerialNumber == "" {
			t.Fatalf("FromHTTPRequest() = %+v without a certificate", got)
		}
	})
}

func BenchmarkFromHTTPRequest(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "http-event.json"))
	if err != nil {
		b.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := apigw.FromHTTPRequest(&req); err != nil {
			b.Fatal(err)
		}
	}
}
