package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/shared/certificate"
)

// Invoker invokes one function synchronously: it sends an event payload and returns the
// response payload. The function's own timeout is the invoker's to enforce.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Defaults for the zero values of Options.
const (
	// DefaultIntegrationTimeout is the longest an HTTP API waits for a Lambda integration
	// (30 seconds).
	DefaultIntegrationTimeout = 30 * time.Second
	// MaxBodyBytes is the largest request body an HTTP API accepts (10 MB).
	MaxBodyBytes = 10 * 1024 * 1024
)

// DefaultAPI is the API the events of a local gateway claim to come from.
var DefaultAPI = API{AccountID: "000000000000", APIID: "devstack", Region: "us-east-1"}

// Options configures a Gateway.
type Options struct {
	// Functions are the catalog entries to route; the one marked Authorizer checks jwt
	// routes.
	Functions []catalog.Function
	// Invokers maps each function name of Functions to its invoker.
	Invokers map[string]Invoker
	// API is the account, API id and region that events name. The zero value means DefaultAPI.
	API API
	// IntegrationTimeout bounds each invocation. Zero means DefaultIntegrationTimeout.
	IntegrationTimeout time.Duration
	// Logger receives one line per request. Nil discards.
	Logger *slog.Logger
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Gateway is the HTTP handler of the local API. Serve it over TLS with a config from
// TLSConfig, since events carry the client certificate of the connection.
type Gateway struct {
	router     *Router
	invokers   map[string]Invoker
	authorizer string
	api        API
	timeout    time.Duration
	log        *slog.Logger
	now        func() time.Time
}

// New returns a Gateway for opts. Every routed function and, when a route uses
// catalog.AuthJWT, the authorizer need an invoker.
func New(opts Options) (*Gateway, error) {
	router, err := NewRouter(opts.Functions)
	if err != nil {
		return nil, err
	}

	g := &Gateway{
		router:   router,
		invokers: opts.Invokers,
		api:      opts.API,
		timeout:  opts.IntegrationTimeout,
		log:      opts.Logger,
		now:      opts.Now,
	}
	if g.api == (API{}) {
		g.api = DefaultAPI
	}
	if g.timeout <= 0 {
		g.timeout = DefaultIntegrationTimeout
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}

	needsAuthorizer := false
	for _, f := range opts.Functions {
		if f.Authorizer {
			g.authorizer = f.Name
		}
		for _, r := range f.Routes {
			needsAuthorizer = needsAuthorizer || r.Auth == catalog.AuthJWT
		}
		if (f.Authorizer || len(f.Routes) > 0) && opts.Invokers[f.Name] == nil {
			return nil, fmt.Errorf("gateway: no invoker for function %s", f.Name)
		}
	}
	if needsAuthorizer && g.authorizer == "" {
		return nil, errors.New("gateway: jwt routes need a function marked as authorizer")
	}
	return g, nil
}

// outcome is the result of one request, for its log line.
type outcome struct {
	status int
	reason string
	err    error
}

// ServeHTTP routes r, runs the authorizer for jwt routes and invokes the route's function.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	req := Request{HTTP: r, ID: NewRequestID(), Time: start}
	w.Header().Set("Apigw-Requestid", req.ID)

	out := g.serve(w, &req)

	attrs := []any{
		slog.String("requestId", req.ID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()),
		slog.Int("status", out.status),
		slog.Duration("duration", g.now().Sub(start)),
	}
	if req.Match.Function != "" {
		attrs = append(attrs, slog.String("routeKey", req.Match.Route.Key()))
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		attrs = append(attrs, slog.String("serialNumber", certificate.FormatSerial(r.TLS.PeerCertificates[0].SerialNumber)))
	}
	if out.reason != "" {
		attrs = append(attrs, slog.String("reason", out.reason))
	}
	if out.err != nil {
		attrs = append(attrs, slog.String("error", out.err.Error()))
	}
	g.log.InfoContext(r.Context(), "request", attrs...)
}

func (g *Gateway) serve(w http.ResponseWriter, req *Request) outcome {
	r := req.HTTP
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		// The TLS config requires a client certificate, so only a handler served without it
		// gets here. A mutual TLS custom domain never forwards such a request.
		return fail(w, http.StatusForbidden, "no client certificate", nil)
	}

	match, err := g.router.Match(r.Method, r.URL.EscapedPath())
	var notAllowed *MethodNotAllowedError
	switch {
	case errors.As(err, &notAllowed):
		// An HTTP API route key is a method and a path, so a path routed only for other
		// methods matches no route: API Gateway returns 404, not 405, and sends no Allow header.
		return fail(w, http.StatusNotFound, "no route for the method; the path allows "+strings.Join(notAllowed.Allowed, ", "), nil)
	case err != nil:
		return fail(w, http.StatusNotFound, "no route", nil)
	}
	req.Match = match

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return fail(w, http.StatusRequestEntityTooLarge, "body too large", nil)
	case err != nil:
		return fail(w, http.StatusBadRequest, "body unreadable", err)
	}
	req.Body = body

	var authorizerContext map[string]any
	if match.Route.Auth == catalog.AuthJWT {
		var out *outcome
		authorizerContext, out = g.authorize(w, *req)
		if out != nil {
			return *out
		}
	}

	event := BuildEvent(g.api, *req, authorizerContext)
	payload, err := g.invoke(r.Context(), match.Function, event)
	if err != nil {
		return g.integrationFailure(w, err)
	}
	resp, err := DecodeResponse(payload)
	if err != nil {
		return fail(w, http.StatusInternalServerError, "invalid function response", err)
	}
	resp.Write(w)
	return outcome{status: resp.StatusCode}
}

// authorize runs the Lambda authorizer as API Gateway does with identity source
// $request.header.Authorization and simple responses. It returns the context to pass to the
// route, or, when it already wrote the response, the outcome.
func (g *Gateway) authorize(w http.ResponseWriter, req Request) (map[string]any, *outcome) {
	if req.HTTP.Header.Get("Authorization") == "" {
		out := fail(w, http.StatusUnauthorized, "missing Authorization header", nil)
		return nil, &out
	}

	payload, err := g.invoke(req.HTTP.Context(), g.authorizer, BuildAuthorizerEvent(g.api, req))
	if err != nil {
		out := fail(w, http.StatusInternalServerError, "authorizer failed", err)
		return nil, &out
	}
	var decision events.APIGatewayV2CustomAuthorizerSimpleResponse
	if err := json.Unmarshal(payload, &decision); err != nil {
		out := fail(w, http.StatusInternalServerError, "invalid authorizer response", err)
		return nil, &out
	}
	if !decision.IsAuthorized {
		out := fail(w, http.StatusForbidden, "authorizer denied", nil)
		return nil, &out
	}

	if decision.Context == nil {
		decision.Context = map[string]any{}
	}
	return decision.Context, nil
}

func (g *Gateway) invoke(ctx context.Context, function string, event any) ([]byte, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("encode event for %s: %w", function, err)
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	return g.invokers[function].Invoke(ctx, payload)
}

// integrationFailure writes the response to a failed invocation. A function that errors,
// crashes or exceeds its own timeout is a function error, which API Gateway reports as 500.
// The gateway giving up after IntegrationTimeout is 504.
func (g *Gateway) integrationFailure(w http.ResponseWriter, err error) outcome {
	if errors.Is(err, context.DeadlineExceeded) {
		// NOTE: the status of an HTTP API integration timeout is 504 here; the message body
		// API Gateway sends with it may differ.
		return fail(w, http.StatusGatewayTimeout, "integration timed out", err)
	}
	return fail(w, http.StatusInternalServerError, "function failed", err)
}

func fail(w http.ResponseWriter, status int, reason string, err error) outcome {
	gatewayError(w, status)
	return outcome{status: status, reason: reason, err: err}
}
