package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
)

// runner carries the state of one Run.
type runner struct {
	root string
	repo *os.Root
	opts Options
	log  io.Writer
}

// abs returns the absolute path of a path relative to the repository root, with slashes.
func (r *runner) abs(rel string) string {
	return filepath.Join(r.root, filepath.FromSlash(rel))
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "newfunction: "+format+"\n", args...)
}

// run runs command in the repository root, with its output going to the log. The error
// includes the output's tail, since the log may be discarded.
func (r *runner) run(ctx context.Context, command []string) error {
	var tail tailBuffer
	cmd := r.command(ctx, command)
	cmd.Stdout = io.MultiWriter(r.log, &tail)
	cmd.Stderr = io.MultiWriter(r.log, &tail)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", commandString(command), err, tail.String())
	}
	return nil
}

// waitDelay bounds how long a cancelled command's output may stay open after the kill.
const waitDelay = 5 * time.Second

// command returns command to run in the repository root, killed with its children when ctx
// is done.
func (r *runner) command(ctx context.Context, command []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Dir = r.root
	killGroupOnCancel(cmd)
	cmd.WaitDelay = waitDelay
	return cmd
}

// readCatalog runs the list command and decodes the functions it prints.
func (r *runner) readCatalog(ctx context.Context) ([]catalog.Function, error) {
	var stdout, stderr bytes.Buffer
	command := r.opts.ListCommand
	cmd := r.command(ctx, command)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: read the catalog with %s: %w\n%s", ErrCatalog, commandString(command), err, strings.TrimSpace(stderr.String()))
	}

	var functions []catalog.Function
	if err := json.Unmarshal(stdout.Bytes(), &functions); err != nil {
		return nil, fmt.Errorf("%w: decode the output of %s: %w", ErrCatalog, commandString(command), err)
	}
	return functions, nil
}

// WriteCatalog validates the catalog compiled into the running binary and writes its functions
// to w as JSON. It is what the list command runs in the repository that Run edits.
func WriteCatalog(w io.Writer) error {
	functions := catalog.All()
	if err := catalog.Validate(functions); err != nil {
		return fmt.Errorf("invalid catalog: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(functions)
}

func commandString(command []string) string {
	return strings.Join(command, " ")
}

// tailBuffer keeps the last tailSize bytes written to it.
type tailBuffer struct {
	buf []byte
}

const tailSize = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.buf)) }
