package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
)

// revocationReasons are the CRLReason names of RFC 5280 section 5.3.1 that apply to a client
// certificate, keyed by their lowercase form.
var revocationReasons = map[string]string{
	"unspecified":          "unspecified",
	"keycompromise":        "keyCompromise",
	"affiliationchanged":   "affiliationChanged",
	"superseded":           "superseded",
	"cessationofoperation": "cessationOfOperation",
	"privilegewithdrawn":   "privilegeWithdrawn",
}

// ParseRevocationReason returns the RFC 5280 name of reason, matched without regard to case.
func ParseRevocationReason(reason string) (string, error) {
	if name, ok := revocationReasons[strings.ToLower(strings.TrimSpace(reason))]; ok {
		return name, nil
	}
	names := make([]string, 0, len(revocationReasons))
	for _, k := range sortedKeys(revocationReasons) {
		names = append(names, revocationReasons[k])
	}
	return "", fmt.Errorf("invalid reason %q; use one of %s", reason, strings.Join(names, ", "))
}

func runRevoke(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("revoke", "--serial SERIAL --reason REASON [flags]",
		"Marks a registered certificate as revoked. The token and authorizer functions reject it\n"+
			"from the next request on. API Gateway still completes the TLS handshake, because it\n"+
			"does not check revocation itself.")
	serial := fs.String("serial", "", "certificate `serial` number: decimal, 0x-prefixed hex, or colon-separated hex (required)")
	reason := fs.String("reason", "", "RFC 5280 `reason`: keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn or unspecified (required)")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	key, err := parseSerialFlag(*serial)
	if err != nil {
		return err
	}
	if err := requireFlag("reason", *reason, "keyCompromise"); err != nil {
		return err
	}
	reasonName, err := ParseRevocationReason(*reason)
	if err != nil {
		return usageError("%v", err)
	}

	store, err := a.openStore(ctx, *table)
	if err != nil {
		return err
	}
	rec, err := store.Revoke(ctx, key, reasonName, a.now())
	if err != nil {
		return explainStatusError(ctx, store, key, err)
	}
	a.progress("revoked certificate %s of client %s", rec.SerialNumber, rec.ClientID)
	printRecord(a, rec)
	return nil
}

// parseSerialFlag checks the --serial value and returns its canonical form.
func parseSerialFlag(value string) (string, error) {
	if err := requireFlag("serial", value, "1234 or 0x04d2"); err != nil {
		return "", err
	}
	key, err := certificate.CanonicalSerial(value)
	if err != nil {
		return "", usageError("invalid --serial: %v", err)
	}
	return key, nil
}

// explainStatusError turns the errors of Revoke and Supersede into advice.
func explainStatusError(ctx context.Context, store Store, serial string, err error) error {
	switch {
	case errors.Is(err, certstore.ErrNotFound):
		return explain(err, "certificate %s is not registered; check the serial with certctl list", serial)
	case errors.Is(err, certstore.ErrNotActive):
		rec, getErr := store.Get(ctx, serial)
		if getErr != nil {
			return err
		}
		return explain(err, "certificate %s is already %s since %s (%s); nothing to change",
			serial, rec.Status, rec.RevokedAt.UTC().Format(timeLayout), rec.RevocationReason)
	}
	return err
}

// printRecord writes a record's fields to Stdout.
func printRecord(a *App, rec certificate.Record) {
	w := a.Stdout
	fmt.Fprintf(w, "serial       %s\n", rec.SerialNumber)
	fmt.Fprintf(w, "client id    %s\n", rec.ClientID)
	fmt.Fprintf(w, "status       %s\n", rec.Status)
	fmt.Fprintf(w, "subject      %s\n", rec.SubjectDN)
	fmt.Fprintf(w, "not after    %s\n", rec.NotAfter.UTC().Format(timeLayout))
	if !rec.RevokedAt.IsZero() {
		fmt.Fprintf(w, "changed at   %s\n", rec.RevokedAt.UTC().Format(timeLayout))
		fmt.Fprintf(w, "reason       %s\n", rec.RevocationReason)
	}
}
