package ca

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Names of the files in a CA directory.
const (
	RootCertFile         = "root.pem"
	RootKeyFile          = "root-key.pem"
	IntermediateCertFile = "intermediate.pem"
	IntermediateKeyFile  = "intermediate-key.pem"
	TruststoreFile       = "truststore.pem"
	// RetiredDir holds the certificates of rotated intermediates, named
	// intermediate-<serial in hex>.pem, without their keys.
	RetiredDir = "retired"
)

// File modes. Private keys are readable by their owner only.
const (
	KeyFileMode  fs.FileMode = 0o600
	CertFileMode fs.FileMode = 0o644
	DirMode      fs.FileMode = 0o700
)

// Errors callers branch on, returned wrapped.
var (
	// ErrExists means an output file exists and overwriting was not requested.
	ErrExists = errors.New("ca: file exists")
	// ErrNotInitialized means a directory holds no CA.
	ErrNotInitialized = errors.New("ca: no CA in directory")
	// ErrKeyPermissions means a private key file is readable by others than its owner.
	ErrKeyPermissions = errors.New("ca: private key file readable by group or others")
)

// Load reads the CA in dir. The root key may be missing, for a root kept offline; the
// intermediate key is required. Key files must have mode 0600 or stricter.
func Load(dir string, opts Options) (*Authority, error) {
	a := &Authority{opts: opts}

	root, err := ReadCertificate(filepath.Join(dir, RootCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s; run `certctl init` or point --dir at the CA directory", ErrNotInitialized, dir, RootCertFile)
	}
	if err != nil {
		return nil, err
	}
	a.Root.Certificate = root
	a.Root.Key, err = ReadKey(filepath.Join(dir, RootKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		a.Root.Key = nil
	} else if err != nil {
		return nil, err
	}

	if a.Intermediate.Certificate, err = ReadCertificate(filepath.Join(dir, IntermediateCertFile)); err != nil {
		return nil, err
	}
	if a.Intermediate.Key, err = ReadKey(filepath.Join(dir, IntermediateKeyFile)); err != nil {
		return nil, err
	}
	if err := checkKeyMatches(a.Root, filepath.Join(dir, RootKeyFile)); err != nil {
		return nil, err
	}
	if err := checkKeyMatches(a.Intermediate, filepath.Join(dir, IntermediateKeyFile)); err != nil {
		return nil, err
	}

	if a.Retired, err = readRetired(filepath.Join(dir, RetiredDir)); err != nil {
		return nil, err
	}
	return a, nil
}

// Save writes the CA to dir, creating dir with mode 0700 if needed: the certificates, the
// keys (mode 0600, root key only when a has it), the retired intermediates and the
// truststore. Unless overwrite is set, it writes nothing and returns ErrExists when any
// of those files exists. With overwrite, it also deletes retired intermediates that a no
// longer has, such as those of a CA that a replaces.
func (a *Authority) Save(dir string, overwrite bool) error {
	bundle, err := a.Truststore()
	if err != nil {
		return err
	}

	type file struct {
		name string
		data []byte
		mode fs.FileMode
	}
	// The retired intermediates come first: a Save that fails midway after a rotation then
	// keeps the replaced intermediate's certificate, which the certificates it issued need.
	var files []file
	for _, c := range a.Retired {
		files = append(files, file{retiredName(c), EncodeCertificate(c), CertFileMode})
	}
	files = append(files,
		file{RootCertFile, EncodeCertificate(a.Root.Certificate), CertFileMode},
		file{IntermediateCertFile, EncodeCertificate(a.Intermediate.Certificate), CertFileMode},
		file{TruststoreFile, bundle, CertFileMode},
	)
	for _, kp := range []struct {
		name string
		key  crypto.Signer
	}{{RootKeyFile, a.Root.Key}, {IntermediateKeyFile, a.Intermediate.Key}} {
		if kp.key == nil {
			continue
		}
		data, err := EncodeKey(kp.key)
		if err != nil {
			return err
		}
		files = append(files, file{kp.name, data, KeyFileMode})
	}

	if !overwrite {
		for _, f := range files {
			path := filepath.Join(dir, f.name)
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%w: %s; use another directory, or force overwriting", ErrExists, path)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, RetiredDir), DirMode); err != nil {
		return fmt.Errorf("ca: create CA directory: %w", err)
	}
	for _, f := range files {
		if err := WriteFile(filepath.Join(dir, f.name), f.data, f.mode, overwrite); err != nil {
			return err
		}
	}
	if overwrite {
		return a.removeStaleRetired(dir)
	}
	return nil
}

// removeStaleRetired deletes the files in dir's RetiredDir that are not among a.Retired.
func (a *Authority) removeStaleRetired(dir string) error {
	keep := make(map[string]bool, len(a.Retired))
	for _, c := range a.Retired {
		keep[filepath.Base(retiredName(c))] = true
	}
	entries, err := os.ReadDir(filepath.Join(dir, RetiredDir))
	if err != nil {
		return fmt.Errorf("ca: read retired intermediates: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pem") || keep[e.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, RetiredDir, e.Name())); err != nil {
			return fmt.Errorf("ca: remove stale retired intermediate: %w", err)
		}
	}
	return nil
}

// WriteKeyPair writes kp's certificate as PEM to certPath and its key as PKCS#8 PEM to
// keyPath with mode 0600. Unless overwrite is set, it writes nothing when either file exists.
func WriteKeyPair(certPath, keyPath string, kp KeyPair, overwrite bool) error {
	keyPEM, err := EncodeKey(kp.Key)
	if err != nil {
		return err
	}
	if !overwrite {
		for _, path := range []string{certPath, keyPath} {
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%w: %s; choose another output path, or force overwriting", ErrExists, path)
			}
		}
	}
	if err := WriteFile(keyPath, keyPEM, KeyFileMode, overwrite); err != nil {
		return err
	}
	if err := WriteFile(certPath, EncodeCertificate(kp.Certificate), CertFileMode, overwrite); err != nil {
		// A key without its certificate is of no use, so it goes too.
		_ = os.Remove(keyPath)
		return err
	}
	return nil
}

// WriteFile writes data to path with the given mode, atomically: readers see the old file or
// the new one, never a part. Unless overwrite is set, it returns ErrExists when path exists.
func WriteFile(path string, data []byte, mode fs.FileMode, overwrite bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ca: write %s: %w", path, err)
	}

	if overwrite {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("ca: write %s: %w", path, err)
		}
		return nil
	}
	// A hard link fails when path exists, so no concurrent writer is overwritten either.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s; choose another path, or force overwriting", ErrExists, path)
		}
		return fmt.Errorf("ca: write %s: %w", path, err)
	}
	return nil
}

// ReadCertificate reads the first PEM CERTIFICATE block of the file at path.
func ReadCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca: read certificate: %w", err)
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", path, err)
	}
	return cert, nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of data, skipping other blocks.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM CERTIFICATE block found; expected a file starting with -----BEGIN CERTIFICATE-----")
		}
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("invalid certificate: %w", err)
			}
			return cert, nil
		}
		data = rest
	}
}

// ReadKey reads a PKCS#8 PEM private key. It returns ErrKeyPermissions when the file is
// readable or writable by group or others, as ssh does for its keys.
func ReadKey(path string) (crypto.Signer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ca: read private key: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrKeyPermissions, path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca: read private key: %w", err)
	}

	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("ca: %s is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		// The parse error never contains key material.
		return nil, fmt.Errorf("ca: %s: invalid PKCS#8 private key: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("ca: %s: key type %T cannot sign", path, key)
	}
	return signer, nil
}

// EncodeCertificate returns cert as a PEM CERTIFICATE block.
func EncodeCertificate(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// EncodeKey returns key as a PKCS#8 PEM PRIVATE KEY block.
func EncodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ca: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func retiredName(cert *x509.Certificate) string {
	return filepath.Join(RetiredDir, fmt.Sprintf("intermediate-%x.pem", cert.SerialNumber))
}

func readRetired(dir string) ([]*x509.Certificate, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ca: read retired intermediates: %w", err)
	}
	var certs []*x509.Certificate
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pem") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		cert, err := ReadCertificate(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
	// Newest first, as RotateIntermediate keeps them.
	slices.SortFunc(certs, func(x, y *x509.Certificate) int { return y.NotBefore.Compare(x.NotBefore) })
	return certs, nil
}

// checkKeyMatches rejects a key file that belongs to another certificate.
func checkKeyMatches(kp KeyPair, keyPath string) error {
	if kp.Key == nil {
		return nil
	}
	pub, ok := kp.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(kp.Certificate.PublicKey) {
		return fmt.Errorf("ca: %s does not match the public key of %s; restore the matching key file", keyPath, kp.Certificate.Subject)
	}
	return nil
}
