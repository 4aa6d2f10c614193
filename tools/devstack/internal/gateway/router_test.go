package gateway_test

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/gateway"
)

// testFunctions is a catalog with literal, parameter and greedy routes.
func testFunctions() []catalog.Function {
	fn := func(name string, routes ...catalog.Route) catalog.Function {
		return catalog.Function{Name: name, Package: "./functions/" + name, MemoryMB: 128, Timeout: time.Second, Routes: routes}
	}
	return []catalog.Function{
		fn("health", catalog.Route{Method: "GET", Path: "/health", Auth: catalog.AuthJWT}),
		fn("token", catalog.Route{Method: "POST", Path: "/oauth/token", Auth: catalog.AuthMTLS}),
		fn("widgets",
			catalog.Route{Method: "GET", Path: "/v1/widgets/{id}", Auth: catalog.AuthJWT},
			catalog.Route{Method: "DELETE", Path: "/v1/widgets/{id}", Auth: catalog.AuthJWT},
			catalog.Route{Method: "GET", Path: "/v1/widgets/featured", Auth: catalog.AuthJWT},
		),
		fn("files", catalog.Route{Method: "GET", Path: "/files/{path+}", Auth: catalog.AuthMTLS}),
		{Name: "authorizer", Package: "./functions/authorizer", Authorizer: true, MemoryMB: 128, Timeout: time.Second},
	}
}

func TestRouterMatch(t *testing.T) {
	router, err := gateway.NewRouter(testFunctions())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		method       string
		path         string
		wantFunction string
		wantRoute    string
		wantParams   map[string]string
	}{
		{name: "literal", method: "GET", path: "/health", wantFunction: "health", wantRoute: "GET /health"},
		{name: "two segments", method: "POST", path: "/oauth/token", wantFunction: "token", wantRoute: "POST /oauth/token"},
		{name: "parameter", method: "GET", path: "/v1/widgets/42", wantFunction: "widgets", wantRoute: "GET /v1/widgets/{id}", wantParams: map[string]string{"id": "42"}},
		{name: "parameter other method", method: "DELETE", path: "/v1/widgets/42", wantFunction: "widgets", wantRoute: "DELETE /v1/widgets/{id}", wantParams: map[string]string{"id": "42"}},
		{name: "literal beats parameter", method: "GET", path: "/v1/widgets/featured", wantFunction: "widgets", wantRoute: "GET /v1/widgets/featured"},
		{name: "escaped parameter", method: "GET", path: "/v1/widgets/a%2Fb%20c", wantFunction: "widgets", wantRoute: "GET /v1/widgets/{id}", wantParams: map[string]string{"id": "a/b c"}},
		{name: "greedy one segment", method: "GET", path: "/files/a", wantFunction: "files", wantRoute: "GET /files/{path+}", wantParams: map[string]string{"path": "a"}},
		{name: "greedy many segments", method: "GET", path: "/files/a/b/c.txt", wantFunction: "files", wantRoute: "GET /files/{path+}", wantParams: map[string]string{"path": "a/b/c.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := router.Match(tt.method, tt.path)
			if err != nil {
				t.Fatalf("Match(%s, %s) = %v, want no error", tt.method, tt.path, err)
			}
			if got.Function != tt.wantFunction {
				t.Errorf("Match(%s, %s).Function = %q, want %q", tt.method, tt.path, got.Function, tt.wantFunction)
			}
			if got.Route.Key() != tt.wantRoute {
				t.Errorf("Match(%s, %s).Route = %q, want %q", tt.method, tt.path, got.Route.Key(), tt.wantRoute)
			}
			if !maps.Equal(got.PathParameters, tt.wantParams) {
				t.Errorf("Match(%s, %s).PathParameters = %v, want %v", tt.method, tt.path, got.PathParameters, tt.wantParams)
			}
		})
	}
}

func TestRouterNoMatch(t *testing.T) {
	router, err := gateway.NewRouter(testFunctions())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		method      string
		path        string
		wantAllowed []string
	}{
		{name: "unknown path", method: "GET", path: "/nothing"},
		{name: "root", method: "GET", path: "/"},
		{name: "trailing slash", method: "GET", path: "/health/"},
		{name: "extra segment", method: "GET", path: "/health/more"},
		{name: "prefix only", method: "POST", path: "/oauth"},
		{name: "empty parameter", method: "GET", path: "/v1/widgets/"},
		{name: "greedy without segment", method: "GET", path: "/files/"},
		{name: "bad escape", method: "GET", path: "/v1/widgets/%zz"},
		{name: "relative path", method: "GET", path: "health"},
		{name: "case differs", method: "GET", path: "/Health"},
		{name: "wrong method", method: "POST", path: "/health", wantAllowed: []string{"GET"}},
		{name: "wrong method on parameter", method: "PUT", path: "/v1/widgets/7", wantAllowed: []string{"DELETE", "GET"}},
		{name: "lowercase method", method: "get", path: "/health", wantAllowed: []string{"GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := router.Match(tt.method, tt.path)
			if tt.wantAllowed == nil {
				if !errors.Is(err, gateway.ErrNotFound) {
					t.Errorf("Match(%s, %q) = %v, want %v", tt.method, tt.path, err, gateway.ErrNotFound)
				}
				return
			}
			var notAllowed *gateway.MethodNotAllowedError
			if !errors.As(err, &notAllowed) {
				t.Fatalf("Match(%s, %q) = %v, want a *MethodNotAllowedError", tt.method, tt.path, err)
			}
			if !errors.Is(err, gateway.ErrMethodNotAllowed) {
				t.Errorf("Match(%s, %q) = %v, want it to wrap %v", tt.method, tt.path, err, gateway.ErrMethodNotAllowed)
			}
			if !slices.Equal(notAllowed.Allowed, tt.wantAllowed) {
				t.Errorf("Match(%s, %q).Allowed = %v, want %v", tt.method, tt.path, notAllowed.Allowed, tt.wantAllowed)
			}
		})
	}
}

func TestRouterCatalog(t *testing.T) {
	router, err := gateway.NewRouter(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range catalog.All() {
		for _, r := range f.Routes {
			got, err := router.Match(r.Method, r.Path)
			if err != nil {
				t.Errorf("Match(%s) = %v, want function %s", r.Key(), err, f.Name)
				continue
			}
			if got.Function != f.Name {
				t.Errorf("Match(%s).Function = %q, want %q", r.Key(), got.Function, f.Name)
			}
		}
	}
}

func TestNewRouterRejects(t *testing.T) {
	tests := []struct {
		name      string
		functions []catalog.Function
	}{
		{
			name:      "invalid path",
			functions: []catalog.Function{{Name: "a", Routes: []catalog.Route{{Method: "GET", Path: "no-slash", Auth: catalog.AuthMTLS}}}},
		},
		{
			name:      "invalid method",
			functions: []catalog.Function{{Name: "a", Routes: []catalog.Route{{Method: "FETCH", Path: "/a", Auth: catalog.AuthMTLS}}}},
		},
		{
			name: "duplicate route",
			functions: []catalog.Function{
				{Name: "a", Routes: []catalog.Route{{Method: "GET", Path: "/a", Auth: catalog.AuthMTLS}}},
				{Name: "b", Routes: []catalog.Route{{Method: "GET", Path: "/a", Auth: catalog.AuthJWT}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := gateway.NewRouter(tt.functions); err == nil {
				t.Errorf("NewRouter(%s) = nil error, want an error", tt.name)
			}
		})
	}
}

func BenchmarkRouterMatch(b *testing.B) {
	router, err := gateway.NewRouter(testFunctions())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := router.Match("GET", "/v1/widgets/42"); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzRouterMatch(f *testing.F) {
	router, err := gateway.NewRouter(testFunctions())
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "/v1/widgets/42")
	f.Add("GET", "/files/a/b%2Fc")
	f.Add("POST", "//health")
	f.Add("DELETE", "/v1/widgets/%zz")
	f.Fuzz(func(t *testing.T, method, path string) {
		m, err := router.Match(method, path)
		if err != nil {
			if !errors.Is(err, gateway.ErrNotFound) && !errors.Is(err, gateway.ErrMethodNotAllowed) {
				t.Fatalf("Match(%q, %q) = %v, want ErrNotFound or ErrMethodNotAllowed", method, path, err)
			}
			return
		}
		if m.Route.Method != method {
			t.Fatalf("Match(%q, %q).Route = %q, want the request's method", method, path, m.Route.Key())
		}
		for name, value := range m.PathParameters {
			if value == "" {
				t.Fatalf("Match(%q, %q).PathParameters[%s] is empty", method, path, name)
			}
		}
	})
}
