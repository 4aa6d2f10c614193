package gateway_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/gateway"
)

// fakeInvoker records the events it receives and returns what respond returns.
type fakeInvoker struct {
	respond func(ctx context.Context, payload []byte) ([]byte, error)

	mu     sync.Mutex
	events [][]byte
}

func (f *fakeInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	f.events = append(f.events, payload)
	f.mu.Unlock()
	return f.respond(ctx, payload)
}

func (f *fakeInvoker) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func answer(payload string) *fakeInvoker {
	return &fakeInvoker{respond: func(context.Context, []byte) ([]byte, error) { return []byte(payload), nil }}
}

func failing(err error) *fakeInvoker {
	return &fakeInvoker{respond: func(context.Context, []byte) ([]byte, error) { return nil, err }}
}

// hanging blocks until the gateway gives up.
func hanging() *fakeInvoker {
	return &fakeInvoker{respond: func(ctx context.Context, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
}

// echoContext returns the authorizer context and path parameters it received.
func echoContext() *fakeInvoker {
	return &fakeInvoker{respond: func(_ context.Context, payload []byte) ([]byte, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		body, _ := json.Marshal(map[string]any{"context": apigw.AuthorizerContext(&ev), "params": ev.PathParameters})
		return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(body), Headers: map[string]string{"content-type": "application/json"}})
	}}
}

const allow = `{"isAuthorized":true,"context":{"clientId":"client-1","scope":"mtls-api/access"}}`

func newGateway(t *testing.T, invokers map[string]gateway.Invoker, timeout time.Duration) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(gateway.Options{Functions: testFunctions(), Invokers: invokers, IntegrationTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGatewayServeHTTP(t *testing.T) {
	tests := []struct {
		name          string
		method        string
		path          string
		authorization string
		noCert        bool
		authorizer    *fakeInvoker
		function      *fakeInvoker
		wantStatus    int
		wantBody      string
	}{
		{name: "mtls route", method: "POST", path: "/oauth/token", function: answer(`{"statusCode":200,"body":"issued"}`), wantStatus: 200, wantBody: "issued"},
		{name: "jwt route allowed", method: "GET", path: "/v1/widgets/7", authorization: "Bearer t", authorizer: answer(allow), function: echoContext(), wantStatus: 200, wantBody: `{"context":{"clientId":"client-1","scope":"mtls-api/access"},"params":{"id":"7"}}`},
		{name: "jwt route denied", method: "GET", path: "/health", authorization: "Bearer t", authorizer: answer(`{"isAuthorized":false}`), wantStatus: 403, wantBody: `{"message":"Forbidden"}`},
		{name: "jwt route without Authorization", method: "GET", path: "/health", wantStatus: 401, wantBody: `{"message":"Unauthorized"}`},
		{name: "authorizer error", method: "GET", path: "/health", authorization: "Bearer t", authorizer: failing(errors.New("crashed")), wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "authorizer invalid response", method: "GET", path: "/health", authorization: "Bearer t", authorizer: answer(`not json`), wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "authorizer allow without context", method: "GET", path: "/health", authorization: "Bearer t", authorizer: answer(`{"isAuthorized":true}`), function: answer(`{"statusCode":200,"body":"ok"}`), wantStatus: 200, wantBody: "ok"},
		{name: "function error", method: "POST", path: "/oauth/token", function: failing(errors.New("boom")), wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "function invalid response", method: "POST", path: "/oauth/token", function: answer(`{"statusCode":-1}`), wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`},
		{name: "function hangs", method: "POST", path: "/oauth/token", function: hanging(), wantStatus: 504, wantBody: `{"message":"Gateway Timeout"}`},
		{name: "not found", method: "GET", path: "/nothing", wantStatus: 404, wantBody: `{"message":"Not Found"}`},
		{name: "method without route", method: "DELETE", path: "/health", wantStatus: 404, wantBody: `{"message":"Not Found"}`},
		{name: "method without route, two routed", method: "PUT", path: "/v1/widgets/7", wantStatus: 404, wantBody: `{"message":"Not Found"}`},
		{name: "no client certificate", method: "POST", path: "/oauth/token", noCert: true, wantStatus: 403, wantBody: `{"message":"Forbidden"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			authorizer, function := tt.authorizer, tt.function
			if authorizer == nil {
				authorizer = failing(errors.New("authorizer must not be called"))
			}
			if function == nil {
				function = failing(errors.New("function must not be called"))
			}
			invokers := map[string]gateway.Invoker{
				"authorizer": authorizer, "health": function, "token": function, "widgets": function, "files": function,
			}
			g := newGateway(t, invokers, 100*time.Millisecond)

			cert := newClientCert(t)
			if tt.noCert {
				cert = nil
			}
			r := newTLSRequest(t, tt.method, tt.path, "", cert)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)

			if w.Code != tt.wantStatus {
				t.Errorf("%s %s status = %d, want %d", tt.method, tt.path, w.Code, tt.wantStatus)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tt.wantBody {
				t.Errorf("%s %s body = %s, want %s", tt.method, tt.path, got, tt.wantBody)
			}
			if got := w.Header().Get("Allow"); got != "" {
				t.Errorf("%s %s Allow = %q, want no Allow header", tt.method, tt.path, got)
			}
			if w.Header().Get("Apigw-Requestid") == "" {
				t.Errorf("%s %s lacks the apigw-requestid header", tt.method, tt.path)
			}
		})
	}
}

func TestGatewayKeepsMissingContentType(t *testing.T) {
	function := answer(`{"statusCode":200,"body":"<html>plain</html>"}`)
	g := newGateway(t, map[string]gateway.Invoker{
		"authorizer": answer(allow), "health": function, "token": function, "widgets": function, "files": function,
	}, time.Second)

	// A real server, because net/http guesses a Content-Type only when it sends the header.
	srv := httptest.NewUnstartedServer(g)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	transport := srv.Client().Transport.(*http.Transport)
	transport.TLSClientConfig.Certificates = []tls.Certificate{newClientKeyPair(t)}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/oauth/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /oauth/token status = %d, want 200", resp.StatusCode)
	}
	if got, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("Content-Type = %q, want none, as the function set none", got)
	}
}

func TestGatewayAuthorizerEvent(t *testing.T) {
	authorizer := answer(allow)
	g := newGateway(t, map[string]gateway.Invoker{
		"authorizer": authorizer, "health": answer(`{"statusCode":200}`), "token": answer(`{}`),
		"widgets": answer(`{}`), "files": answer(`{}`),
	}, time.Second)

	r := newTLSRequest(t, "GET", "/health", "", newClientCert(t))
	r.Header.Set("Authorization", "Bearer abc")
	g.ServeHTTP(httptest.NewRecorder(), r)

	if authorizer.calls() != 1 {
		t.Fatalf("authorizer calls = %d, want 1", authorizer.calls())
	}
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	if err := json.Unmarshal(authorizer.events[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "REQUEST" || len(ev.IdentitySource) != 1 || ev.IdentitySource[0] != "Bearer abc" {
		t.Errorf("authorizer event type %q, identitySource %q, want REQUEST and [Bearer abc]", ev.Type, ev.IdentitySource)
	}
}

func TestGatewayBodyTooLarge(t *testing.T) {
	function := answer(`{"statusCode":200}`)
	g := newGateway(t, map[string]gateway.Invoker{
		"authorizer": answer(allow), "health": function, "token": function, "widgets": function, "files": function,
	}, time.Second)

	r := newTLSRequest(t, "POST", "/oauth/token", strings.Repeat("a", gateway.MaxBodyBytes+1), newClientCert(t))
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)

	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST with %d bytes status = %d, want 413", gateway.MaxBodyBytes+1, w.Code)
	}
	if function.calls() != 0 {
		t.Errorf("function calls = %d, want 0", function.calls())
	}
}

func TestNewGatewayRejects(t *testing.T) {
	all := map[string]gateway.Invoker{
		"authorizer": answer(allow), "health": answer(`{}`), "token": answer(`{}`), "widgets": answer(`{}`), "files": answer(`{}`),
	}
	tests := []struct {
		name    string
		missing string
	}{
		{name: "missing route invoker", missing: "token"},
		{name: "missing authorizer invoker", missing: "authorizer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			invokers := map[string]gateway.Invoker{}
			for k, v := range all {
				if k != tt.missing {
					invokers[k] = v
				}
			}
			_, err := gateway.New(gateway.Options{Functions: testFunctions(), Invokers: invokers})
			if err == nil || !strings.Contains(err.Error(), tt.missing) {
				t.Errorf("New() without %s = %v, want an error naming it", tt.missing, err)
			}
		})
	}

	t.Run("jwt routes without authorizer", func(t *testing.T) {
		functions := testFunctions()
		functions = functions[:len(functions)-1]
		_, err := gateway.New(gateway.Options{Functions: functions, Invokers: all})
		if err == nil {
			t.Error("New() without authorizer = nil error, want an error")
		}
	})
}
