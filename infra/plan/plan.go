// Package plan renders a reviewable plan of a stack without cloud credentials: the Pulumi
// program runs under mocks with the stack's configuration file, and every resource it
// declares is written as text with its type, parent, options and inputs. The plans are
// committed under infra/plans, so that a change to the infrastructure shows up as a diff in
// review.
//
// The rendering is deterministic: resources are sorted, secrets are shown as [secret], image
// digests as placeholders named after their function, and the truststore is a committed
// fixture shown under the path the stack configures.
package plan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/mtls-api/mtls-api/infra/config"
	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/infra/program"
	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Paths relative to the project root.
const (
	// Dir holds one plan per stack, named <stack>.txt.
	Dir = "infra/plans"
	// FixtureTruststore is the public test truststore (CA certificates, no keys) that
	// replaces each stack's truststore while rendering.
	FixtureTruststore = "infra/plans/testdata/truststore.pem"
)

// Command is the command that refreshes the committed plans.
const Command = "make plan"

// ReadStackConfig reads the config section of a Pulumi.<stack>.yaml file as Pulumi passes it
// to a program: namespaced keys and string values. The program reads only plain values, so a
// secure or structured value of one of its keys is an error. Such values of other keys, such
// as a provider's aws:assumeRoles, are left out: the program never reads them.
func ReadStackConfig(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	out := make(map[string]string, len(file.Config))
	for key, node := range file.Config {
		if node.Kind == yaml.ScalarNode {
			out[key] = node.Value
			continue
		}
		if key == config.KeyRegion || strings.HasPrefix(key, config.Project+":") {
			return nil, fmt.Errorf("%s: key %s has a secure or structured value, and the program reads plain values only: set it with `pulumi config set %s VALUE`, without --secret or --path", path, key, key)
		}
	}
	return out, nil
}

// Run runs the program under mocks for stack with the configuration cfg and returns the
// mocks holding every resource it registered. dryRun selects a preview (true) or an update.
func Run(stack string, cfg map[string]string, opts program.Options, dryRun bool) (*Mocks, error) {
	mocks := &Mocks{Region: cfg[config.KeyRegion]}
	return mocks, RunWith(mocks, stack, cfg, opts, dryRun)
}

// RunWith is Run with mocks chosen by the caller. It records the stack outputs in mocks.
func RunWith(mocks *Mocks, stack string, cfg map[string]string, opts program.Options, dryRun bool) error {
	body := func(ctx *pulumi.Context) error {
		outputs, err := program.Declare(ctx, opts)
		if err != nil {
			return err
		}
		outputs.ToMapOutput().ApplyT(func(values map[string]any) map[string]any {
			mocks.setOutputs(values)
			return values
		})
		for name, value := range outputs {
			ctx.Export(name, value)
		}
		return nil
	}
	return pulumi.RunErr(body,
		pulumi.WithMocks(config.Project, stack, mocks),
		func(info *pulumi.RunInfo) {
			info.Config = cfg
			info.DryRun = dryRun
		})
}

// PlaceholderImages replaces the image builder while rendering. Each function's digest is
// derived from its name alone, so plans do not change when function code does.
type PlaceholderImages struct{}

// Build returns the placeholder image of function.
func (PlaceholderImages) Build(_ context.Context, function, _ string) (image.Image, error) {
	return image.Image{Function: function, Digest: PlaceholderDigest(function)}, nil
}

// PlaceholderDigest returns the digest PlaceholderImages gives function.
func PlaceholderDigest(function string) v1.Hash {
	sum := sha256.Sum256([]byte("placeholder image of " + function))
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// Render returns the plan of stack, read from Pulumi.<stack>.yaml in root.
func Render(root, stack string) ([]byte, error) {
	configFile := filepath.Join(root, "Pulumi."+stack+".yaml")
	cfg, err := ReadStackConfig(configFile)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	configured := cfg[config.KeyTruststorePath]
	fixture := filepath.Join(root, FixtureTruststore)
	cfg[config.KeyTruststorePath] = fixture

	mocks, err := Run(stack, cfg, program.Options{Root: root, Images: PlaceholderImages{}}, true)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}

	r := renderer{replacements: []string{fixture, configured}}
	for _, f := range catalog.All() {
		digest := PlaceholderDigest(f.Name)
		r.replacements = append(r.replacements,
			digest.String(), "sha256:<"+f.Name+" image digest>",
			digest.Hex, "<"+f.Name+" image digest>",
			digest.Hex[:12], "<"+f.Name+" build version>")
	}
	r.replacements = append(r.replacements, root+string(filepath.Separator), "")

	var b strings.Builder
	fmt.Fprintf(&b, "# Plan of stack %s, rendered under Pulumi mocks from Pulumi.%s.yaml by `%s`.\n", stack, stack, Command)
	fmt.Fprintf(&b, "# Values AWS computes (ids, ARNs, URLs) come from the mocks; secrets are shown as [secret]\n")
	fmt.Fprintf(&b, "# and image digests as placeholders. `pulumi preview --stack %s` shows the real values.\n", stack)
	for _, res := range mocks.Resources() {
		b.WriteString("\n")
		r.resource(&b, res)
	}
	b.WriteString("\nstack outputs\n")
	r.object(&b, resource.NewPropertyMapFromMap(mocks.Outputs()), 1)
	return []byte(b.String()), nil
}

// Stacks returns the names of the stacks configured in root, one per Pulumi.<stack>.yaml,
// sorted.
func Stacks(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var stacks []string
	for _, f := range files {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("no Pulumi.<stack>.yaml in %s", root)
	}
	return stacks, nil
}

// ErrStale is wrapped in the error of Check when a committed plan is missing or differs from a
// fresh rendering.
var ErrStale = errors.New("committed plan is stale")

// Check renders the plan of stack in root and compares it with the committed file. Its error
// wraps ErrStale, shows the first line that differs and names the command that refreshes the
// plans.
func Check(root, stack string) error {
	fresh, err := Render(root, stack)
	if err != nil {
		return err
	}
	file := filepath.Join(Dir, stack+".txt")
	committed, err := os.ReadFile(Path(root, stack))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s is missing: run `%s` and commit it", ErrStale, file, Command)
	case err != nil:
		return fmt.Errorf("read %s: %w", file, err)
	case !bytes.Equal(committed, fresh):
		return fmt.Errorf("%w: %s no longer matches the program and Pulumi.%s.yaml (%s): run `%s` and commit the result",
			ErrStale, file, stack, FirstDifference(committed, fresh), Command)
	}
	return nil
}

// FirstDifference describes the first line where the texts before and after differ.
func FirstDifference(before, after []byte) string {
	b, a := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	for i := range max(len(b), len(a)) {
		var bl, al string
		if i < len(b) {
			bl = b[i]
		}
		if i < len(a) {
			al = a[i]
		}
		if bl != al {
			return fmt.Sprintf("line %d was %q, is now %q", i+1, bl, al)
		}
	}
	return "no line differs"
}

// Path returns the plan file of stack in root.
func Path(root, stack string) string {
	return filepath.Join(root, Dir, stack+".txt")
}

// WriteAll renders the plan of every stack in root into its file and returns the paths
// written, relative to root.
func WriteAll(root string) ([]string, error) {
	stacks, err := Stacks(root)
	if err != nil {
		return nil, err
	}
	// The plans are committed text, as readable as every other file of the checkout.
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o755); err != nil { //nolint:gosec // committed, public folder
		return nil, err
	}
	var written []string
	for _, stack := range stacks {
		text, err := Render(root, stack)
		if err != nil {
			return written, err
		}
		if err := os.WriteFile(Path(root, stack), text, 0o644); err != nil { //nolint:gosec // committed, public file
			return written, err
		}
		written = append(written, filepath.Join(Dir, stack+".txt"))
	}
	return written, nil
}
