package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func runRotate(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("rotate", "--cert OLD.pem --out NEW.pem [--immediate] [flags]",
		"Issues a successor of an active client certificate, for the same client id and common\n"+
			"name, and registers it. By default both certificates stay active (the overlap), so the\n"+
			"client can switch to the new one without an outage. Once it has, end the overlap with\n"+
			"certctl supersede --serial OLD. With --immediate the old certificate is superseded at\n"+
			"once, and the client fails until it uses the new one.")
	dir := a.addDirFlag(fs)
	oldPath := fs.String("cert", "", "current certificate `file` of the client (required)")
	out := fs.String("out", "", "new certificate output `file` (required)")
	keyOut := fs.String("key-out", "", "new private key output `file` (default: the --out name with -key.pem)")
	validity := a.addDurationFlag(fs, "validity", ca.DefaultClientValidity, "lifetime of the new certificate")
	immediate := fs.Bool("immediate", false, "supersede the old certificate at once instead of keeping an overlap")
	force := fs.Bool("force", false, "overwrite existing output files")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlag("cert", *oldPath, "partner-a.pem"); err != nil {
		return err
	}
	if err := requireFlag("out", *out, "partner-a-2.pem"); err != nil {
		return err
	}
	if *keyOut == "" {
		*keyOut = KeyPathFor(*out)
	}
	if filepath.Clean(*out) == filepath.Clean(*oldPath) || filepath.Clean(*keyOut) == filepath.Clean(KeyPathFor(*oldPath)) {
		return usageError("--out %q would replace the current certificate or key; write the successor to a new file", *out)
	}

	old, err := ca.ReadCertificate(*oldPath)
	if err != nil {
		return err
	}
	clientID, err := clientIDOf(old, "")
	if err != nil {
		return err
	}
	store, err := a.openStore(ctx, *table)
	if err != nil {
		return err
	}
	oldSerial := certificate.FormatSerial(old.SerialNumber)
	oldRec, err := store.Get(ctx, oldSerial)
	if errors.Is(err, certstore.ErrNotFound) {
		return explain(err, "certificate %s in %s is not registered; register it first, or issue a new one with certctl issue", oldSerial, *oldPath)
	}
	if err != nil {
		return err
	}
	if oldRec.Status != certificate.StatusActive {
		return fmt.Errorf("certificate %s is %s, so there is nothing to rotate; issue a new one with certctl issue --client-id %s", oldSerial, oldRec.Status, clientID)
	}

	next, err := issueToFiles(a, *dir, ca.ClientRequest{ClientID: clientID, CommonName: old.Subject.CommonName, Validity: *validity}, *out, *keyOut, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "replaces     %s\n", oldSerial)
	if err := registerIssued(ctx, a, store, next, clientID, *out); err != nil {
		return err
	}

	if *immediate {
		if _, err := store.Supersede(ctx, oldSerial, a.now()); err != nil {
			return explainStatusError(ctx, store, oldSerial, err)
		}
		a.progress("superseded certificate %s", oldSerial)
		return nil
	}
	a.progress("certificate %s stays active during the overlap; once the client uses %s, run:\n  certctl supersede --serial %s", oldSerial, *out, oldSerial)
	return nil
}

func runSupersede(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("supersede", "--serial SERIAL [flags]",
		"Marks an active certificate as superseded, ending the overlap that certctl rotate\n"+
			"started. It fails when the client has no other active certificate, because the\n"+
			"client would be locked out; use certctl revoke for that.")
	serial := fs.String("serial", "", "certificate `serial` number: decimal, 0x-prefixed hex, or colon-separated hex (required)")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	key, err := parseSerialFlag(*serial)
	if err != nil {
		return err
	}

	store, err := a.openStore(ctx, *table)
	if err != nil {
		return err
	}
	rec, err := store.Get(ctx, key)
	if err != nil {
		return explainStatusError(ctx, store, key, err)
	}
	siblings, err := store.ListByClient(ctx, rec.ClientID)
	if err != nil {
		return err
	}
	now := a.now()
	successor := slices.ContainsFunc(siblings, func(s certificate.Record) bool {
		return s.SerialNumber != key && usable(s, now)
	})
	if !successor && rec.Status == certificate.StatusActive {
		return fmt.Errorf("client %s has no other active certificate within its validity period, so superseding %s would lock it out; rotate first with certctl rotate", rec.ClientID, key)
	}

	updated, err := store.Supersede(ctx, key, now)
	if err != nil {
		return explainStatusError(ctx, store, key, err)
	}
	a.progress("superseded certificate %s of client %s", key, updated.ClientID)
	printRecord(a, updated)
	return nil
}

// usable reports whether the token and authorizer functions accept rec's certificate at now:
// the record is active and now lies within its validity period.
func usable(rec certificate.Record, now time.Time) bool {
	return rec.Status == certificate.StatusActive && !now.Before(rec.NotBefore) && !now.After(rec.NotAfter)
}
