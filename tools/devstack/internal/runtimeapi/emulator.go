package runtimeapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors returned by Invoke, wrapped with the function's name. Check them with errors.Is.
var (
	// ErrTimeout means the function did not respond within its timeout. Lambda stops the
	// execution environment after a timeout; the caller should restart the process.
	ErrTimeout = errors.New("runtimeapi: function timed out")
	// ErrExited means the function process exited while an invocation was in flight.
	ErrExited = errors.New("runtimeapi: function process exited during the invocation")
	// ErrPayloadTooLarge means the event or the response exceeds MaxPayloadBytes.
	ErrPayloadTooLarge = errors.New("runtimeapi: payload too large")
	// ErrClosed means the emulator was closed.
	ErrClosed = errors.New("runtimeapi: emulator closed")
)

// MaxPayloadBytes is the largest event or response of a synchronous invocation that Lambda
// accepts (6 MB).
const MaxPayloadBytes = 6 * 1024 * 1024

// DefaultTimeout is Lambda's default function timeout, used when Options.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// Header names of the Runtime API, as aws-lambda-go reads and writes them.
const (
	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMS  = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	HeaderErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody  = "Lambda-Runtime-Function-Error-Body"
	pathPrefix        = "/2018-06-01/runtime/"
	invocationPrefix  = pathPrefix + "invocation/"
	contentTypeJSON   = "application/json"
)

// FunctionError is an error the function reported through /error or /init/error, such as a
// handler that returned an error or panicked.
type FunctionError struct {
	// Type is the errorType the runtime reported, such as "errorString" or
	// "Runtime.ExitError".
	Type string `json:"errorType"`
	// Message is the errorMessage the runtime reported.
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// Options configures an Emulator. The zero value of each field has a documented default.
type Options struct {
	// FunctionName names the function in errors and in the default ARN.
	FunctionName string
	// FunctionARN is sent in Lambda-Runtime-Invoked-Function-Arn. Empty means
	// arn:aws:lambda:us-east-1:000000000000:function:<FunctionName>.
	FunctionARN string
	// Timeout bounds one invocation, from the moment the process takes the event. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// OnTimeout, when set, is called after an invocation timed out, so the caller can restart
	// the process as Lambda does.
	OnTimeout func()
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// Emulator serves the Runtime API of one function and queues its invocations. It is an
// http.Handler; Listen serves it on a local address.
type Emulator struct {
	opts    Options
	queue   chan *invocation
	closed  chan struct{}
	ready   chan struct{}
	onReady sync.Once
	close   sync.Once

	mu        sync.Mutex
	inFlight  map[string]*invocation
	initError *FunctionError
	server    *http.Server
	addr      string
}

type invocation struct {
	id       string
	payload  []byte
	ctx      context.Context
	taken    chan time.Time
	result   chan result
	finished sync.Once

	// Guarded by Emulator.mu.
	takenAt  time.Time
	canceled bool
}

type result struct {
	payload []byte
	err     error
}

func (inv *invocation) finish(r result) {
	inv.finished.Do(func() { inv.result <- r })
}

// New returns an Emulator for the function opts names.
func New(opts Options) *Emulator {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FunctionARN == "" {
		opts.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:" + opts.FunctionName
	}
	return &Emulator{
		opts:     opts,
		queue:    make(chan *invocation),
		closed:   make(chan struct{}),
		ready:    make(chan struct{}),
		inFlight: map[string]*invocation{},
	}
}

// Listen serves the emulator on address, such as "127.0.0.1:0", until Close. The process's
// AWS_LAMBDA_RUNTIME_API is the returned host:port.
func (e *Emulator) Listen(ctx context.Context, address string) (string, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", address)
	if err != nil {
		return "", fmt.Errorf("runtime API of %s: %w", e.opts.FunctionName, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}

	e.mu.Lock()
	e.server, e.addr = srv, l.Addr().String()
	e.mu.Unlock()

	go func() { _ = srv.Serve(l) }()
	return l.Addr().String(), nil
}

// Addr returns the address Listen serves on, or "" before Listen.
func (e *Emulator) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addr
}

// Ready is closed when a runtime first requests an invocation, which means the process
// started and initialized.
func (e *Emulator) Ready() <-chan struct{} { return e.ready }

// InitError returns the last error a runtime posted to /init/error, or nil.
func (e *Emulator) InitError() *FunctionError {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.initError
}

// Close stops serving and fails queued and in-flight invocations with ErrClosed. Stop the
// function process first: a runtime that loses the API exits with an error.
func (e *Emulator) Close() error {
	e.close.Do(func() { close(e.closed) })
	e.Abort(ErrClosed)

	e.mu.Lock()
	srv := e.server
	e.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Abort fails every in-flight invocation with cause, such as ErrExited after the process
// died. Queued invocations stay queued for the next process.
func (e *Emulator) Abort(cause error) {
	e.mu.Lock()
	aborted := e.inFlight
	e.inFlight = map[string]*invocation{}
	e.mu.Unlock()

	for _, inv := range aborted {
		inv.finish(result{err: fmt.Errorf("invoke %s (request %s): %w", e.opts.FunctionName, inv.id, cause)})
	}
}

// Invoke sends payload to the function and returns its response payload. It waits until the
// process takes the event (bounded by ctx and the function's timeout, so a stuck or crashing
// process cannot block the caller), then until the process responds, at most the function's
// timeout. A function that reports an error returns a *FunctionError.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	name := e.opts.FunctionName
	if len(payload) > MaxPayloadBytes {
		return nil, fmt.Errorf("invoke %s: event of %d bytes exceeds %d: %w", name, len(payload), MaxPayloadBytes, ErrPayloadTooLarge)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inv := &invocation{
		id:      newRequestID(),
		payload: payload,
		ctx:     ctx,
		taken:   make(chan time.Time, 1),
		result:  make(chan result, 1),
	}

	pickup := time.NewTimer(e.opts.Timeout)
	defer pickup.Stop()
	select {
	case e.queue <- inv:
	case <-pickup.C:
		return nil, fmt.Errorf("invoke %s: no runtime took the event within %s: %w", name, e.opts.Timeout, ErrTimeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: %w", name, context.Cause(ctx))
	case <-e.closed:
		return nil, fmt.Errorf("invoke %s: %w", name, ErrClosed)
	}

	var takenAt time.Time
	select {
	case takenAt = <-inv.taken:
	case <-ctx.Done():
		e.cancel(inv)
		return nil, fmt.Errorf("invoke %s (request %s): %w", name, inv.id, context.Cause(ctx))
	}
	deadline := time.NewTimer(e.opts.Timeout - e.opts.Now().Sub(takenAt))
	defer deadline.Stop()
	select {
	case r := <-inv.result:
		return r.payload, r.err
	case <-deadline.C:
		e.forget(inv.id)
		if e.opts.OnTimeout != nil {
			e.opts.OnTimeout()
		}
		return nil, fmt.Errorf("invoke %s (request %s): no response within %s: %w", name, inv.id, e.opts.Timeout, ErrTimeout)
	case <-ctx.Done():
		e.abandon(inv, takenAt)
		return nil, fmt.Errorf("invoke %s (request %s): %w", name, inv.id, context.Cause(ctx))
	}
}

// cancel withdraws an invocation whose caller gave up before the process took it. When the
// process took it in the meantime, the invocation runs on as abandon describes.
func (e *Emulator) cancel(inv *invocation) {
	e.mu.Lock()
	_, dispatched := e.inFlight[inv.id]
	inv.canceled = !dispatched
	takenAt := inv.takenAt
	e.mu.Unlock()

	if dispatched {
		e.abandon(inv, takenAt)
	}
}

// abandon lets an invocation whose caller gave up run on until its deadline, as Lambda does,
// so that its late response is accepted rather than rejected. Once the deadline passes
// without a response, the invocation timed out.
func (e *Emulator) abandon(inv *invocation, takenAt time.Time) {
	remaining := max(e.opts.Timeout-e.opts.Now().Sub(takenAt), 0)
	time.AfterFunc(remaining, func() {
		if _, ok := e.take(inv.id); ok && e.opts.OnTimeout != nil {
			e.opts.OnTimeout()
		}
	})
}

func (e *Emulator) forget(id string) {
	e.mu.Lock()
	delete(e.inFlight, id)
	e.mu.Unlock()
}

func (e *Emulator) take(id string) (*invocation, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv, ok := e.inFlight[id]
	delete(e.inFlight, id)
	return inv, ok
}

// ServeHTTP implements the Runtime API's routes.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == invocationPrefix+"next" && r.Method == http.MethodGet:
		e.next(w, r)
	case path == pathPrefix+"init/error" && r.Method == http.MethodPost:
		e.postInitError(w, r)
	case strings.HasPrefix(path, invocationPrefix) && r.Method == http.MethodPost:
		id, kind, ok := strings.Cut(strings.TrimPrefix(path, invocationPrefix), "/")
		switch {
		case ok && kind == "response":
			e.postResponse(w, r, id)
		case ok && kind == "error":
			e.postError(w, r, id)
		default:
			writeStatus(w, http.StatusNotFound, "InvalidRequest", "unknown path "+path)
		}
	default:
		writeStatus(w, http.StatusNotFound, "InvalidRequest", "unknown path "+r.Method+" "+path)
	}
}

func (e *Emulator) next(w http.ResponseWriter, r *http.Request) {
	e.onReady.Do(func() { close(e.ready) })

	for {
		var inv *invocation
		select {
		case inv = <-e.queue:
		case <-r.Context().Done():
			return
		case <-e.closed:
			writeStatus(w, http.StatusGone, "EmulatorClosed", "the runtime API is shutting down")
			return
		}
		// The caller may have given up while the event waited in the queue.
		takenAt := e.opts.Now()
		e.mu.Lock()
		if inv.canceled || inv.ctx.Err() != nil {
			e.mu.Unlock()
			continue
		}
		inv.takenAt = takenAt
		e.inFlight[inv.id] = inv
		e.mu.Unlock()
		inv.taken <- takenAt

		deadline := takenAt.Add(e.opts.Timeout)
		h := w.Header()
		h.Set(HeaderRequestID, inv.id)
		h.Set(HeaderDeadlineMS, strconv.FormatInt(deadline.UnixMilli(), 10))
		h.Set(HeaderFunctionARN, e.opts.FunctionARN)
		h.Set(HeaderTraceID, traceID(takenAt))
		h.Set("Content-Type", contentTypeJSON)
		w.WriteHeader(http.StatusOK)
		if _, err := w.Write(inv.payload); err != nil {
			if taken, ok := e.take(inv.id); ok {
				taken.finish(result{err: fmt.Errorf("invoke %s (request %s): send event: %w", e.opts.FunctionName, inv.id, err)})
			}
		}
		return
	}
}

func (e *Emulator) postResponse(w http.ResponseWriter, r *http.Request, id string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes+1))
	inv, ok := e.take(id)
	if !ok {
		writeStatus(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with request id "+id)
		return
	}
	name := e.opts.FunctionName

	switch {
	case err != nil:
		inv.finish(result{err: fmt.Errorf("invoke %s (request %s): read response: %w", name, id, err)})
		writeStatus(w, http.StatusBadRequest, "InvalidResponse", "response body unreadable")
	case len(body) > MaxPayloadBytes:
		inv.finish(result{err: fmt.Errorf("invoke %s (request %s): response exceeds %d bytes: %w", name, id, MaxPayloadBytes, ErrPayloadTooLarge)})
		writeStatus(w, http.StatusRequestEntityTooLarge, "Function.ResponseSizeTooLarge", "response exceeds the maximum payload size")
	case r.Trailer.Get(trailerErrorType) != "":
		// aws-lambda-go streams the response and, when the handler's reader fails midway,
		// reports the error in trailers instead of posting to /error.
		inv.finish(result{err: trailerError(r.Trailer)})
		w.WriteHeader(http.StatusAccepted)
	default:
		inv.finish(result{payload: body})
		writeAccepted(w)
	}
}

func (e *Emulator) postError(w http.ResponseWriter, r *http.Request, id string) {
	fe := readFunctionError(r)
	inv, ok := e.take(id)
	if !ok {
		writeStatus(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with request id "+id)
		return
	}
	inv.finish(result{err: fe})
	writeAccepted(w)
}

func (e *Emulator) postInitError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	e.mu.Lock()
	e.initError = fe
	e.mu.Unlock()
	writeAccepted(w)
}

// trailerError returns the error that aws-lambda-go reports in the trailers of a streamed
// response: its type in Lambda-Runtime-Function-Error-Type, and the base64 of the JSON error
// document in Lambda-Runtime-Function-Error-Body. For a body that does not decode, the
// message states that the body was invalid.
func trailerError(trailer http.Header) *FunctionError {
	fe := &FunctionError{}
	doc, err := base64.StdEncoding.DecodeString(trailer.Get(trailerErrorBody))
	if err != nil || json.Unmarshal(doc, fe) != nil || fe.Message == "" {
		fe.Message = "response stream failed; the error body trailer is missing or invalid"
	}
	fe.Type = trailer.Get(trailerErrorType)
	return fe
}

// readFunctionError reads the error document of /error and /init/error. The optional
// Lambda-Runtime-Function-Error-Type header, when sent, names the type. A body that is not
// the documented JSON becomes the message, so that none of the function's output is lost.
func readFunctionError(r *http.Request) *FunctionError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes))
	fe := &FunctionError{}
	if err := json.Unmarshal(body, fe); err != nil {
		fe = &FunctionError{Message: strings.TrimSpace(string(body))}
	}
	if t := r.Header.Get(HeaderErrorType); t != "" {
		fe.Type = t
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeStatus(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": errorType, "errorMessage": message})
}

// newRequestID returns a random version 4 UUID, the form of Lambda request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// traceID returns an X-Ray trace header in the form Lambda sends, with the epoch seconds of
// now and 96 random bits.
func traceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x;Sampled=0", now.Unix(), b)
}
