package plan_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/shared/catalog"
)

var update = flag.Bool("update", false, "rewrite the committed plans under infra/plans")

// root is the project root, two folders above this package.
var root = filepath.Join("..", "..")

func absRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func stacks(t *testing.T) []string {
	t.Helper()
	stacks, err := plan.Stacks(absRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return stacks
}

func TestCommittedPlansAreCurrent(t *testing.T) {
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			if *update {
				got, err := plan.Render(absRoot(t), stack)
				if err != nil {
					t.Fatalf("Render(%s) error = %v", stack, err)
				}
				if err := os.WriteFile(plan.Path(absRoot(t), stack), got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err := plan.Check(absRoot(t), stack); err != nil {
				t.Error(err)
			}
		})
	}
}

// copyCheckout copies the files a plan is rendered from into a new folder and returns it.
func copyCheckout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"Pulumi.yaml", "Pulumi.dev.yaml", plan.FixtureTruststore, filepath.Join(plan.Dir, "dev.txt")} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckStalePlan(t *testing.T) {
	tests := []struct {
		name     string
		change   func(t *testing.T, dir string)
		wantText []string
	}{
		{
			name: "stack file changed",
			change: func(t *testing.T, dir string) {
				t.Helper()
				path := filepath.Join(dir, "Pulumi.dev.yaml")
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				changed := strings.Replace(string(data), `logRetentionDays: "14"`, `logRetentionDays: "30"`, 1)
				if changed == string(data) {
					t.Fatal("Pulumi.dev.yaml has no logRetentionDays of 14 to change")
				}
				if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantText: []string{"infra/plans/dev.txt", "Pulumi.dev.yaml", "retentionInDays: 30", "`make plan`"},
		},
		{
			name: "plan missing",
			change: func(t *testing.T, dir string) {
				t.Helper()
				if err := os.Remove(plan.Path(dir, "dev")); err != nil {
					t.Fatal(err)
				}
			},
			wantText: []string{"infra/plans/dev.txt is missing", "`make plan`"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyCheckout(t)
			if err := plan.Check(dir, "dev"); err != nil {
				t.Fatalf("Check(dev) in an unchanged copy = %v, want nil", err)
			}
			tt.change(t, dir)

			err := plan.Check(dir, "dev")
			if !errors.Is(err, plan.ErrStale) {
				t.Fatalf("Check(dev) = %v, want %v", err, plan.ErrStale)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Check(dev) = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	first, err := plan.Render(absRoot(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := plan.Render(absRoot(t), "dev")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatalf("Render(dev) differs between runs, first difference: %s", plan.FirstDifference(first, again))
		}
	}
}

func TestRenderRedacts(t *testing.T) {
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			got, err := plan.Render(absRoot(t), stack)
			if err != nil {
				t.Fatal(err)
			}
			text := string(got)

			if strings.Contains(text, plan.MockClientSecret) {
				t.Error("plan contains the client secret, want it redacted")
			}
			if !strings.Contains(text, "secretString: [secret]") {
				t.Error("plan lacks `secretString: [secret]`, want the secret version shown redacted")
			}
			for _, f := range catalog.All() {
				digest := plan.PlaceholderDigest(f.Name)
				if strings.Contains(text, digest.Hex[:12]) {
					t.Errorf("plan contains the digest of %s, want a placeholder", f.Name)
				}
				if want := "@sha256:<" + f.Name + " image digest>"; !strings.Contains(text, want) {
					t.Errorf("plan lacks %q", want)
				}
			}
			if strings.Contains(text, absRoot(t)) {
				t.Error("plan contains the absolute path of the checkout, want paths relative to the project root")
			}
			if strings.Contains(text, plan.FixtureTruststore) {
				t.Errorf("plan names the fixture %s, want the stack's configured truststore path", plan.FixtureTruststore)
			}
		})
	}
}

func TestRenderUnknownStack(t *testing.T) {
	_, err := plan.Render(absRoot(t), "nosuchstack")
	if err == nil || !strings.Contains(err.Error(), "Pulumi.nosuchstack.yaml") {
		t.Errorf("Render(nosuchstack) error = %v, want one naming Pulumi.nosuchstack.yaml", err)
	}
}

func TestReadStackConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		want    map[string]string
		wantErr string
	}{
		{
			name:    "scalars as strings",
			content: "config:\n  aws:region: eu-west-1\n  mtls-api:logRetentionDays: 14\n  mtls-api:protect: true\n",
			want:    map[string]string{"aws:region": "eu-west-1", "mtls-api:logRetentionDays": "14", "mtls-api:protect": "true"},
		},
		{
			name:    "secure value",
			content: "config:\n  mtls-api:token:\n    secure: AAABAC==\n",
			wantErr: "mtls-api:token",
		},
		{
			name:    "secure region",
			content: "config:\n  aws:region:\n    secure: AAABAC==\n",
			wantErr: "aws:region",
		},
		{
			name: "other keys not plain",
			content: "config:\n  aws:region: eu-west-1\n  aws:secretKey:\n    secure: AAABAC==\n" +
				"  aws:assumeRoles:\n    - roleArn: arn:aws:iam::123456789012:role/deploy\n",
			want: map[string]string{"aws:region": "eu-west-1"},
		},
		{
			name:    "not YAML",
			content: "config: [unclosed\n",
			wantErr: "parse",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := plan.ReadStackConfig(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ReadStackConfig() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadStackConfig() error = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("ReadStackConfig() = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("ReadStackConfig()[%s] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	dir := copyCheckout(t)
	if err := os.Remove(plan.Path(dir, "dev")); err != nil {
		t.Fatal(err)
	}

	written, err := plan.WriteAll(dir)
	if err != nil {
		t.Fatalf("WriteAll() error = %v", err)
	}
	if want := filepath.Join(plan.Dir, "dev.txt"); len(written) != 1 || written[0] != want {
		t.Fatalf("WriteAll() = %q, want [%q]", written, want)
	}
	got, err := os.ReadFile(filepath.Join(dir, written[0]))
	if err != nil {
		t.Fatal(err)
	}
	want, err := plan.Render(absRoot(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("plan written in another checkout differs: %s", plan.FirstDifference(want, got))
	}
}
