package catalog

import (
	"time"

	"github.com/mtls-api/mtls-api/shared/env"
)

func init() {
	register(Function{
		Name:        "authorizer",
		Package:     "./functions/authorizer",
		Description: "Checks the access token and the client certificate of every jwt route.",
		Authorizer:  true,
		MemoryMB:    256,
		Timeout:     5 * time.Second,
		Env:         []string{env.TableName, env.Issuer, env.ClientID, env.JWKSURL},
		Permissions: []Permission{
			{Resource: ResourceCertificateTable, Actions: []string{"dynamodb:GetItem"}},
		},
	})
}
