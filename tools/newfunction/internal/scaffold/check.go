package scaffold

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/mtls-api/mtls-api/shared/catalog"
)

// rejection is an input error: its message names the value and the fix, and it matches both
// its reason (an Err value) and the underlying error with errors.Is.
type rejection struct {
	reason error
	err    error
}

func (r *rejection) Error() string   { return r.err.Error() }
func (r *rejection) Unwrap() []error { return []error{r.reason, r.err} }

func reject(reason error, format string, args ...any) error {
	return &rejection{reason: reason, err: fmt.Errorf(format, args...)}
}

// spec is a validated request.
type spec struct {
	name  string
	route catalog.Route
}

// parse checks the name, the route and the auth of req, in that order, and returns the first
// problem found. Values left empty are reported together first, because `make new-function`
// passes an empty value for every variable that is not set.
func (req Request) parse() (spec, error) {
	if err := req.checkMissing(); err != nil {
		return spec{}, err
	}
	if err := catalog.ValidateName(req.Name); err != nil {
		return spec{}, &rejection{reason: ErrInvalidName, err: err}
	}

	fields := strings.Fields(req.Route)
	if len(fields) != 2 {
		return spec{}, reject(ErrInvalidRoute,
			"invalid ROUTE %q: write it as \"METHOD /path\", such as \"GET /v1/widgets\"", req.Route)
	}

	auth := catalog.Auth(req.Auth)
	if auth != catalog.AuthJWT && auth != catalog.AuthMTLS {
		return spec{}, reject(ErrInvalidAuth,
			"invalid AUTH %q: use jwt (the authorizer checks an access token and the certificate's record) or mtls (the client certificate alone)", req.Auth)
	}

	route := catalog.Route{Method: fields[0], Path: fields[1], Auth: auth}
	if err := catalog.ValidateRoute(route); err != nil {
		return spec{}, &rejection{reason: ErrInvalidRoute, err: err}
	}
	return spec{name: req.Name, route: route}, nil
}

// checkMissing rejects a request with an empty NAME, ROUTE or AUTH, naming every empty one in
// that order. The rejection matches the reason of each missing value.
func (req Request) checkMissing() error {
	var names []string
	var reasons []error
	for _, v := range []struct {
		name, value string
		reason      error
	}{
		{"NAME", req.Name, ErrInvalidName},
		{"ROUTE", strings.TrimSpace(req.Route), ErrInvalidRoute},
		{"AUTH", req.Auth, ErrInvalidAuth},
	} {
		if v.value == "" {
			names = append(names, v.name)
			reasons = append(reasons, v.reason)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return reject(errors.Join(reasons...),
		"missing %s: pass every value, such as make new-function NAME=widgets ROUTE=\"GET /v1/widgets\" AUTH=jwt",
		strings.Join(names, ", "))
}

// checkAgainst checks s against the functions of an existing catalog: the name is unused, the
// route conflicts with no existing route, and the catalog with the new function is valid.
func checkAgainst(existing []catalog.Function, s spec) error {
	for _, f := range existing {
		if f.Name == s.name {
			return reject(ErrDuplicate, "function %q already exists in the catalog: choose another name", s.name)
		}
	}
	for _, f := range existing {
		for _, r := range f.Routes {
			if catalog.RoutesConflict(s.route, r) {
				return reject(ErrConflict,
					"route %q conflicts with route %q of function %q: both match the same requests; choose another method or path",
					s.route.Key(), r.Key(), f.Name)
			}
		}
	}

	if err := catalog.Validate(append(slices.Clone(existing), s.function())); err != nil {
		return reject(ErrCatalog, "the catalog would be invalid with function %q: %w", s.name, err)
	}
	return nil
}

// checkLayout checks that the root looks like this repository, so that a run from another
// folder fails before it writes anything.
func (r *runner) checkLayout() error {
	for _, p := range []string{"go.work", "shared/catalog", "functions"} {
		if _, err := os.Stat(r.abs(p)); err != nil {
			return fmt.Errorf("%s is not the mtls-api repository root (%s is missing): run the command from the root, or pass -dir", r.root, p)
		}
	}
	return nil
}

// checkPathsFree rejects a name whose folder or catalog file exists, even when the catalog
// does not list it, since writing would overwrite someone's files.
func (r *runner) checkPathsFree(name string) error {
	for _, p := range []string{"functions/" + name, "shared/catalog/" + name + ".go"} {
		_, err := r.repo.Lstat(p)
		switch {
		case err == nil:
			return reject(ErrDuplicate, "%s already exists: choose another name, or remove it if it is left over", p)
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("check that %s is free: %w", p, err)
		}
	}
	return nil
}
