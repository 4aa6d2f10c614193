package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// timeLayout is the format of every printed time: RFC 3339, in UTC.
const timeLayout = time.RFC3339

func runIssue(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("issue", "--client-id ID --out FILE [flags]",
		"Issues a client certificate from the intermediate CA, with a new ECDSA P-256 key.\n"+
			"The certificate carries the client id as the URI urn:mtls-api:client:<id> and allows\n"+
			"TLS client authentication only. The key is written with mode 0600 next to the\n"+
			"certificate, or where --key-out points. With --register, the certificate is\n"+
			"also registered as active in the certificate table.")
	dir := a.addDirFlag(fs)
	clientID := fs.String("client-id", "", "client `id`: letters, digits, '.', '-' and '_' (required)")
	cn := fs.String("cn", "", "subject common `name` (default: the client id)")
	out := fs.String("out", "", "certificate output `file`, such as partner-a.pem (required)")
	keyOut := fs.String("key-out", "", "private key output `file` (default: the --out name with -key.pem)")
	validity := a.addDurationFlag(fs, "validity", ca.DefaultClientValidity, "certificate lifetime")
	force := fs.Bool("force", false, "overwrite existing output files")
	register := fs.Bool("register", false, "also register the certificate in the certificate table")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlag("client-id", *clientID, "partner-a"); err != nil {
		return err
	}
	if err := ca.ValidateClientID(*clientID); err != nil {
		return usageError("invalid --client-id: %v", err)
	}
	if err := requireFlag("out", *out, "partner-a.pem"); err != nil {
		return err
	}
	if *keyOut == "" {
		*keyOut = KeyPathFor(*out)
	}
	if filepath.Clean(*keyOut) == filepath.Clean(*out) {
		return usageError("--key-out %q is the same file as --out; give the key its own file", *keyOut)
	}

	// Connect first, so that a bad table configuration stops before anything is written.
	var store Store
	if *register {
		var err error
		if store, err = a.openStore(ctx, *table); err != nil {
			return err
		}
	}

	cert, err := issueToFiles(a, *dir, ca.ClientRequest{ClientID: *clientID, CommonName: *cn, Validity: *validity}, *out, *keyOut, *force)
	if err != nil {
		return err
	}
	if *register {
		return registerIssued(ctx, a, store, cert, *clientID, *out)
	}
	return nil
}

// issueToFiles issues a client certificate from the CA in dir, writes it and its key, and
// prints its fields.
func issueToFiles(a *App, dir string, req ca.ClientRequest, out, keyOut string, force bool) (*x509.Certificate, error) {
	authority, err := ca.Load(dir, a.caOptions())
	if err != nil {
		return nil, err
	}
	kp, err := authority.IssueClient(req)
	if err != nil {
		return nil, err
	}
	if err := ca.WriteKeyPair(out, keyOut, kp, force); err != nil {
		if errors.Is(err, ca.ErrExists) {
			return nil, fmt.Errorf("%w (pass --force to overwrite)", err)
		}
		return nil, err
	}
	a.progress("wrote %s and its key %s (mode 0600)", out, keyOut)
	printCertificate(a, kp.Certificate, req.ClientID)
	fmt.Fprintf(a.Stdout, "certificate  %s\nkey          %s\n", out, keyOut)
	return kp.Certificate, nil
}

// registerIssued registers a certificate just written to certPath. Its error gives the
// command that retries the registration without issuing another certificate.
func registerIssued(ctx context.Context, a *App, store Store, cert *x509.Certificate, clientID, certPath string) error {
	if err := registerCertificate(ctx, a, store, cert, clientID); err != nil {
		return fmt.Errorf("%w; the files are written, so retry with: certctl register --cert %s", err, certPath)
	}
	return nil
}

func runRegister(ctx context.Context, a *App, args []string) error {
	fs := a.newFlagSet("register", "--cert FILE [flags]",
		"Registers an existing client certificate as active in the certificate table, after\n"+
			"checking it against the CA's truststore. The client id comes from the certificate's\n"+
			"urn:mtls-api:client: URI unless --client-id gives one.")
	dir := a.addDirFlag(fs)
	certPath := fs.String("cert", "", "client certificate `file` in PEM (required)")
	clientID := fs.String("client-id", "", "client `id` (default: the one in the certificate)")
	table := a.addTableFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlag("cert", *certPath, "partner-a.pem"); err != nil {
		return err
	}

	cert, err := ca.ReadCertificate(*certPath)
	if err != nil {
		return err
	}
	id, err := clientIDOf(cert, *clientID)
	if err != nil {
		return err
	}
	if err := verifyWithTruststore(cert, filepath.Join(*dir, ca.TruststoreFile), a.now()); err != nil {
		return fmt.Errorf("not registering %s: %w", *certPath, err)
	}

	store, err := a.openStore(ctx, *table)
	if err != nil {
		return err
	}
	printCertificate(a, cert, id)
	return registerCertificate(ctx, a, store, cert, id)
}

// registerCertificate writes the active record of cert to the table.
func registerCertificate(ctx context.Context, a *App, store Store, cert *x509.Certificate, clientID string) error {
	rec := certificate.NewRecord(cert, clientID, a.now())
	err := store.Put(ctx, rec)
	if errors.Is(err, certstore.ErrExists) {
		return explain(err, "certificate %s is already registered; see it with: certctl list --client-id %s", rec.SerialNumber, clientID)
	}
	if err != nil {
		return fmt.Errorf("register certificate %s: %w", rec.SerialNumber, err)
	}
	a.progress("registered certificate %s for client %s as active", rec.SerialNumber, clientID)
	return nil
}

// clientIDOf returns override when set, checking that it agrees with the certificate, or the
// client id the certificate carries.
func clientIDOf(cert *x509.Certificate, override string) (string, error) {
	inCert, err := ca.ClientID(cert)
	if override == "" {
		if err != nil {
			return "", fmt.Errorf("%w; pass --client-id", err)
		}
		return inCert, nil
	}
	if err := ca.ValidateClientID(override); err != nil {
		return "", usageError("invalid --client-id: %v", err)
	}
	if inCert != "" && inCert != override {
		return "", usageError("--client-id %q differs from the client id %q in the certificate; omit --client-id", override, inCert)
	}
	return override, nil
}

// verifyWithTruststore checks cert against the bundle at path.
func verifyWithTruststore(cert *x509.Certificate, path string, now time.Time) error {
	bundle, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read truststore: %w", err)
	}
	return ca.VerifyClient(cert, bundle, now)
}

// printCertificate writes the identifying fields of cert to Stdout.
func printCertificate(a *App, cert *x509.Certificate, clientID string) {
	w := a.Stdout
	fmt.Fprintf(w, "serial       %s\n", certificate.FormatSerial(cert.SerialNumber))
	fmt.Fprintf(w, "serial hex   %s\n", certificate.FormatSerialHex(cert.SerialNumber))
	fmt.Fprintf(w, "client id    %s\n", clientID)
	fmt.Fprintf(w, "subject      %s\n", cert.Subject)
	fmt.Fprintf(w, "issuer       %s\n", cert.Issuer)
	fmt.Fprintf(w, "not before   %s\n", cert.NotBefore.UTC().Format(timeLayout))
	fmt.Fprintf(w, "not after    %s\n", cert.NotAfter.UTC().Format(timeLayout))
	fmt.Fprintf(w, "fingerprint  %s\n", certificate.Fingerprint(cert.Raw))
}

// KeyPathFor returns the default key file of a certificate file: partner-a.pem gives
// partner-a-key.pem.
func KeyPathFor(certPath string) string {
	base := strings.TrimSuffix(certPath, filepath.Ext(certPath))
	return base + "-key.pem"
}
