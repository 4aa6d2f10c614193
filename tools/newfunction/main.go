// Command newfunction scaffolds a Lambda function: its code under functions/NAME, its entry in
// the function catalog and the refreshed plans under infra/plans. `make new-function` runs it
// from the repository root:
//
//	go run ./tools/newfunction -name widgets -route "GET /v1/widgets" -auth jwt
//
// With -list, it prints the catalog compiled into it as JSON instead, after validating it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mtls-api/mtls-api/tools/newfunction/internal/scaffold"
)

func main() {
	// An interrupt cancels the context, so Run stops its commands and removes what it wrote.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)

	// Output piped into a command that Ctrl-C ends too (make new-function ... | tee log) turns
	// the next progress line into a write on a closed pipe. Receiving SIGPIPE makes that write
	// fail with EPIPE instead of killing the process before it removes what it wrote.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("newfunction", flag.ContinueOnError)
	flags.SetOutput(stderr)
	name := flags.String("name", "", "function name: 1 to 40 lowercase letters and digits, starting with a letter")
	route := flags.String("route", "", `route as "METHOD /path", such as "GET /v1/widgets/{id}"`)
	auth := flags.String("auth", "", "jwt (access token checked by the authorizer) or mtls (client certificate alone)")
	dir := flags.String("dir", ".", "repository root")
	list := flags.Bool("list", false, "print the catalog as JSON and exit")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "newfunction: unexpected argument %q; pass -name, -route and -auth\n", flags.Arg(0))
		return 2
	}

	if *list {
		if err := scaffold.WriteCatalog(stdout); err != nil {
			fmt.Fprintf(stderr, "newfunction: %v\n", err)
			return 1
		}
		return 0
	}

	req := scaffold.Request{Name: *name, Route: *route, Auth: *auth}
	result, err := scaffold.Run(ctx, req, scaffold.Options{Dir: *dir, Log: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "newfunction: %v\n", err)
		if errors.Is(err, context.Canceled) {
			return 130
		}
		return 1
	}

	printSummary(stdout, req, result)
	return 0
}

func printSummary(w io.Writer, req scaffold.Request, result *scaffold.Result) {
	fmt.Fprintf(w, "Created function %s for %s (%s):\n", req.Name, req.Route, req.Auth)
	for _, p := range result.Created {
		fmt.Fprintf(w, "  %s\n", p)
	}
	if len(result.PlansChanged) > 0 {
		fmt.Fprintln(w, "Refreshed the plans:")
		for _, p := range result.PlansChanged {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	fmt.Fprintf(w, "Next: write the handler in functions/%s/handler.go, list the environment variables and\n", req.Name)
	fmt.Fprintf(w, "permissions in shared/catalog/%s.go, run make plan again after changing the catalog entry,\n", req.Name)
	fmt.Fprintln(w, "and try it with make dev. docs/adding-a-function.md has the details.")
}
