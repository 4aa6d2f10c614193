package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// Default validity periods.
const (
	DefaultRootValidity         = 10 * 365 * 24 * time.Hour
	DefaultIntermediateValidity = 3 * 365 * 24 * time.Hour
	DefaultClientValidity       = 90 * 24 * time.Hour
	DefaultServerValidity       = 90 * 24 * time.Hour

	// DefaultOrganization is the subject organization of every certificate when Config
	// leaves it empty.
	DefaultOrganization = "mtls-api"

	// backdate moves every NotBefore into the past, so that a peer whose clock runs a little
	// behind accepts a certificate issued a moment ago.
	backdate = 5 * time.Minute
)

// Curve names the elliptic curve of the CA keys.
type Curve string

// The curves New accepts. API Gateway supports both in a truststore.
const (
	P256 Curve = "P-256"
	P384 Curve = "P-384"
)

// ErrNoRootKey means an operation needs the root private key, which the CA directory lacks.
var ErrNoRootKey = errors.New("ca: root private key not available")

// Options injects the clock and the randomness. The zero value uses time.Now and
// crypto/rand.Reader.
type Options struct {
	Now  func() time.Time
	Rand io.Reader
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC().Truncate(time.Second)
	}
	return o.Now().UTC().Truncate(time.Second)
}

func (o Options) rand() io.Reader {
	if o.Rand == nil {
		return rand.Reader
	}
	return o.Rand
}

// Config describes a new CA. The zero value gives a P-384 root valid for
// DefaultRootValidity and an intermediate valid for DefaultIntermediateValidity.
type Config struct {
	// Organization is the subject O of the CA certificates; empty means DefaultOrganization.
	Organization string
	// RootCommonName defaults to "<Organization> root CA".
	RootCommonName string
	// IntermediateCommonName defaults to "<Organization> intermediate CA <key id>", which
	// differs for every intermediate key as truststore subjects must.
	IntermediateCommonName string
	RootValidity           time.Duration
	IntermediateValidity   time.Duration
	// Curve is the curve of both CA keys; empty means P384.
	Curve Curve
}

// KeyPair is a certificate with its private key. Key is nil where the key is kept elsewhere,
// such as a root key stored offline.
type KeyPair struct {
	Certificate *x509.Certificate
	Key         crypto.Signer
}

// Authority is a two-level CA: a root and the intermediate that issues certificates.
type Authority struct {
	Root         KeyPair
	Intermediate KeyPair
	// Retired are intermediates replaced by RotateIntermediate. They stay in the truststore
	// until they expire, so that certificates they issued keep working during the overlap.
	Retired []*x509.Certificate

	opts Options
}

// New creates a root CA and an intermediate CA signed by it.
func New(cfg Config, opts Options) (*Authority, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Authority{opts: opts}

	rootKey, err := newKey(cfg.Curve, opts.rand())
	if err != nil {
		return nil, err
	}
	now := opts.now()
	rootTemplate := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{cfg.Organization}, CommonName: cfg.RootCommonName},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(cfg.RootValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}
	root, err := a.sign(rootTemplate, rootKey.Public(), KeyPair{Key: rootKey})
	if err != nil {
		return nil, fmt.Errorf("ca: create root: %w", err)
	}
	a.Root = KeyPair{Certificate: root, Key: rootKey}

	intermediate, err := a.newIntermediate(cfg.IntermediateCommonName, cfg.IntermediateValidity, cfg.Curve)
	if err != nil {
		return nil, err
	}
	a.Intermediate = intermediate
	return a, nil
}

// SetOptions replaces the clock and randomness of a, for example after Load.
func (a *Authority) SetOptions(opts Options) { a.opts = opts }

// Now returns the current time of a's clock, truncated to the second.
func (a *Authority) Now() time.Time { return a.opts.now() }

// RotateIntermediate replaces the intermediate with a new one signed by the root, on the same
// curve, and moves the old one to Retired. commonName may be empty for the default name, and
// validity zero for DefaultIntermediateValidity. It needs the root key.
func (a *Authority) RotateIntermediate(commonName string, validity time.Duration) error {
	if a.Root.Key == nil {
		return fmt.Errorf("%w: rotating the intermediate needs it; restore the root key file", ErrNoRootKey)
	}
	if validity < 0 {
		return fmt.Errorf("ca: intermediate validity %s is negative; use a positive duration such as 26280h", validity)
	}
	if validity == 0 {
		validity = DefaultIntermediateValidity
	}
	curve, err := curveOf(a.Intermediate.Certificate.PublicKey)
	if err != nil {
		return err
	}

	next, err := a.newIntermediate(commonName, validity, curve)
	if err != nil {
		return err
	}
	for _, c := range append([]*x509.Certificate{a.Intermediate.Certificate}, a.Retired...) {
		if c.Subject.String() == next.Certificate.Subject.String() {
			return fmt.Errorf("ca: intermediate subject %q is already used by serial %s; choose another common name", c.Subject, c.SerialNumber)
		}
	}
	a.Retired = append([]*x509.Certificate{a.Intermediate.Certificate}, a.Retired...)
	a.Intermediate = next
	return nil
}

// TLSCertificate returns kp as a tls.Certificate whose chain includes the intermediate, as a
// TLS server or client presents it.
func (a *Authority) TLSCertificate(kp KeyPair) tls.Certificate {
	return tls.Certificate{
		Certificate: [][]byte{kp.Certificate.Raw, a.Intermediate.Certificate.Raw},
		PrivateKey:  kp.Key,
		Leaf:        kp.Certificate,
	}
}

func (a *Authority) newIntermediate(commonName string, validity time.Duration, curve Curve) (KeyPair, error) {
	key, err := newKey(curve, a.opts.rand())
	if err != nil {
		return KeyPair{}, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return KeyPair{}, err
	}
	org := a.Root.Certificate.Subject.Organization
	if commonName == "" {
		name := DefaultOrganization
		if len(org) > 0 {
			name = org[0]
		}
		commonName = fmt.Sprintf("%s intermediate CA %x", name, skid[:4])
	}

	now := a.opts.now()
	notAfter := now.Add(validity)
	if notAfter.After(a.Root.Certificate.NotAfter) {
		return KeyPair{}, fmt.Errorf("ca: intermediate would expire at %s, after the root (%s); use a shorter validity",
			notAfter.Format(time.RFC3339), a.Root.Certificate.NotAfter.Format(time.RFC3339))
	}
	template := &x509.Certificate{
		Subject:               pkix.Name{Organization: org, CommonName: commonName},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	cert, err := a.sign(template, key.Public(), a.Root)
	if err != nil {
		return KeyPair{}, fmt.Errorf("ca: create intermediate: %w", err)
	}
	return KeyPair{Certificate: cert, Key: key}, nil
}

// sign fills in the serial number and key identifiers of template and signs it with parent.
// A zero parent.Certificate makes template self-signed.
func (a *Authority) sign(template *x509.Certificate, pub crypto.PublicKey, parent KeyPair) (*x509.Certificate, error) {
	serial, err := randomSerial(a.opts.rand())
	if err != nil {
		return nil, err
	}
	template.SerialNumber = serial
	if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
		return nil, err
	}

	parentCert := parent.Certificate
	if parentCert == nil {
		parentCert = template
	}
	der, err := x509.CreateCertificate(a.opts.rand(), template, parentCert, pub, parent.Key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func (c Config) withDefaults() (Config, error) {
	if c.Organization == "" {
		c.Organization = DefaultOrganization
	}
	if c.RootCommonName == "" {
		c.RootCommonName = c.Organization + " root CA"
	}
	if c.RootValidity == 0 {
		c.RootValidity = DefaultRootValidity
	}
	if c.IntermediateValidity == 0 {
		c.IntermediateValidity = DefaultIntermediateValidity
	}
	if c.Curve == "" {
		c.Curve = P384
	}
	if c.RootValidity < 0 || c.IntermediateValidity < 0 {
		return c, fmt.Errorf("ca: validity %s or %s is negative; use positive durations", c.RootValidity, c.IntermediateValidity)
	}
	if c.IntermediateValidity > c.RootValidity {
		return c, fmt.Errorf("ca: intermediate validity %s exceeds root validity %s; shorten the intermediate's", c.IntermediateValidity, c.RootValidity)
	}
	if _, err := ellipticCurve(c.Curve); err != nil {
		return c, err
	}
	return c, nil
}

func ellipticCurve(c Curve) (elliptic.Curve, error) {
	switch c {
	case P256:
		return elliptic.P256(), nil
	case P384:
		return elliptic.P384(), nil
	}
	return nil, fmt.Errorf("ca: curve %q is not supported; use %s or %s", c, P256, P384)
}

func curveOf(pub crypto.PublicKey) (Curve, error) {
	if key, ok := pub.(*ecdsa.PublicKey); ok {
		switch key.Curve {
		case elliptic.P256():
			return P256, nil
		case elliptic.P384():
			return P384, nil
		}
	}
	return "", fmt.Errorf("ca: CA key %T is not ECDSA P-256 or P-384", pub)
}

func newKey(c Curve, r io.Reader) (*ecdsa.PrivateKey, error) {
	curve, err := ellipticCurve(c)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(curve, r)
	if err != nil {
		return nil, fmt.Errorf("ca: generate %s key: %w", c, err)
	}
	return key, nil
}

// randomSerial returns a positive serial number of 128 random bits, so that serial numbers,
// the keys of the certificate table, neither collide nor can be predicted.
func randomSerial(r io.Reader) (*big.Int, error) {
	b := make([]byte, 16)
	for {
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("ca: read random serial number: %w", err)
		}
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID derives a key identifier from the subjectPublicKey bits: the leftmost 160 bits
// of their SHA-256 hash, method 1 of RFC 7093 section 2.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("ca: encode public key: %w", err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("ca: decode public key: %w", err)
	}
	sum := sha256.Sum256(info.PublicKey.Bytes)
	return sum[:20], nil
}
