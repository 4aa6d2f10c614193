package function_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/tools/devstack/internal/function"
)

// modeVariable selects what the test binary does when a test starts it as a function.
const modeVariable = "FUNCTION_TEST_MODE"

func TestMain(m *testing.M) {
	switch os.Getenv(modeVariable) {
	case "":
		os.Exit(m.Run())
	case "serve":
		fmt.Println("ready")
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM)
		<-signals
		fmt.Println("terminated")
		os.Exit(0)
	case "exit":
		fmt.Fprint(os.Stderr, "environment variable CERT_TABLE_NAME is not set")
		os.Exit(3)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
	}
}

// syncBuffer is a bytes.Buffer safe for the process's output goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startProcess(t *testing.T, mode string, opts function.Options) *function.Process {
	t.Helper()
	opts.Name = mode
	opts.Path = os.Args[0]
	opts.Env = []string{modeVariable + "=" + mode}
	p, err := function.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProcessExitAtStart(t *testing.T) {
	var exits atomic.Int32
	var output syncBuffer
	p := startProcess(t, "exit", function.Options{
		Output:       &output,
		OnExit:       func(error) { exits.Add(1) },
		RestartDelay: 10 * time.Millisecond,
	})

	select {
	case err := <-p.FirstExit():
		var exitErr interface{ ExitCode() int }
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
			t.Errorf("FirstExit() = %v, want exit status 3", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FirstExit() received nothing within 10s")
	}
	if got := p.Output(); !strings.Contains(got, "CERT_TABLE_NAME is not set") {
		t.Errorf("Output() = %q, want the process's message", got)
	}
	waitFor(t, "a restart", func() bool { return exits.Load() >= 2 })
	if got := output.String(); !strings.HasPrefix(got, "exit | environment variable") {
		t.Errorf("output = %q, want lines prefixed with the function name", got)
	}
}

func TestProcessStop(t *testing.T) {
	var output syncBuffer
	p := startProcess(t, "serve", function.Options{Output: &output})
	waitFor(t, "the process to start", func() bool { return strings.Contains(output.String(), "ready") })

	p.Stop()

	if got := output.String(); !strings.Contains(got, "serve | terminated") {
		t.Errorf("output = %q, want the process to receive SIGTERM", got)
	}
	select {
	case err := <-p.FirstExit():
		if err == nil {
			t.Error("FirstExit() = nil, want the exit described as an error")
		}
	default:
		t.Error("FirstExit() is empty after Stop, want the exit")
	}
}

func TestProcessStopKillsAfterTimeout(t *testing.T) {
	var output syncBuffer
	p := startProcess(t, "ignore-term", function.Options{Output: &output, StopTimeout: 100 * time.Millisecond})
	waitFor(t, "the process to start", func() bool { return strings.Contains(output.String(), "ready") })

	start := time.Now()
	p.Stop()
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Stop() took %s, want about the 100ms stop timeout", elapsed)
	}
}

func TestProcessRestart(t *testing.T) {
	var output syncBuffer
	var exits atomic.Int32
	p := startProcess(t, "serve", function.Options{
		Output:       &output,
		OnExit:       func(error) { exits.Add(1) },
		RestartDelay: 10 * time.Millisecond,
	})
	waitFor(t, "the process to start", func() bool { return strings.Count(output.String(), "ready") == 1 })

	p.Restart()

	waitFor(t, "a new process", func() bool { return strings.Count(output.String(), "ready") == 2 })
	if got := exits.Load(); got != 1 {
		t.Errorf("OnExit calls = %d, want 1", got)
	}
}

func TestBuild(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/fn\n\ngo 1.26\n")
	write("good/main.go", "package main\n\nfunc main() {}\n")
	write("bad/main.go", "package main\n\nfunc main() { undefinedCall() }\n")
	bin := filepath.Join(root, "bin")

	t.Run("compiles", func(t *testing.T) {
		path, err := function.Build(t.Context(), root, bin, "good", "./good")
		if err != nil {
			t.Fatalf("Build(good) = %v, want no error", err)
		}
		if info, err := os.Stat(path); err != nil || info.Mode()&0o100 == 0 {
			t.Errorf("Build(good) wrote %s, want an executable: %v", path, err)
		}
	})

	t.Run("compile error", func(t *testing.T) {
		_, err := function.Build(t.Context(), root, bin, "bad", "./bad")
		var buildErr *function.BuildError
		if !errors.As(err, &buildErr) {
			t.Fatalf("Build(bad) = %v, want a *BuildError", err)
		}
		if buildErr.Function != "bad" {
			t.Errorf("BuildError.Function = %q, want %q", buildErr.Function, "bad")
		}
		if !strings.Contains(buildErr.Output, "undefinedCall") {
			t.Errorf("BuildError.Output = %q, want the compiler's message", buildErr.Output)
		}
		if !strings.Contains(err.Error(), "build function bad") {
			t.Errorf("Build(bad) error = %q, want it to name the function", err)
		}
	})
}
