package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/env"
)

func TestCatalogIsValid(t *testing.T) {
	if err := catalog.Validate(catalog.All()); err != nil {
		t.Fatalf("Validate(All()) = %v", err)
	}
}

func TestCatalogCoreFunctions(t *testing.T) {
	tests := []struct {
		name  string
		route string
		auth  catalog.Auth
	}{
		{name: "health", route: "GET /health", auth: catalog.AuthJWT},
		{name: "token", route: "POST /oauth/token", auth: catalog.AuthMTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := catalog.Lookup(tt.name)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.name)
			}
			if len(f.Routes) != 1 || f.Routes[0].Key() != tt.route || f.Routes[0].Auth != tt.auth {
				t.Errorf("Lookup(%q).Routes = %+v, want one %s route %q", tt.name, f.Routes, tt.auth, tt.route)
			}
		})
	}

	authorizer, ok := catalog.Authorizer()
	if !ok || authorizer.Name != "authorizer" {
		t.Errorf("Authorizer() = %q, %v, want authorizer", authorizer.Name, ok)
	}
}

func TestTokenNeverReadsPlainSecret(t *testing.T) {
	for _, f := range catalog.All() {
		for _, name := range f.Env {
			if name == env.ClientSecret {
				t.Errorf("function %s reads %s, which only the local stack may set", f.Name, name)
			}
		}
	}
}

func TestAllIsSortedCopy(t *testing.T) {
	all := catalog.All()
	for i := 1; i < len(all); i++ {
		if all[i-1].Name >= all[i].Name {
			t.Errorf("All() order: %q before %q", all[i-1].Name, all[i].Name)
		}
	}
	all[0].Name = "changed"
	if catalog.All()[0].Name == "changed" {
		t.Error("All() returned the catalog itself, want a copy")
	}
}

func TestRouteSlug(t *testing.T) {
	tests := []struct {
		route catalog.Route
		want  string
	}{
		{route: catalog.Route{Method: "GET", Path: "/health"}, want: "get-health"},
		{route: catalog.Route{Method: "POST", Path: "/oauth/token"}, want: "post-oauth-token"},
		{route: catalog.Route{Method: "GET", Path: "/v1/widgets/{id}"}, want: "get-v1-widgets-id"},
		{route: catalog.Route{Method: "GET", Path: "/files/{path+}"}, want: "get-files-path"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.route.Slug(); got != tt.want {
				t.Errorf("Slug(%q) = %q, want %q", tt.route.Key(), got, tt.want)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	valid := []string{"health", "widgets", "v2orders", "a"}
	invalid := []string{"", "Widgets", "2fa", "my-func", "my_func", "a b", strings.Repeat("a", 41), "ünicode"}
	for _, name := range valid {
		if err := catalog.ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range invalid {
		if err := catalog.ValidateName(name); err == nil {
			t.Errorf("ValidateName(%q) = nil, want an error", name)
		}
	}
}

func TestValidateRoute(t *testing.T) {
	tests := []struct {
		name  string
		route catalog.Route
		ok    bool
	}{
		{name: "plain", route: catalog.Route{Method: "GET", Path: "/v1/widgets", Auth: catalog.AuthJWT}, ok: true},
		{name: "parameter", route: catalog.Route{Method: "DELETE", Path: "/v1/widgets/{id}", Auth: catalog.AuthJWT}, ok: true},
		{name: "greedy parameter", route: catalog.Route{Method: "GET", Path: "/files/{path+}", Auth: catalog.AuthMTLS}, ok: true},
		{name: "lowercase method", route: catalog.Route{Method: "get", Path: "/x", Auth: catalog.AuthJWT}},
		{name: "any method", route: catalog.Route{Method: "ANY", Path: "/x", Auth: catalog.AuthJWT}},
		{name: "no leading slash", route: catalog.Route{Method: "GET", Path: "x", Auth: catalog.AuthJWT}},
		{name: "trailing slash", route: catalog.Route{Method: "GET", Path: "/x/", Auth: catalog.AuthJWT}},
		{name: "query string", route: catalog.Route{Method: "GET", Path: "/x?y=1", Auth: catalog.AuthJWT}},
		{name: "unknown auth", route: catalog.Route{Method: "GET", Path: "/x", Auth: "none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := catalog.ValidateRoute(tt.route)
			if (err == nil) != tt.ok {
				t.Errorf("ValidateRoute(%+v) = %v, want ok %v", tt.route, err, tt.ok)
			}
		})
	}
}

func TestRoutesConflict(t *testing.T) {
	route := func(method, path string) catalog.Route {
		return catalog.Route{Method: method, Path: path, Auth: catalog.AuthJWT}
	}
	tests := []struct {
		name string
		a, b catalog.Route
		want bool
	}{
		{name: "same", a: route("GET", "/health"), b: route("GET", "/health"), want: true},
		{name: "other method", a: route("GET", "/health"), b: route("POST", "/health")},
		{name: "other path", a: route("GET", "/health"), b: route("GET", "/status")},
		{name: "parameter matches literal", a: route("GET", "/v1/{id}"), b: route("GET", "/v1/widgets"), want: true},
		{name: "two parameters", a: route("GET", "/v1/{id}"), b: route("GET", "/v1/{name}"), want: true},
		{name: "other depth", a: route("GET", "/v1/{id}"), b: route("GET", "/v1/widgets/list")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := catalog.RoutesConflict(tt.a, tt.b); got != tt.want {
				t.Errorf("RoutesConflict(%s, %s) = %v, want %v", tt.a.Key(), tt.b.Key(), got, tt.want)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	base := func() []catalog.Function { return catalog.All() }
	fn := func(name string, routes ...catalog.Route) catalog.Function {
		return catalog.Function{Name: name, Package: "./functions/" + name, MemoryMB: 128, Timeout: 3 * time.Second, Routes: routes}
	}

	tests := []struct {
		name      string
		functions []catalog.Function
		want      string
	}{
		{name: "duplicate name", functions: append(base(), fn("health")), want: "listed twice"},
		{name: "conflicting route", functions: append(base(), fn("status", catalog.Route{Method: "GET", Path: "/health", Auth: catalog.AuthJWT})), want: "conflicts"},
		{name: "routes sharing a resource name", functions: append(base(),
			fn("alpha", catalog.Route{Method: "GET", Path: "/v1/widgets", Auth: catalog.AuthJWT}),
			fn("beta", catalog.Route{Method: "GET", Path: "/v1-widgets", Auth: catalog.AuthJWT})), want: "both name their resources"},
		{name: "wrong package", functions: []catalog.Function{{Name: "x", Package: "./x", MemoryMB: 128, Timeout: time.Second}}, want: "package"},
		{name: "tiny memory", functions: []catalog.Function{{Name: "x", Package: "./functions/x", MemoryMB: 64, Timeout: time.Second}}, want: "memory"},
		{name: "long timeout", functions: []catalog.Function{{Name: "x", Package: "./functions/x", MemoryMB: 128, Timeout: time.Minute}}, want: "timeout"},
		{name: "wildcard action", functions: []catalog.Function{{Name: "x", Package: "./functions/x", MemoryMB: 128, Timeout: time.Second,
			Permissions: []catalog.Permission{{Resource: catalog.ResourceCertificateTable, Actions: []string{"dynamodb:*"}}}}}, want: "wildcards"},
		{name: "jwt without authorizer", functions: []catalog.Function{fn("x", catalog.Route{Method: "GET", Path: "/x", Auth: catalog.AuthJWT})}, want: "no function is marked as authorizer"},
		{name: "authorizer with routes", functions: []catalog.Function{func() catalog.Function {
			f := fn("x", catalog.Route{Method: "GET", Path: "/x", Auth: catalog.AuthMTLS})
			f.Authorizer = true
			return f
		}()}, want: "serves no routes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := catalog.Validate(tt.functions)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
