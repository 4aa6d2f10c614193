package stack

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// WriteInstructions writes ready-to-paste curl commands that get an access token with the
// demo client certificate and call /health with it, and the export lines that point certctl
// at the local CA and certificate table. File paths are relative to root, the directory the
// commands are meant to run from, when the files lie under it.
func (s *Stack) WriteInstructions(w io.Writer, root string) error {
	rel := func(path string) string {
		if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return path
	}
	tls := fmt.Sprintf("--cacert %s --cert %s --key %s",
		shellQuote(rel(s.Files.CACert)), shellQuote(rel(s.Files.DemoCert)), shellQuote(rel(s.Files.DemoKey)))

	_, err := fmt.Fprintf(w, `
The local stack is ready at %[1]s (client certificate required).
Run these from the repository root.

Get an access token with the demo client certificate:

  TOKEN=$(curl -sS %[2]s -d grant_type=client_credentials %[1]s/oauth/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

Call /health with it:

  curl -sS %[2]s -H "Authorization: Bearer $TOKEN" %[1]s/health

Point certctl at the local CA and certificate table (or run: . %[3]s):

%[4]s
Press Ctrl-C to stop the stack.
`, s.URL, tls, shellQuote(rel(s.Files.CertctlEnv)), exportLines(s.certctlEnv(rel), "  "))
	return err
}

// shellQuote quotes a word, such as a path or a URL, for a POSIX shell when it holds
// characters the shell would split or expand.
func shellQuote(word string) string {
	if strings.IndexFunc(word, needsQuoting) < 0 {
		return word
	}
	return "'" + strings.ReplaceAll(word, "'", `'\''`) + "'"
}

// needsQuoting reports whether r is outside the letters, digits and punctuation that a POSIX
// shell reads literally in a word.
func needsQuoting(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	case r == '/', r == '.', r == '-', r == '_', r == ':':
		return false
	}
	return true
}
