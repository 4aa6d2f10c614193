// Package function builds the catalog's function binaries and runs each as a supervised local
// process, as the Lambda service runs a function's execution environment: restarted after it
// exits or times out, and stopped with SIGTERM then SIGKILL.
package function

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildError reports a function whose package does not compile.
type BuildError struct {
	// Function is the function's name.
	Function string
	// Output is the output of go build.
	Output string
	// Err is the error of go build, usually its exit status.
	Err error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("build function %s: %v\n%s", e.Function, e.Err, strings.TrimRight(e.Output, "\n"))
}

func (e *BuildError) Unwrap() error { return e.Err }

// Build compiles the main package pkg, such as "./functions/health", of the Go workspace at
// root into dir/name and returns the binary's path. It builds for the local machine with CGO
// off, as the deployed functions are built.
func Build(ctx context.Context, root, dir, name, pkg string) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("build function %s: %w", name, err)
	}
	out := filepath.Join(dir, name)

	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return "", &BuildError{Function: name, Output: output.String(), Err: err}
	}
	return out, nil
}
