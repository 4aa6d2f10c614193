package apigw

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/shared/certificate"
)

// Errors returned by the client certificate readers. Check them with errors.Is.
var (
	// ErrNoCertificate means the event carries no client certificate: the authentication block
	// is missing or empty, as it is for a request on a domain without mutual TLS.
	ErrNoCertificate = errors.New("apigw: no client certificate in event")
	// ErrInvalidCertificate means the event carries a client certificate that does not parse,
	// whose serial number is not a valid table key (zero or longer than 20 bytes), or whose
	// parsed values disagree with the values API Gateway put beside it.
	ErrInvalidCertificate = errors.New("apigw: invalid client certificate in event")
)

// ValidityLayout is the time layout of the validity strings in events, such as
// "Aug  5 09:36:04 2021 GMT" (the day is padded with a space).
const ValidityLayout = "Jan _2 15:04:05 2006 MST"

// ClientCert is the client certificate of a request, parsed from the event's PEM.
type ClientCert struct {
	// Certificate is the parsed certificate; every other field derives from it.
	Certificate *x509.Certificate
	// SerialNumber is the canonical decimal serial number, the certificate table's key.
	SerialNumber string
	// FingerprintSHA256 is the lowercase hex SHA-256 of the DER encoding.
	FingerprintSHA256 string
}

// CommonName returns the subject's common name.
func (c *ClientCert) CommonName() string { return c.Certificate.Subject.CommonName }

// FromHTTPRequest returns the client certificate of an HTTP API route event.
func FromHTTPRequest(req *events.APIGatewayV2HTTPRequest) (*ClientCert, error) {
	return parseEventCert(req.RequestContext.Authentication.ClientCert)
}

// FromAuthorizerRequest returns the client certificate of a Lambda authorizer event (payload
// format 2.0), which carries the same request context as the route event.
func FromAuthorizerRequest(req *events.APIGatewayV2CustomAuthorizerV2Request) (*ClientCert, error) {
	return parseEventCert(req.RequestContext.Authentication.ClientCert)
}

func parseEventCert(ec events.APIGatewayV2HTTPRequestContextAuthenticationClientCert) (*ClientCert, error) {
	if ec == (events.APIGatewayV2HTTPRequestContextAuthenticationClientCert{}) {
		return nil, ErrNoCertificate
	}
	if strings.TrimSpace(ec.ClientCertPem) == "" {
		return nil, fmt.Errorf("%w: clientCertPem is empty", ErrInvalidCertificate)
	}

	cert, err := ParsePEM(ec.ClientCertPem)
	if err != nil {
		return nil, err
	}
	// x509 parses a zero or an over-long serial number, but neither can be a key of the
	// certificate table, so such a certificate can never be registered.
	serial, err := certificate.CanonicalSerial(certificate.FormatSerial(cert.SerialNumber))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}

	// API Gateway writes the serial number next to the PEM. A disagreement means the event was
	// not built from one certificate, so neither value can be trusted.
	if ec.SerialNumber != "" && !serialMatches(ec.SerialNumber, cert.SerialNumber) {
		return nil, fmt.Errorf("%w: serialNumber %q does not match the PEM's serial %s",
			ErrInvalidCertificate, ec.SerialNumber, serial)
	}

	return &ClientCert{
		Certificate:       cert,
		SerialNumber:      serial,
		FingerprintSHA256: certificate.Fingerprint(cert.Raw),
	}, nil
}

// serialMatches reports whether the serial number an event states is n. Events have been
// documented both with decimal serials and with colon-separated hex, so the value matches in
// any form certificate.ParseSerial accepts and also as bare hex digits.
func serialMatches(stated string, n *big.Int) bool {
	if parsed, err := certificate.ParseSerial(stated); err == nil && parsed.Cmp(n) == 0 {
		return true
	}
	if hex, ok := new(big.Int).SetString(strings.TrimSpace(stated), 16); ok && hex.Cmp(n) == 0 {
		return true
	}
	return false
}

// ParsePEM parses the first CERTIFICATE block of s.
func ParsePEM(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("%w: clientCertPem contains no PEM block", ErrInvalidCertificate)
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: clientCertPem contains a %q block, expected CERTIFICATE", ErrInvalidCertificate, block.Type)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	return cert, nil
}

// ParseValidity parses a validity string of an event, such as "Aug  5 09:36:04 2021 GMT".
// It also accepts the day without padding.
func ParseValidity(s string) (time.Time, error) {
	t, err := time.Parse(ValidityLayout, strings.Join(strings.Fields(s), " "))
	if err != nil {
		t, err = time.Parse(ValidityLayout, s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("apigw: invalid validity time %q, expected the form \"Aug  5 09:36:04 2021 GMT\"", s)
	}
	return t.UTC(), nil
}

// FormatValidity formats t as API Gateway writes validity times in events, always in GMT.
func FormatValidity(t time.Time) string {
	// Go formats the UTC zone as "UTC", but the events use "GMT", as OpenSSL prints it.
	return t.UTC().Format("Jan _2 15:04:05 2006") + " GMT"
}

// EventClientCert returns cert as API Gateway describes it in an event's
// requestContext.authentication.clientCert. The local gateway uses it to build events.
func EventClientCert(cert *x509.Certificate) events.APIGatewayV2HTTPRequestContextAuthenticationClientCert {
	return events.APIGatewayV2HTTPRequestContextAuthenticationClientCert{
		ClientCertPem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})),
		SubjectDN:     cert.Subject.String(),
		IssuerDN:      cert.Issuer.String(),
		SerialNumber:  certificate.FormatSerial(cert.SerialNumber),
		Validity: events.APIGatewayV2HTTPRequestContextAuthenticationClientCertValidity{
			NotBefore: FormatValidity(cert.NotBefore),
			NotAfter:  FormatValidity(cert.NotAfter),
		},
	}
}
