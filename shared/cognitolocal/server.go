package cognitolocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a Provider serving HTTP on a listener of its own.
type Server struct {
	*Provider

	// URL is the base URL the server listens on, such as http://127.0.0.1:41234.
	URL string

	srv  *http.Server
	done chan error
}

// Listen starts a Provider on addr, such as "127.0.0.1:0" for a free port, and serves it
// until Close. Listen is for the local stack: it serves plain HTTP, so addr should be a
// loopback address.
func Listen(addr string, opts Options) (*Server, error) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cognitolocal: listen on %s: %w", addr, err)
	}
	base := "http://" + l.Addr().String()
	p, err := New(base, opts)
	if err != nil {
		_ = l.Close()
		return nil, err
	}

	s := &Server{
		Provider: p,
		URL:      base,
		srv:      &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second},
		done:     make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(l) }()
	return s, nil
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
		return fmt.Errorf("cognitolocal: close: %w", err)
	}
	return nil
}
