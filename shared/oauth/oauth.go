// Package oauth holds the OAuth 2.0 names and bodies shared by the token function, the
// authorizer, the Cognito resources and the local Cognito stand-in.
package oauth

// The resource server and scope that protected routes require. Cognito names a custom scope
// "<resource server identifier>/<scope name>".
const (
	ResourceServerIdentifier = "mtls-api"
	ScopeName                = "access"
	Scope                    = ResourceServerIdentifier + "/" + ScopeName
)

// GrantClientCredentials is the only grant type the token endpoint accepts (RFC 6749
// section 4.4).
const GrantClientCredentials = "client_credentials"

// Error codes of RFC 6749 section 5.2, and the two this API adds for server-side failures
// (RFC 6749 section 4.1.2.1 defines server_error and temporarily_unavailable).
const (
	ErrorInvalidRequest         = "invalid_request"
	ErrorInvalidClient          = "invalid_client"
	ErrorInvalidGrant           = "invalid_grant"
	ErrorUnauthorizedClient     = "unauthorized_client"
	ErrorUnsupportedGrantType   = "unsupported_grant_type"
	ErrorInvalidScope           = "invalid_scope"
	ErrorServerError            = "server_error"
	ErrorTemporarilyUnavailable = "temporarily_unavailable"
)

// TokenResponse is a successful token response (RFC 6749 section 5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// ErrorResponse is an error response (RFC 6749 section 5.2).
type ErrorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// AccessTokenClaims are the claims of a Cognito access token issued for the client
// credentials grant. The local stand-in issues exactly these.
type AccessTokenClaims struct {
	Subject   string `json:"sub"`
	TokenUse  string `json:"token_use"`
	Scope     string `json:"scope"`
	AuthTime  int64  `json:"auth_time"`
	Issuer    string `json:"iss"`
	ExpiresAt int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	Version   int    `json:"version"`
	JWTID     string `json:"jti"`
	ClientID  string `json:"client_id"`
}

// TokenUseAccess is the token_use claim of an access token.
const TokenUseAccess = "access"
