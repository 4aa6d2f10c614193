package truststore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Limits of an API Gateway truststore.
const (
	// MaxSize is the largest bundle Validate accepts, in bytes.
	// NOTE: 1 MB is the truststore size limit usually given for API Gateway, but the page cited
	// in the package documentation does not state it. The stricter reading, 10^6 bytes, is used.
	MaxSize = 1_000_000
	// MaxChainLength is the largest number of CA certificates in one chain, root included.
	// NOTE: the API Gateway page cited in the package documentation gives a maximum chain
	// length of four without saying whether the client certificate counts. If it does, a
	// bundle with a chain of four CA certificates passes here and fails for clients there.
	// The project's own CA uses chains of two.
	MaxChainLength = 4
	// MinRSABits is the smallest RSA modulus API Gateway supports.
	MinRSABits = 2048
	// MinECDSABits is the smallest ECDSA curve size API Gateway supports.
	MinECDSABits = 256
)

// Errors about the bundle as a whole. Validate returns them wrapped; check with errors.Is.
var (
	// ErrEmpty means the bundle contains no certificate.
	ErrEmpty = errors.New("truststore: no certificates")
	// ErrTooLarge means the bundle exceeds MaxSize.
	ErrTooLarge = errors.New("truststore: bundle too large")
	// ErrNotPEM means the bundle contains data that is not a PEM block.
	ErrNotPEM = errors.New("truststore: data outside PEM blocks")
)

// Reason names what is wrong with one certificate of a bundle.
type Reason string

// The reasons a CertificateError carries.
const (
	ReasonNotCertificate     Reason = "notCertificate"
	ReasonMalformed          Reason = "malformed"
	ReasonKeyType            Reason = "unsupportedKeyType"
	ReasonKeySize            Reason = "keyTooSmall"
	ReasonSignatureAlgorithm Reason = "weakSignatureAlgorithm"
	ReasonNotCA              Reason = "notCA"
	ReasonDuplicateSubject   Reason = "duplicateSubject"
	ReasonIssuerMissing      Reason = "issuerMissing"
	ReasonBadSignature       Reason = "badSignature"
	ReasonChainTooLong       Reason = "chainTooLong"
	ReasonExpired            Reason = "expired"
	ReasonNotYetValid        Reason = "notYetValid"
)

// CertificateError reports a problem with one certificate of a bundle, and how to fix it.
type CertificateError struct {
	// Index is the 1-based position of the PEM block in the bundle.
	Index int
	// Subject is the certificate's subject DN, empty when the block does not parse.
	Subject string
	Reason  Reason
	// Problem describes the fault and Fix the change that resolves it.
	Problem string
	Fix     string
}

func (e *CertificateError) Error() string {
	name := fmt.Sprintf("certificate %d", e.Index)
	if e.Subject != "" {
		name += fmt.Sprintf(" (%s)", e.Subject)
	}
	return fmt.Sprintf("truststore: %s: %s; %s", name, e.Problem, e.Fix)
}

// Bundle is a validated truststore.
type Bundle struct {
	// Certificates are the bundle's certificates in file order.
	Certificates []*x509.Certificate
	// ChainLength is the length of the chain from each certificate up to its root, root
	// included, in the order of Certificates. A root has length 1.
	ChainLength []int
}

// Roots returns the self-signed certificates of the bundle.
func (b *Bundle) Roots() []*x509.Certificate {
	var roots []*x509.Certificate
	for i, c := range b.Certificates {
		if b.ChainLength[i] == 1 {
			roots = append(roots, c)
		}
	}
	return roots
}

// Intermediates returns the certificates of the bundle that are not roots.
func (b *Bundle) Intermediates() []*x509.Certificate {
	var intermediates []*x509.Certificate
	for i, c := range b.Certificates {
		if b.ChainLength[i] > 1 {
			intermediates = append(intermediates, c)
		}
	}
	return intermediates
}

// Option changes what Validate checks.
type Option func(*settings)

type settings struct {
	now time.Time
}

// At makes Validate also reject certificates that are expired or not yet valid at now.
// Without it, Validate ignores validity periods, so a committed bundle keeps validating in
// tests. API Gateway itself only warns about an expired CA.
func At(now time.Time) Option {
	return func(s *settings) { s.now = now }
}

// Validate parses a PEM truststore and checks it against API Gateway's limits. The bundle must
// be at most MaxSize bytes of CERTIFICATE blocks that parse. Each certificate must be a CA with
// an RSA key of at least MinRSABits or an ECDSA key of at least MinECDSABits, signed with
// SHA-256 or stronger, with a subject of its own. Each chain must end at a self-signed root in
// the bundle within MaxChainLength certificates. Validate reports every problem it finds,
// joined, and each is a *CertificateError or wraps one of the Err values.
func Validate(data []byte, opts ...Option) (*Bundle, error) {
	var s settings
	for _, opt := range opts {
		opt(&s)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d; remove certificates that are no longer needed", ErrTooLarge, len(data), MaxSize)
	}

	certs, errs := parse(data)
	for i, cert := range certs {
		if cert != nil {
			errs = append(errs, checkCertificate(i+1, cert, s)...)
		}
	}
	lengths, chainErrs := checkChains(certs)
	errs = append(errs, chainErrs...)
	if len(certs) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%w: add the root CA certificate and every intermediate CA certificate as PEM CERTIFICATE blocks", ErrEmpty))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Bundle{Certificates: certs, ChainLength: lengths}, nil
}

// Encode returns certs as concatenated PEM CERTIFICATE blocks, the truststore file format.
func Encode(certs []*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// parse decodes every PEM block of data. A block that is not a parsable certificate leaves a
// nil entry, so that indexes in errors match the positions in the file.
func parse(data []byte) ([]*x509.Certificate, []error) {
	var (
		certs []*x509.Certificate
		errs  []error
	)
	rest := data
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			if len(bytes.TrimSpace(rest)) > 0 {
				errs = append(errs, fmt.Errorf("%w: %d bytes after certificate %d are not a PEM block; remove them", ErrNotPEM, len(rest), len(certs)))
			}
			return certs, errs
		}
		rest = next
		index := len(certs) + 1

		if block.Type != "CERTIFICATE" {
			// The block's content is never quoted: it could be a private key.
			certs = append(certs, nil)
			errs = append(errs, &CertificateError{
				Index: index, Reason: ReasonNotCertificate,
				Problem: fmt.Sprintf("PEM block type is %q, expected CERTIFICATE", block.Type),
				Fix:     "remove the block; a truststore holds CA certificates only and never a private key",
			})
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			certs = append(certs, nil)
			errs = append(errs, &CertificateError{
				Index: index, Reason: ReasonMalformed,
				Problem: fmt.Sprintf("not a valid X.509 certificate: %v", err),
				Fix:     "replace it with the CA certificate in PEM form",
			})
			continue
		}
		certs = append(certs, cert)
	}
}

// checkCertificate checks the properties of one certificate that need no other certificate.
func checkCertificate(index int, cert *x509.Certificate, s settings) []error {
	var errs []error
	fail := func(reason Reason, problem, fix string) {
		errs = append(errs, &CertificateError{Index: index, Subject: cert.Subject.String(), Reason: reason, Problem: problem, Fix: fix})
	}

	switch key := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if bits := key.N.BitLen(); bits < MinRSABits {
			fail(ReasonKeySize, fmt.Sprintf("RSA key has %d bits, API Gateway requires at least %d", bits, MinRSABits),
				"reissue the CA with an RSA-2048 or larger key, or an ECDSA P-256 or P-384 key")
		}
	case *ecdsa.PublicKey:
		if bits := key.Curve.Params().BitSize; bits < MinECDSABits {
			fail(ReasonKeySize, fmt.Sprintf("ECDSA key on %s has %d bits, API Gateway requires at least %d", key.Curve.Params().Name, bits, MinECDSABits),
				"reissue the CA with an ECDSA P-256 or P-384 key")
		}
	case ed25519.PublicKey:
		fail(ReasonKeyType, "Ed25519 keys are not supported by API Gateway", "reissue the CA with an ECDSA P-256 or P-384 key or an RSA-2048 or larger key")
	default:
		fail(ReasonKeyType, fmt.Sprintf("public key algorithm %s is not supported by API Gateway", cert.PublicKeyAlgorithm),
			"reissue the CA with an ECDSA P-256 or P-384 key or an RSA-2048 or larger key")
	}

	if !strongSignature(cert.SignatureAlgorithm) {
		fail(ReasonSignatureAlgorithm, fmt.Sprintf("signature algorithm %s is weaker than SHA-256 or not supported", cert.SignatureAlgorithm),
			"reissue the certificate with SHA-256 or stronger (ECDSA-SHA384, SHA256-RSA, ...)")
	}

	if !cert.BasicConstraintsValid || !cert.IsCA {
		fail(ReasonNotCA, "not a CA certificate (basic constraints CA:TRUE missing)",
			"remove it; client and server certificates do not belong in a truststore")
	}

	if !s.now.IsZero() {
		if s.now.After(cert.NotAfter) {
			fail(ReasonExpired, fmt.Sprintf("expired at %s", cert.NotAfter.UTC().Format(time.RFC3339)),
				"remove it or replace it with a renewed CA certificate")
		}
		if s.now.Before(cert.NotBefore) {
			fail(ReasonNotYetValid, fmt.Sprintf("not valid before %s", cert.NotBefore.UTC().Format(time.RFC3339)),
				"check the clock of the machine that issued it, or wait until it is valid")
		}
	}
	return errs
}

func strongSignature(alg x509.SignatureAlgorithm) bool {
	switch alg {
	case x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
		x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		return true
	}
	return false
}
