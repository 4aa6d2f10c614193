package eventtest

import (
	"context"
	"fmt"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
)

// Records is an in-memory certificate table that fails or hangs on request. Its Get follows
// the contract of certstore.Store.Get: an unknown serial is certstore.ErrNotFound.
type Records struct {
	// Records maps a canonical serial number to its record.
	Records map[string]certificate.Record
	// Err, when set, is returned by every Get.
	Err error
	// Hang makes Get block until its context ends, as a table that does not respond.
	Hang bool
}

// Get returns the record of serial.
func (r *Records) Get(ctx context.Context, serial string) (certificate.Record, error) {
	if r.Hang {
		<-ctx.Done()
		return certificate.Record{}, fmt.Errorf("get certificate %s: %w", serial, ctx.Err())
	}
	if r.Err != nil {
		return certificate.Record{}, r.Err
	}
	rec, ok := r.Records[serial]
	if !ok {
		return certificate.Record{}, fmt.Errorf("certificate %s: %w", serial, certstore.ErrNotFound)
	}
	return rec, nil
}

// Update applies modify to every record.
func (r *Records) Update(modify func(*certificate.Record)) {
	for serial, rec := range r.Records {
		modify(&rec)
		r.Records[serial] = rec
	}
}
