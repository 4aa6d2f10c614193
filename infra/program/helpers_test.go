package program_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/infra/component"
	"github.com/mtls-api/mtls-api/infra/config"
	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/infra/program"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// root is the project root, where the stack configuration files are.
const root = "../.."

// stacks are the stacks whose configuration files every property is checked against.
var stacks = []string{"dev", "prod"}

// testNow is the clock of the truststore checks.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// writeTruststore writes a truststore with one ECDSA root CA valid from notBefore to notAfter
// and returns its path. The key is generated here and discarded.
func writeTruststore(t *testing.T, notBefore, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "program test root CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "truststore.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// stackConfig reads Pulumi.<stack>.yaml and points its truststore at a valid test bundle.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()
	cfg, err := plan.ReadStackConfig(filepath.Join(root, "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg[config.KeyTruststorePath] = writeTruststore(t, testNow.AddDate(-1, 0, 0), testNow.AddDate(5, 0, 0))
	return cfg
}

func options() program.Options {
	return program.Options{Root: root, Images: plan.PlaceholderImages{}, Now: func() time.Time { return testNow }}
}

// deployment is the outcome of one run of the program under mocks.
type deployment struct {
	stack     string
	config    config.Config
	resources []plan.Resource
}

// preview runs the program for stack with cfg as a preview and fails the test on an error.
func preview(t *testing.T, stack string, cfg map[string]string) deployment {
	t.Helper()
	mocks, err := plan.Run(stack, cfg, options(), true)
	if err != nil {
		t.Fatalf("run stack %s: %v", stack, err)
	}
	c, err := config.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return deployment{stack: stack, config: c, resources: mocks.Resources()}
}

// deployments runs the program for every stack.
func deployments(t *testing.T) []deployment {
	t.Helper()
	var out []deployment
	for _, stack := range stacks {
		out = append(out, preview(t, stack, stackConfig(t, stack)))
	}
	return out
}

// ofType returns the resources of type typ.
func (d deployment) ofType(typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range d.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// one returns the only resource of type typ, failing the test when there is not exactly one.
func (d deployment) one(t *testing.T, typ string) plan.Resource {
	t.Helper()
	rs := d.ofType(typ)
	if len(rs) != 1 {
		t.Fatalf("resources of type %s = %d, want 1", typ, len(rs))
	}
	return rs[0]
}

// child returns the resource of type typ whose parent is parent.
func (d deployment) child(t *testing.T, parent, typ string) plan.Resource {
	t.Helper()
	for _, r := range d.resources {
		if r.Type == typ && r.Parent == parent {
			return r
		}
	}
	t.Fatalf("no resource of type %s under %s", typ, parent)
	return plan.Resource{}
}

// named returns the resource named name of type typ.
func (d deployment) named(t *testing.T, name, typ string) plan.Resource {
	t.Helper()
	for _, r := range d.resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	t.Fatalf("no resource %s of type %s", name, typ)
	return plan.Resource{}
}

// value returns the property at a dotted path of m, such as "loggingConfig.logFormat".
func value(t *testing.T, m resource.PropertyMap, path string) resource.PropertyValue {
	t.Helper()
	v := resource.NewProperty(m)
	for _, key := range strings.Split(path, ".") {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			t.Fatalf("property %s: %q is not an object", path, key)
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(key)]
		if !ok {
			t.Fatalf("property %s is missing", path)
		}
		v = next
	}
	return v
}

func str(t *testing.T, m resource.PropertyMap, path string) string {
	t.Helper()
	v := value(t, m, path)
	if !v.IsString() {
		t.Fatalf("property %s = %v, want a string", path, v)
	}
	return v.StringValue()
}

func boolean(t *testing.T, m resource.PropertyMap, path string) bool {
	t.Helper()
	v := value(t, m, path)
	if !v.IsBool() {
		t.Fatalf("property %s = %v, want a bool", path, v)
	}
	return v.BoolValue()
}

func number(t *testing.T, m resource.PropertyMap, path string) int {
	t.Helper()
	v := value(t, m, path)
	if !v.IsNumber() {
		t.Fatalf("property %s = %v, want a number", path, v)
	}
	return int(v.NumberValue())
}

func stringList(t *testing.T, m resource.PropertyMap, path string) []string {
	t.Helper()
	v := value(t, m, path)
	if !v.IsArray() {
		t.Fatalf("property %s = %v, want an array", path, v)
	}
	var out []string
	for _, item := range v.ArrayValue() {
		if !item.IsString() {
			t.Fatalf("property %s holds %v, want strings", path, item)
		}
		out = append(out, item.StringValue())
	}
	return out
}

// policy parses the JSON policy document at path.
func policy(t *testing.T, m resource.PropertyMap, path string) component.PolicyDocument {
	t.Helper()
	var doc component.PolicyDocument
	if err := json.Unmarshal([]byte(str(t, m, path)), &doc); err != nil {
		t.Fatalf("property %s is not a policy document: %v", path, err)
	}
	return doc
}
