// Package stack starts the whole local stack. It runs dynalite with the certificate table, the
// Cognito stand-in and the local CA with a registered demo client certificate. Every catalog
// function runs as a process behind the Lambda Runtime API emulator, with the mutual TLS
// gateway in front.
package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
	"github.com/mtls-api/mtls-api/shared/dynalite"
	"github.com/mtls-api/mtls-api/shared/oauth"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/function"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/gateway"
	"github.com/mtls-api/mtls-api/tools/devstack/internal/runtimeapi"
	"github.com/mtls-api/mtls-api/tools/internal/ca"
)

// Defaults for the zero values of Config.
const (
	DefaultAddr     = "127.0.0.1:8443"
	DefaultStateDir = ".devstack"
	// TableName is the certificate table in the local dynalite.
	TableName = "mtls-api-local-certificates"
	// AppClientID is the id of the local Cognito app client.
	AppClientID = "mtls-api-local"
	// startTimeout bounds how long a function process may take to ask for its first
	// invocation.
	startTimeout = 15 * time.Second
)

// ErrAddressInUse is returned, wrapped, when another process listens on the gateway's address.
var ErrAddressInUse = errors.New("address already in use")

// Config configures Start.
type Config struct {
	// Root is the repository root: it holds go.work and node_modules.
	Root string
	// StateDir keeps the CA, the certificates and the binaries across restarts. Empty means
	// .devstack under Root.
	StateDir string
	// Addr is the gateway's listen address. Empty means DefaultAddr; port 0 picks a free port.
	Addr string
	// Functions are the functions to run. Nil means catalog.All().
	Functions []catalog.Function
	// Log receives what the stack starts and stops, and one line per gateway request. Nil
	// discards.
	Log *slog.Logger
	// FunctionOutput receives the output of the function processes and of dynalite. Nil
	// discards it.
	FunctionOutput io.Writer
	// Now returns the current time for certificates and records. Nil means time.Now.
	Now func() time.Time
}

// Stack is a running local stack.
type Stack struct {
	// URL is the gateway's base URL, such as https://localhost:8443.
	URL string
	// Files are the files the stack keeps.
	Files Files
	// Authority is the local CA, which issued the gateway's and the demo client's
	// certificates.
	Authority *ca.Authority
	// Demo is the demo client's certificate and key, registered active.
	Demo ca.KeyPair
	// Store is the certificate table.
	Store *certstore.Store
	// DynamoDBEndpoint is the URL of dynalite, which serves the table TableName.
	DynamoDBEndpoint string
	// Cognito is the Cognito stand-in the functions use.
	Cognito *cognitolocal.Server

	log     *slog.Logger
	closers []closer
}

type closer struct {
	name  string
	close func() error
}

// Start starts every part of the stack. On error it stops what it started. Call Close to
// stop the stack.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	cfg = cfg.withDefaults()
	s := &Stack{Files: newFiles(cfg.StateDir), log: cfg.Log}
	if err := s.start(ctx, cfg); err != nil {
		if closeErr := s.Close(); closeErr != nil {
			err = errors.Join(err, closeErr)
		}
		return nil, err
	}
	return s, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(cfg.Root, DefaultStateDir)
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Functions == nil {
		cfg.Functions = catalog.All()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.FunctionOutput == nil {
		cfg.FunctionOutput = io.Discard
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

func (s *Stack) start(ctx context.Context, cfg Config) error {
	if err := catalog.Validate(cfg.Functions); err != nil {
		return fmt.Errorf("function catalog: %w", err)
	}

	// Take the gateway's address first, so that a busy port fails before the slow steps.
	listener, err := listen(ctx, cfg.Addr)
	if err != nil {
		return err
	}
	s.onClose("gateway listener", func() error { return ignoreClosed(listener.Close()) })

	certs, err := ensureCertificates(s.Files, cfg.Now, s.log)
	if err != nil {
		return err
	}
	s.Authority, s.Demo = certs.authority, certs.demo

	if s.DynamoDBEndpoint, err = s.startTable(ctx, cfg); err != nil {
		return err
	}

	secret, err := s.startCognito()
	if err != nil {
		return err
	}

	endpoints := endpoints{
		table:        TableName,
		dynamoDB:     s.DynamoDBEndpoint,
		tokenURL:     s.Cognito.TokenURL(),
		clientID:     AppClientID,
		clientSecret: secret,
		issuer:       s.Cognito.IssuerURL(),
		jwksURL:      s.Cognito.JWKSURL(),
		version:      "local",
	}
	invokers, err := s.startFunctions(ctx, cfg, endpoints)
	if err != nil {
		return err
	}

	gw, err := gateway.New(gateway.Options{Functions: cfg.Functions, Invokers: invokers, Logger: s.log.With("component", "gateway"), Now: cfg.Now})
	if err != nil {
		return err
	}
	truststore := pool(certs.authority.TruststoreCertificates()...)
	errorLog := log.New(slogWriter{s.log.With("component", "gateway")}, "", 0)
	server := gateway.Serve(listener, gw, gateway.TLSConfig(certs.server, truststore), errorLog)
	s.onClose("gateway", server.Close)
	s.URL = server.URL
	s.log.InfoContext(ctx, "gateway listening", slog.String("url", s.URL), slog.String("address", listener.Addr().String()))
	return s.writeCertctlEnv()
}

// listen takes the gateway's address, naming the flag that changes it when it is in use.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("gateway address %s: %w; stop the process that listens there or choose another address with -addr, such as -addr 127.0.0.1:9443", addr, ErrAddressInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("gateway address %s: %w; choose another with -addr", addr, err)
	}
	return l, nil
}

// startTable starts dynalite, creates the certificate table and registers the demo client's
// certificate in it. dynalite keeps its data in memory, so the registration is repeated on
// every start.
func (s *Stack) startTable(ctx context.Context, cfg Config) (string, error) {
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node not found in PATH: install Node.js 20 or newer, then run `npm ci` at the repository root")
	}
	server, err := dynalite.Start(ctx, dynalite.Options{Dir: cfg.Root, Stderr: prefixed(cfg.FunctionOutput, "dynalite | ")})
	if errors.Is(err, dynalite.ErrNotInstalled) {
		return "", fmt.Errorf("dynalite is not installed in %s: run `npm ci` at the repository root", filepath.Join(cfg.Root, "node_modules"))
	}
	if err != nil {
		return "", err
	}
	s.onClose("dynalite", server.Stop)

	client := server.Client()
	if err := dynalite.CreateTable(ctx, client, TableName); err != nil {
		return "", err
	}
	s.Store = certstore.New(client, TableName)

	clientID, err := ca.ClientID(s.Demo.Certificate)
	if err != nil {
		return "", err
	}
	record := certificate.NewRecord(s.Demo.Certificate, clientID, cfg.Now())
	if err := s.Store.Put(ctx, record); err != nil {
		return "", fmt.Errorf("register demo certificate %s: %w", record.SerialNumber, err)
	}
	s.log.InfoContext(ctx, "dynalite started", slog.String("endpoint", server.Endpoint), slog.String("table", TableName))
	s.log.InfoContext(ctx, "registered demo client certificate", slog.String("serialNumber", record.SerialNumber), slog.String("clientId", clientID))
	return server.Endpoint, nil
}

// startCognito starts the Cognito stand-in with one app client and returns the client's
// secret, which is new on every start.
func (s *Stack) startCognito() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(b[:])

	server, err := cognitolocal.Listen("127.0.0.1:0", cognitolocal.Options{
		Clients: map[string]cognitolocal.Client{AppClientID: {Secret: secret, Scopes: []string{oauth.Scope}}},
	})
	if err != nil {
		return "", err
	}
	s.onClose("Cognito stand-in", server.Close)
	s.Cognito = server
	s.log.Info("Cognito stand-in started", slog.String("tokenUrl", server.TokenURL()), slog.String("issuer", server.IssuerURL()), slog.String("clientId", AppClientID))
	return secret, nil
}

// startFunctions builds every function, starts it behind its own Runtime API emulator, and
// waits until each requests its first invocation.
func (s *Stack) startFunctions(ctx context.Context, cfg Config, e endpoints) (map[string]gateway.Invoker, error) {
	invokers := map[string]gateway.Invoker{}
	for _, f := range cfg.Functions {
		s.log.InfoContext(ctx, "building function", slog.String("function", f.Name), slog.String("package", f.Package))
		path, err := function.Build(ctx, cfg.Root, s.Files.Bin, f.Name, f.Package)
		if err != nil {
			return nil, err
		}

		emulator, err := s.startFunction(ctx, cfg, f, path, e)
		if err != nil {
			return nil, err
		}
		invokers[f.Name] = emulator
	}
	return invokers, nil
}

func (s *Stack) startFunction(ctx context.Context, cfg Config, f catalog.Function, path string, e endpoints) (*runtimeapi.Emulator, error) {
	var process *function.Process
	emulator := runtimeapi.New(runtimeapi.Options{
		FunctionName: f.Name,
		FunctionARN:  fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, gateway.DefaultAPI.AccountID, f.Name),
		Timeout:      f.Timeout,
		OnTimeout: func() {
			s.log.WarnContext(ctx, "function timed out, restarting it", slog.String("function", f.Name), slog.Duration("timeout", f.Timeout))
			process.Restart()
		},
		Now: cfg.Now,
	})
	runtimeAPI, err := emulator.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.onClose("runtime API of "+f.Name, emulator.Close)

	vars, unknown := functionEnv(f, e, runtimeAPI)
	if len(unknown) > 0 {
		s.log.WarnContext(ctx, unknownEnvMessage(f.Name, unknown))
	}
	process, err = function.Start(function.Options{
		Name:   f.Name,
		Path:   path,
		Env:    vars,
		Output: cfg.FunctionOutput,
		OnExit: func(err error) { emulator.Abort(fmt.Errorf("%w: %w", runtimeapi.ErrExited, err)) },
		Logger: s.log,
	})
	if err != nil {
		return nil, err
	}
	// Stop the process before its emulator closes: closers run in reverse order.
	s.onClose("function "+f.Name, func() error { process.Stop(); return nil })

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-emulator.Ready():
	case err := <-process.FirstExit():
		return nil, startFailure(f.Name, fmt.Sprintf("exited at start (%v)", err), emulator, process)
	case <-timer.C:
		return nil, startFailure(f.Name, fmt.Sprintf("did not ask for an invocation within %s", startTimeout), emulator, process)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.log.InfoContext(ctx, "function started", slog.String("function", f.Name), slog.String("runtimeApi", runtimeAPI), slog.Duration("timeout", f.Timeout))
	return emulator, nil
}

// startFailure describes a function that did not start, with its init error and output.
func startFailure(name, reason string, emulator *runtimeapi.Emulator, process *function.Process) error {
	msg := fmt.Sprintf("function %s %s", name, reason)
	if initErr := emulator.InitError(); initErr != nil {
		msg += "; init error: " + initErr.Error()
	}
	if out := process.Output(); out != "" {
		msg += "; output:\n" + out
	}
	return errors.New(msg)
}

func (s *Stack) onClose(name string, stop func() error) {
	s.closers = append(s.closers, closer{name: name, close: stop})
}

// Close stops everything the stack started, in reverse order: the gateway, the function
// processes and their Runtime API emulators, the Cognito stand-in and dynalite.
func (s *Stack) Close() error {
	var errs []error
	for _, c := range slices.Backward(s.closers) {
		if err := c.close(); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", c.name, err))
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// FindRoot returns the repository root: the nearest folder at or above dir that holds
// go.work.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for start := dir; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work at or above %s: run the local stack inside the repository", start)
		}
		dir = parent
	}
}
