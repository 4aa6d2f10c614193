package ca_test

import (
	"bytes"
	"crypto"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/truststore"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func savedAuthority(t *testing.T) (*ca.Authority, string) {
	t.Helper()
	a, _ := newAuthority(t, ca.Config{})
	dir := filepath.Join(t.TempDir(), "ca")
	if err := a.Save(dir, false); err != nil {
		t.Fatalf("Save() = %v", err)
	}
	return a, dir
}

func TestSaveWritesFilesWithModes(t *testing.T) {
	_, dir := savedAuthority(t)

	tests := []struct {
		name string
		mode fs.FileMode
	}{
		{ca.RootCertFile, 0o644},
		{ca.RootKeyFile, 0o600},
		{ca.IntermediateCertFile, 0o644},
		{ca.IntermediateKeyFile, 0o600},
		{ca.TruststoreFile, 0o644},
		{".", 0o700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fileMode(t, filepath.Join(dir, tt.name)); got != tt.mode {
				t.Errorf("mode of %s = %04o, want %04o", tt.name, got, tt.mode)
			}
		})
	}

	data, err := os.ReadFile(filepath.Join(dir, ca.TruststoreFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := truststore.Validate(data)
	if err != nil {
		t.Fatalf("Validate(truststore.pem) = %v", err)
	}
	if len(b.Certificates) != 2 || len(b.Roots()) != 1 {
		t.Errorf("truststore.pem has %d certificates and %d roots, want 2 and 1", len(b.Certificates), len(b.Roots()))
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	a, dir := savedAuthority(t)

	loaded, err := ca.Load(dir, ca.Options{Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if !loaded.Root.Certificate.Equal(a.Root.Certificate) {
		t.Error("Load() root differs from the saved one")
	}
	if !loaded.Intermediate.Certificate.Equal(a.Intermediate.Certificate) {
		t.Error("Load() intermediate differs from the saved one")
	}
	if loaded.Root.Key == nil || loaded.Intermediate.Key == nil {
		t.Fatal("Load() left out a private key")
	}
	kp, err := loaded.IssueClient(ca.ClientRequest{ClientID: "partner-a"})
	if err != nil {
		t.Fatalf("IssueClient() after Load = %v", err)
	}
	if err := a.Verify(kp.Certificate); err != nil {
		t.Errorf("Verify() of a certificate issued after Load = %v", err)
	}
}

func TestSaveRejectsOverwrite(t *testing.T) {
	a, dir := savedAuthority(t)
	before, err := os.ReadFile(filepath.Join(dir, ca.RootKeyFile))
	if err != nil {
		t.Fatal(err)
	}

	other, _ := newAuthority(t, ca.Config{})
	if err := other.Save(dir, false); !errors.Is(err, ca.ErrExists) {
		t.Fatalf("Save() over an existing CA = %v, want ErrExists", err)
	}
	after, err := os.ReadFile(filepath.Join(dir, ca.RootKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("Save() without overwrite changed the root key")
	}

	if err := a.Save(dir, true); err != nil {
		t.Errorf("Save(overwrite) = %v, want nil", err)
	}
	if got := fileMode(t, filepath.Join(dir, ca.RootKeyFile)); got != 0o600 {
		t.Errorf("mode of overwritten root key = %04o, want 0600", got)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, dir string)
		wantErr error
		wantMsg string
	}{
		{
			name:    "empty directory",
			corrupt: func(t *testing.T, dir string) { t.Helper(); removeAll(t, dir) },
			wantErr: ca.ErrNotInitialized,
		},
		{
			name: "key readable by group",
			corrupt: func(t *testing.T, dir string) {
				t.Helper()
				chmod(t, filepath.Join(dir, ca.IntermediateKeyFile), 0o640)
			},
			wantErr: ca.ErrKeyPermissions,
			wantMsg: "chmod 600",
		},
		{
			name:    "root key readable by others",
			corrupt: func(t *testing.T, dir string) { t.Helper(); chmod(t, filepath.Join(dir, ca.RootKeyFile), 0o604) },
			wantErr: ca.ErrKeyPermissions,
		},
		{
			name:    "intermediate key missing",
			corrupt: func(t *testing.T, dir string) { t.Helper(); remove(t, filepath.Join(dir, ca.IntermediateKeyFile)) },
			wantErr: fs.ErrNotExist,
		},
		{
			name: "key of another certificate",
			corrupt: func(t *testing.T, dir string) {
				t.Helper()
				copyFile(t, filepath.Join(dir, ca.RootKeyFile), filepath.Join(dir, ca.IntermediateKeyFile))
			},
			wantMsg: "does not match the public key",
		},
		{
			name: "certificate not PEM",
			corrupt: func(t *testing.T, dir string) {
				t.Helper()
				writeFile(t, filepath.Join(dir, ca.RootCertFile), "not a certificate")
			},
			wantMsg: "no PEM CERTIFICATE block",
		},
		{
			name: "key not PKCS#8",
			corrupt: func(t *testing.T, dir string) {
				t.Helper()
				writeFile(t, filepath.Join(dir, ca.IntermediateKeyFile), "junk")
			},
			wantMsg: "not a PKCS#8 PEM private key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dir := savedAuthority(t)
			tt.corrupt(t, dir)

			_, err := ca.Load(dir, ca.Options{})
			if err == nil {
				t.Fatal("Load() = nil, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Load() = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Load() = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestLoadWithoutRootKey(t *testing.T) {
	_, dir := savedAuthority(t)
	remove(t, filepath.Join(dir, ca.RootKeyFile))

	a, err := ca.Load(dir, ca.Options{Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatalf("Load() without root key = %v, want nil", err)
	}
	if _, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a"}); err != nil {
		t.Errorf("IssueClient() without root key = %v, want nil", err)
	}
	if err := a.RotateIntermediate("", 0); !errors.Is(err, ca.ErrNoRootKey) {
		t.Errorf("RotateIntermediate() without root key = %v, want ErrNoRootKey", err)
	}
}

func TestSaveLoadRetiredIntermediates(t *testing.T) {
	a, dir := savedAuthority(t)
	old := a.Intermediate.Certificate
	if err := a.RotateIntermediate("", 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(dir, true); err != nil {
		t.Fatalf("Save() after rotation = %v", err)
	}

	loaded, err := ca.Load(dir, ca.Options{Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if len(loaded.Retired) != 1 || !loaded.Retired[0].Equal(old) {
		t.Fatalf("Load() Retired = %d certificates, want the old intermediate", len(loaded.Retired))
	}
	if !loaded.Intermediate.Certificate.Equal(a.Intermediate.Certificate) {
		t.Error("Load() intermediate is not the rotated one")
	}
}

func TestSaveFailureKeepsRetiredIntermediate(t *testing.T) {
	a, dir := savedAuthority(t)
	old := a.Intermediate.Certificate
	if err := a.RotateIntermediate("", 0); err != nil {
		t.Fatal(err)
	}
	// A folder where the truststore goes makes Save fail after it has begun writing.
	truststore := filepath.Join(dir, ca.TruststoreFile)
	if err := os.Remove(truststore); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(truststore, "blocker"), 0o700); err != nil {
		t.Fatal(err)
	}

	if err := a.Save(dir, true); err == nil {
		t.Fatal("Save() with a folder in place of truststore.pem = nil, want an error")
	}

	entries, err := os.ReadDir(filepath.Join(dir, ca.RetiredDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("retired intermediates after the failed Save() = %d files, want 1", len(entries))
	}
	retired, err := ca.ReadCertificate(filepath.Join(dir, ca.RetiredDir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if !retired.Equal(old) {
		t.Errorf("retired intermediate after the failed Save() = %s, want the replaced %s", retired.Subject, old.Subject)
	}
}

func TestWriteKeyPair(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	kp, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")

	if err := ca.WriteKeyPair(certPath, keyPath, kp, false); err != nil {
		t.Fatalf("WriteKeyPair() = %v", err)
	}
	if got := fileMode(t, keyPath); got != 0o600 {
		t.Errorf("key mode = %04o, want 0600", got)
	}
	cert, err := ca.ReadCertificate(certPath)
	if err != nil || !cert.Equal(kp.Certificate) {
		t.Errorf("ReadCertificate() = %v, want the written certificate", err)
	}
	key, err := ca.ReadKey(keyPath)
	if err != nil {
		t.Fatalf("ReadKey() = %v", err)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(kp.Key.Public()) {
		t.Error("ReadKey() returned another key")
	}

	remove(t, certPath)
	err = ca.WriteKeyPair(certPath, keyPath, kp, false)
	if !errors.Is(err, ca.ErrExists) {
		t.Fatalf("WriteKeyPair() over an existing key = %v, want ErrExists", err)
	}
	if _, err := os.Stat(certPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteKeyPair() wrote the certificate although the key exists: %v", err)
	}
}

func TestWriteFileLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.pem")
	if err := ca.WriteFile(path, []byte("one"), 0o644, false); err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteFile(path, []byte("two"), 0o644, false); !errors.Is(err, ca.ErrExists) {
		t.Errorf("WriteFile() over an existing file = %v, want ErrExists", err)
	}
	if err := ca.WriteFile(path, []byte("three"), 0o644, true); err != nil {
		t.Errorf("WriteFile(overwrite) = %v", err)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want only out.pem", len(entries))
	}
	if data, _ := os.ReadFile(path); string(data) != "three" {
		t.Errorf("content = %q, want %q", data, "three")
	}
	if err := ca.WriteFile(filepath.Join(dir, "missing", "x.pem"), nil, 0o644, false); err == nil {
		t.Error("WriteFile() into a missing directory = nil, want an error")
	}
}

func FuzzParseCertificatePEM(f *testing.F) {
	a, _ := newAuthority(f, ca.Config{})
	f.Add(ca.EncodeCertificate(a.Root.Certificate))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("garbage"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cert, err := ca.ParseCertificatePEM(data)
		if err == nil && cert == nil {
			t.Fatal("ParseCertificatePEM() = nil, nil")
		}
	})
}

func FuzzValidateClientID(f *testing.F) {
	for _, seed := range []string{"partner-a", "", "a/b", "x.y_z", "é"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ca.ValidateClientID(id) != nil {
			return
		}
		// A valid id must survive the round trip through a certificate's URI.
		a, _ := newAuthority(t, ca.Config{Curve: ca.P256})
		kp, err := a.IssueClient(ca.ClientRequest{ClientID: id, CommonName: "fuzz"})
		if err != nil {
			t.Fatalf("IssueClient(%q) = %v", id, err)
		}
		got, err := ca.ClientID(kp.Certificate)
		if err != nil || got != id {
			t.Fatalf("ClientID() = %q, %v, want %q", got, err, id)
		}
	})
}

func removeAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(data))
}

func TestSaveOverwriteRemovesStaleRetired(t *testing.T) {
	a, dir := savedAuthority(t)
	if err := a.RotateIntermediate("", 0); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(dir, true); err != nil {
		t.Fatal(err)
	}

	replacement, _ := newAuthority(t, ca.Config{})
	if err := replacement.Save(dir, true); err != nil {
		t.Fatalf("Save(overwrite) = %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, ca.RetiredDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("retired/ has %d files after replacing the CA, want 0", len(entries))
	}
	if _, err := ca.Load(dir, ca.Options{Now: func() time.Time { return epoch }}); err != nil {
		t.Errorf("Load() of the replaced CA = %v", err)
	}
}

func TestWriteKeyPairRemovesKeyWhenCertificateFails(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	kp, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "client-key.pem")

	err = ca.WriteKeyPair(filepath.Join(dir, "missing", "client.pem"), keyPath, kp, false)
	if err == nil {
		t.Fatal("WriteKeyPair() into a missing directory = nil, want an error")
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("key file left behind after the certificate failed: %v", err)
	}
}
