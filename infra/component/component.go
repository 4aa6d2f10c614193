// Package component holds the Pulumi components of mtls-api, one per concern: the
// certificate store, the identity provider, the truststore, a function and the API.
//
// Every component is built by NewX(ctx, name, args, opts...), rejects nil args, parents each
// child to itself, derives child names from its own name and ends with a checked
// RegisterResourceOutputs.
package component

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// typePrefix starts the type token of every component, such as "mtls-api:component:Function".
const typePrefix = "mtls-api:component:"

// ErrNilArgs is wrapped in the error of every constructor called with nil args.
var ErrNilArgs = errors.New("args are nil")

// register registers the component c of kind under name.
func register(ctx *pulumi.Context, kind, name string, c pulumi.ComponentResource, opts []pulumi.ResourceOption) error {
	if err := ctx.RegisterComponentResource(typePrefix+kind, name, c, opts...); err != nil {
		return fmt.Errorf("register %s %s: %w", kind, name, err)
	}
	return nil
}

// finish records the component's outputs, which ends its registration.
func finish(ctx *pulumi.Context, kind, name string, c pulumi.ComponentResource, outputs pulumi.Map) error {
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return fmt.Errorf("register outputs of %s %s: %w", kind, name, err)
	}
	return nil
}

// stateful returns the options of a resource that holds data: with protect, Pulumi refuses to
// delete or replace it and keeps it in AWS when the stack is destroyed.
func stateful(protect bool, parent pulumi.Resource) []pulumi.ResourceOption {
	return []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Protect(protect), pulumi.RetainOnDelete(protect)}
}
