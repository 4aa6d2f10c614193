package gateway

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/mtls-api/mtls-api/shared/catalog"
)

// Errors returned by Router.Match. Check them with errors.Is.
var (
	// ErrNotFound means no route has the request's path.
	ErrNotFound = errors.New("gateway: no route matches the path")
	// ErrMethodNotAllowed means routes have the request's path, but none its method.
	ErrMethodNotAllowed = errors.New("gateway: method not allowed on the path")
)

// MethodNotAllowedError is returned, wrapping ErrMethodNotAllowed, when a path is routed
// only for other methods.
type MethodNotAllowedError struct {
	// Allowed lists the methods routed for the path, sorted.
	Allowed []string
}

func (e *MethodNotAllowedError) Error() string {
	return fmt.Sprintf("%v, allowed: %s", ErrMethodNotAllowed, strings.Join(e.Allowed, ", "))
}

func (e *MethodNotAllowedError) Unwrap() error { return ErrMethodNotAllowed }

// Match is the route that serves a request.
type Match struct {
	// Function is the name of the function serving the route.
	Function string
	// Route is the catalog route.
	Route catalog.Route
	// PathParameters maps each {parameter} of the route to its decoded value, or is nil for a
	// route without parameters.
	PathParameters map[string]string
}

// Router matches requests to the routes of a catalog.
type Router struct {
	routes []route
}

type route struct {
	function string
	route    catalog.Route
	segments []string
}

// NewRouter returns a Router for every route of functions. It rejects invalid routes and two
// routes that the same request would match.
func NewRouter(functions []catalog.Function) (*Router, error) {
	var routes []route
	for _, f := range functions {
		for _, r := range f.Routes {
			if err := catalog.ValidateRoute(r); err != nil {
				return nil, fmt.Errorf("function %s: %w", f.Name, err)
			}
			for _, other := range routes {
				if other.route.Key() == r.Key() {
					return nil, fmt.Errorf("function %s: route %q is also served by function %s", f.Name, r.Key(), other.function)
				}
			}
			routes = append(routes, route{function: f.Name, route: r, segments: strings.Split(r.Path, "/")})
		}
	}

	// API Gateway picks the most specific route, so literal segments are tried before
	// {parameter} segments and a greedy {parameter+} comes last.
	slices.SortStableFunc(routes, func(a, b route) int { return specificity(b) - specificity(a) })
	return &Router{routes: routes}, nil
}

// specificity ranks a route: more literal segments first, greedy parameters last.
func specificity(r route) int {
	score := 0
	for _, s := range r.segments {
		switch {
		case isGreedy(s):
			score -= 1000
		case !isParameter(s):
			score += 10
		}
	}
	return score
}

// Match returns the route for method and escapedPath, the path as sent on the wire (with
// percent escapes, as url.URL.EscapedPath returns it). It returns an error wrapping
// ErrNotFound or a *MethodNotAllowedError.
func (rt *Router) Match(method, escapedPath string) (Match, error) {
	segments, err := decodeSegments(escapedPath)
	if err != nil {
		return Match{}, fmt.Errorf("path %q: %w", escapedPath, ErrNotFound)
	}

	var allowed []string
	for _, r := range rt.routes {
		params, ok := matchSegments(r.segments, segments)
		if !ok {
			continue
		}
		if r.route.Method != method {
			if !slices.Contains(allowed, r.route.Method) {
				allowed = append(allowed, r.route.Method)
			}
			continue
		}
		return Match{Function: r.function, Route: r.route, PathParameters: params}, nil
	}

	if len(allowed) > 0 {
		slices.Sort(allowed)
		return Match{}, &MethodNotAllowedError{Allowed: allowed}
	}
	return Match{}, fmt.Errorf("%s %s: %w", method, escapedPath, ErrNotFound)
}

// decodeSegments splits an escaped path at its slashes and decodes each segment, so an
// escaped slash (%2F) stays inside one segment.
func decodeSegments(escapedPath string) ([]string, error) {
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, fmt.Errorf("path must start with /")
	}
	segments := strings.Split(escapedPath, "/")
	for i, s := range segments {
		decoded, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		segments[i] = decoded
	}
	return segments, nil
}

func matchSegments(pattern, segments []string) (map[string]string, bool) {
	var params map[string]string
	set := func(name, value string) {
		if params == nil {
			params = map[string]string{}
		}
		params[name] = value
	}

	for i, p := range pattern {
		if isGreedy(p) {
			if i >= len(segments) {
				return nil, false
			}
			rest := strings.Join(segments[i:], "/")
			if rest == "" {
				return nil, false
			}
			set(strings.TrimSuffix(p[1:len(p)-1], "+"), rest)
			return params, true
		}
		if i >= len(segments) {
			return nil, false
		}
		switch {
		case isParameter(p):
			if segments[i] == "" {
				return nil, false
			}
			set(p[1:len(p)-1], segments[i])
		case p != segments[i]:
			return nil, false
		}
	}
	if len(segments) != len(pattern) {
		return nil, false
	}
	return params, true
}

func isParameter(segment string) bool {
	return strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}")
}

func isGreedy(segment string) bool {
	return isParameter(segment) && strings.HasSuffix(segment, "+}")
}
