// Package cli implements the certctl commands: the operations of the project's private CA and
// of the certificate table. main.go only wires the process into App.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// Exit codes of Run.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// App runs certctl commands. Every field has a default for production use; tests replace
// them.
type App struct {
	// Stdout receives results, Stderr progress and errors.
	Stdout, Stderr io.Writer
	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness for serial numbers; nil means crypto/rand.
	Rand io.Reader
	// OpenStore connects to the certificate table; nil means OpenDynamoDB.
	OpenStore func(ctx context.Context, cfg TableConfig) (Store, error)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, app *App, args []string) error
}

// commands lists the commands in the order help shows them.
var commands = []command{
	{"init", "create a root CA, an intermediate CA and truststore.pem in the CA directory", runInit},
	{"issue", "issue a client certificate and key, and optionally register it", runIssue},
	{"register", "register an existing client certificate in the certificate table", runRegister},
	{"revoke", "mark a registered certificate as revoked", runRevoke},
	{"list", "list registered certificates, all or of one client", runList},
	{"verify", "check a certificate against the truststore and, optionally, its record", runVerify},
	{"rotate", "issue and register a successor of a client certificate", runRotate},
	{"supersede", "mark a certificate as superseded once its successor is in use", runSupersede},
	{"truststore", "rebuild and validate truststore.pem, or validate any bundle", runTruststore},
	{"rotate-intermediate", "replace the intermediate CA, keeping the old one trusted until it expires", runRotateIntermediate},
}

// errUsage marks an error caused by the command line, reported with exit code ExitUsage.
var errUsage = errors.New("usage")

// usageError returns an error for a bad command line.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// explainedError carries a message written for the command line in place of the text of the
// error it wraps, which would only repeat it. errors.Is and errors.As still see the cause.
type explainedError struct {
	message string
	cause   error
}

func (e *explainedError) Error() string { return e.message }
func (e *explainedError) Unwrap() error { return e.cause }

// explain returns cause with the message format describes in place of its own text.
func explain(cause error, format string, args ...any) error {
	return &explainedError{message: fmt.Sprintf(format, args...), cause: cause}
}

// Run runs the command named by args[0] and returns the process exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.printHelp()
		return ExitUsage
	}

	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return a.Run(ctx, []string{rest[0], "-h"})
		}
		a.printHelp()
		return ExitOK
	}

	for _, cmd := range commands {
		if cmd.name != name {
			continue
		}
		err := cmd.run(ctx, a, rest)
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(a.Stderr, "certctl %s: %s\nRun 'certctl %s -h' for the flags.\n", name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "), name)
			return ExitUsage
		default:
			fmt.Fprintf(a.Stderr, "certctl %s: %v\n", name, err)
			return ExitError
		}
	}
	fmt.Fprintf(a.Stderr, "certctl: unknown command %q; run 'certctl help' for the list\n", name)
	return ExitUsage
}

func (a *App) printHelp() {
	w := a.Stdout
	fmt.Fprint(w, `certctl runs the mtls-api certificate authority and the certificate table.

Usage:
  certctl <command> [flags]
  certctl help <command>

Commands:
`)
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, c.name)
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, `
Environment:
  %-26s CA directory (default %s)
  %-26s certificate table name
  %-26s AWS region of the table
  %-26s DynamoDB endpoint, such as http://127.0.0.1:8000 for a local table

Results go to standard output, progress and errors to standard error. Private keys are
written with mode 0600 and never printed.
`, EnvDir, DefaultDir, EnvTable, EnvRegion, EnvEndpoint)
}

func (a *App) getenv(name string) string {
	if a.Getenv == nil {
		return os.Getenv(name)
	}
	return a.Getenv(name)
}

func (a *App) now() time.Time {
	if a.Now == nil {
		return time.Now().UTC()
	}
	return a.Now().UTC()
}

func (a *App) caOptions() ca.Options {
	return ca.Options{Now: a.now, Rand: a.Rand}
}

// progress writes a line of progress to Stderr.
func (a *App) progress(format string, args ...any) {
	fmt.Fprintf(a.Stderr, "certctl: "+format+"\n", args...)
}

// newFlagSet returns a flag set that reports errors instead of exiting, with a usage text made
// of synopsis, description and the flags.
func (a *App) newFlagSet(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.Usage = func() {
		out := a.Stdout
		fmt.Fprintf(out, "Usage: certctl %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(a.Stderr)
	}
	return fs
}

// parseFlags parses args and rejects positional arguments, which no command takes.
func parseFlags(fs *flag.FlagSet, args []string) error {
	// The flag package prints usage on every error; certctl prints it on request only.
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return err
	}
	if err != nil {
		return usageError("%v", err)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q; every value is given with a flag, such as --serial 1234", fs.Arg(0))
	}
	return nil
}

// requireFlag returns a usage error when value is empty.
func requireFlag(name, value, example string) error {
	if strings.TrimSpace(value) == "" {
		return usageError("missing --%s; for example --%s %s", name, name, example)
	}
	return nil
}

// sortedKeys returns the keys of m in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
