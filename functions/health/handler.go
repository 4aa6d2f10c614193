package main

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/functions/internal/logging"
	"github.com/mtls-api/mtls-api/functions/internal/response"
	"github.com/mtls-api/mtls-api/shared/apigw"
)

// Handler serves GET /health.
type Handler struct {
	// Version is the build version reported in the body.
	Version string
	// Now returns the current time.
	Now func() time.Time
}

// Body is the JSON body of a health response.
type Body struct {
	Status      string           `json:"status"`
	Version     string           `json:"version"`
	Time        time.Time        `json:"time"`
	Certificate *CertificateBody `json:"certificate,omitempty"`
	Authorizer  *AuthorizerBody  `json:"authorizer,omitempty"`
}

// CertificateBody describes the caller's client certificate, parsed from its PEM.
type CertificateBody struct {
	SerialNumber string      `json:"serialNumber"`
	Subject      SubjectBody `json:"subject"`
	SubjectDN    string      `json:"subjectDN"`
	IssuerDN     string      `json:"issuerDN"`
	NotBefore    time.Time   `json:"notBefore"`
	NotAfter     time.Time   `json:"notAfter"`
	// DaysToExpiry is the number of whole days until NotAfter, negative once expired.
	DaysToExpiry int `json:"daysToExpiry"`
}

// SubjectBody holds the subject's attributes.
type SubjectBody struct {
	CommonName         string   `json:"commonName"`
	Organization       []string `json:"organization,omitempty"`
	OrganizationalUnit []string `json:"organizationalUnit,omitempty"`
	Locality           []string `json:"locality,omitempty"`
	Province           []string `json:"province,omitempty"`
	Country            []string `json:"country,omitempty"`
}

// AuthorizerBody holds the context values the authorizer passed for the caller.
type AuthorizerBody struct {
	ClientID string `json:"clientId"`
	Scope    string `json:"scope"`
}

// Handle returns 200 with the status, the build version, the time, the caller's certificate
// and the authorizer's context. A request without a certificate gets the body without it.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	now := h.Now().UTC()
	body := Body{Status: "ok", Version: h.Version, Time: now}

	cert, err := apigw.FromHTTPRequest(&req)
	switch {
	case err == nil:
		body.Certificate = describe(cert, now)
	case errors.Is(err, apigw.ErrNoCertificate):
	default:
		// The authorizer has parsed this certificate already, so this is unexpected but not a
		// reason to fail a health check.
		slog.WarnContext(ctx, "invalid client certificate", logging.KeyError, err)
	}

	authorizer := apigw.AuthorizerContext(&req)
	if id, scope := authorizer[apigw.ContextClientID], authorizer[apigw.ContextScope]; id != "" || scope != "" {
		body.Authorizer = &AuthorizerBody{ClientID: id, Scope: scope}
	}

	return response.JSON(http.StatusOK, body), nil
}

func describe(cert *apigw.ClientCert, now time.Time) *CertificateBody {
	c := cert.Certificate
	return &CertificateBody{
		SerialNumber: cert.SerialNumber,
		Subject: SubjectBody{
			CommonName:         c.Subject.CommonName,
			Organization:       c.Subject.Organization,
			OrganizationalUnit: c.Subject.OrganizationalUnit,
			Locality:           c.Subject.Locality,
			Province:           c.Subject.Province,
			Country:            c.Subject.Country,
		},
		SubjectDN:    c.Subject.String(),
		IssuerDN:     c.Issuer.String(),
		NotBefore:    c.NotBefore.UTC(),
		NotAfter:     c.NotAfter.UTC(),
		DaysToExpiry: int(math.Floor(c.NotAfter.Sub(now).Hours() / 24)),
	}
}
