package main

import (
	"errors"

	"github.com/mtls-api/mtls-api/shared/env"
)

// config is the token function's environment.
type config struct {
	table     string
	tokenURL  string
	clientID  string
	secretARN string
	// secret is the plain client secret, used only when secretARN is empty.
	secret string
}

// loadConfig reads the environment. The client secret comes from Secrets Manager when
// env.ClientSecretARN is set; env.ClientSecret, a plain value for the local stack, is used
// only without an ARN.
func loadConfig(lookup env.Lookup) (config, error) {
	var (
		c    config
		errs []error
		err  error
	)
	if c.table, err = lookup.Required(env.TableName); err != nil {
		errs = append(errs, err)
	}
	if c.tokenURL, err = lookup.Required(env.TokenURL); err != nil {
		errs = append(errs, err)
	}
	if c.clientID, err = lookup.Required(env.ClientID); err != nil {
		errs = append(errs, err)
	}
	c.secretARN = lookup.Optional(env.ClientSecretARN, "")
	if c.secretARN == "" {
		if c.secret, err = lookup.Required(env.ClientSecret); err != nil {
			errs = append(errs, errors.New("environment variable "+env.ClientSecretARN+" is not set (or "+env.ClientSecret+" for the local stack)"))
		}
	}
	return c, errors.Join(errs...)
}
