package jwks_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/functions/internal/eventtest"
	"github.com/mtls-api/mtls-api/functions/internal/jwks"
	"github.com/mtls-api/mtls-api/shared/cognitolocal"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwk(kid string, pub *rsa.PublicKey) string {
	return fmt.Sprintf(`{"kty":"RSA","kid":%q,"use":"sig","alg":"RS256","n":%q,"e":%q}`,
		kid, b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes()))
}

func keySet(keys ...string) string { return `{"keys":[` + strings.Join(keys, ",") + `]}` }

// keyServer serves a key set that tests can change, and counts requests.
type keyServer struct {
	mu       sync.Mutex
	body     string
	status   int
	requests atomic.Int32
	url      string
}

func startKeyServer(t *testing.T, body string) *keyServer {
	t.Helper()
	s := &keyServer{body: body, status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.WriteHeader(s.status)
		_, _ = w.Write([]byte(s.body))
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *keyServer) set(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// clock is a settable time source.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newCache(url string, c *clock) *jwks.Cache {
	return jwks.New(url, jwks.Options{Now: c.Now})
}

func TestKeyFetchesOnceAndCaches(t *testing.T) {
	keyA, keyB := eventtest.RSAKey(t, "a", 2048), eventtest.RSAKey(t, "b", 2048)
	srv := startKeyServer(t, keySet(jwk("a", &keyA.PublicKey), jwk("b", &keyB.PublicKey)))
	cache := newCache(srv.url, &clock{now: time.Unix(1_800_000_000, 0)})

	for _, kid := range []string{"a", "b", "a"} {
		got, err := cache.Key(t.Context(), kid)
		if err != nil {
			t.Fatalf("Key(%s) error = %v", kid, err)
		}
		want := map[string]*rsa.PublicKey{"a": &keyA.PublicKey, "b": &keyB.PublicKey}[kid]
		if !got.Equal(want) {
			t.Errorf("Key(%s) returned another key", kid)
		}
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("key set fetched %d times, want 1", n)
	}
}

func TestKeyRefetchRateLimited(t *testing.T) {
	keyA := eventtest.RSAKey(t, "a", 2048)
	srv := startKeyServer(t, keySet(jwk("a", &keyA.PublicKey)))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	cache := newCache(srv.url, c)

	if _, err := cache.Key(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name         string
		advance      time.Duration
		kid          string
		wantErr      error
		wantRequests int32
	}{
		{"unknown kid right after the first fetch", time.Second, "z", jwks.ErrUnknownKey, 1},
		{"another unknown kid within the interval", 30 * time.Second, "y", jwks.ErrUnknownKey, 1},
		{"known kid never fetches", 0, "a", nil, 1},
		{"unknown kid after the interval", 30 * time.Second, "z", jwks.ErrUnknownKey, 2},
		{"unknown kid right after that refetch", time.Second, "z", jwks.ErrUnknownKey, 2},
	}
	for _, s := range steps {
		c.now = c.now.Add(s.advance)
		_, err := cache.Key(t.Context(), s.kid)
		if !errors.Is(err, s.wantErr) {
			t.Errorf("%s: Key(%s) error = %v, want %v", s.name, s.kid, err, s.wantErr)
		}
		if n := srv.requests.Load(); n != s.wantRequests {
			t.Errorf("%s: %d fetches, want %d", s.name, n, s.wantRequests)
		}
	}
}

func TestKeyFindsRotatedKey(t *testing.T) {
	keyA, keyB := eventtest.RSAKey(t, "a", 2048), eventtest.RSAKey(t, "b", 2048)
	p := cognitolocal.StartTest(t, cognitolocal.Options{Key: keyA})
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	cache := newCache(p.JWKSURL(), c)

	if _, err := cache.Key(t.Context(), p.KeyID()); err != nil {
		t.Fatal(err)
	}
	newKID, err := p.AddKey(keyB)
	if err != nil {
		t.Fatal(err)
	}

	c.now = c.now.Add(jwks.DefaultMinRefreshInterval)
	got, err := cache.Key(t.Context(), newKID)
	if err != nil {
		t.Fatalf("Key(new kid) error = %v", err)
	}
	if !got.Equal(&keyB.PublicKey) {
		t.Error("Key(new kid) returned another key")
	}
}

func TestKeyFetchFailures(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantMsg string
	}{
		{"server error", http.StatusInternalServerError, "oops", "500"},
		{"not found", http.StatusNotFound, "", "404"},
		{"not json", http.StatusOK, "<html>", "invalid key set"},
		{"no usable key", http.StatusOK, `{"keys":[{"kty":"EC","kid":"e","crv":"P-256"}]}`, "no RSA signature key"},
		{"oversized", http.StatusOK, `{"keys":[],"pad":"` + strings.Repeat("a", 300<<10) + `"}`, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startKeyServer(t, tt.body)
			srv.set(tt.status, tt.body)
			cache := newCache(srv.url, &clock{now: time.Unix(1_800_000_000, 0)})

			_, err := cache.Key(t.Context(), "a")
			if !errors.Is(err, jwks.ErrFetch) {
				t.Fatalf("Key() error = %v, want ErrFetch", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Key() error = %q, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestKeyRetriesAfterFailure(t *testing.T) {
	keyA := eventtest.RSAKey(t, "a", 2048)
	srv := startKeyServer(t, "")
	srv.set(http.StatusServiceUnavailable, "")
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	cache := newCache(srv.url, c)

	if _, err := cache.Key(t.Context(), "a"); !errors.Is(err, jwks.ErrFetch) {
		t.Fatalf("first Key() error = %v, want ErrFetch", err)
	}
	srv.set(http.StatusOK, keySet(jwk("a", &keyA.PublicKey)))

	c.now = c.now.Add(time.Second)
	if _, err := cache.Key(t.Context(), "a"); !errors.Is(err, jwks.ErrFetch) {
		t.Errorf("Key() within the retry interval error = %v, want ErrFetch without a fetch", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d fetches within the retry interval, want 1", n)
	}

	c.now = c.now.Add(jwks.DefaultRetryInterval)
	if _, err := cache.Key(t.Context(), "a"); err != nil {
		t.Errorf("Key() after the retry interval error = %v, want nil", err)
	}
}

func TestKeyKeepsKeysWhenRefetchFails(t *testing.T) {
	keyA := eventtest.RSAKey(t, "a", 2048)
	srv := startKeyServer(t, keySet(jwk("a", &keyA.PublicKey)))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	cache := newCache(srv.url, c)
	if _, err := cache.Key(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}

	srv.set(http.StatusInternalServerError, "")
	c.now = c.now.Add(jwks.DefaultMinRefreshInterval)
	if _, err := cache.Key(t.Context(), "z"); !errors.Is(err, jwks.ErrFetch) {
		t.Errorf("Key(unknown) error = %v, want ErrFetch", err)
	}
	if _, err := cache.Key(t.Context(), "a"); err != nil {
		t.Errorf("Key(a) after a failed refetch error = %v, want the cached key", err)
	}
}

func TestKeyRefetchRateLimitedAfterFailure(t *testing.T) {
	keyA := eventtest.RSAKey(t, "a", 2048)
	srv := startKeyServer(t, keySet(jwk("a", &keyA.PublicKey)))
	c := &clock{now: time.Unix(1_800_000_000, 0)}
	cache := newCache(srv.url, c)
	if _, err := cache.Key(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusInternalServerError, "")

	steps := []struct {
		name         string
		advance      time.Duration
		wantRequests int32
	}{
		{"refetch after the interval fails", jwks.DefaultMinRefreshInterval, 2},
		{"unknown kid after the retry interval", jwks.DefaultRetryInterval + time.Second, 2},
		{"unknown kid just before the interval", jwks.DefaultMinRefreshInterval - jwks.DefaultRetryInterval - 2*time.Second, 2},
		{"unknown kid after the interval", 2 * time.Second, 3},
	}
	for _, s := range steps {
		c.now = c.now.Add(s.advance)
		if _, err := cache.Key(t.Context(), "z"); err == nil {
			t.Errorf("%s: Key(z) error = nil, want an error", s.name)
		}
		if n := srv.requests.Load(); n != s.wantRequests {
			t.Errorf("%s: %d fetches, want %d", s.name, n, s.wantRequests)
		}
	}
}

func TestKeyFetchTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	cache := jwks.New(srv.URL, jwks.Options{FetchTimeout: 50 * time.Millisecond})

	start := time.Now()
	_, err := cache.Key(t.Context(), "a")
	if !errors.Is(err, jwks.ErrFetch) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Key() error = %v, want ErrFetch and DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Key() took %s, want it bounded by the 50ms fetch timeout", elapsed)
	}
}

func TestKeyConcurrentCallersShareOneFetch(t *testing.T) {
	keyA := eventtest.RSAKey(t, "a", 2048)
	srv := startKeyServer(t, keySet(jwk("a", &keyA.PublicKey)))
	cache := jwks.New(srv.url, jwks.Options{})

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := cache.Key(context.Background(), "a"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d fetches for 8 concurrent callers, want 1", n)
	}
}

func TestParse(t *testing.T) {
	keyA, keyB := eventtest.RSAKey(t, "a", 2048), eventtest.RSAKey(t, "b", 2048)
	short := eventtest.RSAKey(t, "short", 1024)
	tests := []struct {
		name     string
		set      string
		wantKIDs []string
		wantErr  string
	}{
		{"cognito set", keySet(jwk("a", &keyA.PublicKey), jwk("b", &keyB.PublicKey)), []string{"a", "b"}, ""},
		{"skips other keys", keySet(`{"kty":"EC","kid":"e"}`, `{"kty":"RSA","kid":"enc","use":"enc","n":"AQ","e":"AQ"}`, `{"kty":"RSA","kid":"ps","alg":"PS256","n":"AQ","e":"AQ"}`, jwk("a", &keyA.PublicKey)), []string{"a"}, ""},
		{"not json", "{", nil, "invalid key set"},
		{"no keys", `{"keys":[]}`, nil, "no RSA signature key"},
		{"missing kid", keySet(jwk("", &keyA.PublicKey)), nil, "no kid"},
		{"repeated kid", keySet(jwk("a", &keyA.PublicKey), jwk("a", &keyB.PublicKey)), nil, "twice"},
		{"short key", keySet(jwk("s", &short.PublicKey)), nil, "1024 bits"},
		{"huge key", keySet(fmt.Sprintf(`{"kty":"RSA","kid":"h","n":%q,"e":"AQAB"}`, b64(new(big.Int).Lsh(big.NewInt(1), 16383).Bytes()))), nil, "16384 bits"},
		{"modulus not base64url", keySet(`{"kty":"RSA","kid":"x","n":"+/+/","e":"AQAB"}`), nil, "modulus"},
		{"even exponent", keySet(strings.Replace(jwk("x", &keyA.PublicKey), `"e":"AQAB"`, `"e":"AQAA"`, 1)), nil, "exponent"},
		{"huge exponent", keySet(strings.Replace(jwk("x", &keyA.PublicKey), `"e":"AQAB"`, `"e":"AQAAAAAAAAAB"`, 1)), nil, "exponent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := jwks.Parse([]byte(tt.set))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if len(keys) != len(tt.wantKIDs) {
				t.Errorf("Parse() returned %d keys, want %v", len(keys), tt.wantKIDs)
			}
			for _, kid := range tt.wantKIDs {
				if keys[kid] == nil {
					t.Errorf("Parse() has no key %q", kid)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	keyA := eventtest.RSAKey(f, "a", 2048)
	f.Add([]byte(keySet(jwk("a", &keyA.PublicKey))))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"x","n":"AQ","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))

	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := jwks.Parse(data)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("Parse() returned no keys and no error")
		}
		for kid, k := range keys {
			if kid == "" || k.N.BitLen() < 2048 || k.N.BitLen() > 8192 || k.E < 3 || k.E%2 == 0 {
				t.Fatalf("Parse() accepted key %q with %d bits and exponent %d", kid, k.N.BitLen(), k.E)
			}
		}
	})
}
