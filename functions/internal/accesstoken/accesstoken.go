// Package accesstoken verifies Cognito access tokens issued by the client credentials grant:
// an RS256 signature by a key of the user pool's key set, then the claims Cognito documents
// for access tokens (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html).
package accesstoken

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mtls-api/mtls-api/shared/oauth"
)

// DefaultLeeway is the clock skew allowed on exp, nbf and iat when Config.Leeway is zero.
const DefaultLeeway = 30 * time.Second

// Errors for claims that golang-jwt does not check itself. Verify wraps them, and the errors
// of golang-jwt (jwt.ErrTokenExpired and the like), so errors.Is works on both.
var (
	// ErrTokenUse means the token is not an access token, such as an ID token.
	ErrTokenUse = errors.New("accesstoken: token_use is not access")
	// ErrClientID means the token was issued to another app client.
	ErrClientID = errors.New("accesstoken: client_id is not the app client")
	// ErrScope means the token lacks the required scope.
	ErrScope = errors.New("accesstoken: required scope missing")
	// ErrKeyID means the token header has no usable kid.
	ErrKeyID = errors.New("accesstoken: missing or invalid kid header")
)

// KeySource returns the public key with a key id, such as a *jwks.Cache.
type KeySource interface {
	Key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// Config holds the values a token must match.
type Config struct {
	// Issuer is the exact iss claim, the user pool's issuer URL.
	Issuer string
	// ClientID is the exact client_id claim, the app client's id.
	ClientID string
	// Scope must be one of the space-separated values of the scope claim.
	Scope string
	// Leeway is the allowed clock skew. Zero means DefaultLeeway.
	Leeway time.Duration
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Claims are the verified claims a caller uses.
type Claims struct {
	Subject   string
	ClientID  string
	Scope     string
	ExpiresAt time.Time
}

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	keys   KeySource
	config Config
	parser *jwt.Parser
}

// New returns a Verifier of tokens signed by keys and matching config. It returns an error
// when config lacks the issuer, the client id or the scope.
func New(keys KeySource, config Config) (*Verifier, error) {
	if config.Issuer == "" || config.ClientID == "" || config.Scope == "" {
		return nil, errors.New("accesstoken: issuer, client id and scope are required")
	}
	if config.Leeway == 0 {
		config.Leeway = DefaultLeeway
	}
	if config.Now == nil {
		config.Now = time.Now
	}

	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(config.Issuer),
		jwt.WithLeeway(config.Leeway),
		jwt.WithTimeFunc(config.Now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	return &Verifier{keys: keys, config: config, parser: parser}, nil
}

// cognitoClaims are the claims of a Cognito access token that Verify reads.
type cognitoClaims struct {
	jwt.RegisteredClaims
	TokenUse string `json:"token_use"`
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
}

// Verify checks the signature and the claims of token and returns its claims. The returned
// error never contains the token.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	var claims cognitoClaims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			return nil, ErrKeyID
		}
		return v.keys.Key(ctx, kid)
	})
	if err != nil {
		return nil, fmt.Errorf("verify access token: %w", err)
	}

	if claims.TokenUse != oauth.TokenUseAccess {
		return nil, fmt.Errorf("%w: got %q", ErrTokenUse, claims.TokenUse)
	}
	if claims.ClientID != v.config.ClientID {
		return nil, fmt.Errorf("%w: got %q", ErrClientID, claims.ClientID)
	}
	if !slices.Contains(strings.Fields(claims.Scope), v.config.Scope) {
		return nil, fmt.Errorf("%w: want %q, got %q", ErrScope, v.config.Scope, claims.Scope)
	}

	return &Claims{
		Subject:   claims.Subject,
		ClientID:  claims.ClientID,
		Scope:     claims.Scope,
		ExpiresAt: claims.ExpiresAt.UTC(),
	}, nil
}
