package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func runInit(_ context.Context, a *App, args []string) error {
	fs := a.newFlagSet("init", "[flags]",
		"Creates a root CA and an intermediate CA, both ECDSA, and writes their certificates,\n"+
			"their private keys (mode 0600) and truststore.pem into the CA directory. Upload\n"+
			"truststore.pem as the API Gateway truststore. Keep the directory out of version control.")
	dir := a.addDirFlag(fs)
	org := fs.String("org", ca.DefaultOrganization, "subject `organization` (O) of every certificate")
	rootCN := fs.String("root-cn", "", "root CA common `name` (default \"<org> root CA\")")
	intermediateCN := fs.String("intermediate-cn", "", "intermediate CA common `name` (default \"<org> intermediate CA <key id>\")")
	rootValidity := a.addDurationFlag(fs, "root-validity", ca.DefaultRootValidity, "root CA lifetime")
	intermediateValidity := a.addDurationFlag(fs, "intermediate-validity", ca.DefaultIntermediateValidity, "intermediate CA lifetime")
	curve := fs.String("curve", string(ca.P384), "`curve` of the CA keys: P-384 or P-256")
	force := fs.Bool("force", false, "overwrite an existing CA in the directory, destroying its keys")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *curve != string(ca.P256) && *curve != string(ca.P384) {
		return usageError("invalid --curve %q; use P-384 or P-256", *curve)
	}

	authority, err := ca.New(ca.Config{
		Organization:           *org,
		RootCommonName:         *rootCN,
		IntermediateCommonName: *intermediateCN,
		RootValidity:           *rootValidity,
		IntermediateValidity:   *intermediateValidity,
		Curve:                  ca.Curve(*curve),
	}, a.caOptions())
	if err != nil {
		return err
	}
	if err := authority.Save(*dir, *force); err != nil {
		if errors.Is(err, ca.ErrExists) {
			return explain(err, "%s already contains a CA; use another --dir, or --force to replace it and lose its keys", *dir)
		}
		return err
	}

	a.progress("created a CA in %s", *dir)
	fmt.Fprintf(a.Stdout, "root          %s  %s  expires %s\n", filepath.Join(*dir, ca.RootCertFile), authority.Root.Certificate.Subject, authority.Root.Certificate.NotAfter.Format(timeLayout))
	fmt.Fprintf(a.Stdout, "intermediate  %s  %s  expires %s\n", filepath.Join(*dir, ca.IntermediateCertFile), authority.Intermediate.Certificate.Subject, authority.Intermediate.Certificate.NotAfter.Format(timeLayout))
	fmt.Fprintf(a.Stdout, "truststore    %s\n", filepath.Join(*dir, ca.TruststoreFile))
	fmt.Fprintf(a.Stdout, "keys          %s, %s (mode 0600)\n", filepath.Join(*dir, ca.RootKeyFile), filepath.Join(*dir, ca.IntermediateKeyFile))
	return nil
}
