package scaffold

import (
	"bytes"
	"errors"
	"go/format"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/shared/catalog"
)

func TestRenderRoutes(t *testing.T) {
	tests := []struct {
		name, route, auth string
		// wantInTest are strings the generated handler_test.go must contain, with every run of
		// white space written as one space, since gofmt aligns values.
		wantInTest []string
	}{
		{"root path", "GET /", "mtls", []string{`RawPath: "/"`}},
		{"parameter", "GET /v1/widgets/{id}", "jwt", []string{`"/v1/widgets/example"`, `"id": "example"`, "testClientID"}},
		{"greedy parameter", "PUT /files/{proxy+}", "mtls", []string{`"/files/example"`, `"proxy": "example"`}},
		{"two parameters", "DELETE /a/{first}/b/{second_id}", "jwt", []string{`"/a/example/b/example"`, `"first": "example"`, `"second_id": "example"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Request{Name: "widgets", Route: tt.route, Auth: tt.auth}.parse()
			if err != nil {
				t.Fatalf("parse(%q, %q) = %v", tt.route, tt.auth, err)
			}
			files := mustRender(t, s)

			test := strings.Join(strings.Fields(files["functions/widgets/handler_test.go"]), " ")
			for _, want := range tt.wantInTest {
				if !strings.Contains(test, want) {
					t.Errorf("handler_test.go for %q does not contain %s", tt.route, want)
				}
			}
			wantAuth := "Auth: AuthMTLS"
			if tt.auth == "jwt" {
				wantAuth = "Auth: AuthJWT"
			}
			if entry := files["shared/catalog/widgets.go"]; !strings.Contains(entry, wantAuth) {
				t.Errorf("catalog entry for %q does not contain %s:\n%s", tt.route, wantAuth, entry)
			}
		})
	}
}

// mustRender renders s and checks that every file is gofmt-formatted Go. It returns the files
// by path.
func mustRender(t *testing.T, s spec) map[string]string {
	t.Helper()
	files, err := render(s)
	if err != nil {
		t.Fatalf("render(%+v) = %v", s, err)
	}
	out := map[string]string{}
	for _, f := range files {
		formatted, err := format.Source(f.content)
		if err != nil {
			t.Fatalf("render(%+v): %s does not parse: %v", s, f.path, err)
		}
		if !bytes.Equal(formatted, f.content) {
			t.Errorf("render(%+v): %s is not gofmt-formatted", s, f.path)
		}
		out[f.path] = string(f.content)
	}
	return out
}

// FuzzParse checks that any input is either rejected with one of the input errors, or parses
// into a valid route whose files render as formatted Go.
func FuzzParse(f *testing.F) {
	f.Add("widgets", "GET /v1/widgets/{id}", "jwt")
	f.Add("a1", "POST /", "mtls")
	f.Add("x", "PUT /{proxy+}", "mtls")
	f.Add("Bad", "get /x", "JWT")
	f.Add("w", "GET /a\"b", "jwt")
	f.Add("w", "GET\t/a  ", "mtls")
	f.Fuzz(func(t *testing.T, name, route, auth string) {
		s, err := Request{Name: name, Route: route, Auth: auth}.parse()
		if err != nil {
			if !errors.Is(err, ErrInvalidName) && !errors.Is(err, ErrInvalidRoute) && !errors.Is(err, ErrInvalidAuth) {
				t.Fatalf("parse(%q, %q, %q) = %v, want an input error", name, route, auth, err)
			}
			return
		}
		if err := catalog.ValidateRoute(s.route); err != nil {
			t.Fatalf("parse(%q, %q, %q) accepted an invalid route: %v", name, route, auth, err)
		}
		mustRender(t, s)
	})
}
