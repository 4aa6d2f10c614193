package main

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

// maxBodyBytes bounds the decoded request body. A client credentials request is a few dozen
// bytes.
const maxBodyBytes = 16 << 10

// parseBody checks the optional form body of a token request (RFC 6749 section 4.4.2). A
// missing body or grant_type means client_credentials, the only grant; a scope, when present,
// may name only oauth.Scope. It returns nil or a 400 failure.
func parseBody(req *events.APIGatewayV2HTTPRequest) *failure {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return badRequest(oauth.ErrorInvalidRequest, "body is not valid base64", "invalidBase64")
		}
		body = decoded
	}
	if len(body) > maxBodyBytes {
		return badRequest(oauth.ErrorInvalidRequest, "body is too large", "bodyTooLarge")
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil
	}

	contentType, _ := apigw.Header(req.Headers, "Content-Type")
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return badRequest(oauth.ErrorInvalidRequest, "Content-Type must be application/x-www-form-urlencoded", "contentType")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badRequest(oauth.ErrorInvalidRequest, "body is not a valid form", "malformedForm")
	}
	// RFC 6749 section 3.2: request parameters must not be included more than once.
	for name, values := range form {
		if len(values) > 1 {
			return badRequest(oauth.ErrorInvalidRequest, "parameter "+name+" is repeated", "repeatedParameter")
		}
	}

	if grant := form.Get("grant_type"); form.Has("grant_type") && grant != oauth.GrantClientCredentials {
		return badRequest(oauth.ErrorUnsupportedGrantType, "grant_type must be client_credentials", "unsupportedGrantType")
	}
	if form.Has("scope") {
		scopes := strings.Fields(form.Get("scope"))
		if len(scopes) == 0 || slices.ContainsFunc(scopes, func(s string) bool { return s != oauth.Scope }) {
			return badRequest(oauth.ErrorInvalidScope, "the only scope is "+oauth.Scope, "invalidScope")
		}
	}
	return nil
}

func badRequest(code, description, reason string) *failure {
	return &failure{status: http.StatusBadRequest, code: code, description: description, reason: reason}
}
