package ca_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// clock is an adjustable test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

var epoch = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func newAuthority(t testing.TB, cfg ca.Config) (*ca.Authority, *clock) {
	t.Helper()
	clk := &clock{now: epoch}
	a, err := ca.New(cfg, ca.Options{Now: clk.Now})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return a, clk
}

func TestNewCreatesRootAndIntermediate(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	root, intermediate := a.Root.Certificate, a.Intermediate.Certificate

	tests := []struct {
		name        string
		cert        *x509.Certificate
		maxPathLen  int
		zeroPathLen bool
		curve       elliptic.Curve
		validity    time.Duration
		parent      *x509.Certificate
	}{
		{name: "root", cert: root, maxPathLen: 1, curve: elliptic.P384(), validity: ca.DefaultRootValidity, parent: root},
		{name: "intermediate", cert: intermediate, maxPathLen: 0, zeroPathLen: true, curve: elliptic.P384(), validity: ca.DefaultIntermediateValidity, parent: root},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cert
			if !c.BasicConstraintsValid || !c.IsCA {
				t.Errorf("BasicConstraintsValid, IsCA = %v, %v, want true, true", c.BasicConstraintsValid, c.IsCA)
			}
			if c.MaxPathLen != tt.maxPathLen || c.MaxPathLenZero != tt.zeroPathLen {
				t.Errorf("MaxPathLen, MaxPathLenZero = %d, %v, want %d, %v", c.MaxPathLen, c.MaxPathLenZero, tt.maxPathLen, tt.zeroPathLen)
			}
			if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; c.KeyUsage != want {
				t.Errorf("KeyUsage = %v, want %v", c.KeyUsage, want)
			}
			if len(c.SubjectKeyId) != 20 {
				t.Errorf("len(SubjectKeyId) = %d, want 20", len(c.SubjectKeyId))
			}
			if !bytes.Equal(c.AuthorityKeyId, tt.parent.SubjectKeyId) && c != root {
				t.Errorf("AuthorityKeyId = %x, want the issuer's %x", c.AuthorityKeyId, tt.parent.SubjectKeyId)
			}
			if err := c.CheckSignatureFrom(tt.parent); err != nil {
				t.Errorf("CheckSignatureFrom(%s) = %v", tt.parent.Subject, err)
			}
			if key, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || key.Curve != tt.curve {
				t.Errorf("PublicKey = %T, want ECDSA on %s", c.PublicKey, tt.curve.Params().Name)
			}
			if want := epoch.Add(tt.validity); !c.NotAfter.Equal(want) {
				t.Errorf("NotAfter = %s, want %s", c.NotAfter, want)
			}
			if !c.NotBefore.Before(epoch) {
				t.Errorf("NotBefore = %s, want before %s", c.NotBefore, epoch)
			}
			if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
				t.Errorf("SerialNumber = %s, want positive with at most 128 bits", c.SerialNumber)
			}
		})
	}

	if got := root.Subject.String(); got != "CN=mtls-api root CA,O=mtls-api" {
		t.Errorf("root subject = %q, want the default names", got)
	}
	if !strings.HasPrefix(intermediate.Subject.CommonName, "mtls-api intermediate CA ") {
		t.Errorf("intermediate CN = %q, want the default prefix", intermediate.Subject.CommonName)
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name     string
		cfg      ca.Config
		wantErr  string
		wantRoot string
	}{
		{name: "P-256 and names", cfg: ca.Config{Curve: ca.P256, Organization: "Example", RootCommonName: "Example Root"}, wantRoot: "CN=Example Root,O=Example"},
		{name: "unknown curve", cfg: ca.Config{Curve: "P-521"}, wantErr: `curve "P-521" is not supported`},
		{name: "intermediate outlives root", cfg: ca.Config{RootValidity: time.Hour, IntermediateValidity: 2 * time.Hour}, wantErr: "exceeds root validity"},
		{name: "negative validity", cfg: ca.Config{RootValidity: -time.Hour}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ca.New(tt.cfg, ca.Options{Now: func() time.Time { return epoch }})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			if got := a.Root.Certificate.Subject.String(); got != tt.wantRoot {
				t.Errorf("root subject = %q, want %q", got, tt.wantRoot)
			}
		})
	}
}

// failingReader is a randomness source that has run dry.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestNewRandomnessFails(t *testing.T) {
	_, err := ca.New(ca.Config{}, ca.Options{Rand: failingReader{}})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("New() with failing randomness = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestIssueClient(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})

	kp, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a", CommonName: "Partner A", Validity: 48 * time.Hour})
	if err != nil {
		t.Fatalf("IssueClient() = %v", err)
	}
	c := kp.Certificate

	if got, want := c.Subject.String(), "CN=Partner A,O=mtls-api"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if id, err := ca.ClientID(c); err != nil || id != "partner-a" {
		t.Errorf("ClientID() = %q, %v, want partner-a", id, err)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("ExtKeyUsage = %v, want only client auth", c.ExtKeyUsage)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage = %v, want digital signature", c.KeyUsage)
	}
	if c.IsCA || !c.BasicConstraintsValid {
		t.Errorf("IsCA, BasicConstraintsValid = %v, %v, want false, true", c.IsCA, c.BasicConstraintsValid)
	}
	if want := epoch.Add(48 * time.Hour); !c.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %s, want %s", c.NotAfter, want)
	}
	if !bytes.Equal(c.AuthorityKeyId, a.Intermediate.Certificate.SubjectKeyId) {
		t.Errorf("AuthorityKeyId = %x, want the intermediate's %x", c.AuthorityKeyId, a.Intermediate.Certificate.SubjectKeyId)
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
		t.Errorf("SerialNumber = %s, want positive with at most 128 bits", c.SerialNumber)
	}
	if err := a.Verify(c); err != nil {
		t.Errorf("Verify(client) = %v, want nil", err)
	}
	if pub, ok := kp.Key.Public().(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key = %T, want ECDSA P-256", kp.Key.Public())
	}
}

func TestIssueClientDefaults(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	kp, err := a.IssueClient(ca.ClientRequest{ClientID: "svc_1"})
	if err != nil {
		t.Fatalf("IssueClient() = %v", err)
	}
	if got := kp.Certificate.Subject.CommonName; got != "svc_1" {
		t.Errorf("CommonName = %q, want the client id", got)
	}
	if want := epoch.Add(ca.DefaultClientValidity); !kp.Certificate.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %s, want %s", kp.Certificate.NotAfter, want)
	}
}

func TestIssueClientLongUnicodeName(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	cn := strings.Repeat("é", 64) // 64 characters in 128 bytes, within ub-common-name.

	kp, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-e", CommonName: cn})
	if err != nil {
		t.Fatalf("IssueClient(CommonName of 64 characters) = %v, want nil", err)
	}
	if got := kp.Certificate.Subject.CommonName; got != cn {
		t.Errorf("CommonName = %q, want %q", got, cn)
	}
}

func TestIssueClientRejects(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})

	tests := []struct {
		name    string
		req     ca.ClientRequest
		wantErr string
	}{
		{name: "empty client id", req: ca.ClientRequest{}, wantErr: "invalid client id: empty"},
		{name: "client id with slash", req: ca.ClientRequest{ClientID: "a/b"}, wantErr: `"a/b" has '/' at position 2`},
		{name: "long common name", req: ca.ClientRequest{ClientID: "a", CommonName: strings.Repeat("x", 65)}, wantErr: "1 to 64 UTF-8 characters"},
		{name: "blank common name", req: ca.ClientRequest{ClientID: "a", CommonName: "   "}, wantErr: "1 to 64 UTF-8 characters"},
		{name: "invalid UTF-8 common name", req: ca.ClientRequest{ClientID: "a", CommonName: "Partner \xff"}, wantErr: "1 to 64 UTF-8 characters"},
		{name: "common name with newline", req: ca.ClientRequest{ClientID: "a", CommonName: "Partner A\nCN=admin"}, wantErr: "control character at byte 10"},
		{name: "common name with NUL", req: ca.ClientRequest{ClientID: "a", CommonName: "Partner\x00A"}, wantErr: "control character at byte 8"},
		{name: "negative validity", req: ca.ClientRequest{ClientID: "a", Validity: -time.Hour}, wantErr: "negative"},
		{name: "outlives intermediate", req: ca.ClientRequest{ClientID: "a", Validity: ca.DefaultIntermediateValidity + time.Hour}, wantErr: "after the intermediate CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.IssueClient(tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("IssueClient(%+v) = %v, want an error containing %q", tt.req, err, tt.wantErr)
			}
		})
	}
}

func TestValidateClientID(t *testing.T) {
	tests := []struct {
		id    string
		valid bool
	}{
		{"partner-a", true},
		{"A.b_c-1", true},
		{"9lives", true},
		{strings.Repeat("x", 128), true},
		{"", false},
		{strings.Repeat("x", 129), false},
		{"-leading", false},
		{"has space", false},
		{"ümlaut", false},
		{"colon:id", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := ca.ValidateClientID(tt.id)
			if tt.valid && err != nil {
				t.Errorf("ValidateClientID(%q) = %v, want nil", tt.id, err)
			}
			if !tt.valid && !errors.Is(err, ca.ErrInvalidClientID) {
				t.Errorf("ValidateClientID(%q) = %v, want ErrInvalidClientID", tt.id, err)
			}
		})
	}
}

func TestClientIDMissing(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	server, err := a.IssueServer(ca.ServerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.ClientID(server.Certificate); !errors.Is(err, ca.ErrNoClientID) {
		t.Errorf("ClientID(server certificate) = %v, want ErrNoClientID", err)
	}
}

func TestIssueServerForLocalhost(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	kp, err := a.IssueServer(ca.ServerRequest{})
	if err != nil {
		t.Fatalf("IssueServer() = %v", err)
	}
	c := kp.Certificate

	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := c.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%q) = %v, want nil", host, err)
		}
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("ExtKeyUsage = %v, want only server auth", c.ExtKeyUsage)
	}
}

// TestMutualTLSHandshake runs a real TLS 1.3 handshake between a server and a client that
// hold certificates of the same CA and trust its truststore.
func TestMutualTLSHandshake(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	a.SetOptions(ca.Options{}) // the real clock, which crypto/tls uses too
	server, err := a.IssueServer(ca.ServerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	client, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a"})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(a.Root.Certificate)

	serverConn, clientConn := net.Pipe()
	t.Cleanup(func() { serverConn.Close(); clientConn.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	serverTLS := tls.Server(serverConn, &tls.Config{
		Certificates: []tls.Certificate{a.TLSCertificate(server)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    roots,
		MinVersion:   tls.VersionTLS13,
	})
	done := make(chan error, 1)
	go func() { done <- serverTLS.HandshakeContext(ctx) }()

	clientTLS := tls.Client(clientConn, &tls.Config{
		Certificates: []tls.Certificate{a.TLSCertificate(client)},
		RootCAs:      roots,
		ServerName:   "localhost",
		MinVersion:   tls.VersionTLS13,
	})
	if err := clientTLS.HandshakeContext(ctx); err != nil {
		t.Fatalf("client handshake = %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server handshake = %v", err)
	}
	peer := serverTLS.ConnectionState().PeerCertificates[0]
	if id, err := ca.ClientID(peer); err != nil || id != "partner-a" {
		t.Errorf("ClientID(peer) = %q, %v, want partner-a", id, err)
	}
}

func TestRotateIntermediate(t *testing.T) {
	a, clk := newAuthority(t, ca.Config{})
	old := a.Intermediate.Certificate
	oldClient, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a"})
	if err != nil {
		t.Fatal(err)
	}

	clk.now = epoch.Add(24 * time.Hour)
	if err := a.RotateIntermediate("", 30*24*time.Hour); err != nil {
		t.Fatalf("RotateIntermediate() = %v", err)
	}
	if a.Intermediate.Certificate.Equal(old) {
		t.Fatal("RotateIntermediate() kept the old intermediate")
	}
	if len(a.Retired) != 1 || !a.Retired[0].Equal(old) {
		t.Fatalf("Retired = %d certificates, want the old intermediate", len(a.Retired))
	}
	if got := len(a.TruststoreCertificates()); got != 3 {
		t.Errorf("len(TruststoreCertificates()) = %d during the overlap, want 3", got)
	}
	if _, err := a.Truststore(); err != nil {
		t.Errorf("Truststore() = %v during the overlap", err)
	}
	if err := a.Verify(oldClient.Certificate); err != nil {
		t.Errorf("Verify(client of the old intermediate) = %v during the overlap, want nil", err)
	}
	newClient, err := a.IssueClient(ca.ClientRequest{ClientID: "partner-a", Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClient.Certificate.CheckSignatureFrom(a.Intermediate.Certificate); err != nil {
		t.Errorf("new client certificate not signed by the new intermediate: %v", err)
	}

	clk.now = old.NotAfter.Add(time.Second)
	if got := len(a.TruststoreCertificates()); got != 2 {
		t.Errorf("len(TruststoreCertificates()) = %d after the old intermediate expired, want 2", got)
	}
}

func TestRotateIntermediateRejects(t *testing.T) {
	a, _ := newAuthority(t, ca.Config{})
	name := a.Intermediate.Certificate.Subject.CommonName

	if err := a.RotateIntermediate(name, 0); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("RotateIntermediate(same name) = %v, want a subject conflict", err)
	}
	if err := a.RotateIntermediate("", ca.DefaultRootValidity*2); err == nil || !strings.Contains(err.Error(), "after the root") {
		t.Errorf("RotateIntermediate(too long) = %v, want an error about the root's expiry", err)
	}
	if err := a.RotateIntermediate("", -time.Hour); err == nil {
		t.Error("RotateIntermediate(negative validity) = nil, want an error")
	}

	a.Root.Key = nil
	if err := a.RotateIntermediate("", 0); !errors.Is(err, ca.ErrNoRootKey) {
		t.Errorf("RotateIntermediate() without root key = %v, want ErrNoRootKey", err)
	}
}
