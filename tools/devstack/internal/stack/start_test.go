package stack_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/function"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/stack"
)

// functionRoot returns a module root holding one main package under functions/name, with
// node_modules linked from the repository so that dynalite starts.
func functionRoot(t *testing.T, name, source string) string {
	t.Helper()
	repo, err := stack.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(filepath.Join(repo, "node_modules"), filepath.Join(root, "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/fns\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if source != "" {
		dir := filepath.Join(root, "functions", name)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(source), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func oneFunction(name string) []catalog.Function {
	return []catalog.Function{{
		Name:     name,
		Package:  "./functions/" + name,
		Routes:   []catalog.Route{{Method: "GET", Path: "/" + name, Auth: catalog.AuthMTLS}},
		MemoryMB: 128,
		Timeout:  time.Second,
	}}
}

func TestStartFailures(t *testing.T) {
	t.Run("address in use", func(t *testing.T) {
		var lc net.ListenConfig
		l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()

		_, err = stack.Start(t.Context(), stack.Config{Root: t.TempDir(), Addr: l.Addr().String()})
		if !errors.Is(err, stack.ErrAddressInUse) {
			t.Fatalf("Start() on a busy address = %v, want %v", err, stack.ErrAddressInUse)
		}
		for _, want := range []string{l.Addr().String(), "-addr"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Start() error = %q, want it to name %q", err, want)
			}
		}
	})

	t.Run("dynalite missing", func(t *testing.T) {
		root := t.TempDir()
		_, err := stack.Start(t.Context(), stack.Config{Root: root, Addr: "127.0.0.1:0", Functions: oneFunction("ping")})
		if err == nil || !strings.Contains(err.Error(), "npm ci") {
			t.Errorf("Start() without node_modules = %v, want an error saying to run npm ci", err)
		}
	})

	t.Run("function does not compile", func(t *testing.T) {
		root := functionRoot(t, "broken", "package main\n\nfunc main() { undefinedCall() }\n")
		_, err := stack.Start(t.Context(), stack.Config{Root: root, Addr: "127.0.0.1:0", Functions: oneFunction("broken")})

		var buildErr *function.BuildError
		if !errors.As(err, &buildErr) {
			t.Fatalf("Start() = %v, want a *function.BuildError", err)
		}
		if buildErr.Function != "broken" || !strings.Contains(err.Error(), "undefinedCall") {
			t.Errorf("Start() error = %q, want it to name function broken and show the compiler output", err)
		}
	})

	t.Run("function exits at start", func(t *testing.T) {
		source := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Fprintln(os.Stderr, \"environment variable WIDGETS_COLOR is not set\")\n\tos.Exit(2)\n}\n"
		root := functionRoot(t, "crash", source)
		var output bytes.Buffer
		_, err := stack.Start(t.Context(), stack.Config{Root: root, Addr: "127.0.0.1:0", Functions: oneFunction("crash"), FunctionOutput: &output})

		if err == nil {
			t.Fatal("Start() with a crashing function = nil error, want an error")
		}
		for _, want := range []string{"function crash exited at start", "exit status 2", "WIDGETS_COLOR is not set"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Start() error = %q, want it to contain %q", err, want)
			}
		}
		envFile := filepath.Join(root, stack.DefaultStateDir, "certctl.env")
		if _, err := os.Stat(envFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after a failed Start(), stat %s = %v, want no such file", envFile, err)
		}
	})
}
