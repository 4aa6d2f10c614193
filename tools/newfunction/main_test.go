package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestClosedStdoutDoesNotKill checks that a write to a closed pipe fails instead of killing
// the process, so that an interrupted `make new-function | tee log` can still undo its writes.
func TestClosedStdoutDoesNotKill(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "newfunction")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	reader, writer, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Close(); err != nil {
		t.Fatal(err)
	}
	defer writer.Close()

	cmd := exec.CommandContext(t.Context(), bin, "-list")
	cmd.Stdout = writer
	_ = cmd.Run()

	status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		t.Fatalf("ProcessState.Sys() = %T, want syscall.WaitStatus", cmd.ProcessState.Sys())
	}
	if status.Signaled() {
		t.Errorf("newfunction -list with a closed stdout was killed by %v, want a normal exit", status.Signal())
	}
}
