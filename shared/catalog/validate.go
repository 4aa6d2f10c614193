package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

var (
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,39}$`)
	pathPattern = regexp.MustCompile(`^(/([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\+?\}))+$|^/$`)
	methods     = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}
	// maxTimeout is the longest an HTTP API waits for an integration (30 seconds).
	maxTimeout = 30 * time.Second
)

// ValidateName checks that name can name a function: lowercase letters and digits, starting
// with a letter, at most 40 characters, so that every resource name derived from it stays
// within AWS limits.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("invalid function name %q: use 1 to 40 lowercase letters and digits, starting with a letter, such as \"widgets\"", name)
	}
	return nil
}

// ValidateRoute checks that r is a well-formed route.
func ValidateRoute(r Route) error {
	if !methods[r.Method] {
		return fmt.Errorf("invalid route %q: method %q is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", r.Key(), r.Method)
	}
	if !pathPattern.MatchString(r.Path) {
		return fmt.Errorf("invalid route %q: path %q must start with / and hold segments of letters, digits, . _ ~ - or {parameter}, such as /v1/widgets/{id}", r.Key(), r.Path)
	}
	if r.Auth != AuthMTLS && r.Auth != AuthJWT {
		return fmt.Errorf("invalid route %q: auth %q is not %q or %q", r.Key(), r.Auth, AuthMTLS, AuthJWT)
	}
	return nil
}

// RoutesConflict reports whether two routes would match the same request: the same method and
// paths whose segments are equal or where either is a {parameter}.
func RoutesConflict(a, b Route) bool {
	if a.Method != b.Method {
		return false
	}
	as, bs := strings.Split(a.Path, "/"), strings.Split(b.Path, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !isParameter(as[i]) && !isParameter(bs[i]) {
			return false
		}
	}
	return true
}

func isParameter(segment string) bool {
	return strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}")
}

// Validate checks a whole catalog: valid and unique names, valid routes with no two in
// conflict, positive sizes, no wildcard action, and exactly one authorizer when any route
// uses AuthJWT.
func Validate(functions []Function) error {
	var errs []error
	names := map[string]bool{}
	var routes []Route
	authorizers := 0
	needsAuthorizer := false

	for _, f := range functions {
		if err := ValidateName(f.Name); err != nil {
			errs = append(errs, err)
		}
		if names[f.Name] {
			errs = append(errs, fmt.Errorf("function %q is listed twice", f.Name))
		}
		names[f.Name] = true

		if f.Package != "./functions/"+f.Name {
			errs = append(errs, fmt.Errorf("function %q: package %q must be \"./functions/%s\"", f.Name, f.Package, f.Name))
		}
		if f.MemoryMB < 128 || f.MemoryMB > 10240 {
			errs = append(errs, fmt.Errorf("function %q: memory %d MB is outside 128 to 10240", f.Name, f.MemoryMB))
		}
		if f.Timeout < time.Second || f.Timeout > maxTimeout {
			errs = append(errs, fmt.Errorf("function %q: timeout %s is outside 1s to %s", f.Name, f.Timeout, maxTimeout))
		}
		for _, p := range f.Permissions {
			for _, a := range p.Actions {
				if strings.Contains(a, "*") || !strings.Contains(a, ":") {
					errs = append(errs, fmt.Errorf("function %q: action %q must be one service:Action name without wildcards", f.Name, a))
				}
			}
		}

		if f.Authorizer {
			authorizers++
			if len(f.Routes) > 0 {
				errs = append(errs, fmt.Errorf("function %q: the authorizer serves no routes", f.Name))
			}
		}
		for _, r := range f.Routes {
			if err := ValidateRoute(r); err != nil {
				errs = append(errs, fmt.Errorf("function %q: %w", f.Name, err))
				continue
			}
			for _, other := range routes {
				if RoutesConflict(r, other) {
					errs = append(errs, fmt.Errorf("function %q: route %q conflicts with route %q", f.Name, r.Key(), other.Key()))
				} else if r.Slug() == other.Slug() {
					errs = append(errs, fmt.Errorf("function %q: routes %q and %q would both name their resources %q: change one of the paths",
						f.Name, r.Key(), other.Key(), r.Slug()))
				}
			}
			routes = append(routes, r)
			needsAuthorizer = needsAuthorizer || r.Auth == AuthJWT
		}
	}

	if authorizers > 1 {
		errs = append(errs, fmt.Errorf("%d functions are marked as authorizer, at most one may be", authorizers))
	}
	if needsAuthorizer && authorizers == 0 {
		errs = append(errs, errors.New("jwt routes exist but no function is marked as authorizer"))
	}
	return errors.Join(errs...)
}
