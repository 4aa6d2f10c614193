package certificate

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Status is the lifecycle state of a registered certificate.
type Status string

// The statuses a record can have. Only StatusActive lets a certificate obtain or use a token.
const (
	// StatusActive marks a certificate that may be used.
	StatusActive Status = "active"
	// StatusRevoked marks a certificate withdrawn before its expiry, for example after a key
	// compromise.
	StatusRevoked Status = "revoked"
	// StatusSuperseded marks a certificate replaced by a newer one for the same client during
	// rotation.
	StatusSuperseded Status = "superseded"
)

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusRevoked, StatusSuperseded:
		return true
	}
	return false
}

// Record is one registered client certificate: an item of the certificate table. SerialNumber
// is the partition key, in the canonical decimal form; ClientID is the key of the index that
// lists a client's certificates. Times are stored as RFC 3339 strings in UTC.
//
// Items written before a field existed still load: a missing string is empty and a missing
// time is the zero time.
type Record struct {
	SerialNumber      string    `dynamodbav:"serialNumber" json:"serialNumber"`
	ClientID          string    `dynamodbav:"clientId" json:"clientId"`
	SubjectDN         string    `dynamodbav:"subjectDN" json:"subjectDN"`
	IssuerDN          string    `dynamodbav:"issuerDN" json:"issuerDN"`
	FingerprintSHA256 string    `dynamodbav:"fingerprintSha256" json:"fingerprintSha256"`
	Status            Status    `dynamodbav:"status" json:"status"`
	NotBefore         time.Time `dynamodbav:"notBefore" json:"notBefore"`
	NotAfter          time.Time `dynamodbav:"notAfter" json:"notAfter"`
	IssuedAt          time.Time `dynamodbav:"issuedAt,omitempty" json:"issuedAt,omitzero"`
	RevokedAt         time.Time `dynamodbav:"revokedAt,omitempty" json:"revokedAt,omitzero"`
	RevocationReason  string    `dynamodbav:"revocationReason,omitempty" json:"revocationReason,omitempty"`
}

// NewRecord returns the active record of cert for clientID, registered at now.
func NewRecord(cert *x509.Certificate, clientID string, now time.Time) Record {
	return Record{
		SerialNumber:      FormatSerial(cert.SerialNumber),
		ClientID:          clientID,
		SubjectDN:         cert.Subject.String(),
		IssuerDN:          cert.Issuer.String(),
		FingerprintSHA256: Fingerprint(cert.Raw),
		Status:            StatusActive,
		NotBefore:         cert.NotBefore.UTC(),
		NotAfter:          cert.NotAfter.UTC(),
		IssuedAt:          now.UTC().Truncate(time.Second),
	}
}

// Fingerprint returns the lowercase hex SHA-256 of a certificate's DER encoding.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// Validate checks that r can be written to the table: a canonical serial number, a client id,
// a known status, a well-formed fingerprint and an ordered validity period.
func (r Record) Validate() error {
	canonical, err := CanonicalSerial(r.SerialNumber)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if canonical != r.SerialNumber {
		return fmt.Errorf("record: serial number %q is not canonical, use %q", r.SerialNumber, canonical)
	}
	if strings.TrimSpace(r.ClientID) == "" {
		return fmt.Errorf("record %s: missing client id", r.SerialNumber)
	}
	if !r.Status.Valid() {
		return fmt.Errorf("record %s: invalid status %q, expected %s, %s or %s",
			r.SerialNumber, r.Status, StatusActive, StatusRevoked, StatusSuperseded)
	}
	if len(r.FingerprintSHA256) != 2*sha256.Size || strings.ToLower(r.FingerprintSHA256) != r.FingerprintSHA256 {
		return fmt.Errorf("record %s: fingerprint %q is not 64 lowercase hex digits", r.SerialNumber, r.FingerprintSHA256)
	}
	if _, err := hex.DecodeString(r.FingerprintSHA256); err != nil {
		return fmt.Errorf("record %s: fingerprint %q is not hex", r.SerialNumber, r.FingerprintSHA256)
	}
	if r.NotBefore.IsZero() || r.NotAfter.IsZero() || !r.NotAfter.After(r.NotBefore) {
		return fmt.Errorf("record %s: validity %s to %s is empty or reversed",
			r.SerialNumber, r.NotBefore.Format(time.RFC3339), r.NotAfter.Format(time.RFC3339))
	}
	return nil
}
