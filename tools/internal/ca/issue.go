package ca

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ClientIDURIPrefix starts the URI subject alternative name that carries a client id.
const ClientIDURIPrefix = "urn:mtls-api:client:"

// maxClientIDLength bounds a client id, which is also a DynamoDB index key.
const maxClientIDLength = 128

// ErrInvalidClientID is returned, wrapped, for a client id ValidateClientID rejects.
var ErrInvalidClientID = errors.New("ca: invalid client id")

// ErrNoClientID means a certificate carries no client id URI.
var ErrNoClientID = errors.New("ca: certificate has no client id")

// ClientRequest describes a client certificate.
type ClientRequest struct {
	// ClientID identifies the client; see ValidateClientID.
	ClientID string
	// CommonName is the subject CN; empty means ClientID.
	CommonName string
	// Validity is how long the certificate is valid; zero means DefaultClientValidity.
	Validity time.Duration
}

// ServerRequest describes a TLS server certificate. The zero value is a certificate for
// localhost, 127.0.0.1 and ::1, valid for DefaultServerValidity.
type ServerRequest struct {
	DNSNames    []string
	IPAddresses []net.IP
	Validity    time.Duration
}

// IssueClient issues a client certificate, with a new ECDSA P-256 key, from the intermediate.
// The certificate allows TLS client authentication only and carries the client id in a URI
// subject alternative name.
func (a *Authority) IssueClient(req ClientRequest) (KeyPair, error) {
	if err := ValidateClientID(req.ClientID); err != nil {
		return KeyPair{}, err
	}
	cn := req.CommonName
	if cn == "" {
		cn = req.ClientID
	}
	if strings.TrimSpace(cn) == "" || utf8.RuneCountInString(cn) > 64 || !utf8.ValidString(cn) {
		return KeyPair{}, fmt.Errorf("ca: common name %q must have 1 to 64 UTF-8 characters (RFC 5280 ub-common-name)", cn)
	}
	// A control character would reach the subject DN that logs, the certificate table and the
	// health response print.
	if i := strings.IndexFunc(cn, unicode.IsControl); i >= 0 {
		return KeyPair{}, fmt.Errorf("ca: common name %q has a control character at byte %d; use printable text", cn, i+1)
	}
	uri, err := url.Parse(ClientIDURIPrefix + req.ClientID)
	if err != nil {
		return KeyPair{}, fmt.Errorf("ca: client id %q: %w", req.ClientID, err)
	}

	template := &x509.Certificate{
		Subject:     pkix.Name{Organization: a.Root.Certificate.Subject.Organization, CommonName: cn},
		URIs:        []*url.URL{uri},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return a.issueLeaf(template, req.Validity, DefaultClientValidity)
}

// IssueServer issues a TLS server certificate, with a new ECDSA P-256 key, from the
// intermediate. The local stack serves HTTPS on localhost with it.
func (a *Authority) IssueServer(req ServerRequest) (KeyPair, error) {
	dns, ips := req.DNSNames, req.IPAddresses
	if len(dns) == 0 && len(ips) == 0 {
		dns = []string{"localhost"}
		ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	cn := "localhost"
	if len(dns) > 0 {
		cn = dns[0]
	}

	template := &x509.Certificate{
		Subject:     pkix.Name{Organization: a.Root.Certificate.Subject.Organization, CommonName: cn},
		DNSNames:    dns,
		IPAddresses: ips,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	return a.issueLeaf(template, req.Validity, DefaultServerValidity)
}

func (a *Authority) issueLeaf(template *x509.Certificate, validity, def time.Duration) (KeyPair, error) {
	if a.Intermediate.Key == nil {
		return KeyPair{}, errors.New("ca: intermediate private key not available; restore the intermediate key file")
	}
	if validity < 0 {
		return KeyPair{}, fmt.Errorf("ca: validity %s is negative; use a positive duration such as 2160h", validity)
	}
	if validity == 0 {
		validity = def
	}

	now := a.opts.now()
	template.NotBefore = now.Add(-backdate)
	template.NotAfter = now.Add(validity)
	template.BasicConstraintsValid = true
	if limit := a.Intermediate.Certificate.NotAfter; template.NotAfter.After(limit) {
		return KeyPair{}, fmt.Errorf("ca: certificate would expire at %s, after the intermediate CA (%s); shorten the validity or rotate the intermediate",
			template.NotAfter.Format(time.RFC3339), limit.Format(time.RFC3339))
	}

	key, err := newKey(P256, a.opts.rand())
	if err != nil {
		return KeyPair{}, err
	}
	template.AuthorityKeyId = a.Intermediate.Certificate.SubjectKeyId
	cert, err := a.sign(template, key.Public(), a.Intermediate)
	if err != nil {
		return KeyPair{}, fmt.Errorf("ca: issue %s: %w", template.Subject.CommonName, err)
	}
	return KeyPair{Certificate: cert, Key: key}, nil
}

// ValidateClientID checks that id can name a client: 1 to 128 ASCII letters, digits, dots,
// hyphens and underscores, starting with a letter or digit. The set keeps the id usable in a
// URI, a DynamoDB key and a file name without escaping.
func ValidateClientID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty; give an id such as partner-a", ErrInvalidClientID)
	}
	if len(id) > maxClientIDLength {
		return fmt.Errorf("%w: %q has %d characters, the limit is %d", ErrInvalidClientID, id, len(id), maxClientIDLength)
	}
	for i, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i > 0 {
			ok = ok || r == '.' || r == '-' || r == '_'
		}
		if !ok {
			return fmt.Errorf("%w: %q has %q at position %d; use letters, digits, '.', '-' and '_', starting with a letter or digit",
				ErrInvalidClientID, id, r, i+1)
		}
	}
	return nil
}

// ClientID returns the client id a certificate carries in its URI subject alternative name.
func ClientID(cert *x509.Certificate) (string, error) {
	for _, u := range cert.URIs {
		if id, ok := strings.CutPrefix(u.String(), ClientIDURIPrefix); ok {
			if err := ValidateClientID(id); err != nil {
				return "", err
			}
			return id, nil
		}
	}
	return "", fmt.Errorf("%w: %s has no URI starting with %s", ErrNoClientID, cert.Subject, ClientIDURIPrefix)
}
