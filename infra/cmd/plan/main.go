// Command plan writes the reviewable plan of every stack, infra/plans/<stack>.txt, for each
// Pulumi.<stack>.yaml at the project root. It needs no cloud credentials: the program runs
// under Pulumi mocks. Run it from anywhere inside the checkout, usually as `make plan`.
package main

import (
	"fmt"
	"os"

	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/infra/program"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "plan:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := program.FindRoot(".")
	if err != nil {
		return err
	}
	written, err := plan.WriteAll(root)
	for _, path := range written {
		fmt.Println(path)
	}
	return err
}
