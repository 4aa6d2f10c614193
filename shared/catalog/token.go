package catalog

import (
	"time"

	"github.com/mtls-api/mtls-api/shared/env"
)

func init() {
	register(Function{
		Name:        "token",
		Package:     "./functions/token",
		Description: "Exchanges a registered, active client certificate for an access token.",
		Routes:      []Route{{Method: "POST", Path: "/oauth/token", Auth: AuthMTLS}},
		MemoryMB:    256,
		Timeout:     10 * time.Second,
		Env:         []string{env.TableName, env.TokenURL, env.ClientID, env.ClientSecretARN},
		Permissions: []Permission{
			{Resource: ResourceCertificateTable, Actions: []string{"dynamodb:GetItem"}},
			{Resource: ResourceClientSecret, Actions: []string{"secretsmanager:GetSecretValue"}},
		},
	})
}
