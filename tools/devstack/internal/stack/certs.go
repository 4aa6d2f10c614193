package stack

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// Names of the files the stack keeps in its state directory.
const (
	caDirName      = "ca"
	caCertFile     = "ca.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
	demoCertFile   = "demo-client.pem"
	demoKeyFile    = "demo-client-key.pem"
	binDirName     = "bin"
)

// Demo client the stack issues and registers.
const (
	DemoClientID   = "demo"
	DemoCommonName = "demo-client"
)

// renewBefore is how long before expiry a kept certificate is replaced, so that a stack
// started today still works tomorrow.
const renewBefore = 24 * time.Hour

// Files are the paths of the files the stack keeps across restarts.
type Files struct {
	// Dir is the state directory, .devstack at the repository root by default.
	Dir string
	// CADir holds the local CA: root, intermediate, their keys and the truststore.
	CADir string
	// CACert is the root CA certificate, which clients trust to reach the gateway.
	CACert string
	// ServerCert and ServerKey are the gateway's certificate for localhost and its key.
	ServerCert, ServerKey string
	// DemoCert and DemoKey are the demo client's certificate and key (mode 0600).
	DemoCert, DemoKey string
	// Bin holds the function binaries.
	Bin string
	// CertctlEnv sets certctl's variables for the running stack. The stack writes it once it
	// is ready and removes it when it stops.
	CertctlEnv string
}

func newFiles(dir string) Files {
	return Files{
		Dir:        dir,
		CADir:      filepath.Join(dir, caDirName),
		CACert:     filepath.Join(dir, caCertFile),
		ServerCert: filepath.Join(dir, serverCertFile),
		ServerKey:  filepath.Join(dir, serverKeyFile),
		DemoCert:   filepath.Join(dir, demoCertFile),
		DemoKey:    filepath.Join(dir, demoKeyFile),
		Bin:        filepath.Join(dir, binDirName),
		CertctlEnv: filepath.Join(dir, certctlEnvFile),
	}
}

// certificates are the local CA and the two certificates it issued for the stack.
type certificates struct {
	authority *ca.Authority
	server    tls.Certificate
	demo      ca.KeyPair
}

// ensureCertificates loads the CA and the certificates kept in files, and creates or
// replaces whatever is missing, invalid or about to expire.
func ensureCertificates(files Files, now func() time.Time, log *slog.Logger) (*certificates, error) {
	authority, err := ensureAuthority(files, now, log)
	if err != nil {
		return nil, err
	}
	if err := ca.WriteFile(files.CACert, ca.EncodeCertificate(authority.Root.Certificate), ca.CertFileMode, true); err != nil {
		return nil, err
	}

	server, err := ensureKeyPair(files.ServerCert, files.ServerKey, "server certificate for localhost", log,
		func(cert *x509.Certificate) error { return verifyServer(authority, cert, now()) },
		func() (ca.KeyPair, error) { return authority.IssueServer(ca.ServerRequest{}) })
	if err != nil {
		return nil, err
	}

	demo, err := ensureKeyPair(files.DemoCert, files.DemoKey, "demo client certificate", log,
		func(cert *x509.Certificate) error { return verifyClient(authority, cert, now()) },
		func() (ca.KeyPair, error) {
			return authority.IssueClient(ca.ClientRequest{ClientID: DemoClientID, CommonName: DemoCommonName})
		})
	if err != nil {
		return nil, err
	}

	return &certificates{authority: authority, server: authority.TLSCertificate(server), demo: demo}, nil
}

// ensureAuthority loads the CA from files.CADir, or creates it when the directory holds none
// or its certificates are about to expire.
func ensureAuthority(files Files, now func() time.Time, log *slog.Logger) (*ca.Authority, error) {
	opts := ca.Options{Now: now}
	authority, err := ca.Load(files.CADir, opts)
	switch {
	case errors.Is(err, ca.ErrNotInitialized):
	case err != nil:
		return nil, fmt.Errorf("load the local CA from %s: %w; delete %s to start over", files.CADir, err, files.Dir)
	case expiresSoon(authority.Root.Certificate, now()) || expiresSoon(authority.Intermediate.Certificate, now()):
		log.Info("local CA expires soon, creating a new one", slog.String("dir", files.CADir))
	default:
		log.Info("reusing local CA", slog.String("dir", files.CADir))
		return authority, nil
	}

	authority, err = ca.New(ca.Config{Organization: "mtls-api local"}, opts)
	if err != nil {
		return nil, err
	}
	if err := authority.Save(files.CADir, true); err != nil {
		return nil, err
	}
	log.Info("created local CA", slog.String("dir", files.CADir))
	return authority, nil
}

// ensureKeyPair reads the certificate and key at certPath and keyPath. It keeps them when
// verify accepts the certificate and the key matches it, and otherwise issues and writes a
// new pair.
func ensureKeyPair(certPath, keyPath, description string, log *slog.Logger, verify func(*x509.Certificate) error, issue func() (ca.KeyPair, error)) (ca.KeyPair, error) {
	kp, err := readKeyPair(certPath, keyPath)
	if err == nil {
		err = verify(kp.Certificate)
	}
	if err == nil {
		log.Info("reusing "+description, slog.String("file", certPath))
		return kp, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		log.Info("replacing "+description, slog.String("file", certPath), slog.String("reason", err.Error()))
	}

	kp, err = issue()
	if err != nil {
		return ca.KeyPair{}, fmt.Errorf("issue %s: %w", description, err)
	}
	if err := ca.WriteKeyPair(certPath, keyPath, kp, true); err != nil {
		return ca.KeyPair{}, err
	}
	log.Info("issued "+description, slog.String("file", certPath))
	return kp, nil
}

func readKeyPair(certPath, keyPath string) (ca.KeyPair, error) {
	cert, err := ca.ReadCertificate(certPath)
	if err != nil {
		return ca.KeyPair{}, err
	}
	key, err := ca.ReadKey(keyPath)
	if err != nil {
		return ca.KeyPair{}, err
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return ca.KeyPair{}, fmt.Errorf("key %s does not match certificate %s", keyPath, certPath)
	}
	return ca.KeyPair{Certificate: cert, Key: key}, nil
}

func verifyServer(authority *ca.Authority, cert *x509.Certificate, now time.Time) error {
	if expiresSoon(cert, now) {
		return fmt.Errorf("certificate expires %s", cert.NotAfter.Format(time.RFC3339))
	}
	_, err := cert.Verify(x509.VerifyOptions{
		DNSName:       "localhost",
		Roots:         pool(authority.Root.Certificate),
		Intermediates: pool(authority.Intermediate.Certificate),
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

func verifyClient(authority *ca.Authority, cert *x509.Certificate, now time.Time) error {
	if expiresSoon(cert, now) {
		return fmt.Errorf("certificate expires %s", cert.NotAfter.Format(time.RFC3339))
	}
	if id, err := ca.ClientID(cert); err != nil || id != DemoClientID {
		return fmt.Errorf("certificate is not for client %q", DemoClientID)
	}
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:         pool(authority.Root.Certificate),
		Intermediates: pool(authority.Intermediate.Certificate),
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err
}

func expiresSoon(cert *x509.Certificate, now time.Time) bool {
	return now.Add(renewBefore).After(cert.NotAfter) || now.Before(cert.NotBefore)
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
