// Command devstack runs the whole mtls-api flow on one machine with no AWS account. It starts
// dynalite with the certificate table, a Cognito stand-in, a local CA with a registered demo
// client certificate, every catalog function as a local process, and an HTTPS gateway that
// requires client certificates. `make dev` runs it from the repository root, and Ctrl-C or
// SIGTERM stops it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mtls-api/mtls-api/tools/devstack/internal/stack"
)

func main() {
	addr := flag.String("addr", stack.DefaultAddr, "listen address of the HTTPS gateway (host:port; port 0 picks a free port)")
	stateDir := flag.String("dir", "", "directory that keeps the CA, certificates and binaries across restarts (default .devstack at the repository root)")
	flag.Parse()

	if err := run(*addr, *stateDir); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(addr, stateDir string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	root, err := stack.FindRoot(".")
	if err != nil {
		return err
	}
	if stateDir != "" {
		if stateDir, err = filepath.Abs(stateDir); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := stack.Start(ctx, stack.Config{
		Root:           root,
		StateDir:       stateDir,
		Addr:           addr,
		Log:            logger,
		FunctionOutput: os.Stderr,
	})
	if err != nil && ctx.Err() != nil {
		// Ctrl-C during start-up: Start already stopped what it had started.
		logger.InfoContext(ctx, "stopped before the local stack was ready")
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.WriteInstructions(os.Stdout, root); err != nil {
		logger.WarnContext(ctx, "write instructions", slog.String("error", err.Error()))
	}

	<-ctx.Done()
	logger.InfoContext(ctx, "stopping the local stack")
	if err := s.Close(); err != nil {
		return err
	}
	logger.InfoContext(ctx, "local stack stopped")
	return nil
}
