// Command infra is the Pulumi program of mtls-api. Pulumi runs it from this folder (Pulumi.yaml
// at the project root names it as main); see program for what it declares.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/infra/program"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	root, err := program.FindRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
	pulumi.Run(program.New(program.Options{
		Root:   root,
		Images: image.Builder{Dir: root},
		Now:    time.Now,
	}))
}
