package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/truststore"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func runTruststore(_ context.Context, a *App, args []string) error {
	fs := a.newFlagSet("truststore", "[--out FILE | --check FILE] [flags]",
		"Rebuilds the truststore bundle from the CA directory (the current intermediate, the\n"+
			"retired intermediates that have not expired, and the root), validates it against API\n"+
			"Gateway's limits and writes it. With --check it only validates an existing bundle.")
	dir := a.addDirFlag(fs)
	out := fs.String("out", "", "output `file` (default: truststore.pem in the CA directory)")
	checkPath := fs.String("check", "", "validate this bundle `file` instead of rebuilding one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	if *checkPath != "" {
		if *out != "" {
			return usageError("--check and --out exclude each other; --check only reads")
		}
		data, err := os.ReadFile(*checkPath)
		if err != nil {
			return fmt.Errorf("read truststore: %w", err)
		}
		bundle, err := truststore.Validate(data, truststore.At(a.now()))
		if err != nil {
			return fmt.Errorf("%s: %w", *checkPath, err)
		}
		a.progress("%s is a valid truststore (%d bytes)", *checkPath, len(data))
		printBundle(a, bundle)
		return nil
	}

	if *out == "" {
		*out = filepath.Join(*dir, ca.TruststoreFile)
	}
	authority, err := ca.Load(*dir, a.caOptions())
	if err != nil {
		return err
	}
	data, err := authority.Truststore()
	if err != nil {
		return err
	}
	bundle, err := truststore.Validate(data)
	if err != nil {
		return err
	}
	if err := ca.WriteFile(*out, data, ca.CertFileMode, true); err != nil {
		return err
	}
	a.progress("wrote %s (%d bytes); upload it as the API Gateway truststore", *out, len(data))
	printBundle(a, bundle)
	return nil
}

func printBundle(a *App, bundle *truststore.Bundle) {
	for i, c := range bundle.Certificates {
		role := "intermediate"
		if bundle.ChainLength[i] == 1 {
			role = "root"
		}
		fmt.Fprintf(a.Stdout, "%d  %-12s  %s  serial %s  expires %s\n", i+1, role, c.Subject,
			certificate.FormatSerial(c.SerialNumber), c.NotAfter.UTC().Format(timeLayout))
	}
}

func runRotateIntermediate(_ context.Context, a *App, args []string) error {
	fs := a.newFlagSet("rotate-intermediate", "[flags]",
		"Creates a new intermediate CA signed by the root and issues every later certificate from\n"+
			"it. The old intermediate's certificate moves to retired/ and stays in the truststore\n"+
			"until it expires, so the client certificates it issued keep working; its key is\n"+
			"deleted. Upload the new truststore.pem before handing out certificates of the new\n"+
			"intermediate. Needs the root key.")
	dir := a.addDirFlag(fs)
	cn := fs.String("cn", "", "common `name` of the new intermediate (default \"<org> intermediate CA <key id>\")")
	validity := a.addDurationFlag(fs, "validity", ca.DefaultIntermediateValidity, "lifetime of the new intermediate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	authority, err := ca.Load(*dir, a.caOptions())
	if err != nil {
		return err
	}
	old := authority.Intermediate.Certificate
	if err := authority.RotateIntermediate(*cn, *validity); err != nil {
		return err
	}
	if err := authority.Save(*dir, true); err != nil {
		return err
	}

	a.progress("retired intermediate %s (serial %s); it stays in the truststore until %s",
		old.Subject, certificate.FormatSerial(old.SerialNumber), old.NotAfter.UTC().Format(timeLayout))
	a.progress("upload %s as the API Gateway truststore before issuing certificates from the new intermediate",
		filepath.Join(*dir, ca.TruststoreFile))
	next := authority.Intermediate.Certificate
	fmt.Fprintf(a.Stdout, "intermediate  %s  serial %s  expires %s\n", next.Subject,
		certificate.FormatSerial(next.SerialNumber), next.NotAfter.UTC().Format(timeLayout))
	fmt.Fprintf(a.Stdout, "truststore    %s\n", filepath.Join(*dir, ca.TruststoreFile))
	return nil
}
