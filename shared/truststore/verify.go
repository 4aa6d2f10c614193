package truststore

import (
	"crypto/x509"
	"fmt"
	"time"
)

// Verify checks a client certificate against the bundle at now, as API Gateway does during
// the TLS handshake. The chain must end at a root of the bundle, every certificate on it must
// be within its validity period, and the leaf must allow TLS client authentication. Verify
// returns the verified chains, leaf first. Like API Gateway, it does not check revocation.
func (b *Bundle) Verify(leaf *x509.Certificate, now time.Time) ([][]*x509.Certificate, error) {
	roots := x509.NewCertPool()
	for _, c := range b.Roots() {
		roots.AddCert(c)
	}
	intermediates := x509.NewCertPool()
	for _, c := range b.Intermediates() {
		intermediates.AddCert(c)
	}

	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("truststore: verify %s: %w", leaf.Subject, err)
	}
	return chains, nil
}
