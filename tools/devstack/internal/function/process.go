package function

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultRestartDelay = 200 * time.Millisecond
	maxRestartDelay     = 5 * time.Second
	DefaultStopTimeout  = 2 * time.Second
	// stableAfter is how long a process must run before a restart delay starts over from
	// RestartDelay.
	stableAfter = 10 * time.Second
	// tailBytes is how much of a process's latest output Output keeps.
	tailBytes = 16 * 1024
)

// ErrStopped is returned by Start after Stop.
var ErrStopped = errors.New("function: process stopped")

// Options configures a Process.
type Options struct {
	// Name is the function's name, which prefixes each output line.
	Name string
	// Path is the binary to run.
	Path string
	// Env is the process's whole environment; nothing is inherited.
	Env []string
	// Output receives the process's standard output and error, line by line, each prefixed
	// with Name. Nil discards them; Process.Output keeps the latest lines either way.
	Output io.Writer
	// OnExit is called after each exit of the process with its exit error, before any
	// restart, so in-flight invocations can be failed.
	OnExit func(error)
	// Logger receives exits and restarts. Nil discards.
	Logger *slog.Logger
	// RestartDelay is the first wait before restarting an exited process; it doubles with
	// each quick exit up to 5 seconds. Zero means DefaultRestartDelay.
	RestartDelay time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL. Zero means
	// DefaultStopTimeout.
	StopTimeout time.Duration
}

// Process is a function binary kept running: it restarts after every exit until Stop.
type Process struct {
	opts   Options
	output *lineWriter

	// ctx ends with Stop. Each command is tied to it, so that Stop sends SIGTERM, and SIGKILL
	// after StopTimeout.
	ctx    context.Context
	cancel context.CancelFunc

	mu  sync.Mutex
	cmd *exec.Cmd

	firstExit chan error
	done      chan struct{}
}

// Start starts the binary and keeps it running until Stop.
func Start(opts Options) (*Process, error) {
	if opts.RestartDelay <= 0 {
		opts.RestartDelay = DefaultRestartDelay
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Process{
		opts:      opts,
		output:    &lineWriter{prefix: opts.Name + " | ", out: opts.Output},
		ctx:       ctx,
		cancel:    cancel,
		firstExit: make(chan error, 1),
		done:      make(chan struct{}),
	}
	if err := p.start(); err != nil {
		cancel()
		return nil, err
	}
	go p.supervise()
	return p, nil
}

// FirstExit receives the exit error of the first process started, if it exits. A function
// that exits before requesting its first invocation failed to start.
func (p *Process) FirstExit() <-chan error { return p.firstExit }

// Output returns the latest lines the process wrote, at most 16 KB.
func (p *Process) Output() string { return p.output.tail() }

// Restart kills the running process; the supervisor starts a new one, as Lambda replaces an
// execution environment after a timeout.
func (p *Process) Restart() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && p.cmd.Process != nil && p.ctx.Err() == nil {
		_ = p.cmd.Process.Kill()
	}
}

// Stop ends the process with SIGTERM, then SIGKILL after StopTimeout, and waits until it
// exited. It never restarts it.
func (p *Process) Stop() {
	p.cancel()
	<-p.done
}

func (p *Process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return ErrStopped
	}

	cmd := exec.CommandContext(p.ctx, p.opts.Path)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = p.opts.StopTimeout
	cmd.Env = p.opts.Env
	cmd.Stdout, cmd.Stderr = p.output, p.output
	configureCommand(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start function %s: %w", p.opts.Name, err)
	}
	p.cmd = cmd
	return nil
}

func (p *Process) supervise() {
	defer close(p.done)

	delay := p.opts.RestartDelay
	first := true
	for {
		p.mu.Lock()
		cmd := p.cmd
		p.mu.Unlock()

		started := time.Now()
		err := cmd.Wait()
		p.output.flush()
		if err == nil {
			err = errors.New("exit status 0")
		}
		if p.opts.OnExit != nil {
			p.opts.OnExit(err)
		}
		if first {
			p.firstExit <- err
			first = false
		}

		if time.Since(started) > stableAfter {
			delay = p.opts.RestartDelay
		}
		if !p.restartAfter(err, delay) {
			return
		}
		delay = min(2*delay, maxRestartDelay)
	}
}

// restartAfter waits delay, then starts a new process, retrying with the same delay until
// one starts. It returns false once Stop was called.
func (p *Process) restartAfter(exitErr error, delay time.Duration) bool {
	for {
		if p.ctx.Err() != nil {
			return false
		}
		p.opts.Logger.Warn("function exited, restarting",
			slog.String("function", p.opts.Name), slog.String("error", exitErr.Error()), slog.Duration("delay", delay))
		select {
		case <-time.After(delay):
		case <-p.ctx.Done():
			return false
		}

		err := p.start()
		switch {
		case errors.Is(err, ErrStopped):
			return false
		case err != nil:
			exitErr = err
			continue
		}
		return true
	}
}

// lineWriter prefixes each complete line written to it and keeps the latest output.
type lineWriter struct {
	prefix string
	out    io.Writer

	mu      sync.Mutex
	partial []byte
	latest  []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()

	w.latest = append(w.latest, b...)
	if over := len(w.latest) - tailBytes; over > 0 {
		w.latest = append(w.latest[:0], w.latest[over:]...)
	}

	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.emit(w.partial[:i+1])
		w.partial = w.partial[i+1:]
	}
	return len(b), nil
}

// flush writes a last line that has no newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(append(w.partial, '\n'))
		w.partial = nil
	}
}

func (w *lineWriter) emit(line []byte) {
	if w.out != nil {
		_, _ = w.out.Write(append([]byte(w.prefix), line...))
	}
}

func (w *lineWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.latest)
}
