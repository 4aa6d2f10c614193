// Package certcheck decides whether a presented client certificate may be used: it is
// registered in the certificate table, active, within its validity and the very certificate
// that was registered. API Gateway checks the chain and the dates against the truststore but
// does not check revocation, so the token function and the authorizer both run this check.
package certcheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"

	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
)

// ErrUnavailable means the certificate table could not be read: DynamoDB failed, throttled
// or did not respond in time. Check it with errors.Is.
var ErrUnavailable = errors.New("certcheck: certificate table unavailable")

// Records returns the record of a serial number, such as a *certstore.Store. It returns an
// error wrapping certstore.ErrNotFound for an unregistered serial.
type Records interface {
	Get(ctx context.Context, serial string) (certificate.Record, error)
}

// Check returns the record of cert when cert may be used at now. Otherwise it returns an error
// wrapping certstore.ErrNotFound, a *certificate.RejectionError, ErrUnavailable, or for a
// record that does not decode, the store's error.
func Check(ctx context.Context, records Records, cert *apigw.ClientCert, now time.Time) (certificate.Record, error) {
	rec, err := records.Get(ctx, cert.SerialNumber)
	if err != nil {
		if isUnavailable(err) {
			return certificate.Record{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return certificate.Record{}, err
	}

	if err := rec.Check(cert.Certificate, now); err != nil {
		return certificate.Record{}, err
	}
	return rec, nil
}

// isUnavailable reports whether err is a failed DynamoDB call rather than a bad record. Every
// error of an SDK operation (network, throttling, access denied, missing table) is a
// *smithy.OperationError.
func isUnavailable(err error) bool {
	var opErr *smithy.OperationError
	return errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}
