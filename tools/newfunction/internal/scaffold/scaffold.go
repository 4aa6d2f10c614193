// Package scaffold adds a Lambda function to the repository: its code under functions/NAME
// (main.go, handler.go, handler_test.go), its catalog entry in shared/catalog/NAME.go, and the
// refreshed plans under infra/plans.
//
// Run checks everything it can before it writes anything, and removes what it wrote when a
// later step fails, so a rejected or failed run leaves the repository as it found it. It reads
// the catalog of the repository it edits by running a command there (by default
// `go run ./tools/newfunction -list`), not the catalog compiled into the running binary.
package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/mtls-api/mtls-api/shared/catalog"
)

// Reasons for rejecting a request before anything is written. Run's error wraps one of them;
// check it with errors.Is.
var (
	ErrInvalidName  = errors.New("scaffold: invalid function name")
	ErrInvalidRoute = errors.New("scaffold: invalid route")
	ErrInvalidAuth  = errors.New("scaffold: invalid auth")
	ErrDuplicate    = errors.New("scaffold: function exists")
	ErrConflict     = errors.New("scaffold: route conflicts")
	// ErrCatalog means the catalog would be invalid with the new function, or the catalog of
	// the repository could not be read.
	ErrCatalog = errors.New("scaffold: invalid catalog")
)

// Default commands, run in the repository root.
var (
	// DefaultListCommand prints the repository's catalog as JSON; see WriteCatalog.
	DefaultListCommand = []string{"go", "run", "./tools/newfunction", "-list"}
	// DefaultTestCommand is followed by the new function's package path.
	DefaultTestCommand = []string{"go", "test", "-count=1"}
	// DefaultPlanCommand rewrites the committed plans under infra/plans.
	DefaultPlanCommand = []string{"make", "--no-print-directory", "plan"}
)

// PlanDir is the folder, relative to the repository root, that the plan command rewrites.
// Run restores it when a step fails.
const PlanDir = "infra/plans"

// Request describes the function to create, as the user wrote it.
type Request struct {
	// Name is the function's name, such as "widgets"; see catalog.ValidateName.
	Name string
	// Route is the route the function serves, written as "METHOD /path", such as
	// "GET /v1/widgets/{id}"; see catalog.ValidateRoute.
	Route string
	// Auth is the route's authentication: "jwt" or "mtls".
	Auth string
}

// Options configure Run. Zero fields get defaults.
type Options struct {
	// Dir is the repository root. Empty means the working directory.
	Dir string
	// ListCommand prints the catalog of the repository in Dir as JSON. Default:
	// DefaultListCommand.
	ListCommand []string
	// TestCommand tests the new function; Run appends its package path, such as
	// ./functions/widgets. Default: DefaultTestCommand.
	TestCommand []string
	// PlanCommand refreshes the plans under PlanDir. Default: DefaultPlanCommand.
	PlanCommand []string
	// Log receives progress lines and the output of the commands. Nil discards them.
	Log io.Writer
}

// Result lists what Run changed.
type Result struct {
	// Created are the files Run wrote, relative to the repository root, with slashes.
	Created []string
	// PlansChanged are the files under PlanDir the plan command created or changed.
	PlansChanged []string
}

// Run creates the function req describes in the repository opts.Dir. On error, nothing in
// the repository is changed. Input errors wrap one of the Err values and are returned before
// any write. A failure after the first write, such as a generated package that does not
// compile, a failing plan command or a cancelled ctx, removes the new files and restores
// PlanDir.
func Run(ctx context.Context, req Request, opts Options) (*Result, error) {
	opts = withDefaults(opts)
	root, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolve repository root %q: %w", opts.Dir, err)
	}
	r := &runner{root: root, opts: opts, log: opts.Log}
	if err := r.checkLayout(); err != nil {
		return nil, err
	}
	r.repo, err = os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open repository root: %w", err)
	}
	defer r.repo.Close()

	s, files, err := r.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.apply(ctx, s, files)
}

// prepare checks the request against the input rules and the repository's catalog, and renders
// the files to write. It writes nothing.
func (r *runner) prepare(ctx context.Context, req Request) (spec, []file, error) {
	s, err := req.parse()
	if err != nil {
		return spec{}, nil, err
	}
	if err := r.checkPathsFree(s.name); err != nil {
		return spec{}, nil, err
	}

	r.logf("reading the catalog: %s", commandString(r.opts.ListCommand))
	existing, err := r.readCatalog(ctx)
	if err != nil {
		return spec{}, nil, err
	}
	if err := checkAgainst(existing, s); err != nil {
		return spec{}, nil, err
	}
	files, err := render(s)
	return s, files, err
}

// apply writes files, checks the result compiles and passes its tests, and refreshes the plans,
// undoing everything when a step fails.
func (r *runner) apply(ctx context.Context, s spec, files []file) (_ *Result, err error) {
	plans, err := snapshotDir(r.repo, PlanDir)
	if err != nil {
		return nil, fmt.Errorf("read %s before changing it: %w", PlanDir, err)
	}

	var written []string
	defer func() {
		if err == nil {
			return
		}
		if undoErr := r.undo(written, plans); undoErr != nil {
			err = fmt.Errorf("%w; undo also failed, remove these files by hand: %w", err, undoErr)
		}
	}()

	written, err = r.writeFiles(s.name, files)
	if err != nil {
		return nil, err
	}
	if err := r.verify(ctx, s); err != nil {
		return nil, err
	}

	r.logf("refreshing the plans: %s", commandString(r.opts.PlanCommand))
	if err := r.run(ctx, r.opts.PlanCommand); err != nil {
		return nil, fmt.Errorf("refresh the plans: %w", err)
	}
	changed, err := plans.changes()
	if err != nil {
		return nil, fmt.Errorf("compare %s with its state before the plan command: %w", PlanDir, err)
	}

	created := make([]string, 0, len(files))
	for _, f := range files {
		created = append(created, f.path)
	}
	return &Result{Created: created, PlansChanged: changed}, nil
}

// verify checks that the written catalog compiles, is valid and lists the new function, and
// that the new function's tests pass.
func (r *runner) verify(ctx context.Context, s spec) error {
	r.logf("checking the new catalog: %s", commandString(r.opts.ListCommand))
	functions, err := r.readCatalog(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(functions, func(f catalog.Function) bool { return f.Name == s.name }) {
		return fmt.Errorf("%w: the catalog does not list %q after writing shared/catalog/%s.go; check that the file calls register from init", ErrCatalog, s.name, s.name)
	}

	test := append(slices.Clone(r.opts.TestCommand), "./functions/"+s.name)
	r.logf("testing the new function: %s", commandString(test))
	if err := r.run(ctx, test); err != nil {
		return fmt.Errorf("test the new function: %w", err)
	}
	return nil
}

func withDefaults(opts Options) Options {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	if len(opts.ListCommand) == 0 {
		opts.ListCommand = DefaultListCommand
	}
	if len(opts.TestCommand) == 0 {
		opts.TestCommand = DefaultTestCommand
	}
	if len(opts.PlanCommand) == 0 {
		opts.PlanCommand = DefaultPlanCommand
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return opts
}
