package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/mtls-api/mtls-api/functions/internal/accesstoken"
	"github.com/mtls-api/mtls-api/functions/internal/certcheck"
	"github.com/mtls-api/mtls-api/functions/internal/jwks"
	"github.com/mtls-api/mtls-api/functions/internal/logging"
	"github.com/mtls-api/mtls-api/shared/apigw"
	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
)

// DefaultTimeout bounds one authorization when Handler.Timeout is zero. It is below the
// function's 5-second timeout, so a hanging dependency ends in a deny instead of a Lambda
// timeout.
const DefaultTimeout = 3 * time.Second

// maxTokenBytes bounds the bearer token. A Cognito access token is about 1 KiB.
const maxTokenBytes = 8 << 10

// tokenVerifier checks an access token, such as an *accesstoken.Verifier.
type tokenVerifier interface {
	Verify(ctx context.Context, token string) (*accesstoken.Claims, error)
}

// Handler is the Lambda authorizer of the jwt routes (payload format 2.0, simple responses).
// It allows a request only when its bearer token is valid and its client certificate is
// registered and active. Anything else, including a failed dependency, is a deny.
type Handler struct {
	// Verifier checks the access token.
	Verifier tokenVerifier
	// Records returns certificate records.
	Records certcheck.Records
	// Now returns the current time for the certificate check.
	Now func() time.Time
	// Logger receives one record per request.
	Logger *slog.Logger
	// Timeout bounds one authorization. Zero means DefaultTimeout.
	Timeout time.Duration
}

// denial is the reason for a deny.
type denial struct {
	reason string // a lowerCamel word for the log
	err    error
}

// Handle decides on one request. It never returns an error, because Lambda would turn it
// into a 500 response for the client, while every failure must end in a deny.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	allowed, serial, d := h.authorize(ctx, &req)
	if d != nil {
		attrs := []any{logging.KeyOutcome, "deny", logging.KeyReason, d.reason}
		if serial != "" {
			attrs = append(attrs, logging.KeySerialNumber, serial)
		}
		if d.err != nil {
			attrs = append(attrs, logging.KeyError, d.err.Error())
		}
		h.Logger.WarnContext(ctx, "request denied", attrs...)
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	}

	h.Logger.InfoContext(ctx, "request allowed", logging.KeyOutcome, "allow",
		logging.KeySerialNumber, serial, logging.KeyClientID, allowed[apigw.ContextClientID])
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: allowed}, nil
}

// authorize returns the context of an allowed request, or why it is denied. It also returns
// the certificate's serial number once known.
func (h *Handler) authorize(ctx context.Context, req *events.APIGatewayV2CustomAuthorizerV2Request) (map[string]any, string, *denial) {
	token, d := bearerToken(req.Headers)
	if d != nil {
		return nil, "", d
	}
	claims, err := h.Verifier.Verify(ctx, token)
	if err != nil {
		return nil, "", &denial{reason: tokenReason(err), err: err}
	}

	cert, err := apigw.FromAuthorizerRequest(req)
	if err != nil {
		reason := "invalidCertificate"
		if errors.Is(err, apigw.ErrNoCertificate) {
			reason = "noCertificate"
		}
		return nil, "", &denial{reason: reason, err: err}
	}
	rec, err := certcheck.Check(ctx, h.Records, cert, h.Now())
	if err != nil {
		return nil, cert.SerialNumber, &denial{reason: certReason(err), err: err}
	}

	return map[string]any{
		apigw.ContextSerialNumber: cert.SerialNumber,
		apigw.ContextClientID:     rec.ClientID,
		apigw.ContextScope:        claims.Scope,
		apigw.ContextSubjectCN:    cert.CommonName(),
	}, cert.SerialNumber, nil
}

// bearerToken returns the token of an Authorization header of the Bearer scheme (RFC 6750
// section 2.1), whose scheme name is case-insensitive.
func bearerToken(headers map[string]string) (string, *denial) {
	value, ok := apigw.Header(headers, "Authorization")
	if !ok || strings.TrimSpace(value) == "" {
		return "", &denial{reason: "missingToken"}
	}
	scheme, token, found := strings.Cut(strings.TrimSpace(value), " ")
	token = strings.TrimSpace(token)
	switch {
	case !found || !strings.EqualFold(scheme, "Bearer") || token == "":
		return "", &denial{reason: "notBearer"}
	case len(token) > maxTokenBytes || strings.ContainsAny(token, " \t"):
		return "", &denial{reason: "malformedToken"}
	}
	return token, nil
}

// tokenReason names the first reason a token failed, for the log.
func tokenReason(err error) string {
	switch {
	case errors.Is(err, jwks.ErrFetch):
		return "keysUnavailable"
	case errors.Is(err, jwks.ErrUnknownKey), errors.Is(err, accesstoken.ErrKeyID):
		return "unknownKey"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "tokenExpired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "tokenNotYetValid"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "invalidSignature"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrongIssuer"
	case errors.Is(err, accesstoken.ErrTokenUse):
		return "wrongTokenUse"
	case errors.Is(err, accesstoken.ErrClientID):
		return "wrongClientId"
	case errors.Is(err, accesstoken.ErrScope):
		return "missingScope"
	default:
		return "invalidToken"
	}
}

// certReason names why certcheck.Check failed, for the log.
func certReason(err error) string {
	var rejection *certificate.RejectionError
	switch {
	case errors.Is(err, certstore.ErrNotFound):
		return "notRegistered"
	case errors.As(err, &rejection):
		return string(rejection.Reason)
	case errors.Is(err, certcheck.ErrUnavailable):
		return "storeUnavailable"
	default:
		return "storeError"
	}
}
