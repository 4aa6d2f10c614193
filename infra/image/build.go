package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// buildEnv returns environ with the target platform set and with the variables removed that
// would change the binary: GOFLAGS could add flags, and cgo would link the build machine's C
// library.
func buildEnv(environ []string) []string {
	env := make([]string, 0, len(environ)+4)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOOS", "GOARCH", "GOARM64", "CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=")
}
