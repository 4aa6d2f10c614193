package certcheck_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/mtls-api/mtls-api/functions/internal/certcheck"
	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
)

type fakeRecords struct {
	rec certificate.Record
	err error
}

func (f fakeRecords) Get(context.Context, string) (certificate.Record, error) { return f.rec, f.err }

func TestCheck(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	cert := eventtest.Certificate(t, eventtest.CertOptions{NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(1, 0, 0)})
	presented := &apigw.ClientCert{Certificate: cert, SerialNumber: certificate.FormatSerial(cert.SerialNumber), FingerprintSHA256: certificate.Fingerprint(cert.Raw)}
	active := certificate.NewRecord(cert, "client", now)
	revoked := active
	revoked.Status = certificate.StatusRevoked

	tests := []struct {
		name    string
		records fakeRecords
		want    error
	}{
		{"active", fakeRecords{rec: active}, nil},
		{"not registered", fakeRecords{err: fmt.Errorf("certificate 1: %w", certstore.ErrNotFound)}, certstore.ErrNotFound},
		{"sdk failure", fakeRecords{err: fmt.Errorf("get: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem", Err: errors.New("throttled")})}, certcheck.ErrUnavailable},
		{"deadline", fakeRecords{err: fmt.Errorf("get: %w", context.DeadlineExceeded)}, certcheck.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := certcheck.Check(t.Context(), tt.records, presented, now)
			if !errors.Is(err, tt.want) {
				t.Errorf("Check() error = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("revoked", func(t *testing.T) {
		_, err := certcheck.Check(t.Context(), fakeRecords{rec: revoked}, presented, now)
		var rejection *certificate.RejectionError
		if !errors.As(err, &rejection) || rejection.Reason != certificate.ReasonRevoked {
			t.Errorf("Check() error = %v, want a RejectionError with reason revoked", err)
		}
	})
	t.Run("bad record is not unavailability", func(t *testing.T) {
		_, err := certcheck.Check(t.Context(), fakeRecords{err: errors.New("decode certificate 1: bad")}, presented, now)
		if err == nil || errors.Is(err, certcheck.ErrUnavailable) {
			t.Errorf("Check() error = %v, want a non-unavailable error", err)
		}
	})
}
