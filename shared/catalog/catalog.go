// Package catalog lists the project's Lambda functions: for each, its main package, its
// routes, its size, the environment variables it reads and the permissions it needs on the
// project's own resources.
//
// The infrastructure, the local stack and the function scaffolder all iterate this catalog, so
// adding a function is adding one file here (the scaffolder writes it) next to its code.
package catalog

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Auth is the authentication method of a route.
type Auth string

const (
	// AuthMTLS routes require only the mutual TLS client certificate, which the custom domain
	// checks against the truststore.
	AuthMTLS Auth = "mtls"
	// AuthJWT routes also require an access token, checked by the authorizer function.
	AuthJWT Auth = "jwt"
)

// Route is one HTTP API route served by a function.
type Route struct {
	// Method is an HTTP method in upper case, such as GET.
	Method string
	// Path starts with a slash and may contain {parameter} segments.
	Path string
	// Auth is the authentication method of the route.
	Auth Auth
}

// Key returns the route key as API Gateway writes it, such as "GET /health".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Slug returns the route key in lowercase letters and digits joined by hyphens, such as
// "get-v1-widgets-id" for "GET /v1/widgets/{id}". The infrastructure names each route's
// resources after it, so no two routes of a catalog may share one.
func (r Route) Slug() string {
	return strings.Trim(nonAlphanumeric.ReplaceAllString(strings.ToLower(r.Key()), "-"), "-")
}

var nonAlphanumeric = regexp.MustCompile(`[^a-z0-9]+`)

// Resource is one of the project's own resources a function may be granted access to.
type Resource string

const (
	// ResourceCertificateTable is the DynamoDB certificate table.
	ResourceCertificateTable Resource = "certificateTable"
	// ResourceCertificateTableIndexes is every index of the certificate table.
	ResourceCertificateTableIndexes Resource = "certificateTableIndexes"
	// ResourceClientSecret is the Secrets Manager secret holding the app client's secret.
	ResourceClientSecret Resource = "clientSecret"
)

// Permission grants actions on one resource. Actions are IAM action names such as
// "dynamodb:GetItem"; a wildcard is never allowed.
type Permission struct {
	Resource Resource
	Actions  []string
}

// Function describes one Lambda function.
type Function struct {
	// Name is the function's short name: lowercase letters and digits, such as "health". It
	// names the folder under functions/ and every resource built for the function.
	Name string
	// Package is the main package path relative to the repository root, such as
	// "./functions/health".
	Package string
	// Description is one sentence for the Lambda console.
	Description string
	// Authorizer marks the function that API Gateway calls as the Lambda authorizer of the
	// jwt routes. Such a function has no routes.
	Authorizer bool
	// Routes are the HTTP API routes the function serves.
	Routes []Route
	// MemoryMB is the memory size in megabytes.
	MemoryMB int
	// Timeout is the maximum duration of one invocation.
	Timeout time.Duration
	// Env lists the environment variables the function reads, by the names of package env.
	Env []string
	// Permissions lists what the function may do on the project's resources, beyond writing
	// its own logs.
	Permissions []Permission
}

var registered []Function

// register adds f to the catalog. Each function's file calls it from init.
func register(f Function) {
	registered = append(registered, f)
}

// All returns every function, sorted by name. The slice is a copy.
func All() []Function {
	out := slices.Clone(registered)
	slices.SortFunc(out, func(a, b Function) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the function named name.
func Lookup(name string) (Function, bool) {
	for _, f := range registered {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Authorizer returns the function marked as the Lambda authorizer.
func Authorizer() (Function, bool) {
	for _, f := range All() {
		if f.Authorizer {
			return f, true
		}
	}
	return Function{}, false
}
