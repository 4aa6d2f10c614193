package certificate

import (
	"crypto/x509"
	"fmt"
	"time"
)

// Reason is the cause for rejecting a presented certificate.
type Reason string

// The reasons a RejectionError carries.
const (
	ReasonRevoked             Reason = "revoked"
	ReasonSuperseded          Reason = "superseded"
	ReasonUnknownStatus       Reason = "unknownStatus"
	ReasonExpired             Reason = "expired"
	ReasonNotYetValid         Reason = "notYetValid"
	ReasonSerialMismatch      Reason = "serialMismatch"
	ReasonFingerprintMismatch Reason = "fingerprintMismatch"
)

// RejectionError reports that a registered certificate may not be used, and why.
type RejectionError struct {
	SerialNumber string
	Reason       Reason
}

func (e *RejectionError) Error() string {
	return fmt.Sprintf("certificate %s rejected: %s", e.SerialNumber, e.Reason)
}

// Check decides whether cert, as presented by a client at now, may be used under record r.
// It returns nil when r is active, now lies within both validity periods, and the serial
// number and fingerprint match cert. Otherwise it returns a *RejectionError. API Gateway
// checks the chain and the dates but not revocation, so every request that relies on a
// certificate goes through Check.
func (r Record) Check(cert *x509.Certificate, now time.Time) error {
	reject := func(reason Reason) error {
		return &RejectionError{SerialNumber: r.SerialNumber, Reason: reason}
	}

	switch r.Status {
	case StatusActive:
	case StatusRevoked:
		return reject(ReasonRevoked)
	case StatusSuperseded:
		return reject(ReasonSuperseded)
	default:
		return reject(ReasonUnknownStatus)
	}

	if r.SerialNumber != FormatSerial(cert.SerialNumber) {
		return reject(ReasonSerialMismatch)
	}
	if r.FingerprintSHA256 != Fingerprint(cert.Raw) {
		return reject(ReasonFingerprintMismatch)
	}

	if now.Before(cert.NotBefore) || (!r.NotBefore.IsZero() && now.Before(r.NotBefore)) {
		return reject(ReasonNotYetValid)
	}
	if now.After(cert.NotAfter) || (!r.NotAfter.IsZero() && now.After(r.NotAfter)) {
		return reject(ReasonExpired)
	}
	return nil
}
