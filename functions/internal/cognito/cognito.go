// Package cognito requests access tokens from a Cognito user pool's token endpoint with the
// client credentials grant
// (https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html).
package cognito

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mtls-api/mtls-api/shared/oauth"
)

// DefaultTimeout bounds one call of Client.Token when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// maxResponseBytes bounds the token endpoint's response body. A Cognito access token is
// about 1 KiB.
const maxResponseBytes = 64 << 10

// Errors returned by Client.Token. Check them with errors.Is.
var (
	// ErrTokenEndpoint means the token endpoint could not be reached, returned an error, or
	// returned a response that is not a usable token.
	ErrTokenEndpoint = errors.New("cognito: token endpoint failed")
	// ErrClientSecret means the app client's secret could not be read, such as when Secrets
	// Manager fails or does not respond within the timeout.
	ErrClientSecret = errors.New("cognito: read client secret")
)

// SecretSource returns the app client's secret.
type SecretSource interface {
	Value(ctx context.Context) (string, error)
}

// Config configures a Client.
type Config struct {
	// TokenURL is the token endpoint, such as
	// https://example.auth.eu-west-1.amazoncognito.com/oauth2/token.
	TokenURL string
	// ClientID is the app client's id.
	ClientID string
	// Secret returns the app client's secret.
	Secret SecretSource
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds one call of Token, the secret read included, on top of any deadline of
	// the caller's context. Zero means DefaultTimeout.
	Timeout time.Duration
}

// Client requests tokens for one app client.
type Client struct {
	config Config
}

// New returns a Client for config. It returns an error when the token URL is not an absolute
// http or https URL or the client id or secret source is missing.
func New(config Config) (*Client, error) {
	u, err := url.Parse(config.TokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("cognito: invalid token URL %q, expected https://<domain>/oauth2/token", config.TokenURL)
	}
	if config.ClientID == "" || config.Secret == nil {
		return nil, errors.New("cognito: client id and secret are required")
	}
	if config.HTTPClient == nil {
		config.HTTPClient = http.DefaultClient
	}
	if config.Timeout <= 0 {
		config.Timeout = DefaultTimeout
	}
	return &Client{config: config}, nil
}

// Token requests an access token for scope. The timeout bounds the secret read and the
// token request together, so a hanging Secrets Manager cannot outlast it either. A failed
// secret read wraps ErrClientSecret and the secret source's error; every failure of the token
// endpoint wraps ErrTokenEndpoint. No error contains the secret or a token.
func (c *Client) Token(ctx context.Context, scope string) (oauth.TokenResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.config.Timeout)
	defer cancel()

	secret, err := c.config.Secret.Value(ctx)
	if err != nil {
		return oauth.TokenResponse{}, fmt.Errorf("%w: %w", ErrClientSecret, err)
	}

	form := url.Values{"grant_type": {oauth.GrantClientCredentials}, "scope": {scope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.config.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return oauth.TokenResponse{}, fmt.Errorf("%w: %w", ErrTokenEndpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", basicAuth(c.config.ClientID, secret))

	resp, err := c.config.HTTPClient.Do(req)
	if err != nil {
		return oauth.TokenResponse{}, fmt.Errorf("%w: %w", ErrTokenEndpoint, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return oauth.TokenResponse{}, fmt.Errorf("%w: read response: %w", ErrTokenEndpoint, err)
	}
	if len(body) > maxResponseBytes {
		return oauth.TokenResponse{}, fmt.Errorf("%w: response larger than %d bytes", ErrTokenEndpoint, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return oauth.TokenResponse{}, fmt.Errorf("%w: %s", ErrTokenEndpoint, describeError(resp.StatusCode, body))
	}
	return decodeToken(body)
}

// basicAuth returns the Authorization header of RFC 6749 section 2.3.1: the id and secret are
// form-urlencoded first, then joined by a colon and base64-encoded.
func basicAuth(id, secret string) string {
	pair := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(pair))
}

// describeError names the status and the OAuth error code of an error response, leaving out
// the rest of the body.
func describeError(status int, body []byte) string {
	var e oauth.ErrorResponse
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return fmt.Sprintf("status %d, error %q", status, e.Error)
	}
	return fmt.Sprintf("status %d", status)
}

func decodeToken(body []byte) (oauth.TokenResponse, error) {
	var t oauth.TokenResponse
	if err := json.Unmarshal(body, &t); err != nil {
		return oauth.TokenResponse{}, fmt.Errorf("%w: response is not a token response JSON object", ErrTokenEndpoint)
	}
	switch {
	case t.AccessToken == "":
		return oauth.TokenResponse{}, fmt.Errorf("%w: response has no access_token", ErrTokenEndpoint)
	case !strings.EqualFold(t.TokenType, "Bearer"):
		return oauth.TokenResponse{}, fmt.Errorf("%w: token_type %q, expected Bearer", ErrTokenEndpoint, t.TokenType)
	case t.ExpiresIn <= 0:
		return oauth.TokenResponse{}, fmt.Errorf("%w: expires_in %d is not positive", ErrTokenEndpoint, t.ExpiresIn)
	}
	t.TokenType = "Bearer"
	return t, nil
}
