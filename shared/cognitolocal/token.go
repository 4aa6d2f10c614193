package cognitolocal

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mtls-api/mtls-api/shared/oauth"
)

// maxFormBytes bounds the request body of the token endpoint.
const maxFormBytes = 64 << 10

// tokenError is an error response of the token endpoint.
type tokenError struct {
	status      int
	code        string
	description string
}

// serveToken implements the client credentials grant of the Cognito token endpoint
// (https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html).
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	// RFC 6749 section 5.1: token responses must not be cached.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")

	resp, tErr := p.issue(r)
	if tErr != nil {
		writeTokenError(w, tErr)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(resp)
}

func (p *Provider) issue(r *http.Request) (*oauth.TokenResponse, *tokenError) {
	if r.Method != http.MethodPost {
		return nil, &tokenError{http.StatusMethodNotAllowed, oauth.ErrorInvalidRequest, "use POST"}
	}
	form, tErr := readForm(r)
	if tErr != nil {
		return nil, tErr
	}

	clientID, tErr := p.authenticate(r, form)
	if tErr != nil {
		return nil, tErr
	}

	grant := form.Get("grant_type")
	switch {
	case grant == "":
		return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidRequest, "missing grant_type"}
	case grant != oauth.GrantClientCredentials:
		return nil, &tokenError{http.StatusBadRequest, oauth.ErrorUnsupportedGrantType, ""}
	}

	scopes, tErr := p.grantedScopes(clientID, form)
	if tErr != nil {
		return nil, tErr
	}

	token, err := p.Sign(p.NewClaims(clientID, scopes))
	if err != nil {
		return nil, &tokenError{http.StatusInternalServerError, oauth.ErrorServerError, ""}
	}
	return &oauth.TokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int(p.lifetime.Seconds()),
	}, nil
}

// readForm reads the form-encoded body. RFC 6749 section 3.2 forbids repeated parameters.
func readForm(r *http.Request) (url.Values, *tokenError) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidRequest,
			"Content-Type must be application/x-www-form-urlencoded"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil || len(body) > maxFormBytes {
		return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidRequest, "unreadable or oversized body"}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidRequest, "malformed form body"}
	}
	for name, values := range form {
		if len(values) > 1 {
			return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidRequest, "repeated parameter " + name}
		}
	}
	return form, nil
}

// authenticate returns the id of the client that sent r, authenticated by HTTP Basic or by
// client_id and client_secret in the body (RFC 6749 section 2.3.1). A client that used Basic
// and failed gets 401 with a challenge, any other failure 400, as RFC 6749 section 5.2 requires.
func (p *Provider) authenticate(r *http.Request, form url.Values) (string, *tokenError) {
	user, pass, basic := r.Header.Get("Authorization"), "", false
	if user != "" {
		var ok bool
		if user, pass, ok = r.BasicAuth(); !ok {
			return "", &tokenError{http.StatusUnauthorized, oauth.ErrorInvalidClient, "malformed Basic authorization"}
		}
		basic = true
	}

	switch {
	case basic:
		// Section 2.3.1: the id and secret are form-urlencoded before Basic encoding.
		id, errID := url.QueryUnescape(user)
		secret, errSecret := url.QueryUnescape(pass)
		if errID != nil || errSecret != nil {
			return "", &tokenError{http.StatusUnauthorized, oauth.ErrorInvalidClient, "malformed Basic authorization"}
		}
		// A client_id in the body may repeat the Basic one, as Cognito allows; a second
		// secret would be a second authentication method.
		if form.Has("client_secret") || form.Has("client_id") && form.Get("client_id") != id {
			return "", &tokenError{http.StatusBadRequest, oauth.ErrorInvalidRequest, "use one client authentication method"}
		}
		return p.checkSecret(id, secret, http.StatusUnauthorized)
	case form.Has("client_id"):
		return p.checkSecret(form.Get("client_id"), form.Get("client_secret"), http.StatusBadRequest)
	default:
		return "", &tokenError{http.StatusBadRequest, oauth.ErrorInvalidClient, "missing client authentication"}
	}
}

func (p *Provider) checkSecret(id, secret string, status int) (string, *tokenError) {
	c, ok := p.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return "", &tokenError{status, oauth.ErrorInvalidClient, ""}
	}
	return id, nil
}

// grantedScopes returns the requested scopes, or all of the client's scopes when the request
// names none. Every requested scope must be one of the client's.
func (p *Provider) grantedScopes(clientID string, form url.Values) ([]string, *tokenError) {
	allowed := p.clients[clientID].Scopes
	if !form.Has("scope") {
		if len(allowed) == 0 {
			return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidScope, "client has no scopes"}
		}
		return allowed, nil
	}

	requested := strings.Fields(form.Get("scope"))
	if len(requested) == 0 {
		return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidScope, "empty scope"}
	}
	var granted []string
	for _, s := range requested {
		if !slices.Contains(allowed, s) {
			return nil, &tokenError{http.StatusBadRequest, oauth.ErrorInvalidScope, ""}
		}
		if !slices.Contains(granted, s) {
			granted = append(granted, s)
		}
	}
	return granted, nil
}

func writeTokenError(w http.ResponseWriter, e *tokenError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="cognitolocal"`)
	}
	if e.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(oauth.ErrorResponse{Error: e.code, ErrorDescription: e.description})
}
