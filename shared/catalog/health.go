package catalog

import (
	"time"

	"github.com/mtls-api/mtls-api/shared/env"
)

func init() {
	register(Function{
		Name:        "health",
		Package:     "./functions/health",
		Description: "Reports the service status and the caller's client certificate.",
		Routes:      []Route{{Method: "GET", Path: "/health", Auth: AuthJWT}},
		MemoryMB:    128,
		Timeout:     5 * time.Second,
		Env:         []string{env.BuildVersion},
	})
}
