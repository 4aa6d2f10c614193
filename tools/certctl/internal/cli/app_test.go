package cli_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/tools/certctl/internal/cli"
)

var commandNames = []string{"init", "issue", "register", "revoke", "list", "verify", "rotate", "supersede", "truststore", "rotate-intermediate"}

func TestHelpListsEveryCommand(t *testing.T) {
	e := newEnv(t)
	r := e.mustRun("help")
	for _, name := range commandNames {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + ` +\S`).MatchString(r.stdout) {
			t.Errorf("help does not describe %q:\n%s", name, r.stdout)
		}
	}
	for _, v := range []string{cli.EnvDir, cli.EnvTable, cli.EnvRegion, cli.EnvEndpoint} {
		if !strings.Contains(r.stdout, v) {
			t.Errorf("help does not mention %s", v)
		}
	}
}

// TestCommandHelpDescribesEveryFlag checks that -h and help <command> print a usage line and
// a description for every flag, with the unit of every duration.
func TestCommandHelpDescribesEveryFlag(t *testing.T) {
	for _, name := range commandNames {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			r := e.mustRun(name, "-h")
			if !strings.HasPrefix(r.stdout, "Usage: certctl "+name) {
				t.Errorf("%s -h starts with %q, want a usage line", name, firstLine(r.stdout))
			}
			flags := regexp.MustCompile(`(?m)^  -(\S+)( \S+)?\n\s+(.*)$`).FindAllStringSubmatch(r.stdout, -1)
			if len(flags) == 0 {
				t.Fatalf("%s -h lists no flags:\n%s", name, r.stdout)
			}
			for _, f := range flags {
				if strings.TrimSpace(f[3]) == "" {
					t.Errorf("flag -%s has no description", f[1])
				}
				if strings.Contains(f[0], "validity") && !strings.Contains(f[3], "90d") {
					t.Errorf("flag -%s = %q, want its unit", f[1], f[3])
				}
			}

			viaHelp := e.mustRun("help", name)
			if viaHelp.stdout != r.stdout {
				t.Errorf("help %s differs from %s -h", name, name)
			}
		})
	}
}

func TestRunRejectsCommandLine(t *testing.T) {
	e := newEnv(t)
	wantFailure(t, e.run(), cli.ExitUsage)
	wantFailure(t, e.run("issuee"), cli.ExitUsage, `unknown command "issuee"`, "certctl help")
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "90d", want: 90 * 24 * time.Hour},
		{in: "2160h", want: 2160 * time.Hour},
		{in: "36h30m", want: 36*time.Hour + 30*time.Minute},
		{in: " 1d ", want: 24 * time.Hour},
		{in: "36500d", want: 36500 * 24 * time.Hour},
		{in: "36501d", wantErr: true},
		{in: "0d", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "d", wantErr: true},
		{in: "", wantErr: true},
		{in: "90", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := cli.ParseDuration(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Errorf("ParseDuration(%q) = %s, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseDuration(%q) = %s, %v, want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseRevocationReason(t *testing.T) {
	for in, want := range map[string]string{"keyCompromise": "keyCompromise", "KEYCOMPROMISE": "keyCompromise", " superseded ": "superseded"} {
		if got, err := cli.ParseRevocationReason(in); err != nil || got != want {
			t.Errorf("ParseRevocationReason(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := cli.ParseRevocationReason("cACompromise"); err == nil {
		t.Error("ParseRevocationReason(cACompromise) = nil, want an error for a CA-only reason")
	}
}

func TestKeyPathFor(t *testing.T) {
	for in, want := range map[string]string{"a.pem": "a-key.pem", "dir/a.crt": "dir/a-key.pem", "a": "a-key.pem"} {
		if got := cli.KeyPathFor(in); got != want {
			t.Errorf("KeyPathFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90d", "2160h", "0d", "-5d", "99999999999999999999d", "1h1d", "d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := cli.ParseDuration(s)
		if err == nil && d <= 0 {
			t.Fatalf("ParseDuration(%q) = %s, want a positive duration or an error", s, d)
		}
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
