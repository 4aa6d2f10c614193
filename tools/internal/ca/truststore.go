package ca

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/mtls-api/mtls-api/shared/truststore"
)

// TruststoreCertificates returns the certificates of the truststore bundle: the current
// intermediate, the retired intermediates that have not expired, then the root.
func (a *Authority) TruststoreCertificates() []*x509.Certificate {
	now := a.opts.now()
	certs := []*x509.Certificate{a.Intermediate.Certificate}
	for _, c := range a.Retired {
		if !now.After(c.NotAfter) {
			certs = append(certs, c)
		}
	}
	return append(certs, a.Root.Certificate)
}

// Truststore returns the truststore bundle as PEM, validated against API Gateway's limits at
// the current time.
func (a *Authority) Truststore() ([]byte, error) {
	data := truststore.Encode(a.TruststoreCertificates())
	if _, err := truststore.Validate(data, truststore.At(a.opts.now())); err != nil {
		return nil, fmt.Errorf("ca: build truststore: %w", err)
	}
	return data, nil
}

// Verify checks cert against the truststore at the current time: its chain, its validity
// period and its use for TLS client authentication. It does not check revocation, which the
// certificate table records.
func (a *Authority) Verify(cert *x509.Certificate) error {
	return VerifyClient(cert, truststore.Encode(a.TruststoreCertificates()), a.opts.now())
}

// VerifyClient checks cert against a PEM truststore bundle at now, as API Gateway does.
func VerifyClient(cert *x509.Certificate, bundle []byte, now time.Time) error {
	b, err := truststore.Validate(bundle)
	if err != nil {
		return err
	}
	if _, err := b.Verify(cert, now); err != nil {
		return err
	}
	return nil
}
