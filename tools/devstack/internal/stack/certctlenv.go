package stack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/mtls-api/mtls-api/shared/env"
)

// certctlEnvFile is the file in the state directory that points certctl at the running stack.
const certctlEnvFile = "certctl.env"

// envCertctlDir is the variable certctl reads for its CA directory.
const envCertctlDir = "CERTCTL_DIR"

// variable is one environment variable for certctl.
type variable struct {
	name, value string
}

// certctlEnv returns the variables that point certctl at the local CA and the certificate
// table of the running stack. path writes the CA directory's path, relative or absolute.
func (s *Stack) certctlEnv(path func(string) string) []variable {
	return []variable{
		{envCertctlDir, path(s.Files.CADir)},
		{env.TableName, TableName},
		{"AWS_REGION", Region},
		{"AWS_ENDPOINT_URL_DYNAMODB", s.DynamoDBEndpoint},
	}
}

// exportLines writes one `export NAME=value` line per variable, each prefixed with indent,
// with the values quoted for a POSIX shell.
func exportLines(vars []variable, indent string) string {
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "%sexport %s=%s\n", indent, v.name, shellQuote(v.value))
	}
	return b.String()
}

// writeCertctlEnv writes Files.CertctlEnv with an absolute CA path, so that it can be sourced
// from any folder. The stack removes the file when it stops, because the table's endpoint
// changes on every start.
func (s *Stack) writeCertctlEnv() error {
	content := "# certctl settings for the running local stack. Load them with: . " + shellQuote(s.Files.CertctlEnv) + "\n" +
		exportLines(s.certctlEnv(func(p string) string { return p }), "")
	if err := os.WriteFile(s.Files.CertctlEnv, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write certctl settings: %w", err)
	}
	s.onClose(certctlEnvFile, func() error {
		if err := os.Remove(s.Files.CertctlEnv); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	return nil
}
