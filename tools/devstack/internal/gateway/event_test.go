package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/gateway"
)

// newClientCert returns a self-signed client certificate with a serial number whose top bit
// is set, which a naive encoding would turn negative.
func newClientCert(t testing.TB) *x509.Certificate {
	t.Helper()
	return newClientKeyPair(t).Leaf
}

// newClientKeyPair returns the certificate of newClientCert with its key.
func newClientKeyPair(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := new(big.Int).SetString("ff00112233445566778899aabbccddeeff0011", 16)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "demo-client", Organization: []string{"Example, Inc."}},
		NotBefore:    time.Date(2026, 1, 5, 9, 36, 4, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 5, 9, 36, 4, 0, time.UTC),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
}

// newTLSRequest returns a request as the gateway's TLS server hands it over, with cert as the
// verified client certificate.
func newTLSRequest(t testing.TB, method, target, body string, cert *x509.Certificate) *http.Request {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	r.Host = "localhost:8443"
	r.RemoteAddr = "127.0.0.1:50123"
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}
	if cert != nil {
		r.TLS.PeerCertificates = []*x509.Certificate{cert}
	}
	return r
}

func routedRequest(t *testing.T, r *http.Request, body []byte) gateway.Request {
	t.Helper()
	router, err := gateway.NewRouter(testFunctions())
	if err != nil {
		t.Fatal(err)
	}
	match, err := router.Match(r.Method, r.URL.EscapedPath())
	if err != nil {
		t.Fatal(err)
	}
	return gateway.Request{
		HTTP:  r,
		Body:  body,
		Match: match,
		ID:    "JvZ4qjTfiYcEMiQ=",
		Time:  time.Date(2026, 3, 12, 19, 3, 58, 390_000_000, time.UTC),
	}
}

// roundTrip marshals an event to JSON and back, as it travels to a function.
func roundTrip[T any](t *testing.T, ev T) T {
	t.Helper()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildEventClientCert(t *testing.T) {
	cert := newClientCert(t)
	r := newTLSRequest(t, "GET", "/v1/widgets/42", "", cert)
	ev := roundTrip(t, gateway.BuildEvent(gateway.DefaultAPI, routedRequest(t, r, nil), nil))

	got, err := apigw.FromHTTPRequest(&ev)
	if err != nil {
		t.Fatalf("FromHTTPRequest() = %v, want no error", err)
	}
	if want := certificate.FormatSerial(cert.SerialNumber); got.SerialNumber != want {
		t.Errorf("FromHTTPRequest().SerialNumber = %q, want %q", got.SerialNumber, want)
	}
	if want := certificate.Fingerprint(cert.Raw); got.FingerprintSHA256 != want {
		t.Errorf("FromHTTPRequest().FingerprintSHA256 = %q, want %q", got.FingerprintSHA256, want)
	}
	if got.CommonName() != "demo-client" {
		t.Errorf("FromHTTPRequest().CommonName() = %q, want %q", got.CommonName(), "demo-client")
	}

	validity := ev.RequestContext.Authentication.ClientCert.Validity
	if notAfter, err := apigw.ParseValidity(validity.NotAfter); err != nil || !notAfter.Equal(cert.NotAfter) {
		t.Errorf("validity.notAfter = %q, want %s", validity.NotAfter, cert.NotAfter)
	}
}

func TestBuildEventWithoutCert(t *testing.T) {
	r := newTLSRequest(t, "GET", "/health", "", nil)
	ev := roundTrip(t, gateway.BuildEvent(gateway.DefaultAPI, routedRequest(t, r, nil), nil))

	if _, err := apigw.FromHTTPRequest(&ev); !errors.Is(err, apigw.ErrNoCertificate) {
		t.Errorf("FromHTTPRequest() = %v, want %v", err, apigw.ErrNoCertificate)
	}
}

func TestBuildEventFields(t *testing.T) {
	r := newTLSRequest(t, "GET", "/v1/widgets/42?b=2&a=1&b=3&c=", "", newClientCert(t))
	r.Header.Set("User-Agent", "curl/8.5.0")
	r.Header.Add("X-Custom", "one")
	r.Header.Add("X-Custom", "two")
	r.Header.Set("Cookie", "session=abc; theme=dark")
	r.Header.Set("Authorization", "Bearer token")

	authorizerContext := map[string]any{apigw.ContextClientID: "client-1"}
	ev := roundTrip(t, gateway.BuildEvent(gateway.DefaultAPI, routedRequest(t, r, nil), authorizerContext))

	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "GET /v1/widgets/{id}"},
		{"rawPath", ev.RawPath, "/v1/widgets/42"},
		{"rawQueryString", ev.RawQueryString, "b=2&a=1&b=3&c="},
		{"queryStringParameters.b", ev.QueryStringParameters["b"], "2,3"},
		{"queryStringParameters.c", ev.QueryStringParameters["c"], ""},
		{"pathParameters.id", ev.PathParameters["id"], "42"},
		{"headers.x-custom", ev.Headers["x-custom"], "one,two"},
		{"headers.user-agent", ev.Headers["user-agent"], "curl/8.5.0"},
		{"headers.authorization", ev.Headers["authorization"], "Bearer token"},
		{"headers.host", ev.Headers["host"], "localhost:8443"},
		{"headers.x-forwarded-proto", ev.Headers["x-forwarded-proto"], "https"},
		{"headers.x-forwarded-port", ev.Headers["x-forwarded-port"], "8443"},
		{"headers.x-forwarded-for", ev.Headers["x-forwarded-for"], "127.0.0.1"},
		{"cookie header removed", ev.Headers["cookie"], ""},
		{"cookies", strings.Join(ev.Cookies, "|"), "session=abc|theme=dark"},
		{"isBase64Encoded", ev.IsBase64Encoded, false},
		{"requestContext.routeKey", ev.RequestContext.RouteKey, "GET /v1/widgets/{id}"},
		{"requestContext.accountId", ev.RequestContext.AccountID, gateway.DefaultAPI.AccountID},
		{"requestContext.apiId", ev.RequestContext.APIID, gateway.DefaultAPI.APIID},
		{"requestContext.stage", ev.RequestContext.Stage, "$default"},
		{"requestContext.requestId", ev.RequestContext.RequestID, "JvZ4qjTfiYcEMiQ="},
		{"requestContext.domainName", ev.RequestContext.DomainName, "localhost"},
		{"requestContext.domainPrefix", ev.RequestContext.DomainPrefix, "localhost"},
		{"requestContext.time", ev.RequestContext.Time, "12/Mar/2026:19:03:58 +0000"},
		{"requestContext.timeEpoch", ev.RequestContext.TimeEpoch, int64(1773342238390)},
		{"requestContext.http.method", ev.RequestContext.HTTP.Method, "GET"},
		{"requestContext.http.path", ev.RequestContext.HTTP.Path, "/v1/widgets/42"},
		{"requestContext.http.protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"requestContext.http.sourceIp", ev.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		{"requestContext.http.userAgent", ev.RequestContext.HTTP.UserAgent, "curl/8.5.0"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("BuildEvent() %s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
	for name := range ev.Headers {
		if name != strings.ToLower(name) {
			t.Errorf("BuildEvent() header %q is not lowercase", name)
		}
	}
	if got := apigw.AuthorizerContext(&ev)[apigw.ContextClientID]; got != "client-1" {
		t.Errorf("AuthorizerContext()[clientId] = %q, want %q", got, "client-1")
	}
}

func TestBuildEventBody(t *testing.T) {
	binary := []byte{0xff, 0x00, 0xfe, 'a'}
	form := "grant_type=client_credentials"
	base64Of := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantBody    string
		wantBase64  bool
	}{
		{name: "empty", contentType: "application/json", body: nil, wantBody: ""},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: []byte(form), wantBody: base64Of(form), wantBase64: true},
		{name: "form with charset", contentType: "application/x-www-form-urlencoded; charset=utf-8", body: []byte(form), wantBody: base64Of(form), wantBase64: true},
		{name: "no content type", contentType: "", body: []byte(form), wantBody: base64Of(form), wantBase64: true},
		{name: "malformed content type", contentType: "text/", body: []byte("hi"), wantBody: base64Of("hi"), wantBase64: true},
		{name: "json", contentType: "application/json", body: []byte(`{"name":"Zoë"}`), wantBody: `{"name":"Zoë"}`},
		{name: "json with charset", contentType: "Application/JSON; charset=utf-8", body: []byte(`{}`), wantBody: `{}`},
		{name: "json suffix", contentType: "application/problem+json", body: []byte(`{}`), wantBody: `{}`},
		{name: "plain text", contentType: "text/plain", body: []byte("hello"), wantBody: "hello"},
		{name: "xml", contentType: "application/xml", body: []byte("<a/>"), wantBody: "<a/>"},
		{name: "binary", contentType: "application/octet-stream", body: binary, wantBody: base64.StdEncoding.EncodeToString(binary), wantBase64: true},
		{name: "binary labelled text", contentType: "text/plain", body: binary, wantBody: base64.StdEncoding.EncodeToString(binary), wantBase64: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTLSRequest(t, "POST", "/oauth/token", string(tt.body), newClientCert(t))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			ev := roundTrip(t, gateway.BuildEvent(gateway.DefaultAPI, routedRequest(t, r, tt.body), nil))
			if ev.Body != tt.wantBody {
				t.Errorf("BuildEvent().Body = %q, want %q", ev.Body, tt.wantBody)
			}
			if ev.IsBase64Encoded != tt.wantBase64 {
				t.Errorf("BuildEvent().IsBase64Encoded = %v, want %v", ev.IsBase64Encoded, tt.wantBase64)
			}
		})
	}
}

func TestBuildAuthorizerEvent(t *testing.T) {
	cert := newClientCert(t)
	r := newTLSRequest(t, "GET", "/health?verbose=1", "", cert)
	r.Header.Set("Authorization", "Bearer abc.def.ghi")
	ev := roundTrip(t, gateway.BuildAuthorizerEvent(gateway.DefaultAPI, routedRequest(t, r, nil)))

	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"version", ev.Version, "2.0"},
		{"type", ev.Type, "REQUEST"},
		{"routeArn", ev.RouteArn, "arn:aws:execute-api:us-east-1:000000000000:devstack/$default/GET/health"},
		{"routeKey", ev.RouteKey, "GET /health"},
		{"rawPath", ev.RawPath, "/health"},
		{"rawQueryString", ev.RawQueryString, "verbose=1"},
		{"headers.authorization", ev.Headers["authorization"], "Bearer abc.def.ghi"},
		{"requestContext.stage", ev.RequestContext.Stage, "$default"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("BuildAuthorizerEvent() %s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
	if !slices.Equal(ev.IdentitySource, []string{"Bearer abc.def.ghi"}) {
		t.Errorf("BuildAuthorizerEvent().IdentitySource = %q, want the Authorization header", ev.IdentitySource)
	}

	got, err := apigw.FromAuthorizerRequest(&ev)
	if err != nil {
		t.Fatalf("FromAuthorizerRequest() = %v, want no error", err)
	}
	if want := certificate.FormatSerial(cert.SerialNumber); got.SerialNumber != want {
		t.Errorf("FromAuthorizerRequest().SerialNumber = %q, want %q", got.SerialNumber, want)
	}
}

// TestEventFixtureShape checks that a built event has every top-level field of the route
// event aws-lambda-go's own fixture holds.
func TestEventFixtureShape(t *testing.T) {
	r := newTLSRequest(t, "POST", "/oauth/token?x=1", "grant_type=client_credentials", newClientCert(t))
	r.Header.Set("Cookie", "a=b")
	ev := gateway.BuildEvent(gateway.DefaultAPI, routedRequest(t, r, []byte("grant_type=client_credentials")), map[string]any{})
	ev.PathParameters = map[string]string{"unused": "x"}
	ev.StageVariables = map[string]string{"unused": "x"}

	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "queryStringParameters", "requestContext", "body", "isBase64Encoded"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("event JSON lacks %q: %s", name, data)
		}
	}
	var rc map[string]json.RawMessage
	if err := json.Unmarshal(fields["requestContext"], &rc); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"routeKey", "accountId", "stage", "requestId", "apiId", "domainName", "domainPrefix", "time", "timeEpoch", "http", "authentication"} {
		if _, ok := rc[name]; !ok {
			t.Errorf("event requestContext lacks %q", name)
		}
	}
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := gateway.NewRequestID()
		if len(id) != 16 || !strings.HasSuffix(id, "=") {
			t.Fatalf("NewRequestID() = %q, want 16 base64 characters ending in =", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() = %q twice", id)
		}
		seen[id] = true
	}
}

func BenchmarkBuildEvent(b *testing.B) {
	router, err := gateway.NewRouter(testFunctions())
	if err != nil {
		b.Fatal(err)
	}
	r := newTLSRequest(b, "GET", "/v1/widgets/42?verbose=1", "", newClientCert(b))
	r.Header.Set("Authorization", "Bearer abc.def.ghi")
	match, err := router.Match(r.Method, r.URL.EscapedPath())
	if err != nil {
		b.Fatal(err)
	}
	req := gateway.Request{HTTP: r, Match: match, ID: gateway.NewRequestID(), Time: time.Now()}
	for b.Loop() {
		if _, err := json.Marshal(gateway.BuildEvent(gateway.DefaultAPI, req, map[string]any{"clientId": "demo"})); err != nil {
			b.Fatal(err)
		}
	}
}
