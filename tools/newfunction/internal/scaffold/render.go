package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
)

// Sizes of a new function, written into its catalog entry. They suit a handler that builds its
// response from the request alone. Raise them in the catalog entry when the handler does more.
const (
	defaultMemoryMB = 128
	defaultTimeout  = 5 * time.Second
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.ParseFS(templateFS, "templates/*.tmpl"))

// file is one file to write, with a path relative to the repository root.
type file struct {
	path    string
	content []byte
}

// templateData is the input of the file templates.
type templateData struct {
	Name        string
	Package     string
	Description string
	Route       catalog.Route
	JWT         bool
	// AuthConst is the catalog constant for the route's auth, such as AuthJWT.
	AuthConst string
	// ExamplePath is Route.Path with every {parameter} replaced by "example".
	ExamplePath string
	// PathParameters are the names of the path's parameters, without braces or a trailing +.
	PathParameters []string
}

var parameterPattern = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9_]*)\+?\}`)

// function returns the catalog entry render writes for s.
func (s spec) function() catalog.Function {
	return catalog.Function{
		Name:        s.name,
		Package:     "./functions/" + s.name,
		Description: "Serves " + s.route.Key() + ".",
		Routes:      []catalog.Route{s.route},
		MemoryMB:    defaultMemoryMB,
		Timeout:     defaultTimeout,
	}
}

// render returns the files of the function s describes, formatted as gofmt formats them.
func render(s spec) ([]file, error) {
	fn := s.function()
	data := templateData{
		Name:        fn.Name,
		Package:     fn.Package,
		Description: fn.Description,
		Route:       s.route,
		JWT:         s.route.Auth == catalog.AuthJWT,
		AuthConst:   "AuthMTLS",
		ExamplePath: parameterPattern.ReplaceAllString(s.route.Path, "example"),
	}
	if data.JWT {
		data.AuthConst = "AuthJWT"
	}
	for _, m := range parameterPattern.FindAllStringSubmatch(s.route.Path, -1) {
		data.PathParameters = append(data.PathParameters, m[1])
	}

	outputs := []struct{ template, path string }{
		{"main.go.tmpl", "functions/" + s.name + "/main.go"},
		{"handler.go.tmpl", "functions/" + s.name + "/handler.go"},
		{"handler_test.go.tmpl", "functions/" + s.name + "/handler_test.go"},
		{"catalog.go.tmpl", "shared/catalog/" + s.name + ".go"},
	}
	files := make([]file, 0, len(outputs))
	for _, o := range outputs {
		content, err := renderGo(o.template, data)
		if err != nil {
			return nil, err
		}
		files = append(files, file{path: o.path, content: content})
	}
	return files, nil
}

func renderGo(name string, data templateData) ([]byte, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		// Only a broken template gets here: every value is validated or quoted.
		return nil, fmt.Errorf("format %s: %w\n%s", name, err, numberLines(buf.String()))
	}
	return src, nil
}

func numberLines(s string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}
