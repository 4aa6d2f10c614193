// Package jwks fetches and caches the RSA signing keys of a JSON Web Key Set (RFC 7517), such
// as a Cognito user pool's https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json.
//
// A Cache lives as long as the Lambda execution environment. It fetches the set on first use
// and again when a token names a key id the set lacks, as happens after the issuer rotates
// its keys. Once it holds keys, it fetches at most once per MinRefreshInterval, whether the
// last fetch succeeded or not, so that tokens with made-up key ids cannot turn the function
// into a load generator against the issuer. Until a first fetch succeeds, it retries once per
// RetryInterval.
package jwks

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// Defaults for the zero values of Options.
const (
	// DefaultMinRefreshInterval is the shortest time between two fetches once the cache holds
	// keys.
	DefaultMinRefreshInterval = time.Minute
	// DefaultRetryInterval is the shortest time between two fetches while no fetch has
	// succeeded yet.
	DefaultRetryInterval = 5 * time.Second
	// DefaultFetchTimeout bounds one fetch of the key set.
	DefaultFetchTimeout = 2 * time.Second
)

// Limits on what a fetched key set may contain.
const (
	// maxSetBytes bounds the size of a key set document. Cognito's is under 2 KiB.
	maxSetBytes = 256 << 10
	// minKeyBits is the smallest RSA modulus accepted (RFC 7518 section 3.3 requires at
	// least 2048 bits for RS256).
	minKeyBits = 2048
	// maxKeyBits is the largest RSA modulus accepted, the limit crypto/tls puts on peer keys,
	// because every signature check costs time that grows with the modulus.
	maxKeyBits = 8192
)

// Errors returned by Cache.Key. Check them with errors.Is.
var (
	// ErrUnknownKey means the key set, fetched recently, has no key with the requested id.
	ErrUnknownKey = errors.New("jwks: unknown key id")
	// ErrFetch means the key set could not be fetched or parsed.
	ErrFetch = errors.New("jwks: fetch key set")
)

// Options configures a Cache. The zero value uses the defaults above, http.DefaultClient and
// time.Now.
type Options struct {
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// FetchTimeout bounds one fetch, on top of any deadline of the caller's context. Zero means
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
	// MinRefreshInterval is the shortest time between two fetches once the cache holds keys.
	// Zero means DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// RetryInterval is the shortest time between a failed fetch and the next while the cache
	// holds no keys. Zero means DefaultRetryInterval.
	RetryInterval time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Cache holds the keys of one key set URL. It is safe for concurrent use.
type Cache struct {
	url  string
	opts Options

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	nextFetch time.Time // the earliest time of the next fetch; zero before the first
}

// New returns a Cache of the key set at url. It fetches nothing until the first Key call.
func New(url string, opts Options) *Cache {
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if opts.MinRefreshInterval <= 0 {
		opts.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{url: url, opts: opts}
}

// Key returns the public key with the given key id. It fetches the key set when the id is not
// cached and the last fetch is old enough. Concurrent callers wait for a fetch in progress
// instead of starting their own.
func (c *Cache) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if key, ok := c.keys[kid]; ok {
		return key, nil
	}
	now := c.opts.Now()
	if now.Before(c.nextFetch) {
		if c.keys == nil {
			return nil, fmt.Errorf("%w: %s: last fetch failed, next try after %s",
				ErrFetch, c.url, c.nextFetch.Format(time.RFC3339))
		}
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
	}

	keys, err := c.fetch(ctx)
	if err != nil {
		// Only a cache without keys retries early. With keys cached, this fetch was a refetch
		// for an unknown key id, and those stay at one per MinRefreshInterval even when the
		// issuer fails.
		c.nextFetch = now.Add(c.opts.MinRefreshInterval)
		if c.keys == nil {
			c.nextFetch = now.Add(c.opts.RetryInterval)
		}
		return nil, err
	}
	c.keys = keys
	c.nextFetch = now.Add(c.opts.MinRefreshInterval)

	if key, ok := c.keys[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
}

func (c *Cache) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s returned %s", ErrFetch, c.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSetBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrFetch, c.url, err)
	}
	if len(body) > maxSetBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrFetch, c.url, maxSetBytes)
	}
	keys, err := Parse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFetch, c.url, err)
	}
	return keys, nil
}

// jsonKey is the part of a JSON Web Key that Parse reads.
type jsonKey struct {
	KeyType   string `json:"kty"`
	KeyID     string `json:"kid"`
	Use       string `json:"use"`
	Algorithm string `json:"alg"`
	Modulus   string `json:"n"`
	Exponent  string `json:"e"`
}

// Parse returns the RSA signature keys of a JSON Web Key Set by key id. It skips keys of other
// types, uses or algorithms, and rejects a set with no usable key, a key without an id, a
// repeated id or an RSA key shorter than 2048 or longer than 8192 bits.
func Parse(data []byte) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jsonKey `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("invalid key set: %w", err)
	}

	keys := map[string]*rsa.PublicKey{}
	for i, k := range set.Keys {
		if k.KeyType != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != "RS256") {
			continue
		}
		if k.KeyID == "" {
			return nil, fmt.Errorf("key %d has no kid", i)
		}
		if _, dup := keys[k.KeyID]; dup {
			return nil, fmt.Errorf("kid %q appears twice", k.KeyID)
		}
		pub, err := rsaKey(k)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.KeyID, err)
		}
		keys[k.KeyID] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("key set has no RSA signature key")
	}
	return keys, nil
}

func rsaKey(k jsonKey) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.Modulus)
	if err != nil {
		return nil, fmt.Errorf("modulus is not base64url: %w", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.Exponent)
	if err != nil {
		return nil, fmt.Errorf("exponent is not base64url: %w", err)
	}

	modulus := new(big.Int).SetBytes(n)
	if modulus.BitLen() < minKeyBits || modulus.BitLen() > maxKeyBits {
		return nil, fmt.Errorf("modulus has %d bits, want %d to %d", modulus.BitLen(), minKeyBits, maxKeyBits)
	}
	exponent := new(big.Int).SetBytes(e)
	if !exponent.IsInt64() || exponent.Int64() < 3 || exponent.Int64() > 1<<31-1 || exponent.Bit(0) == 0 {
		return nil, fmt.Errorf("exponent %s is not an odd number from 3 to 2^31-1", exponent)
	}
	return &rsa.PublicKey{N: modulus, E: int(exponent.Int64())}, nil
}
