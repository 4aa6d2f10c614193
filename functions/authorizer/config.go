package main

import (
	"errors"
	"strings"

	"github.com/mtls-api/mtls-api/shared/env"
)

// config is the authorizer's environment.
type config struct {
	table    string
	issuer   string
	clientID string
	jwksURL  string
}

// loadConfig reads the environment. The key set URL defaults to the issuer followed by
// /.well-known/jwks.json, where Cognito publishes a user pool's keys.
func loadConfig(lookup env.Lookup) (config, error) {
	var (
		c    config
		errs []error
		err  error
	)
	if c.table, err = lookup.Required(env.TableName); err != nil {
		errs = append(errs, err)
	}
	if c.issuer, err = lookup.Required(env.Issuer); err != nil {
		errs = append(errs, err)
	}
	if c.clientID, err = lookup.Required(env.ClientID); err != nil {
		errs = append(errs, err)
	}
	c.jwksURL = lookup.Optional(env.JWKSURL, strings.TrimSuffix(c.issuer, "/")+"/.well-known/jwks.json")
	return c, errors.Join(errs...)
}
