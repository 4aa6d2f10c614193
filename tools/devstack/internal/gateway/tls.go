package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"
)

// TLSConfig returns the server TLS configuration of a mutual TLS custom domain: TLS 1.2 or
// newer, serverCert for the gateway's own name, and a client certificate that chains to
// truststore required in the handshake. A client without one, or with one from another CA,
// fails the handshake before any request is read, as with API Gateway.
func TLSConfig(serverCert tls.Certificate, truststore *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    truststore,
	}
}

// Server is a gateway served over TLS on a local address.
type Server struct {
	// URL is the base URL of the gateway, such as https://localhost:8443.
	URL string

	srv  *http.Server
	done chan error
}

// Serve serves handler with tlsConfig on l until Close. The URL names host "localhost", the
// name of the local server certificate, and the listener's port. errorLog receives the
// server's own errors, such as failed handshakes; nil means the log package's default logger.
func Serve(l net.Listener, handler http.Handler, tlsConfig *tls.Config, errorLog *log.Logger) *Server {
	_, port, _ := net.SplitHostPort(l.Addr().String())
	s := &Server{
		URL: "https://localhost:" + port,
		srv: &http.Server{
			Handler:           handler,
			TLSConfig:         tlsConfig,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          errorLog,
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.ServeTLS(l, "", "") }()
	return s
}

// Close stops the server, waiting up to five seconds for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("gateway: close: %w", err)
	}
	return nil
}
