package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mtls-api/mtls-api/tools/devstack/internal/runtimeapi"
)

// handlerVariable selects the handler the test binary runs when it is started as a function
// process by startFunction.
const handlerVariable = "RUNTIMEAPI_TEST_HANDLER"

func TestMain(m *testing.M) {
	if name := os.Getenv(handlerVariable); name != "" {
		runHandler(name)
		return
	}
	os.Exit(m.Run())
}

// invocationInfo is what the "context" handler returns about its invocation.
type invocationInfo struct {
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"`
	DeadlineMS  int64  `json:"deadlineMs"`
}

// runHandler runs a real aws-lambda-go runtime loop against AWS_LAMBDA_RUNTIME_API.
func runHandler(name string) {
	switch name {
	case "echo":
		lambda.Start(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	case "context":
		lambda.Start(func(ctx context.Context, _ json.RawMessage) (invocationInfo, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			deadline, _ := ctx.Deadline()
			return invocationInfo{RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, DeadlineMS: deadline.UnixMilli()}, nil
		})
	case "error":
		lambda.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("table unavailable")
		})
	case "stream-error":
		lambda.Start(func(context.Context, json.RawMessage) (io.Reader, error) {
			return io.MultiReader(strings.NewReader(`{"partial":`), iotest.ErrReader(errors.New("disk gone"))), nil
		})
	case "panic":
		lambda.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) { panic("handler bug") })
	case "exit":
		lambda.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) {
			os.Exit(3)
			return nil, nil
		})
	case "hang":
		lambda.Start(func(context.Context, json.RawMessage) (json.RawMessage, error) {
			time.Sleep(time.Minute)
			return nil, nil
		})
	default:
		fmt.Fprintf(os.Stderr, "unknown handler %q\n", name)
		os.Exit(2)
	}
}

// startFunction starts the test binary as a function process running handler against emu,
// aborts emu's in-flight invocations when the process exits, and kills it when the test ends.
func startFunction(t *testing.T, emu *runtimeapi.Emulator, handler string) *exec.Cmd {
	t.Helper()

	addr, err := emu.Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), handlerVariable+"="+handler, "AWS_LAMBDA_RUNTIME_API="+addr)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		emu.Abort(fmt.Errorf("%w: %w", runtimeapi.ErrExited, err))
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("function output:\n%s", output.String())
		}
	})

	select {
	case <-emu.Ready():
	case <-exited:
		t.Fatalf("function %s exited before asking for an invocation", handler)
	case <-time.After(30 * time.Second):
		t.Fatalf("function %s did not ask for an invocation within 30s", handler)
	}
	return cmd
}

func TestInvokeEcho(t *testing.T) {
	emu := runtimeapi.New(runtimeapi.Options{FunctionName: "echo", Timeout: 10 * time.Second})
	startFunction(t, emu, "echo")

	for _, payload := range []string{`{"a":1}`, `"text"`, `[1,2,3]`} {
		got, err := emu.Invoke(t.Context(), []byte(payload))
		if err != nil {
			t.Fatalf("Invoke(%s) = %v, want no error", payload, err)
		}
		if string(got) != payload {
			t.Errorf("Invoke(%s) = %s, want %s", payload, got, payload)
		}
	}
}

func TestInvokeSetsContext(t *testing.T) {
	now := time.Now()
	emu := runtimeapi.New(runtimeapi.Options{
		FunctionName: "context",
		Timeout:      7 * time.Second,
		Now:          func() time.Time { return now },
	})
	startFunction(t, emu, "context")

	out, err := emu.Invoke(t.Context(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	var info invocationInfo
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}

	if len(info.RequestID) != 36 || strings.Count(info.RequestID, "-") != 4 {
		t.Errorf("request id = %q, want a UUID", info.RequestID)
	}
	if want := "arn:aws:lambda:us-east-1:000000000000:function:context"; info.FunctionARN != want {
		t.Errorf("function ARN = %q, want %q", info.FunctionARN, want)
	}
	if want := now.Add(7 * time.Second).UnixMilli(); info.DeadlineMS != want {
		t.Errorf("deadline = %d, want %d", info.DeadlineMS, want)
	}
}

func TestInvokeFailures(t *testing.T) {
	tests := []struct {
		name        string
		handler     string
		wantIs      error
		wantType    string
		wantMessage string
	}{
		{name: "handler error", handler: "error", wantType: "errorString", wantMessage: "table unavailable"},
		{name: "handler panic", handler: "panic", wantType: "string", wantMessage: "handler bug"},
		{name: "response stream fails", handler: "stream-error", wantType: "errorString", wantMessage: "disk gone"},
		{name: "process exits", handler: "exit", wantIs: runtimeapi.ErrExited},
		{name: "handler hangs", handler: "hang", wantIs: runtimeapi.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var timeouts atomic.Int32
			emu := runtimeapi.New(runtimeapi.Options{
				FunctionName: tt.handler,
				Timeout:      2 * time.Second,
				OnTimeout:    func() { timeouts.Add(1) },
			})
			startFunction(t, emu, tt.handler)

			_, err := emu.Invoke(t.Context(), []byte(`{}`))

			if tt.wantIs != nil {
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("Invoke() = %v, want %v", err, tt.wantIs)
				}
			} else {
				var fe *runtimeapi.FunctionError
				if !errors.As(err, &fe) {
					t.Fatalf("Invoke() = %v, want a *FunctionError", err)
				}
				if fe.Type != tt.wantType {
					t.Errorf("error type = %q, want %q", fe.Type, tt.wantType)
				}
				if fe.Message != tt.wantMessage {
					t.Errorf("error message = %q, want %q", fe.Message, tt.wantMessage)
				}
			}

			wantTimeouts := int32(0)
			if errors.Is(tt.wantIs, runtimeapi.ErrTimeout) {
				wantTimeouts = 1
			}
			if got := timeouts.Load(); got != wantTimeouts {
				t.Errorf("OnTimeout calls = %d, want %d", got, wantTimeouts)
			}
		})
	}
}

func TestInvokeWithoutRuntime(t *testing.T) {
	emu := runtimeapi.New(runtimeapi.Options{FunctionName: "absent", Timeout: 100 * time.Millisecond})
	if _, err := emu.Listen(t.Context(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })

	_, err := emu.Invoke(t.Context(), []byte(`{}`))
	if !errors.Is(err, runtimeapi.ErrTimeout) {
		t.Errorf("Invoke() = %v, want %v", err, runtimeapi.ErrTimeout)
	}
}

func TestInvokeCanceled(t *testing.T) {
	emu := runtimeapi.New(runtimeapi.Options{FunctionName: "hang", Timeout: 20 * time.Second})
	startFunction(t, emu, "hang")

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := emu.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke() = %v, want %v", err, context.DeadlineExceeded)
	}
}

func TestInvokePayloadTooLarge(t *testing.T) {
	emu := runtimeapi.New(runtimeapi.Options{FunctionName: "big"})
	_, err := emu.Invoke(t.Context(), bytes.Repeat([]byte("a"), runtimeapi.MaxPayloadBytes+1))
	if !errors.Is(err, runtimeapi.ErrPayloadTooLarge) {
		t.Errorf("Invoke() = %v, want %v", err, runtimeapi.ErrPayloadTooLarge)
	}
}

func TestInvokeAfterClose(t *testing.T) {
	emu := runtimeapi.New(runtimeapi.Options{FunctionName: "closed"})
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := emu.Invoke(t.Context(), []byte(`{}`))
	if !errors.Is(err, runtimeapi.ErrClosed) {
		t.Errorf("Invoke() = %v, want %v", err, runtimeapi.ErrClosed)
	}
}

// runtimeClient speaks the Runtime API by hand, for the cases aws-lambda-go never produces.
type runtimeClient struct {
	t    *testing.T
	base string
}

func newRuntimeClient(t *testing.T, emu *runtimeapi.Emulator) runtimeClient {
	t.Helper()
	addr, err := emu.Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	return runtimeClient{t: t, base: "http://" + addr + "/2018-06-01/runtime/"}
}

func (c runtimeClient) do(method, path string, body []byte, header http.Header) *http.Response {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// startInvoke runs Invoke in the background and returns the request id the runtime received.
func startInvoke(t *testing.T, emu *runtimeapi.Emulator, c runtimeClient) (string, <-chan error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := emu.Invoke(context.Background(), []byte(`{}`))
		done <- err
	}()
	resp := c.do(http.MethodGet, "invocation/next", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET next = %d, want 200", resp.StatusCode)
	}
	deadline, err := strconv.ParseInt(resp.Header.Get(runtimeapi.HeaderDeadlineMS), 10, 64)
	if err != nil || deadline <= 0 {
		t.Errorf("deadline header = %q, want epoch milliseconds", resp.Header.Get(runtimeapi.HeaderDeadlineMS))
	}
	return resp.Header.Get(runtimeapi.HeaderRequestID), done
}

func TestRuntimeProtocol(t *testing.T) {
	t.Run("unknown request id", func(t *testing.T) {
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f"})
		c := newRuntimeClient(t, emu)
		for _, kind := range []string{"response", "error"} {
			resp := c.do(http.MethodPost, "invocation/not-a-request/"+kind, []byte(`{}`), nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("POST %s for unknown id = %d, want 400", kind, resp.StatusCode)
			}
		}
	})

	t.Run("unknown path", func(t *testing.T) {
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f"})
		c := newRuntimeClient(t, emu)
		for _, path := range []string{"invocation/abc/other", "logs", "invocation/next"} {
			method := http.MethodPost
			resp := c.do(method, path, nil, nil)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", method, path, resp.StatusCode)
			}
		}
	})

	t.Run("init error", func(t *testing.T) {
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f"})
		c := newRuntimeClient(t, emu)
		header := http.Header{runtimeapi.HeaderErrorType: {"Runtime.ConfigError"}}
		resp := c.do(http.MethodPost, "init/error", []byte(`{"errorMessage":"environment variable X is not set","errorType":"other"}`), header)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST init/error = %d, want 202", resp.StatusCode)
		}
		got := emu.InitError()
		want := &runtimeapi.FunctionError{Type: "Runtime.ConfigError", Message: "environment variable X is not set"}
		if got == nil || *got != *want {
			t.Errorf("InitError() = %+v, want %+v", got, want)
		}
	})

	t.Run("error body not JSON", func(t *testing.T) {
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f", Timeout: 5 * time.Second})
		c := newRuntimeClient(t, emu)
		id, done := startInvoke(t, emu, c)

		resp := c.do(http.MethodPost, "invocation/"+id+"/error", []byte("segmentation fault"), nil)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST error = %d, want 202", resp.StatusCode)
		}
		var fe *runtimeapi.FunctionError
		if err := <-done; !errors.As(err, &fe) || fe.Message != "segmentation fault" || fe.Type != "Unhandled" {
			t.Errorf("Invoke() = %v, want function error Unhandled: segmentation fault", err)
		}
	})

	t.Run("response too large", func(t *testing.T) {
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f", Timeout: 5 * time.Second})
		c := newRuntimeClient(t, emu)
		id, done := startInvoke(t, emu, c)

		resp := c.do(http.MethodPost, "invocation/"+id+"/response", bytes.Repeat([]byte("a"), runtimeapi.MaxPayloadBytes+1), nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST response = %d, want 413", resp.StatusCode)
		}
		if err := <-done; !errors.Is(err, runtimeapi.ErrPayloadTooLarge) {
			t.Errorf("Invoke() = %v, want %v", err, runtimeapi.ErrPayloadTooLarge)
		}
	})

	t.Run("second answer rejected", func(t *testing.T) {
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f", Timeout: 5 * time.Second})
		c := newRuntimeClient(t, emu)
		id, done := startInvoke(t, emu, c)

		if resp := c.do(http.MethodPost, "invocation/"+id+"/response", []byte(`"first"`), nil); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("first POST response = %d, want 202", resp.StatusCode)
		}
		if resp := c.do(http.MethodPost, "invocation/"+id+"/response", []byte(`"second"`), nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("second POST response = %d, want 400", resp.StatusCode)
		}
		if err := <-done; err != nil {
			t.Errorf("Invoke() = %v, want no error", err)
		}
	})
}

// startAbandonedInvoke runs Invoke with a context that ends once the runtime took the event,
// and returns the request id after Invoke gave up.
func startAbandonedInvoke(t *testing.T, emu *runtimeapi.Emulator, c runtimeClient) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := emu.Invoke(ctx, []byte(`{}`))
		done <- err
	}()
	resp := c.do(http.MethodGet, "invocation/next", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET next = %d, want 200", resp.StatusCode)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Invoke() = %v, want %v", err, context.Canceled)
	}
	return resp.Header.Get(runtimeapi.HeaderRequestID)
}

func TestAbandonedInvocation(t *testing.T) {
	t.Run("late answer accepted", func(t *testing.T) {
		var timeouts atomic.Int32
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f", Timeout: 5 * time.Second, OnTimeout: func() { timeouts.Add(1) }})
		c := newRuntimeClient(t, emu)
		id := startAbandonedInvoke(t, emu, c)

		if resp := c.do(http.MethodPost, "invocation/"+id+"/response", []byte(`"late"`), nil); resp.StatusCode != http.StatusAccepted {
			t.Errorf("POST response after the caller gave up = %d, want 202", resp.StatusCode)
		}
		if got := timeouts.Load(); got != 0 {
			t.Errorf("OnTimeout calls = %d, want 0", got)
		}
	})

	t.Run("no answer times out", func(t *testing.T) {
		timedOut := make(chan struct{}, 1)
		emu := runtimeapi.New(runtimeapi.Options{FunctionName: "f", Timeout: 100 * time.Millisecond, OnTimeout: func() { timedOut <- struct{}{} }})
		c := newRuntimeClient(t, emu)
		id := startAbandonedInvoke(t, emu, c)

		select {
		case <-timedOut:
		case <-time.After(5 * time.Second):
			t.Fatal("OnTimeout not called within 5s of the deadline")
		}
		if resp := c.do(http.MethodPost, "invocation/"+id+"/response", []byte(`"late"`), nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST response after the deadline = %d, want 400", resp.StatusCode)
		}
	})
}

func BenchmarkInvoke(b *testing.B) {
	emu := runtimeapi.New(runtimeapi.Options{FunctionName: "bench", Timeout: 5 * time.Second})
	addr, err := emu.Listen(b.Context(), "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = emu.Close() })

	// An in-process runtime loop that echoes each event, so the benchmark measures the
	// emulator and its HTTP round trips rather than a process start.
	go func() {
		base := "http://" + addr + "/2018-06-01/runtime/invocation/"
		for {
			next, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, base+"next", nil)
			resp, err := http.DefaultClient.Do(next)
			if err != nil || resp.StatusCode != http.StatusOK {
				return
			}
			id := resp.Header.Get(runtimeapi.HeaderRequestID)
			post, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, base+id+"/response", resp.Body)
			answer, err := http.DefaultClient.Do(post)
			_ = resp.Body.Close()
			if err != nil {
				return
			}
			_ = answer.Body.Close()
		}
	}()

	payload := []byte(`{"version":"2.0","routeKey":"GET /health"}`)
	for b.Loop() {
		if _, err := emu.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}
