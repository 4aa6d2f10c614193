// Package program is the body of the Pulumi program: it reads the stack configuration, checks
// the truststore, builds each catalog function's image and declares every component. Tests
// and the plan renderer run it under pulumi.WithMocks.
package program

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mtls-api/mtls-api/infra/component"
	"github.com/mtls-api/mtls-api/infra/config"
	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/env"
	"github.com/mtls-api/mtls-api/shared/truststore"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ImageBuilder builds the image of the catalog function named function from its main
// package pkg, such as "./functions/health".
type ImageBuilder interface {
	Build(ctx context.Context, function, pkg string) (image.Image, error)
}

// Options are the program's inputs that come from its caller rather than from the stack
// configuration.
type Options struct {
	// Root is the project root: the folder of Pulumi.yaml and go.work. Relative paths of the
	// configuration resolve against it.
	Root string
	// Images builds the function images.
	Images ImageBuilder
	// Publisher pushes images during an update. Nil means pushing to ECR with credentials
	// from ecr.GetAuthorizationToken. It is never called during a preview.
	Publisher component.Publisher
	// Now, when set, makes the truststore check reject expired or not yet valid CA
	// certificates. The plan renderer leaves it nil so that a committed fixture keeps
	// validating.
	Now func() time.Time
	// Functions is the function catalog; nil means catalog.All().
	Functions []catalog.Function
}

// Outputs are the names of the stack outputs.
const (
	OutputAPIURL         = "apiUrl"
	OutputUserPoolID     = "userPoolId"
	OutputClientID       = "clientId"
	OutputTokenEndpoint  = "tokenEndpoint"
	OutputTableName      = "tableName"
	OutputRepositoryURLs = "repositoryUrls"
)

// New returns the program body for opts: Declare, then export its outputs.
func New(opts Options) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		outputs, err := Declare(ctx, opts)
		if err != nil {
			return err
		}
		for name, value := range outputs {
			ctx.Export(name, value)
		}
		return nil
	}
}

// Declare declares every resource of the stack and returns the stack outputs by name.
func Declare(ctx *pulumi.Context, opts Options) (pulumi.Map, error) {
	cfg, err := config.Load(ctx.GetConfig)
	if err != nil {
		return nil, err
	}
	truststorePath, err := checkTruststore(opts, cfg, ctx.Stack())
	if err != nil {
		return nil, err
	}
	functions := opts.Functions
	if functions == nil {
		functions = catalog.All()
	}
	if err := catalog.Validate(functions); err != nil {
		return nil, fmt.Errorf("function catalog: %w", err)
	}
	images, err := buildImages(ctx.Context(), opts.Images, functions)
	if err != nil {
		return nil, err
	}

	prefix := ctx.Project() + "-" + ctx.Stack()
	tags := pulumi.StringMap{"project": pulumi.String(ctx.Project()), "stack": pulumi.String(ctx.Stack())}

	store, err := component.NewCertificateStore(ctx, prefix+"-certificates", &component.CertificateStoreArgs{Protect: cfg.Protect, Tags: tags})
	if err != nil {
		return nil, err
	}
	identity, err := component.NewIdentity(ctx, prefix+"-identity", &component.IdentityArgs{
		Region:       cfg.Region,
		DomainPrefix: cfg.CognitoDomainPrefix(),
		Protect:      cfg.Protect,
		Tags:         tags,
	})
	if err != nil {
		return nil, err
	}
	trust, err := component.NewTruststore(ctx, prefix+"-truststore", &component.TruststoreArgs{File: truststorePath, Protect: cfg.Protect, Tags: tags})
	if err != nil {
		return nil, err
	}

	publisher := opts.Publisher
	if ctx.DryRun() {
		publisher = nil
	} else if publisher == nil {
		publisher = ecrPublisher{ctx: ctx}
	}
	values := environment(store, identity)
	resources := map[catalog.Resource]pulumi.StringInput{
		catalog.ResourceCertificateTable:        store.Arn,
		catalog.ResourceCertificateTableIndexes: store.ClientIndexArn,
		catalog.ResourceClientSecret:            identity.SecretArn,
	}
	var deployed []*component.Function
	repositoryURLs := pulumi.StringMap{}
	for _, f := range functions {
		fnEnv, err := functionEnvironment(f, values, images[f.Name])
		if err != nil {
			return nil, err
		}
		fn, err := component.NewFunction(ctx, prefix+"-"+f.Name, &component.FunctionArgs{
			Function:         f,
			Image:            images[f.Name],
			Publisher:        publisher,
			Environment:      fnEnv,
			Resources:        resources,
			LogRetentionDays: cfg.LogRetentionDays,
			Tags:             tags,
		})
		if err != nil {
			return nil, err
		}
		deployed = append(deployed, fn)
		repositoryURLs[f.Name] = fn.RepositoryURL
	}

	api, err := component.NewAPI(ctx, prefix+"-api", &component.APIArgs{
		Functions:            deployed,
		AuthorizerTTLSeconds: cfg.AuthorizerTTLSeconds,
		Domain: component.DomainArgs{
			Name:              cfg.DomainName,
			HostedZoneID:      cfg.HostedZoneID,
			CertificateARN:    cfg.CertificateARN,
			TruststoreURI:     trust.URI,
			TruststoreVersion: trust.Version,
			Tags:              tags,
		},
		LogRetentionDays: cfg.LogRetentionDays,
		Tags:             tags,
	})
	if err != nil {
		return nil, err
	}

	return pulumi.Map{
		OutputAPIURL:         api.URL,
		OutputUserPoolID:     identity.UserPoolID,
		OutputClientID:       identity.ClientID,
		OutputTokenEndpoint:  identity.TokenURL,
		OutputTableName:      store.Name,
		OutputRepositoryURLs: repositoryURLs,
	}, nil
}

// checkTruststore validates the configured truststore file, so that a bad bundle fails the
// preview rather than the domain update, and returns its absolute path.
func checkTruststore(opts Options, cfg config.Config, stack string) (string, error) {
	path := cfg.TruststorePath
	if !filepath.IsAbs(path) {
		path = filepath.Join(opts.Root, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: read truststore: %w (create a CA with `go run ./tools/certctl init --dir .certs/%s`, then copy its truststore.pem to %s)",
			config.KeyTruststorePath, err, stack, path)
	}
	var validate []truststore.Option
	if opts.Now != nil {
		validate = append(validate, truststore.At(opts.Now()))
	}
	if _, err := truststore.Validate(data, validate...); err != nil {
		return "", fmt.Errorf("%s: truststore %s is not valid for API Gateway:\n%w", config.KeyTruststorePath, path, err)
	}
	return path, nil
}

func buildImages(ctx context.Context, builder ImageBuilder, functions []catalog.Function) (map[string]image.Image, error) {
	if builder == nil {
		return nil, fmt.Errorf("no image builder given")
	}
	images := make(map[string]image.Image, len(functions))
	for _, f := range functions {
		img, err := builder.Build(ctx, f.Name, f.Package)
		if err != nil {
			return nil, err
		}
		images[f.Name] = img
	}
	return images, nil
}

// environment returns the deployed value of every environment variable a function may read,
// except those that depend on the function itself.
func environment(store *component.CertificateStore, identity *component.Identity) map[string]pulumi.StringInput {
	return map[string]pulumi.StringInput{
		env.TableName:       store.Name,
		env.TokenURL:        identity.TokenURL,
		env.ClientID:        identity.ClientID,
		env.ClientSecretARN: identity.SecretArn,
		env.Issuer:          identity.Issuer,
		env.JWKSURL:         identity.JWKSURL,
	}
}

// functionEnvironment picks the variables f reads from values. The build version is the
// first 12 hex digits of the function's image digest.
func functionEnvironment(f catalog.Function, values map[string]pulumi.StringInput, img image.Image) (map[string]pulumi.StringInput, error) {
	out := make(map[string]pulumi.StringInput, len(f.Env))
	for _, name := range f.Env {
		switch name {
		case env.ClientSecret:
			return nil, fmt.Errorf("function %s reads %s, which only the local stack sets: deployed functions read the secret through %s", f.Name, env.ClientSecret, env.ClientSecretARN)
		case env.BuildVersion:
			out[name] = pulumi.String(img.Digest.Hex[:12])
		default:
			v, ok := values[name]
			if !ok {
				return nil, fmt.Errorf("function %s reads %s, which the infrastructure does not provide", f.Name, name)
			}
			out[name] = v
		}
	}
	return out, nil
}

// FindRoot returns the nearest folder at or above dir that holds Pulumi.yaml.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no Pulumi.yaml at or above the working directory: run from inside the mtls-api checkout")
		}
		dir = parent
	}
}
