// Package eventtest holds what the tests of the functions share: API Gateway event fixtures,
// client certificates, RSA keys and an in-memory certificate table.
package eventtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"
)

// Load decodes the JSON fixture at path into v. Unknown fields fail the test, so a fixture
// cannot drift from the aws-lambda-go event type it stands for.
func Load(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// generatedKeys caches the keys of RSAKey by name.
var generatedKeys sync.Map

// RSAKey returns the RSA key of the given size generated for name, the same key on every
// call in the test binary, because a 2048-bit key takes a noticeable part of a second.
func RSAKey(t testing.TB, name string, bits int) *rsa.PrivateKey {
	t.Helper()
	if key, ok := generatedKeys.Load(name); ok {
		return key.(*rsa.PrivateKey)
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	actual, _ := generatedKeys.LoadOrStore(name, key)
	return actual.(*rsa.PrivateKey)
}

// CertOptions describes a client certificate made by Certificate. Zero fields get defaults:
// a random serial, the common name "test-client", and a validity from an hour before to a
// year after now.
type CertOptions struct {
	Serial     *big.Int
	CommonName string
	NotBefore  time.Time
	NotAfter   time.Time
}

// Certificate returns a self-signed ECDSA client certificate. Its key is thrown away: the
// functions see only the certificate, as API Gateway passes it.
func Certificate(t testing.TB, opts CertOptions) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Serial == nil {
		if opts.Serial, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)); err != nil {
			t.Fatal(err)
		}
		opts.Serial.Add(opts.Serial, big.NewInt(1))
	}
	if opts.CommonName == "" {
		opts.CommonName = "test-client"
	}
	if opts.NotBefore.IsZero() {
		opts.NotBefore = time.Now().Add(-time.Hour)
	}
	if opts.NotAfter.IsZero() {
		opts.NotAfter = time.Now().AddDate(1, 0, 0)
	}

	tmpl := &x509.Certificate{
		SerialNumber: opts.Serial,
		Subject:      pkix.Name{CommonName: opts.CommonName, Organization: []string{"Example Corp"}},
		NotBefore:    opts.NotBefore,
		NotAfter:     opts.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
