package stack

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// prefixWriter writes each complete line it receives to out, prefixed.
type prefixWriter struct {
	out    io.Writer
	prefix string

	mu      sync.Mutex
	partial []byte
}

func prefixed(out io.Writer, prefix string) io.Writer {
	return &prefixWriter{out: out, prefix: prefix}
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		_, _ = io.WriteString(w.out, w.prefix+string(w.partial[:i+1]))
		w.partial = w.partial[i+1:]
	}
}

// slogWriter turns the lines of a log.Logger, such as an http.Server's ErrorLog, into
// warnings, so that failed TLS handshakes show in the stack's log.
type slogWriter struct {
	log *slog.Logger
}

func (w slogWriter) Write(b []byte) (int, error) {
	w.log.Log(context.Background(), slog.LevelWarn, strings.TrimSpace(string(b)))
	return len(b), nil
}
