package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/truststore"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// errVerifyFailed reports that verify printed at least one failed check.
var errVerifyFailed = errors.New("verification failed")

func runVerify(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("verify", "--cert FILE [--check-record] [flags]",
		"Checks a client certificate as API Gateway and the functions would: its chain up to a\n"+
			"root of the truststore, its validity period, its use for TLS client authentication,\n"+
			"and with --check-record its record in the certificate table (active, same\n"+
			"fingerprint). Prints one line per check and fails when any check fails.")
	dir := a.addDirFlag(fs)
	certPath := fs.String("cert", "", "certificate `file` in PEM (required)")
	bundlePath := fs.String("truststore", "", "truststore `file` (default: truststore.pem in the CA directory)")
	checkRecord := fs.Bool("check-record", false, "also check the certificate's record in the certificate table")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlag("cert", *certPath, "partner-a.pem"); err != nil {
		return err
	}
	if *bundlePath == "" {
		*bundlePath = filepath.Join(*dir, ca.TruststoreFile)
	}

	cert, err := ca.ReadCertificate(*certPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*bundlePath)
	if err != nil {
		return fmt.Errorf("read truststore: %w", err)
	}
	bundle, err := truststore.Validate(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *bundlePath, err)
	}
	var store Store
	if *checkRecord {
		if store, err = a.openStore(ctx, *table); err != nil {
			return err
		}
	}

	now := a.now()
	fmt.Fprintf(a.Stdout, "certificate  %s  serial %s\n", cert.Subject, certificate.FormatSerial(cert.SerialNumber))
	ok := report(a, "chain", checkChain(bundle, cert, now))
	ok = report(a, "validity", checkValidity(cert, now)) && ok
	ok = report(a, "client auth", checkClientAuth(cert)) && ok
	if store != nil {
		ok = report(a, "record", checkRecordOf(ctx, store, cert, now)) && ok
	}
	if !ok {
		return fmt.Errorf("%s: %w", *certPath, errVerifyFailed)
	}
	return nil
}

// check is the outcome of one verification step: a detail to print, and an error when the
// step failed.
type check struct {
	detail string
	err    error
}

func report(a *App, name string, c check) bool {
	if c.err != nil {
		fmt.Fprintf(a.Stdout, "%-12s FAILED  %v\n", name, c.err)
		return false
	}
	fmt.Fprintf(a.Stdout, "%-12s ok      %s\n", name, c.detail)
	return true
}

func checkChain(bundle *truststore.Bundle, cert *x509.Certificate, now time.Time) check {
	chains, err := bundle.Verify(cert, now)
	if err != nil {
		return check{err: err}
	}
	names := make([]string, 0, len(chains[0]))
	for _, c := range chains[0] {
		names = append(names, c.Subject.CommonName)
	}
	return check{detail: strings.Join(names, " <- ")}
}

func checkValidity(cert *x509.Certificate, now time.Time) check {
	switch {
	case now.Before(cert.NotBefore):
		return check{err: fmt.Errorf("not valid before %s", cert.NotBefore.UTC().Format(timeLayout))}
	case now.After(cert.NotAfter):
		return check{err: fmt.Errorf("expired at %s; issue a new one with certctl rotate", cert.NotAfter.UTC().Format(timeLayout))}
	}
	days := int(cert.NotAfter.Sub(now).Hours() / 24)
	return check{detail: fmt.Sprintf("until %s (%d days left)", cert.NotAfter.UTC().Format(timeLayout), days)}
}

func checkClientAuth(cert *x509.Certificate) check {
	if len(cert.ExtKeyUsage) == 0 || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return check{detail: "extended key usage allows TLS client authentication"}
	}
	return check{err: errors.New("extended key usage lacks clientAuth; issue a client certificate with certctl issue")}
}

func checkRecordOf(ctx context.Context, store Store, cert *x509.Certificate, now time.Time) check {
	serial := certificate.FormatSerial(cert.SerialNumber)
	rec, err := store.Get(ctx, serial)
	if errors.Is(err, certstore.ErrNotFound) {
		return check{err: fmt.Errorf("%w; register it with certctl register", err)}
	}
	if err != nil {
		return check{err: err}
	}
	if err := rec.Check(cert, now); err != nil {
		return check{err: err}
	}
	return check{detail: fmt.Sprintf("%s for client %s", rec.Status, rec.ClientID)}
}
