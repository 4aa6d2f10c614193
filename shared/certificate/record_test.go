package certificate_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
)

var (
	testNotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	testNotAfter  = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
)

// newCert returns a self-signed client certificate with the given serial number, valid in 2026.
func newCert(t *testing.T, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "client-1", Organization: []string{"Example"}},
		NotBefore:    testNotBefore,
		NotAfter:     testNotAfter,
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

func TestNewRecord(t *testing.T) {
	cert := newCert(t, 4242)
	now := time.Date(2026, 2, 3, 4, 5, 6, 789, time.FixedZone("CET", 3600))

	rec := certificate.NewRecord(cert, "client-1", now)

	if rec.SerialNumber != "4242" {
		t.Errorf("SerialNumber = %q, want 4242", rec.SerialNumber)
	}
	if rec.Status != certificate.StatusActive {
		t.Errorf("Status = %q, want active", rec.Status)
	}
	if rec.SubjectDN != "CN=client-1,O=Example" {
		t.Errorf("SubjectDN = %q, want CN=client-1,O=Example", rec.SubjectDN)
	}
	if want := certificate.Fingerprint(cert.Raw); rec.FingerprintSHA256 != want {
		t.Errorf("FingerprintSHA256 = %q, want %q", rec.FingerprintSHA256, want)
	}
	if want := time.Date(2026, 2, 3, 3, 5, 6, 0, time.UTC); !rec.IssuedAt.Equal(want) || rec.IssuedAt.Location() != time.UTC {
		t.Errorf("IssuedAt = %v, want %v in UTC", rec.IssuedAt, want)
	}
	if err := rec.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

func TestFingerprintIsLowercaseHex(t *testing.T) {
	got := certificate.Fingerprint([]byte("abc"))
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got != want {
		t.Errorf("Fingerprint(abc) = %s, want %s", got, want)
	}
}

func TestRecordValidate(t *testing.T) {
	valid := certificate.NewRecord(newCert(t, 7), "client-1", testNotBefore)

	tests := []struct {
		name   string
		mutate func(*certificate.Record)
		want   string
	}{
		{name: "non canonical serial", mutate: func(r *certificate.Record) { r.SerialNumber = "0x07" }, want: "not canonical"},
		{name: "invalid serial", mutate: func(r *certificate.Record) { r.SerialNumber = "abc" }, want: "invalid serial"},
		{name: "missing client", mutate: func(r *certificate.Record) { r.ClientID = " " }, want: "missing client id"},
		{name: "unknown status", mutate: func(r *certificate.Record) { r.Status = "paused" }, want: "invalid status"},
		{name: "short fingerprint", mutate: func(r *certificate.Record) { r.FingerprintSHA256 = "abcd" }, want: "fingerprint"},
		{name: "upper fingerprint", mutate: func(r *certificate.Record) { r.FingerprintSHA256 = strings.ToUpper(r.FingerprintSHA256) }, want: "fingerprint"},
		{name: "non hex fingerprint", mutate: func(r *certificate.Record) { r.FingerprintSHA256 = strings.Repeat("g", 64) }, want: "not hex"},
		{name: "reversed validity", mutate: func(r *certificate.Record) { r.NotBefore, r.NotAfter = r.NotAfter, r.NotBefore }, want: "reversed"},
		{name: "missing validity", mutate: func(r *certificate.Record) { r.NotAfter = time.Time{} }, want: "reversed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := valid
			tt.mutate(&rec)
			err := rec.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestRecordCheck(t *testing.T) {
	cert := newCert(t, 99)
	other := newCert(t, 99) // same serial, different key: a forged or reissued certificate
	during := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	active := certificate.NewRecord(cert, "client-1", testNotBefore)
	withStatus := func(s certificate.Status) certificate.Record {
		r := active
		r.Status = s
		return r
	}
	shortened := active
	shortened.NotAfter = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name   string
		record certificate.Record
		cert   *x509.Certificate
		now    time.Time
		want   certificate.Reason
	}{
		{name: "active", record: active, cert: cert, now: during},
		{name: "revoked", record: withStatus(certificate.StatusRevoked), cert: cert, now: during, want: certificate.ReasonRevoked},
		{name: "superseded", record: withStatus(certificate.StatusSuperseded), cert: cert, now: during, want: certificate.ReasonSuperseded},
		{name: "empty status", record: withStatus(""), cert: cert, now: during, want: certificate.ReasonUnknownStatus},
		{name: "fingerprint mismatch", record: active, cert: other, now: during, want: certificate.ReasonFingerprintMismatch},
		{name: "serial mismatch", record: active, cert: newCert(t, 100), now: during, want: certificate.ReasonSerialMismatch},
		{name: "expired certificate", record: active, cert: cert, now: testNotAfter.Add(time.Second), want: certificate.ReasonExpired},
		{name: "expired record", record: shortened, cert: cert, now: during, want: certificate.ReasonExpired},
		{name: "not yet valid", record: active, cert: cert, now: testNotBefore.Add(-time.Second), want: certificate.ReasonNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.record.Check(tt.cert, tt.now)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			var rejection *certificate.RejectionError
			if !errors.As(err, &rejection) {
				t.Fatalf("Check() = %v, want a *RejectionError", err)
			}
			if rejection.Reason != tt.want {
				t.Errorf("Check() reason = %s, want %s", rejection.Reason, tt.want)
			}
		})
	}
}
