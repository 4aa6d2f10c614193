//go:build linux

package stack_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mtls-api/mtls-api/tools/devstack/internal/stack"
)

// The test reads the process table from /proc, which only Linux has.

// minimalRuntime is a function that speaks the Lambda Runtime API with net/http alone, so it
// builds in a module without dependencies. It returns a 200 response for every event.
const minimalRuntime = `package main

import (
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		answer := strings.NewReader(` + "`" + `{"statusCode":200,"body":"pong"}` + "`" + `)
		if resp, err = http.Post(base+id+"/response", "application/json", answer); err == nil {
			resp.Body.Close()
		}
	}
}
`

// processesUnder returns the ids of the running processes whose command line names a path
// under dir, read from /proc.
func processesUnder(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		// A zombie has exited and only waits to be reaped; it is not running.
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err == nil && bytes.Contains(status, []byte("State:\tZ")) {
			continue
		}
		pids = append(pids, e.Name())
	}
	return pids
}

func TestCloseStopsEverything(t *testing.T) {
	root := functionRoot(t, "ping", minimalRuntime)
	s, err := stack.Start(t.Context(), stack.Config{Root: root, Addr: "127.0.0.1:0", Functions: oneFunction("ping")})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	gatewayAddr := strings.TrimPrefix(s.URL, "https://localhost")

	// The function process and dynalite both name a path under root on their command line.
	if got := processesUnder(t, root); len(got) < 2 {
		t.Fatalf("running processes under %s = %v, want the function and dynalite", root, got)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}

	if got := processesUnder(t, root); len(got) > 0 {
		t.Errorf("processes under %s after Close() = %v, want none", root, got)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1"+gatewayAddr)
	if err != nil {
		t.Errorf("listen on the gateway's address after Close() = %v, want it free", err)
	} else {
		l.Close()
	}
}
