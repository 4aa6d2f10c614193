package program_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/infra/component"
	"github.com/mtls-api/mtls-api/infra/config"
	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/infra/program"
	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/env"
	"github.com/mtls-api/mtls-api/shared/truststore"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// recordingPublisher records each push and returns a reference under a fixed registry.
type recordingPublisher struct {
	mu     sync.Mutex
	pushed []string
	err    error
}

func (p *recordingPublisher) Publish(_ context.Context, registryID, repository string, img image.Image) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return "", p.err
	}
	p.pushed = append(p.pushed, img.Function+" to "+repository+" in "+registryID)
	return image.Reference(repository, img), nil
}

func TestPublishOnlyDuringUpdate(t *testing.T) {
	tests := []struct {
		name       string
		dryRun     bool
		wantPushes int
	}{
		{name: "preview", dryRun: true, wantPushes: 0},
		{name: "update", dryRun: false, wantPushes: len(catalog.All())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			publisher := &recordingPublisher{}
			opts := options()
			opts.Publisher = publisher

			mocks, err := plan.Run("dev", stackConfig(t, "dev"), opts, tt.dryRun)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if len(publisher.pushed) != tt.wantPushes {
				t.Errorf("pushes = %q, want %d", publisher.pushed, tt.wantPushes)
			}
			for _, push := range publisher.pushed {
				if !strings.HasSuffix(push, " in "+plan.MockAccount) || !strings.Contains(push, ".dkr.ecr.") {
					t.Errorf("push %q, want one to the stack's ECR repository in account %s", push, plan.MockAccount)
				}
			}

			d := deployment{stack: "dev", resources: mocks.Resources()}
			for _, fn := range d.ofType(typeFunction) {
				if uri := str(t, fn.Inputs, "imageUri"); !digestReference.MatchString(uri) {
					t.Errorf("function %s imageUri = %q, want a reference by digest", fn.Name, uri)
				}
			}
		})
	}
}

func TestPublishErrorFailsUpdate(t *testing.T) {
	opts := options()
	opts.Publisher = &recordingPublisher{err: errors.New("registry unavailable")}

	_, err := plan.Run("dev", stackConfig(t, "dev"), opts, false)
	if err == nil || !strings.Contains(err.Error(), "registry unavailable") {
		t.Errorf("run with a failing publisher error = %v, want it to contain the publisher's error", err)
	}
}

// failingImages fails to build one function.
type failingImages struct{ function string }

func (f failingImages) Build(ctx context.Context, function, pkg string) (image.Image, error) {
	if function == f.function {
		return image.Image{}, errors.New("build function " + function + ": compile error")
	}
	return plan.PlaceholderImages{}.Build(ctx, function, pkg)
}

func TestImageBuildErrorFailsPreview(t *testing.T) {
	opts := options()
	opts.Images = failingImages{function: "health"}

	mocks, err := plan.Run("dev", stackConfig(t, "dev"), opts, true)
	if err == nil || !strings.Contains(err.Error(), "build function health") {
		t.Fatalf("run with a failing build error = %v, want it to name the function", err)
	}
	if n := len(mocks.Resources()); n != 0 {
		t.Errorf("resources registered after a failed build = %d, want 0", n)
	}
}

func TestTruststoreChecks(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	expired := writeTruststore(t, testNow.AddDate(-3, 0, 0), testNow.AddDate(-1, 0, 0))

	tests := []struct {
		name    string
		path    string
		wantErr error
		want    string
	}{
		{name: "missing file", path: filepath.Join(dir, "absent.pem"), wantErr: os.ErrNotExist, want: "certctl init --dir .certs/dev`, then copy its truststore.pem to"},
		{name: "not PEM", path: garbage, wantErr: truststore.ErrNotPEM, want: "not valid for API Gateway"},
		{name: "empty", path: empty, wantErr: truststore.ErrEmpty, want: "not valid for API Gateway"},
		{name: "expired CA", path: expired, want: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stackConfig(t, "dev")
			cfg[config.KeyTruststorePath] = tt.path

			mocks, err := plan.Run("dev", cfg, options(), true)
			if err == nil {
				t.Fatal("run = nil error, want a truststore error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("run error = %v, want errors.Is %v", err, tt.wantErr)
			}
			for _, want := range []string{config.KeyTruststorePath, tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("run error = %q, want it to contain %q", err, want)
				}
			}
			if n := len(mocks.Resources()); n != 0 {
				t.Errorf("resources registered after a truststore error = %d, want 0", n)
			}
		})
	}
}

func TestTruststorePathRelativeToRoot(t *testing.T) {
	cfg := stackConfig(t, "dev")
	cfg[config.KeyTruststorePath] = plan.FixtureTruststore

	mocks, err := plan.Run("dev", cfg, options(), true)
	if err != nil {
		t.Fatalf("run with a path relative to the project root: %v", err)
	}
	d := deployment{resources: mocks.Resources()}
	source := value(t, d.one(t, typeObject).Inputs, "source").AssetValue().Path
	if want := filepath.Join(root, plan.FixtureTruststore); source != want {
		t.Errorf("truststore object source = %q, want %q", source, want)
	}
}

func TestConfigErrorFailsPreview(t *testing.T) {
	cfg := stackConfig(t, "dev")
	delete(cfg, config.KeyDomainName)

	mocks, err := plan.Run("dev", cfg, options(), true)
	if err == nil || !strings.Contains(err.Error(), config.KeyDomainName) {
		t.Fatalf("run without %s error = %v, want one naming the key", config.KeyDomainName, err)
	}
	if n := len(mocks.Resources()); n != 0 {
		t.Errorf("resources registered after a config error = %d, want 0", n)
	}
}

func TestCatalogErrors(t *testing.T) {
	base := func() []catalog.Function {
		return []catalog.Function{{
			Name:     "widgets",
			Package:  "./functions/widgets",
			Routes:   []catalog.Route{{Method: "GET", Path: "/widgets", Auth: catalog.AuthMTLS}},
			MemoryMB: 128,
			Timeout:  5 * time.Second,
		}}
	}
	tests := []struct {
		name   string
		change func(fs []catalog.Function) []catalog.Function
		want   string
	}{
		{
			name:   "reads the plain client secret",
			change: func(fs []catalog.Function) []catalog.Function { fs[0].Env = []string{env.ClientSecret}; return fs },
			want:   env.ClientSecretARN,
		},
		{
			name:   "reads an unknown variable",
			change: func(fs []catalog.Function) []catalog.Function { fs[0].Env = []string{"WIDGET_COLOR"}; return fs },
			want:   "WIDGET_COLOR",
		},
		{
			name: "jwt route without authorizer",
			change: func(fs []catalog.Function) []catalog.Function {
				fs[0].Routes[0].Auth = catalog.AuthJWT
				return fs
			},
			want: "authorizer",
		},
		{
			name: "wildcard action",
			change: func(fs []catalog.Function) []catalog.Function {
				fs[0].Permissions = []catalog.Permission{{Resource: catalog.ResourceCertificateTable, Actions: []string{"dynamodb:*"}}}
				return fs
			},
			want: "dynamodb:*",
		},
		{
			name: "routes with one resource name",
			change: func(fs []catalog.Function) []catalog.Function {
				fs[0].Routes = append(fs[0].Routes, catalog.Route{Method: "GET", Path: "/widgets.", Auth: catalog.AuthMTLS})
				return fs
			},
			want: `would both name their resources "get-widgets"`,
		},
		{
			name: "unknown resource",
			change: func(fs []catalog.Function) []catalog.Function {
				fs[0].Permissions = []catalog.Permission{{Resource: "widgetBucket", Actions: []string{"s3:GetObject"}}}
				return fs
			},
			want: "widgetBucket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := options()
			opts.Functions = tt.change(base())

			_, err := plan.Run("dev", stackConfig(t, "dev"), opts, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCustomCatalogDeploysEveryRoute(t *testing.T) {
	opts := options()
	opts.Functions = []catalog.Function{{
		Name:     "widgets",
		Package:  "./functions/widgets",
		Routes:   []catalog.Route{{Method: "GET", Path: "/v1/widgets/{id}", Auth: catalog.AuthMTLS}, {Method: "POST", Path: "/v1/widgets", Auth: catalog.AuthMTLS}},
		MemoryMB: 128,
		Timeout:  5 * time.Second,
	}}

	mocks, err := plan.Run("dev", stackConfig(t, "dev"), opts, true)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	d := deployment{stack: "dev", resources: mocks.Resources()}
	var keys, sources []string
	for _, r := range d.ofType(typeRoute) {
		keys = append(keys, str(t, r.Inputs, "routeKey"))
	}
	for _, p := range d.ofType(typePermission) {
		sources = append(sources, str(t, p.Inputs, "sourceArn"))
	}
	slices.Sort(keys)
	slices.Sort(sources)

	if want := []string{"GET /v1/widgets/{id}", "POST /v1/widgets"}; !slices.Equal(keys, want) {
		t.Errorf("route keys = %q, want %q", keys, want)
	}
	if n := len(d.ofType(typeAuthorizer)); n != 0 {
		t.Errorf("authorizers without an authorizer function = %d, want 0", n)
	}
	executionArn := str(t, d.one(t, typeAPI).Outputs, "executionArn")
	want := []string{executionArn + "/*/GET/v1/widgets/*", executionArn + "/*/POST/v1/widgets"}
	if !slices.Equal(sources, want) {
		t.Errorf("invoke permission source ARNs = %q, want %q", sources, want)
	}
}

func TestComponentsRejectNilArgs(t *testing.T) {
	constructors := map[string]func(ctx *pulumi.Context) error{
		"CertificateStore": func(ctx *pulumi.Context) error {
			_, err := component.NewCertificateStore(ctx, "x", nil)
			return err
		},
		"Identity": func(ctx *pulumi.Context) error { _, err := component.NewIdentity(ctx, "x", nil); return err },
		"Truststore": func(ctx *pulumi.Context) error {
			_, err := component.NewTruststore(ctx, "x", nil)
			return err
		},
		"Function": func(ctx *pulumi.Context) error { _, err := component.NewFunction(ctx, "x", nil); return err },
		"API":      func(ctx *pulumi.Context) error { _, err := component.NewAPI(ctx, "x", nil); return err },
		"Domain":   func(ctx *pulumi.Context) error { _, err := component.NewDomain(ctx, "x", nil); return err },
	}
	for name, construct := range constructors {
		t.Run(name, func(t *testing.T) {
			mocks := &plan.Mocks{Region: "eu-west-1"}
			err := pulumi.RunErr(construct, pulumi.WithMocks(config.Project, "dev", mocks))
			if !errors.Is(err, component.ErrNilArgs) {
				t.Errorf("New%s(nil) error = %v, want ErrNilArgs", name, err)
			}
			if n := len(mocks.Resources()); n != 0 {
				t.Errorf("resources registered by New%s(nil) = %d, want 0", name, n)
			}
		})
	}
}

func TestResourceRegistrationErrorFailsPreview(t *testing.T) {
	opts := options()
	mocks := &plan.Mocks{Region: "eu-west-1", Fail: func(typ, _ string) error {
		if typ == typeTable {
			return errors.New("table quota exceeded")
		}
		return nil
	}}
	cfg := stackConfig(t, "dev")

	err := pulumi.RunErr(program.New(opts), pulumi.WithMocks(config.Project, "dev", mocks), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.DryRun = true
	})
	if err == nil || !strings.Contains(err.Error(), "table quota exceeded") {
		t.Errorf("run with a failing table error = %v, want the registration error", err)
	}
}
