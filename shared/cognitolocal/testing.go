package cognitolocal

import (
	"net/http/httptest"
	"testing"
)

// StartTest starts a Provider on 127.0.0.1 with httptest for the test t and stops it when the
// test ends. The provider's URLs point at the test server.
func StartTest(t testing.TB, opts Options) *Provider {
	t.Helper()

	srv := httptest.NewUnstartedServer(nil)
	p, err := New("http://"+srv.Listener.Addr().String(), opts)
	if err != nil {
		srv.Listener.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}
