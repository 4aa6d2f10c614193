// Command certctl runs the mtls-api certificate authority: it creates the CA, issues, registers,
// revokes and rotates client certificates, and builds the API Gateway truststore. Run
// `certctl help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/mtls-api/mtls-api/tools/certctl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	app := &cli.App{Stdout: os.Stdout, Stderr: os.Stderr}
	code := app.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
