package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Mock values of the account the mocks pretend to deploy to.
const (
	MockAccount = "123456789012"
	// MockClientSecret is the app client secret the mocks return, so that tests can check it
	// appears nowhere it should not.
	MockClientSecret = "mock-client-secret-value" //nolint:gosec // a fake value that tests search for
)

// Resource is one resource registered under Mocks.
type Resource struct {
	// Type is the type token, such as "aws:lambda/function:Function".
	Type string
	// Name is the logical name.
	Name string
	// Parent is the logical name of the parent resource, empty for children of the stack.
	Parent string
	// Custom is false for components.
	Custom bool
	// Protect and RetainOnDelete are the resource options of the same names.
	Protect, RetainOnDelete bool
	// Inputs are the resource's inputs as the program passed them.
	Inputs resource.PropertyMap
	// Outputs are the inputs together with the mock's computed outputs.
	Outputs resource.PropertyMap
}

// Mocks is a pulumi.MockResourceMonitor that records every resource and computes the outputs
// AWS would return, shaped like real ones (ARNs, URLs, ids), so that the program's derived
// values can be checked and rendered.
type Mocks struct {
	// Region is the region of the mock ARNs.
	Region string
	// RegistryHost is the host of the mock ECR repository URLs; empty means the account's
	// ECR registry in Region. Tests point it at an in-memory registry to push for real.
	RegistryHost string
	// Fail, when set, is called for each resource; a non-nil error fails its registration.
	Fail func(typ, name string) error

	mu           sync.Mutex
	resources    []Resource
	stackOutputs map[string]any
}

// Outputs returns the stack outputs of the last run, by name.
func (m *Mocks) Outputs() map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stackOutputs
}

func (m *Mocks) setOutputs(values map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stackOutputs = values
}

var _ pulumi.MockResourceMonitor = (*Mocks)(nil)

// Resources returns the registered resources sorted by name, then type.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.resources)
	slices.SortFunc(out, func(a, b Resource) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Type, b.Type))
	})
	return out
}

// Call returns the results of the invokes the program makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
		// A fake token: the registries the tests push to accept any credentials.
		return resource.NewPropertyMapFromMap(map[string]any{ //nolint:gosec // fake credentials
			"userName": "AWS",
			"password": "mock-ecr-password",
		}), nil
	}
	return nil, fmt.Errorf("mock: unexpected invoke %s", args.Token)
}

// NewResource records a resource and returns its mock id and outputs.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if m.Fail != nil {
		if err := m.Fail(args.TypeToken, args.Name); err != nil {
			return "", nil, err
		}
	}
	id, outputs := m.outputs(args.TypeToken, args.Name, args.Inputs)
	r := Resource{
		Type:    args.TypeToken,
		Name:    args.Name,
		Custom:  args.Custom,
		Inputs:  args.Inputs,
		Outputs: outputs,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		if parent := resource.URN(rpc.GetParent()); parent != "" && parent.QualifiedType() != resource.RootStackType {
			r.Parent = parent.Name()
		}
		r.Protect = rpc.GetProtect()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
	}

	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, outputs, nil
}

// outputs returns the id and outputs AWS would give a resource of type typ.
func (m *Mocks) outputs(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	out := inputs.Copy()
	set := func(key string, v any) {
		if _, ok := out[resource.PropertyKey(key)]; !ok {
			out[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
		}
	}
	str := func(key string) string {
		if v, ok := inputs[resource.PropertyKey(key)]; ok && v.IsString() {
			return v.StringValue()
		}
		return name
	}
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, m.Region, MockAccount, rest)
	}
	id := name

	switch typ {
	case "aws:dynamodb/table:Table":
		set("name", name)
		set("arn", arn("dynamodb", "table/"+name))
	case "aws:cognito/userPool:UserPool":
		id = m.Region + "_MockPool1"
		set("arn", arn("cognito-idp", "userpool/"+id))
	case "aws:cognito/userPoolClient:UserPoolClient":
		id = "mockclientid0123456789abcd"
		out["clientSecret"] = resource.MakeSecret(resource.NewProperty(MockClientSecret))
	case "aws:cognito/userPoolDomain:UserPoolDomain":
		id = str("domain")
	case "aws:secretsmanager/secret:Secret":
		id = arn("secretsmanager", "secret:"+name+"-AbCdEf")
		set("arn", id)
	case "aws:s3/bucketV2:BucketV2":
		set("bucket", name)
		set("arn", "arn:aws:s3:::"+name)
	case "aws:s3/bucketObjectv2:BucketObjectv2":
		set("versionId", "mock-version-of-"+name)
	case "aws:ecr/repository:Repository":
		set("name", name)
		set("arn", arn("ecr", "repository/"+name))
		set("registryId", MockAccount)
		host := m.RegistryHost
		if host == "" {
			host = fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", MockAccount, m.Region)
		}
		set("repositoryUrl", host+"/"+name)
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", arn("logs", "log-group:"+str("name")))
	case "aws:iam/role:Role":
		set("name", name)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", MockAccount, name))
	case "aws:lambda/function:Function":
		fn := arn("lambda", "function:"+name)
		set("name", name)
		set("arn", fn)
		set("invokeArn", fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", m.Region, fn))
	case "aws:apigatewayv2/api:Api":
		id = "mockapi01"
		set("executionArn", arn("execute-api", id))
		set("apiEndpoint", fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com", id, m.Region))
	case "aws:apigatewayv2/stage:Stage":
		// A stage's id is its name, such as "$default".
		id = str("name")
	case "aws:apigatewayv2/domainName:DomainName":
		id = str("domainName")
		m.domainTarget(out)
	case "aws:acm/certificate:Certificate":
		set("arn", arn("acm", "certificate/"+name))
		domain := str("domainName")
		set("domainValidationOptions", []any{map[string]any{
			"domainName":          domain,
			"resourceRecordName":  "_mock." + domain + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_mock.acm-validations.aws.",
		}})
	case "aws:route53/record:Record":
		set("fqdn", str("name"))
	}
	return id, out
}

// domainTarget adds the regional target that API Gateway assigns a custom domain.
func (m *Mocks) domainTarget(out resource.PropertyMap) {
	v, ok := out["domainNameConfiguration"]
	if !ok || !v.IsObject() {
		return
	}
	config := v.ObjectValue().Copy()
	config["targetDomainName"] = resource.NewProperty(fmt.Sprintf("d-mock.execute-api.%s.amazonaws.com", m.Region))
	config["hostedZoneId"] = resource.NewProperty("ZMOCKAPIGATEWAY")
	out["domainNameConfiguration"] = resource.NewProperty(config)
}
