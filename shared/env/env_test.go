package env_test

import (
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/shared/env"
)

func TestLookup(t *testing.T) {
	vars := map[string]string{env.TableName: "certificates", env.Issuer: "  ", env.BuildVersion: " v1.2.3 "}
	lookup := env.Lookup(func(name string) string { return vars[name] })

	if got, err := lookup.Required(env.TableName); err != nil || got != "certificates" {
		t.Errorf("Required(%s) = %q, %v, want certificates", env.TableName, got, err)
	}
	if _, err := lookup.Required(env.Issuer); err == nil || !strings.Contains(err.Error(), env.Issuer) {
		t.Errorf("Required(blank %s) = %v, want an error naming the variable", env.Issuer, err)
	}
	if _, err := lookup.Required(env.ClientID); err == nil {
		t.Errorf("Required(unset %s) = nil error, want one", env.ClientID)
	}
	if got := lookup.Optional(env.BuildVersion, "dev"); got != "v1.2.3" {
		t.Errorf("Optional(%s) = %q, want v1.2.3", env.BuildVersion, got)
	}
	if got := lookup.Optional(env.JWKSURL, "default"); got != "default" {
		t.Errorf("Optional(unset) = %q, want default", got)
	}
}
