package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Builder cross-compiles main packages of a Go workspace and packs them as images.
type Builder struct {
	// Dir is the folder go build runs in: the workspace root, against which package paths
	// such as "./functions/health" resolve.
	Dir string
	// Go is the go command; empty means "go" from PATH.
	Go string
}

// BuildFlags are the go build flags that make a binary depend only on its source: no file
// system paths, no VCS stamp, no symbol table and an empty build id.
var BuildFlags = []string{"-trimpath", "-buildvcs=false", "-tags=lambda.norpc", "-ldflags=-s -w -buildid="}

// Build compiles the main package pkg (such as "./functions/health") for linux/arm64 and
// returns the image of the function named function.
func (b Builder) Build(ctx context.Context, function, pkg string) (Image, error) {
	binary, err := b.compile(ctx, pkg)
	if err != nil {
		return Image{}, fmt.Errorf("build function %s: %w", function, err)
	}
	img, err := Pack(binary)
	if err != nil {
		return Image{}, fmt.Errorf("build function %s: %w", function, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return Image{}, fmt.Errorf("build function %s: digest: %w", function, err)
	}
	return Image{Function: function, Digest: digest, Image: img}, nil
}

func (b Builder) compile(ctx context.Context, pkg string) ([]byte, error) {
	out, err := os.MkdirTemp("", "mtls-api-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	binary := filepath.Join(out, "bootstrap")

	goCommand := b.Go
	if goCommand == "" {
		goCommand = "go"
	}
	args := append([]string{"build", "-o", binary}, BuildFlags...)
	cmd := exec.CommandContext(ctx, goCommand, append(args, pkg)...)
	cmd.Dir = b.Dir
	cmd.Env = buildEnv(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s in %s: %w: %s", pkg, b.Dir, err, strings.TrimSpace(stderr.String()))
	}
	return os.ReadFile(binary)
}

// pinnedEnv are the settings of every build. The go command reads a variable that is empty or
// unset in the environment from the go env file that `go env -w` writes, so each value here is
// non-empty. GOFLAGS repeats a flag the build passes anyway. GOARM64 is Go's default arm64
// level, which every Lambda arm64 processor supports. GOEXPERIMENT "," enables no experiment.
// CGO_ENABLED=0 keeps the build machine's C library out of the binary.
var pinnedEnv = []string{"GOOS=linux", "GOARCH=arm64", "GOARM64=v8.0", "CGO_ENABLED=0", "GOFLAGS=-trimpath", "GOEXPERIMENT=,"}

// buildEnv returns environ with the variables of pinnedEnv replaced by their pinned values.
func buildEnv(environ []string) []string {
	env := make([]string, 0, len(environ)+len(pinnedEnv))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		pinned := slices.ContainsFunc(pinnedEnv, func(p string) bool { return strings.HasPrefix(p, name+"=") })
		if !pinned {
			env = append(env, kv)
		}
	}
	return append(env, pinnedEnv...)
}
