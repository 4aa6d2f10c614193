// Package dynalite starts dynalite, a DynamoDB-compatible server from npm, on 127.0.0.1 for
// the tests and the local stack, and creates the certificate table in it.
//
// dynalite is installed by `npm ci` at the repository root from the committed lockfile; Start
// finds node_modules/dynalite by walking up from the working directory.
package dynalite

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mtls-api/mtls-api/shared/certstore"
)

// ErrNotInstalled means node_modules/dynalite was not found above the working directory.
var ErrNotInstalled = errors.New("dynalite: not installed, run `npm ci` at the repository root")

// startTimeout bounds how long Start waits for dynalite to listen.
const startTimeout = 30 * time.Second

// launcher starts dynalite on an ephemeral port of 127.0.0.1, prints the port as JSON, and
// exits when its standard input closes, so it never outlives the Go process that started it.
const launcher = `
const dynalite = require(process.argv[1]);
const server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({port: server.address().port}));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`

// Server is a running dynalite process.
type Server struct {
	// Endpoint is the server's base URL, such as http://127.0.0.1:41234.
	Endpoint string

	cmd   *exec.Cmd
	stdin io.Closer
	done  chan error
}

// Options configures Start. The zero value is ready to use.
type Options struct {
	// Dir is a folder at or below the one holding node_modules/dynalite. Empty means the
	// working directory.
	Dir string
	// Stderr receives dynalite's error output. Nil discards it.
	Stderr io.Writer
}

// Start starts dynalite with an in-memory store and waits until it listens.
func Start(ctx context.Context, opts Options) (*Server, error) {
	module, err := findModule(opts.Dir)
	if err != nil {
		return nil, err
	}

	// The server outlives ctx, which bounds only the start-up; Stop ends the process.
	cmd := exec.Command("node", "-e", launcher, module) //nolint:noctx // see above
	cmd.Stderr = opts.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynalite: start node (is Node.js installed?): %w", err)
	}

	s := &Server{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	ports := make(chan int, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			var msg struct{ Port int }
			if json.Unmarshal(scanner.Bytes(), &msg) == nil && msg.Port > 0 {
				ports <- msg.Port
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.done <- cmd.Wait()
		close(s.done)
	}()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	select {
	case port := <-ports:
		s.Endpoint = "http://127.0.0.1:" + strconv.Itoa(port)
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("dynalite: exited before listening: %w", err)
	case <-ctx.Done():
		_ = s.Stop()
		return nil, fmt.Errorf("dynalite: not listening after %s: %w", startTimeout, ctx.Err())
	}
}

// Stop ends the server and waits for it to exit. It returns the process's exit error, if any;
// a second call returns nil.
func (s *Server) Stop() error {
	_ = s.stdin.Close()
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("dynalite: %w", err)
		}
		return nil
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.done
		return fmt.Errorf("dynalite: killed after not stopping within 5s: %w", err)
	}
}

// Client returns a DynamoDB client for the server, with static dummy credentials.
func (s *Server) Client() *dynamodb.Client {
	return NewClient(s.Endpoint)
}

// NewClient returns a DynamoDB client for a local endpoint, with static dummy credentials and
// a fixed region, since dynalite checks neither.
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// CreateTable creates the certificate table named name with the schema of package certstore.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	if _, err := client.CreateTable(ctx, certstore.CreateTableInput(name)); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = 500 * time.Millisecond
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	return nil
}

func findModule(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("dynalite: %w", err)
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("dynalite: %w", err)
	}
	for {
		candidate := filepath.Join(dir, "node_modules", "dynalite")
		if _, err := os.Stat(filepath.Join(candidate, "package.json")); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotInstalled
		}
		dir = parent
	}
}
