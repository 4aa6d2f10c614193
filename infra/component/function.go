package component

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Publisher uploads a function image to its ECR repository and returns the reference by
// digest, repository@sha256:….
type Publisher interface {
	Publish(ctx context.Context, registryID, repository string, img image.Image) (string, error)
}

// FunctionArgs configures a Function.
type FunctionArgs struct {
	// Function is the catalog entry of the function.
	Function catalog.Function
	// Image is the function's built image. Its digest pins the Lambda function's code.
	Image image.Image
	// Publisher uploads Image during an update. Nil during a preview, where nothing is
	// uploaded and the function's image URI is only computed.
	Publisher Publisher
	// Environment holds a value for each variable of Function.Env, and no other.
	Environment map[string]pulumi.StringInput
	// Resources holds the ARN of each resource that Function.Permissions names.
	Resources map[catalog.Resource]pulumi.StringInput
	// LogRetentionDays is the retention of the function's log group.
	LogRetentionDays int
	// Tags are added to every child that takes tags.
	Tags pulumi.StringMap
}

// Function is one catalog function deployed as a Lambda container image function, with its
// ECR repository, execution role and log group.
type Function struct {
	pulumi.ResourceState

	Catalog    catalog.Function
	Repository *ecr.Repository
	Role       *iam.Role
	LogGroup   *cloudwatch.LogGroup
	Lambda     *lambda.Function

	// Arn and InvokeArn are the Lambda function's ARN and the ARN API Gateway invokes.
	Arn       pulumi.StringOutput
	InvokeArn pulumi.StringOutput
	// RepositoryURL is the ECR repository URL.
	RepositoryURL pulumi.StringOutput
	// ImageURI is the image reference by digest the function runs.
	ImageURI pulumi.StringOutput
}

// NewFunction creates the repository, pushes the image (during an update), and creates the
// role, log group and Lambda function.
func NewFunction(ctx *pulumi.Context, name string, args *FunctionArgs, opts ...pulumi.ResourceOption) (*Function, error) {
	if args == nil {
		return nil, fmt.Errorf("function %s: %w", name, ErrNilArgs)
	}
	if err := checkEnvironment(args.Function, args.Environment); err != nil {
		return nil, fmt.Errorf("function %s: %w", name, err)
	}
	if args.Image.Digest.Hex == "" {
		return nil, fmt.Errorf("function %s: image digest is required", name)
	}
	c := &Function{Catalog: args.Function}
	if err := register(ctx, "Function", name, c, opts); err != nil {
		return nil, err
	}

	if err := c.repository(ctx, name, args); err != nil {
		return nil, err
	}
	logGroup, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/aws/lambda/" + name),
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		Tags:            args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("function %s: log group: %w", name, err)
	}
	c.LogGroup = logGroup
	policy, err := c.role(ctx, name, args)
	if err != nil {
		return nil, err
	}

	fn, err := lambda.NewFunction(ctx, name+"-function", &lambda.FunctionArgs{
		Description:   pulumi.String(args.Function.Description),
		PackageType:   pulumi.String("Image"),
		ImageUri:      c.ImageURI,
		Architectures: pulumi.StringArray{pulumi.String("arm64")},
		Role:          c.Role.Arn,
		MemorySize:    pulumi.Int(args.Function.MemoryMB),
		Timeout:       pulumi.Int(int(args.Function.Timeout.Seconds())),
		Environment:   &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap(args.Environment)},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat:           pulumi.String("JSON"),
			LogGroup:            logGroup.Name,
			ApplicationLogLevel: pulumi.String("INFO"),
			SystemLogLevel:      pulumi.String("WARN"),
		},
		Tags: args.Tags,
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{policy, logGroup}))
	if err != nil {
		return nil, fmt.Errorf("function %s: lambda function: %w", name, err)
	}
	c.Lambda = fn
	c.Arn = fn.Arn
	c.InvokeArn = fn.InvokeArn
	return c, finish(ctx, "Function", name, c, pulumi.Map{
		"arn":           c.Arn,
		"repositoryUrl": c.RepositoryURL,
		"imageUri":      c.ImageURI,
	})
}

// checkEnvironment reports a variable the function reads that has no value, and a value for
// a variable the function does not read.
func checkEnvironment(f catalog.Function, values map[string]pulumi.StringInput) error {
	for _, name := range f.Env {
		if _, ok := values[name]; !ok {
			return fmt.Errorf("environment variable %s that %s reads has no value", name, f.Name)
		}
	}
	for name := range values {
		if !slices.Contains(f.Env, name) {
			return fmt.Errorf("environment variable %s is not in the catalog entry of %s", name, f.Name)
		}
	}
	return nil
}

// lifecyclePolicy is an ECR lifecycle policy document.
type lifecyclePolicy struct {
	Rules []lifecycleRule `json:"rules"`
}

type lifecycleRule struct {
	RulePriority int                `json:"rulePriority"`
	Description  string             `json:"description"`
	Selection    lifecycleSelection `json:"selection"`
	Action       map[string]string  `json:"action"`
}

type lifecycleSelection struct {
	TagStatus   string `json:"tagStatus"`
	CountType   string `json:"countType"`
	CountUnit   string `json:"countUnit,omitempty"`
	CountNumber int    `json:"countNumber"`
}

// repository creates the ECR repository and sets c.ImageURI, pushing the image first when a
// publisher is given.
func (c *Function) repository(ctx *pulumi.Context, name string, args *FunctionArgs) error {
	repo, err := ecr.NewRepository(ctx, name+"-repository", &ecr.RepositoryArgs{
		ImageTagMutability:         pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{ScanOnPush: pulumi.Bool(true)},
		// The images are rebuilt from source on every deployment, so deleting the repository
		// with its images loses nothing.
		ForceDelete: pulumi.Bool(true),
		Tags:        args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return fmt.Errorf("function %s: repository: %w", name, err)
	}
	c.Repository = repo
	c.RepositoryURL = repo.RepositoryUrl

	// Every pushed image is tagged with its digest and tags are immutable, so an image that a
	// function runs always keeps its tag. Only untagged images, left by interrupted or manual
	// pushes, ever expire.
	// NOTE: tagged images of earlier deployments are never expired; delete them by hand when
	// the repository grows too large.
	lifecycle, err := json.Marshal(lifecyclePolicy{Rules: []lifecycleRule{{
		RulePriority: 1,
		Description:  "Expire untagged images after one day",
		Selection:    lifecycleSelection{TagStatus: "untagged", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: 1},
		Action:       map[string]string{"type": "expire"},
	}}})
	if err != nil {
		return fmt.Errorf("function %s: marshal lifecycle policy: %w", name, err)
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name+"-lifecycle", &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(lifecycle),
	}, pulumi.Parent(c)); err != nil {
		return fmt.Errorf("function %s: lifecycle policy: %w", name, err)
	}

	// Lambda pulls the image with its service principal. It would add this statement itself
	// on the first deployment, but declaring it keeps the policy in the stack.
	pull, err := json.Marshal(PolicyDocument{Version: policyVersion, Statement: []Statement{{
		Sid:       "LambdaECRImageRetrievalPolicy",
		Effect:    "Allow",
		Principal: map[string]string{"Service": "lambda.amazonaws.com"},
		Action:    []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
	}}})
	if err != nil {
		return fmt.Errorf("function %s: marshal repository policy: %w", name, err)
	}
	if _, err := ecr.NewRepositoryPolicy(ctx, name+"-repository-policy", &ecr.RepositoryPolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(pull),
	}, pulumi.Parent(c)); err != nil {
		return fmt.Errorf("function %s: repository policy: %w", name, err)
	}

	img, publisher := args.Image, args.Publisher
	c.ImageURI = pulumi.All(repo.RegistryId, repo.RepositoryUrl).ApplyTWithContext(ctx.Context(), func(pctx context.Context, v []any) (string, error) {
		registryID, url := v[0].(string), v[1].(string)
		if publisher == nil {
			return image.Reference(url, img), nil
		}
		return publisher.Publish(pctx, registryID, url, img)
	}).(pulumi.StringOutput)
	return nil
}

// role creates the execution role and its inline policy, and returns the policy, which the
// Lambda function must wait for.
func (c *Function) role(ctx *pulumi.Context, name string, args *FunctionArgs) (pulumi.Resource, error) {
	assume, err := json.Marshal(PolicyDocument{Version: policyVersion, Statement: []Statement{{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "lambda.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
	}}})
	if err != nil {
		return nil, fmt.Errorf("function %s: marshal trust policy: %w", name, err)
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assume),
		Tags:             args.Tags,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("function %s: role: %w", name, err)
	}
	c.Role = role

	document, err := executionPolicy(args.Function, args.Resources, c.LogGroup.Arn)
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", name, err)
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: document,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("function %s: role policy: %w", name, err)
	}
	return policy, nil
}

// executionPolicy returns the least-privilege policy of f: one statement per resource that
// the catalog names, allowing exactly the catalog's actions on that resource's ARN, and one
// allowing writes to the function's own log group.
func executionPolicy(f catalog.Function, resources map[catalog.Resource]pulumi.StringInput, logGroupArn pulumi.StringOutput) (pulumi.StringOutput, error) {
	actions := map[catalog.Resource][]string{}
	for _, p := range f.Permissions {
		actions[p.Resource] = append(actions[p.Resource], p.Actions...)
	}
	granted := slices.Sorted(maps.Keys(actions))

	inputs := []pulumi.StringInput{logGroupArn}
	for _, r := range granted {
		arn, ok := resources[r]
		if !ok {
			return pulumi.StringOutput{}, fmt.Errorf("permission on %s: the resource has no ARN", r)
		}
		inputs = append(inputs, arn)
	}

	return marshalPolicy(func(v []string) PolicyDocument {
		// Lambda names the streams of a log group at run time, so the stream part of the ARN is
		// the one wildcard of the policy.
		statements := []Statement{{
			Sid:      "WriteOwnLogs",
			Effect:   "Allow",
			Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			Resource: []string{v[0] + ":log-stream:*"},
		}}
		for i, r := range granted {
			list := slices.Clone(actions[r])
			slices.Sort(list)
			statements = append(statements, Statement{
				Sid:      statementID(r),
				Effect:   "Allow",
				Action:   slices.Compact(list),
				Resource: []string{v[i+1]},
			})
		}
		return PolicyDocument{Statement: statements}
	}, inputs...), nil
}

// statementID turns a resource name such as "certificateTable" into a statement id,
// "CertificateTable": IAM accepts only letters and digits there.
func statementID(r catalog.Resource) string {
	s := string(r)
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
