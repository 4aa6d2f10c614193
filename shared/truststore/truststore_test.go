package truststore_test

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/truststore"
)

func TestValidateAccepts(t *testing.T) {
	root := issue(t, certSpec{cn: "root", key: ecKey(t, elliptic.P384())})
	intermediate := issue(t, certSpec{cn: "intermediate", parent: root})
	rsaRoot := issue(t, certSpec{cn: "rsa root", key: rsaKey(t, 2048)})
	longest := chain(t, truststore.MaxChainLength-1)

	tests := []struct {
		name        string
		pem         []byte
		opts        []truststore.Option
		wantCerts   int
		wantRoots   int
		wantLengths []int
	}{
		{name: "root only", pem: bundle(root), wantCerts: 1, wantRoots: 1, wantLengths: []int{1}},
		{name: "intermediate then root", pem: bundle(intermediate, root), wantCerts: 2, wantRoots: 1, wantLengths: []int{2, 1}},
		{name: "root then intermediate", pem: bundle(root, intermediate), wantCerts: 2, wantRoots: 1, wantLengths: []int{1, 2}},
		{name: "RSA-2048 root", pem: bundle(rsaRoot), wantCerts: 1, wantRoots: 1, wantLengths: []int{1}},
		{name: "two roots", pem: bundle(root, rsaRoot, intermediate), wantCerts: 3, wantRoots: 2, wantLengths: []int{1, 1, 2}},
		{name: "chain of four", pem: bundle(longest...), wantCerts: 4, wantRoots: 1, wantLengths: []int{1, 2, 3, 4}},
		{name: "valid at time", pem: bundle(root, intermediate), opts: []truststore.Option{truststore.At(epoch)}, wantCerts: 2, wantRoots: 1, wantLengths: []int{1, 2}},
		{name: "surrounding whitespace", pem: append(append([]byte("\n\n"), bundle(root)...), "\n \n"...), wantCerts: 1, wantRoots: 1, wantLengths: []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := truststore.Validate(tt.pem, tt.opts...)
			if err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if got := len(b.Certificates); got != tt.wantCerts {
				t.Errorf("len(Certificates) = %d, want %d", got, tt.wantCerts)
			}
			if got := len(b.Roots()); got != tt.wantRoots {
				t.Errorf("len(Roots()) = %d, want %d", got, tt.wantRoots)
			}
			if got := len(b.Intermediates()); got != tt.wantCerts-tt.wantRoots {
				t.Errorf("len(Intermediates()) = %d, want %d", got, tt.wantCerts-tt.wantRoots)
			}
			for i, want := range tt.wantLengths {
				if got := b.ChainLength[i]; got != want {
					t.Errorf("ChainLength[%d] = %d, want %d", i, got, want)
				}
			}
		})
	}
}

func TestValidateRejectsCertificate(t *testing.T) {
	root := issue(t, certSpec{cn: "root"})
	otherRoot := issue(t, certSpec{cn: "other root"})
	tooLong := chain(t, truststore.MaxChainLength)
	impostor := issue(t, certSpec{cn: "root"}) // same subject as root, different key
	forged := issue(t, certSpec{cn: "forged", parent: impostor})

	tests := []struct {
		name       string
		pem        []byte
		opts       []truststore.Option
		wantReason truststore.Reason
		wantIndex  int
		wantText   string
	}{
		{
			name:       "RSA-1024 key",
			pem:        bundle(issue(t, certSpec{cn: "weak rsa", key: rsaKey(t, 1024)})),
			wantReason: truststore.ReasonKeySize, wantIndex: 1, wantText: "1024 bits",
		},
		{
			name:       "P-224 key",
			pem:        bundle(issue(t, certSpec{cn: "weak ec", key: ecKey(t, elliptic.P224())})),
			wantReason: truststore.ReasonKeySize, wantIndex: 1, wantText: "224 bits",
		},
		{
			name:       "Ed25519 key",
			pem:        bundle(issue(t, certSpec{cn: "edwards", key: edKey(t)})),
			wantReason: truststore.ReasonKeyType, wantIndex: 1, wantText: "Ed25519",
		},
		{
			name:       "SHA-1 signature",
			pem:        bundle(root, issue(t, certSpec{cn: "sha1", parent: root, sigAlg: x509.ECDSAWithSHA1})),
			wantReason: truststore.ReasonSignatureAlgorithm, wantIndex: 2, wantText: "ECDSA-SHA1",
		},
		{
			name:       "leaf certificate",
			pem:        bundle(root, issue(t, certSpec{cn: "client", parent: root, leaf: true})),
			wantReason: truststore.ReasonNotCA, wantIndex: 2, wantText: "CN=client",
		},
		{
			name:       "issuer missing",
			pem:        bundle(issue(t, certSpec{cn: "orphan", parent: otherRoot})),
			wantReason: truststore.ReasonIssuerMissing, wantIndex: 1, wantText: "other root",
		},
		{
			name:       "duplicate subject",
			pem:        bundle(root, root),
			wantReason: truststore.ReasonDuplicateSubject, wantIndex: 2, wantText: "certificate 1",
		},
		{
			name:       "signature from another key",
			pem:        bundle(root, forged),
			wantReason: truststore.ReasonBadSignature, wantIndex: 2, wantText: "does not verify",
		},
		{
			name:       "chain of five",
			pem:        bundle(tooLong...),
			wantReason: truststore.ReasonChainTooLong, wantIndex: 5, wantText: "5 CA certificates",
		},
		{
			name:       "expired",
			pem:        bundle(issue(t, certSpec{cn: "old", notAfter: epoch.Add(-time.Hour)})),
			opts:       []truststore.Option{truststore.At(epoch)},
			wantReason: truststore.ReasonExpired, wantIndex: 1, wantText: "expired at 2026-01-15T11:00:00Z",
		},
		{
			name:       "not yet valid",
			pem:        bundle(issue(t, certSpec{cn: "future", notBefore: epoch.Add(time.Hour)})),
			opts:       []truststore.Option{truststore.At(epoch)},
			wantReason: truststore.ReasonNotYetValid, wantIndex: 1, wantText: "not valid before",
		},
		{
			name:       "private key block",
			pem:        append(bundle(root), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("secret key material")})...),
			wantReason: truststore.ReasonNotCertificate, wantIndex: 2, wantText: `"PRIVATE KEY"`,
		},
		{
			name:       "malformed certificate",
			pem:        pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}),
			wantReason: truststore.ReasonMalformed, wantIndex: 1, wantText: "not a valid X.509 certificate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := truststore.Validate(tt.pem, tt.opts...)
			var certErr *truststore.CertificateError
			if !errors.As(err, &certErr) {
				t.Fatalf("Validate() = %v, want a *CertificateError", err)
			}
			if certErr.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q (error %v)", certErr.Reason, tt.wantReason, err)
			}
			if certErr.Index != tt.wantIndex {
				t.Errorf("Index = %d, want %d", certErr.Index, tt.wantIndex)
			}
			if certErr.Fix == "" {
				t.Error("Fix is empty, want advice")
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "secret key material") {
				t.Errorf("Validate() = %q, quotes the content of a PEM block", err)
			}
		})
	}
}

func TestValidateRejectsBundle(t *testing.T) {
	root := issue(t, certSpec{cn: "root"})

	tests := []struct {
		name    string
		pem     []byte
		wantErr error
	}{
		{name: "empty", pem: nil, wantErr: truststore.ErrEmpty},
		{name: "whitespace", pem: []byte(" \n\t\n"), wantErr: truststore.ErrEmpty},
		{name: "not PEM", pem: []byte("hello"), wantErr: truststore.ErrNotPEM},
		{name: "trailing data", pem: append(bundle(root), "garbage"...), wantErr: truststore.ErrNotPEM},
		{name: "too large", pem: append(bundle(root), bytes.Repeat([]byte("\n"), truststore.MaxSize)...), wantErr: truststore.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := truststore.Validate(tt.pem)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate() = %v, want %v", err, tt.wantErr)
			}
			if b != nil {
				t.Errorf("Validate() bundle = %v, want nil on error", b)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	root := issue(t, certSpec{cn: "root"})
	weak := issue(t, certSpec{cn: "weak", key: rsaKey(t, 1024), parent: root})
	leaf := issue(t, certSpec{cn: "client", parent: root, leaf: true})

	_, err := truststore.Validate(bundle(root, weak, leaf))

	var got []truststore.Reason
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var certErr *truststore.CertificateError
		if errors.As(e, &certErr) {
			got = append(got, certErr.Reason)
		}
	}
	want := []truststore.Reason{truststore.ReasonKeySize, truststore.ReasonNotCA}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Validate() reasons = %v, want %v", got, want)
	}
	if !strings.Contains(err.Error(), "certificate 2 (CN=weak,O=truststore test)") {
		t.Errorf("Validate() = %q, want the index and subject of each certificate", err)
	}
}

func TestValidateIgnoresDatesWithoutAt(t *testing.T) {
	expired := issue(t, certSpec{cn: "old", notBefore: epoch.Add(-48 * time.Hour), notAfter: epoch.Add(-time.Hour)})
	if _, err := truststore.Validate(bundle(expired)); err != nil {
		t.Errorf("Validate(expired root) = %v, want nil without At", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	certs := chain(t, 2)
	var parsed []*x509.Certificate
	for _, c := range certs {
		parsed = append(parsed, c.cert)
	}

	data := truststore.Encode(parsed)
	if !bytes.Equal(data, bundle(certs...)) {
		t.Errorf("Encode() = %q, want the PEM blocks in order", data)
	}
	b, err := truststore.Validate(data)
	if err != nil {
		t.Fatalf("Validate(Encode()) = %v, want nil", err)
	}
	for i, c := range b.Certificates {
		if !c.Equal(parsed[i]) {
			t.Errorf("Certificates[%d] = %s, want %s", i, c.Subject, parsed[i].Subject)
		}
	}
}

func TestBundleVerify(t *testing.T) {
	root := issue(t, certSpec{cn: "root"})
	intermediate := issue(t, certSpec{cn: "intermediate", parent: root})
	otherRoot := issue(t, certSpec{cn: "other root"})
	b, err := truststore.Validate(bundle(root, intermediate))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		leaf    *x509.Certificate
		now     time.Time
		wantErr bool
	}{
		{name: "client certificate", leaf: issue(t, certSpec{cn: "client", parent: intermediate, leaf: true}).cert, now: epoch},
		{name: "issued by root", leaf: issue(t, certSpec{cn: "direct", parent: root, leaf: true}).cert, now: epoch},
		{name: "server only", leaf: issue(t, certSpec{cn: "server", parent: intermediate, leaf: true, extUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}).cert, now: epoch, wantErr: true},
		{name: "expired", leaf: issue(t, certSpec{cn: "old", parent: intermediate, leaf: true, notAfter: epoch.Add(-time.Minute)}).cert, now: epoch, wantErr: true},
		{name: "other CA", leaf: issue(t, certSpec{cn: "stranger", parent: otherRoot, leaf: true}).cert, now: epoch, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chains, err := b.Verify(tt.leaf, tt.now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Verify(%s) = nil, want an error", tt.leaf.Subject)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(%s) = %v, want nil", tt.leaf.Subject, err)
			}
			if len(chains) == 0 || !chains[0][len(chains[0])-1].Equal(root.cert) {
				t.Errorf("Verify(%s) chains = %v, want a chain ending at the root", tt.leaf.Subject, chains)
			}
		})
	}
}

func FuzzValidate(f *testing.F) {
	certs := chain(f, 1)
	f.Add(bundle(certs...))
	f.Add(bundle(certs[1]))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\ntrailing"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := truststore.Validate(data)
		if err != nil {
			if b != nil {
				t.Fatalf("Validate() = %v with a non-nil bundle", err)
			}
			return
		}
		if len(b.Certificates) == 0 || len(b.Roots()) == 0 {
			t.Fatalf("Validate() accepted a bundle with %d certificates and %d roots", len(b.Certificates), len(b.Roots()))
		}
		for i, n := range b.ChainLength {
			if n < 1 || n > truststore.MaxChainLength {
				t.Fatalf("ChainLength[%d] = %d, want 1 to %d", i, n, truststore.MaxChainLength)
			}
		}
	})
}
