package truststore_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// fataler is the part of testing.TB the helpers use, so that examples can call them too.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// mustSucceed is the fataler of examples: it panics on the first failure.
type mustSucceed struct{}

func (mustSucceed) Helper()                           {}
func (mustSucceed) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (mustSucceed) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// epoch is the fixed clock of these tests.
var epoch = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// certSpec describes a test certificate. Zero values give a valid ECDSA P-256 CA valid for a
// year around epoch, self-signed unless parent is set.
type certSpec struct {
	cn        string
	key       crypto.Signer
	parent    *issued
	leaf      bool
	sigAlg    x509.SignatureAlgorithm
	notBefore time.Time
	notAfter  time.Time
	extUsage  []x509.ExtKeyUsage
}

type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var serial int64

func issue(t fataler, spec certSpec) *issued {
	t.Helper()

	key := spec.key
	if key == nil {
		key = ecKey(t, elliptic.P256())
	}
	if spec.notBefore.IsZero() {
		spec.notBefore = epoch.Add(-24 * time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = epoch.Add(365 * 24 * time.Hour)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: spec.cn, Organization: []string{"truststore test"}},
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  !spec.leaf,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SignatureAlgorithm:    spec.sigAlg,
		ExtKeyUsage:           spec.extUsage,
	}
	if spec.leaf {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
	}

	parentCert, parentKey := tmpl, key
	if spec.parent != nil {
		parentCert, parentKey = spec.parent.cert, spec.parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		t.Fatalf("create certificate %q: %v", spec.cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate %q: %v", spec.cn, err)
	}
	return &issued{cert: cert, key: key}
}

func ecKey(t fataler, curve elliptic.Curve) crypto.Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func rsaKey(t fataler, bits int) crypto.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func edKey(t fataler) crypto.Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// bundle returns the PEM encoding of the certificates, in order.
func bundle(certs ...*issued) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...)
	}
	return out
}

// chain returns a root followed by n intermediates, each issued by the one before.
func chain(t fataler, n int) []*issued {
	t.Helper()
	certs := []*issued{issue(t, certSpec{cn: "root"})}
	for i := range n {
		certs = append(certs, issue(t, certSpec{cn: "intermediate " + string(rune('A'+i)), parent: certs[len(certs)-1]}))
	}
	return certs
}
