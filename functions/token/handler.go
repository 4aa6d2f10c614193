package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/functions/internal/certcheck"
	"github.com/mtls-api/mtls-api/functions/internal/cognito"
	"github.com/mtls-api/mtls-api/functions/internal/logging"
	"github.com/mtls-api/mtls-api/functions/internal/response"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/oauth"
)

// storeTimeout bounds the certificate lookup, well within the function's timeout, so that a
// slow table yields a 503 response instead of a Lambda timeout.
const storeTimeout = 3 * time.Second

// tokenIssuer requests access tokens, such as a *cognito.Client.
type tokenIssuer interface {
	Token(ctx context.Context, scope string) (oauth.TokenResponse, error)
}

// Handler serves POST /oauth/token: it exchanges a registered, active client certificate for
// an access token of the app client.
type Handler struct {
	// Records returns certificate records.
	Records certcheck.Records
	// Tokens requests tokens from Cognito.
	Tokens tokenIssuer
	// Now returns the current time.
	Now func() time.Time
	// Logger receives one record per request.
	Logger *slog.Logger
}

// failure is a request that ends in an error response.
type failure struct {
	status      int
	code        string // the RFC 6749 error code
	description string // sent to the client
	reason      string // logged, a lowerCamel word
	err         error  // logged, never sent
}

// Handle serves a token request. It never returns an error, because Lambda would turn one
// into a bare 500 without the OAuth body and the Cache-Control header.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	var caller callerIDs
	token, f := h.exchange(ctx, &req, &caller)
	if f != nil {
		h.logFailure(ctx, caller, f)
		return noStore(response.JSON(f.status, oauth.ErrorResponse{Error: f.code, ErrorDescription: f.description})), nil
	}

	h.Logger.InfoContext(ctx, "token issued", logging.KeyOutcome, "issued", logging.KeyStatus, http.StatusOK,
		logging.KeySerialNumber, caller.serial, logging.KeyClientID, caller.clientID)
	return noStore(response.JSON(http.StatusOK, token)), nil
}

// callerIDs are the ids of the caller that a log record names, filled in as they become known.
type callerIDs struct {
	serial   string
	clientID string
}

// exchange runs the steps of a token request and returns the token, or the failure of the
// first step that failed.
func (h *Handler) exchange(ctx context.Context, req *events.APIGatewayV2HTTPRequest, caller *callerIDs) (oauth.TokenResponse, *failure) {
	if f := parseBody(req); f != nil {
		return oauth.TokenResponse{}, f
	}

	cert, err := apigw.FromHTTPRequest(req)
	if err != nil {
		return oauth.TokenResponse{}, &failure{
			status: http.StatusUnauthorized, code: oauth.ErrorInvalidClient,
			description: "a valid client certificate is required", reason: certificateReason(err), err: err,
		}
	}
	caller.serial = cert.SerialNumber

	lookupCtx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	rec, err := certcheck.Check(lookupCtx, h.Records, cert, h.Now())
	if err != nil {
		return oauth.TokenResponse{}, certFailure(err)
	}
	caller.clientID = rec.ClientID

	token, err := h.Tokens.Token(ctx, oauth.Scope)
	if err != nil {
		return oauth.TokenResponse{}, tokenFailure(err)
	}
	return token, nil
}

// certificateReason names why the event's client certificate is unusable, for the log.
func certificateReason(err error) string {
	if errors.Is(err, apigw.ErrNoCertificate) {
		return "noCertificate"
	}
	return "invalidCertificate"
}

// certFailure maps an error of certcheck.Check to a response.
func certFailure(err error) *failure {
	var rejection *certificate.RejectionError
	switch {
	case errors.Is(err, certstore.ErrNotFound):
		return &failure{status: http.StatusNotFound, code: oauth.ErrorInvalidClient,
			description: "the client certificate is not registered", reason: "notRegistered", err: err}
	case errors.As(err, &rejection):
		return &failure{status: http.StatusForbidden, code: oauth.ErrorUnauthorizedClient,
			description: rejectionDescription(rejection.Reason), reason: string(rejection.Reason), err: err}
	case errors.Is(err, certcheck.ErrUnavailable):
		return &failure{status: http.StatusServiceUnavailable, code: oauth.ErrorTemporarilyUnavailable,
			description: "the certificate registry is unavailable, retry later", reason: "storeUnavailable", err: err}
	default:
		return &failure{status: http.StatusInternalServerError, code: oauth.ErrorServerError,
			description: "internal error", reason: "storeError", err: err}
	}
}

// tokenFailure maps an error of the token issuer to a response.
func tokenFailure(err error) *failure {
	switch {
	case errors.Is(err, cognito.ErrTokenEndpoint):
		return &failure{status: http.StatusBadGateway, code: oauth.ErrorServerError,
			description: "the authorization server failed", reason: "tokenEndpoint", err: err}
	case errors.Is(err, cognito.ErrClientSecret):
		return &failure{status: http.StatusInternalServerError, code: oauth.ErrorServerError,
			description: "internal error", reason: "secretUnavailable", err: err}
	default:
		return &failure{status: http.StatusInternalServerError, code: oauth.ErrorServerError,
			description: "internal error", reason: "tokenError", err: err}
	}
}

func rejectionDescription(reason certificate.Reason) string {
	switch reason {
	case certificate.ReasonRevoked:
		return "the client certificate is revoked"
	case certificate.ReasonSuperseded:
		return "the client certificate is superseded by a newer one"
	case certificate.ReasonExpired:
		return "the client certificate is expired"
	case certificate.ReasonNotYetValid:
		return "the client certificate is not yet valid"
	default:
		return "the client certificate does not match its registration"
	}
}

func (h *Handler) logFailure(ctx context.Context, caller callerIDs, f *failure) {
	level := slog.LevelWarn
	if f.status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	attrs := []any{logging.KeyOutcome, "rejected", logging.KeyStatus, f.status, logging.KeyReason, f.reason}
	if caller.serial != "" {
		attrs = append(attrs, logging.KeySerialNumber, caller.serial)
	}
	if caller.clientID != "" {
		attrs = append(attrs, logging.KeyClientID, caller.clientID)
	}
	if f.err != nil {
		attrs = append(attrs, logging.KeyError, f.err.Error())
	}
	h.Logger.Log(ctx, level, "token request rejected", attrs...)
}

// noStore marks a token endpoint response as not cacheable (RFC 6749 sections 5.1 and 5.2).
func noStore(resp events.APIGatewayV2HTTPResponse) events.APIGatewayV2HTTPResponse {
	resp.Headers["Cache-Control"] = "no-store"
	resp.Headers["Pragma"] = "no-cache"
	return resp
}
