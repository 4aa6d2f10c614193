package scaffold_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mtls-api/mtls-api/shared/catalog"
	"github.com/mtls-api/mtls-api/tools/newfunction/internal/scaffold"
)

// commandTimeout bounds each go, make or git command the tests run. Compiling the Pulumi
// program for the plan takes the longest: about a minute on two cores with a cold build cache.
const commandTimeout = 10 * time.Minute

// TestScaffold runs every case in one copy of the repository, since each copy compiles the
// catalog, the new functions and the Pulumi program anew. The cases run in order: the
// rejections first, then the two functions are created, then the checks that need them.
func TestScaffold(t *testing.T) {
	// make test runs these tests inside make, whose flags (such as a -j job server) would
	// otherwise reach the make commands below.
	for _, name := range []string{"MAKEFLAGS", "MFLAGS", "MAKELEVEL"} {
		t.Setenv(name, "")
	}
	repo := copyRepository(t)

	t.Run("rejections", testRejections(repo))
	t.Run("undo after failed plan", testUndoAfterFailedPlan(repo))
	t.Run("undo after cancel", testUndoAfterCancel(repo))

	// testwidgets goes through make and the script, as a developer runs it; testgadgets calls
	// Run. The names carry a prefix so that they never clash with a function a developer has
	// already created in the repository the copy is made from, such as widgets.
	if !t.Run("create with make", func(t *testing.T) {
		run(t, repo, "make", "--no-print-directory", "new-function", "NAME=testwidgets", "ROUTE=GET /v1/testwidgets/{id}", "AUTH=jwt")
	}) {
		t.FailNow()
	}
	if !t.Run("create with Run", testCreateWithRun(repo)) {
		t.FailNow()
	}

	t.Run("generated files", testGeneratedFiles(repo))
	t.Run("functions pass their tests", func(t *testing.T) {
		run(t, repo, "go", "test", "-count=1", "./functions/testwidgets", "./functions/testgadgets")
	})
	t.Run("catalog lists them", testCatalogLists(repo))
	t.Run("plans include them", testPlansInclude(repo))
	t.Run("infrastructure tests pass", func(t *testing.T) {
		// The infrastructure tests run the Pulumi program under mocks for every catalog
		// function and fail when a committed plan is stale.
		run(t, repo, "go", "test", "-count=1", "./infra/...")
	})
	t.Run("local stack serves them", testLocalStackServes(repo))
	t.Run("rejections after create", testRejectionsAfterCreate(repo))
}

type rejectionCase struct {
	name    string
	req     scaffold.Request
	wantErr error
	// wantInMessage is a value the error message must name.
	wantInMessage string
}

func testRejections(repo string) func(*testing.T) {
	return func(t *testing.T) {
		tests := []rejectionCase{
			{"empty name", scaffold.Request{Name: "", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidName, "NAME="},
			{"upper case name", scaffold.Request{Name: "Testwidgets", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidName, `"Testwidgets"`},
			{"name starts with digit", scaffold.Request{Name: "1testwidgets", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidName, `"1testwidgets"`},
			{"name with hyphen", scaffold.Request{Name: "my-testwidgets", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidName, `"my-testwidgets"`},
			{"name with path", scaffold.Request{Name: "../testwidgets", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidName, `"../testwidgets"`},
			{"name too long", scaffold.Request{Name: strings.Repeat("w", 41), Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidName, strings.Repeat("w", 41)},
			{"duplicate health", scaffold.Request{Name: "health", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrDuplicate, "health"},
			{"duplicate authorizer", scaffold.Request{Name: "authorizer", Route: "GET /v1/testwidgets", Auth: "jwt"}, scaffold.ErrDuplicate, "authorizer"},
			{"empty auth", scaffold.Request{Name: "testwidgets", Route: "GET /v1/testwidgets", Auth: ""}, scaffold.ErrInvalidAuth, "missing AUTH:"},
			{"name only", scaffold.Request{Name: "testwidgets"}, scaffold.ErrInvalidRoute, "missing ROUTE, AUTH:"},
			{"name only names auth", scaffold.Request{Name: "testwidgets"}, scaffold.ErrInvalidAuth, "missing ROUTE, AUTH:"},
			{"nothing set", scaffold.Request{}, scaffold.ErrInvalidName, "missing NAME, ROUTE, AUTH:"},
			{"bad route before bad auth", scaffold.Request{Name: "testwidgets", Route: "GET", Auth: "basic"}, scaffold.ErrInvalidRoute, `"GET"`},
			{"unknown auth", scaffold.Request{Name: "testwidgets", Route: "GET /v1/testwidgets", Auth: "basic"}, scaffold.ErrInvalidAuth, `"basic"`},
			{"upper case auth", scaffold.Request{Name: "testwidgets", Route: "GET /v1/testwidgets", Auth: "JWT"}, scaffold.ErrInvalidAuth, `"JWT"`},
			{"empty route", scaffold.Request{Name: "testwidgets", Route: "", Auth: "jwt"}, scaffold.ErrInvalidRoute, "missing ROUTE:"},
			{"blank route", scaffold.Request{Name: "testwidgets", Route: "  ", Auth: "jwt"}, scaffold.ErrInvalidRoute, "missing ROUTE:"},
			{"route without path", scaffold.Request{Name: "testwidgets", Route: "GET", Auth: "jwt"}, scaffold.ErrInvalidRoute, `"GET"`},
			{"route with three parts", scaffold.Request{Name: "testwidgets", Route: "GET /v1/testwidgets extra", Auth: "jwt"}, scaffold.ErrInvalidRoute, "extra"},
			{"lower case method", scaffold.Request{Name: "testwidgets", Route: "get /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidRoute, `"get"`},
			{"unknown method", scaffold.Request{Name: "testwidgets", Route: "FETCH /v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidRoute, `"FETCH"`},
			{"path without slash", scaffold.Request{Name: "testwidgets", Route: "GET v1/testwidgets", Auth: "jwt"}, scaffold.ErrInvalidRoute, `"v1/testwidgets"`},
			{"path with query", scaffold.Request{Name: "testwidgets", Route: "GET /v1/testwidgets?all=1", Auth: "jwt"}, scaffold.ErrInvalidRoute, `"/v1/testwidgets?all=1"`},
			{"path with empty segment", scaffold.Request{Name: "testwidgets", Route: "GET /v1//testwidgets", Auth: "jwt"}, scaffold.ErrInvalidRoute, `"/v1//testwidgets"`},
			{"route of health", scaffold.Request{Name: "testwidgets", Route: "GET /health", Auth: "jwt"}, scaffold.ErrConflict, `"GET /health"`},
			{"parameter matching health", scaffold.Request{Name: "testwidgets", Route: "GET /{name}", Auth: "mtls"}, scaffold.ErrConflict, `"GET /health"`},
			{"parameter matching token", scaffold.Request{Name: "testwidgets", Route: "POST /oauth/{grant}", Auth: "mtls"}, scaffold.ErrConflict, `"POST /oauth/token"`},
		}
		runRejections(t, repo, tests)

		t.Run("folder exists without catalog entry", func(t *testing.T) {
			stray := filepath.Join(repo, "functions", "leftover")
			if err := os.Mkdir(stray, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Remove(stray) })
			runRejections(t, repo, []rejectionCase{
				{"leftover folder", scaffold.Request{Name: "leftover", Route: "GET /v1/leftover", Auth: "jwt"}, scaffold.ErrDuplicate, "functions/leftover"},
			})
		})
	}
}

func testRejectionsAfterCreate(repo string) func(*testing.T) {
	return func(t *testing.T) {
		runRejections(t, repo, []rejectionCase{
			{"duplicate testwidgets", scaffold.Request{Name: "testwidgets", Route: "GET /v2/testwidgets", Auth: "jwt"}, scaffold.ErrDuplicate, "testwidgets"},
			{"route of testwidgets", scaffold.Request{Name: "others", Route: "GET /v1/testwidgets/latest", Auth: "mtls"}, scaffold.ErrConflict, `"GET /v1/testwidgets/{id}"`},
			{"route of testgadgets", scaffold.Request{Name: "others", Route: "POST /v1/{kind}", Auth: "jwt"}, scaffold.ErrConflict, `"POST /v1/testgadgets"`},
		})
	}
}

// runRejections runs each case and checks that Run rejects it with its error and that the
// repository is byte for byte as before.
func runRejections(t *testing.T, repo string, tests []rejectionCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, repo)

			_, err := scaffold.Run(commandContext(t), tt.req, scaffold.Options{Dir: repo, Log: testLog{t}})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run(%+v) = %v, want %v", tt.req, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("Run(%+v) error %q does not name %s", tt.req, err, tt.wantInMessage)
			}
			assertUnchanged(t, before, snapshot(t, repo))
		})
	}
}

func testUndoAfterFailedPlan(repo string) func(*testing.T) {
	return func(t *testing.T) {
		before := snapshot(t, repo)
		// The plan command changes, adds, removes and re-links files before it fails.
		plan := []string{"sh", "-c", strings.Join([]string{
			"echo changed >> infra/plans/dev.txt",
			"chmod 600 infra/plans/prod.txt",
			"echo new > infra/plans/new.txt",
			"mkdir -p infra/plans/extra/deep && echo new > infra/plans/extra/deep/new.txt",
			"rm -r infra/plans/testdata",
			"mv infra/plans/dev.txt infra/plans/dev.old && ln -s ../../go.work infra/plans/dev.txt",
			"exit 3",
		}, " && ")}

		_, err := scaffold.Run(commandContext(t),
			scaffold.Request{Name: "failing", Route: "GET /v1/failing", Auth: "jwt"},
			scaffold.Options{Dir: repo, PlanCommand: plan, Log: testLog{t}})
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
			t.Errorf("Run() with a failing plan command = %v, want its exit status 3", err)
		}
		assertUnchanged(t, before, snapshot(t, repo))
	}
}

func testUndoAfterCancel(repo string) func(*testing.T) {
	return func(t *testing.T) {
		before := snapshot(t, repo)
		marker := filepath.Join(t.TempDir(), "plan-started")
		plan := []string{"sh", "-c", `echo changed >> infra/plans/prod.txt && touch "$0" && sleep 600`, marker}

		ctx, cancel := context.WithCancel(commandContext(t))
		defer cancel()
		go func() {
			// Cancel once the plan command has changed a plan, as an interrupt would.
			for ctx.Err() == nil {
				if _, err := os.Stat(marker); err == nil {
					cancel()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()

		_, err := scaffold.Run(ctx,
			scaffold.Request{Name: "cancelled", Route: "GET /v1/cancelled", Auth: "mtls"},
			scaffold.Options{Dir: repo, PlanCommand: plan, Log: testLog{t}})
		if err == nil || ctx.Err() == nil {
			t.Fatalf("Run() = %v with context error %v, want an error after cancel", err, ctx.Err())
		}
		assertUnchanged(t, before, snapshot(t, repo))
	}
}

func testCreateWithRun(repo string) func(*testing.T) {
	return func(t *testing.T) {
		result, err := scaffold.Run(commandContext(t),
			scaffold.Request{Name: "testgadgets", Route: "POST /v1/testgadgets", Auth: "mtls"},
			scaffold.Options{Dir: repo, Log: testLog{t}})
		if err != nil {
			t.Fatalf("Run(testgadgets) = %v", err)
		}

		wantCreated := []string{
			"functions/testgadgets/main.go",
			"functions/testgadgets/handler.go",
			"functions/testgadgets/handler_test.go",
			"shared/catalog/testgadgets.go",
		}
		if !slices.Equal(result.Created, wantCreated) {
			t.Errorf("Run(testgadgets).Created = %v, want %v", result.Created, wantCreated)
		}
		for _, stack := range []string{"dev", "prod"} {
			if p := "infra/plans/" + stack + ".txt"; !slices.Contains(result.PlansChanged, p) {
				t.Errorf("Run(testgadgets).PlansChanged = %v, want it to contain %s", result.PlansChanged, p)
			}
		}
	}
}

func testGeneratedFiles(repo string) func(*testing.T) {
	return func(t *testing.T) {
		for _, name := range []string{"testwidgets", "testgadgets"} {
			for _, p := range []string{
				"functions/" + name + "/main.go",
				"functions/" + name + "/handler.go",
				"functions/" + name + "/handler_test.go",
				"shared/catalog/" + name + ".go",
			} {
				src, err := os.ReadFile(filepath.Join(repo, p))
				if err != nil {
					t.Fatal(err)
				}
				formatted, err := format.Source(src)
				if err != nil {
					t.Errorf("%s does not parse: %v", p, err)
					continue
				}
				if !bytes.Equal(src, formatted) {
					t.Errorf("%s is not gofmt-formatted", p)
				}
			}
		}

		out := run(t, repo, "go", "vet", "./functions/testwidgets", "./functions/testgadgets", "./shared/catalog")
		if strings.TrimSpace(out) != "" {
			t.Errorf("go vet output = %q, want none", out)
		}
	}
}

func testCatalogLists(repo string) func(*testing.T) {
	return func(t *testing.T) {
		out := run(t, repo, "go", "run", "./tools/newfunction", "-list")
		var functions []catalog.Function
		if err := json.Unmarshal([]byte(out), &functions); err != nil {
			t.Fatalf("catalog listing %q is not JSON: %v", out, err)
		}
		if err := catalog.Validate(functions); err != nil {
			t.Errorf("Validate(catalog of the copy) = %v", err)
		}

		want := map[string]catalog.Route{
			"testwidgets": {Method: "GET", Path: "/v1/testwidgets/{id}", Auth: catalog.AuthJWT},
			"testgadgets": {Method: "POST", Path: "/v1/testgadgets", Auth: catalog.AuthMTLS},
		}
		for name, route := range want {
			i := slices.IndexFunc(functions, func(f catalog.Function) bool { return f.Name == name })
			if i < 0 {
				t.Errorf("catalog of the copy has no function %q", name)
				continue
			}
			f := functions[i]
			if f.Package != "./functions/"+name {
				t.Errorf("function %s: Package = %q, want ./functions/%s", name, f.Package, name)
			}
			if !slices.Equal(f.Routes, []catalog.Route{route}) {
				t.Errorf("function %s: Routes = %v, want [%v]", name, f.Routes, route)
			}
		}

		// The catalog's own tests run on the catalog with the new entries.
		run(t, repo, "go", "test", "-count=1", "./shared/catalog")
	}
}

func testPlansInclude(repo string) func(*testing.T) {
	return func(t *testing.T) {
		for _, stack := range []string{"dev", "prod"} {
			plan, err := os.ReadFile(filepath.Join(repo, "infra", "plans", stack+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				"mtls-api-" + stack + "-testwidgets-function",
				"mtls-api-" + stack + "-testgadgets-function",
				`"GET /v1/testwidgets/{id}"`,
				`"POST /v1/testgadgets"`,
			} {
				if !bytes.Contains(plan, []byte(want)) {
					t.Errorf("infra/plans/%s.txt does not contain %s", stack, want)
				}
			}
		}
	}
}

// copyRepository copies the files that git lists (tracked, and untracked but not ignored) into
// a temporary folder, and links node_modules for the tests that start dynalite.
func copyRepository(t *testing.T) string {
	t.Helper()
	src := strings.TrimSpace(run(t, ".", "git", "rev-parse", "--show-toplevel"))
	dst := t.TempDir()

	list := run(t, src, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	for _, rel := range strings.Split(strings.TrimRight(list, "\x00"), "\x00") {
		if err := copyFile(filepath.Join(src, rel), filepath.Join(dst, rel)); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := os.Stat(filepath.Join(src, "node_modules")); err == nil {
		if err := os.Symlink(filepath.Join(src, "node_modules"), filepath.Join(dst, "node_modules")); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// copyFile copies a regular file with its mode. A file listed by git but deleted from the work
// tree is skipped, as the build would skip it.
func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	content, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, content, info.Mode().Perm())
}

// snapshot maps every path under root (node_modules excluded) to its type, mode and content
// hash.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel == "node_modules" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := info.Mode().String()
		if info.Mode().IsRegular() {
			content, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(content)
			entry += " " + hex.EncodeToString(sum[:])
		}
		files[rel] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func assertUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	for path, entry := range after {
		old, ok := before[path]
		switch {
		case !ok:
			t.Errorf("%s was created", path)
		case old != entry:
			t.Errorf("%s changed: %s, was %s", path, entry, old)
		}
	}
	for path := range before {
		if _, ok := after[path]; !ok {
			t.Errorf("%s was removed", path)
		}
	}
}

// run runs a command in dir and returns its standard output, failing the test with the
// combined output when it fails.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(commandContext(t), name, args...)
	cmd.Dir = dir
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s in %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func commandContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	t.Cleanup(cancel)
	return ctx
}

// testLog writes the progress of Run to the test log, shown when a test fails or with -v.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
