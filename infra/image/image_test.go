package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/shared/catalog"
)

// fixture copies the fixture module, which holds the main packages ./hello and ./goodbye, to
// a temporary folder outside the workspace and returns that folder.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "fixture"))); err != nil {
		t.Fatalf("copy fixture module: %v", err)
	}
	return dir
}

func build(t *testing.T, dir, function string) image.Image {
	t.Helper()
	img, err := image.Builder{Dir: dir}.Build(t.Context(), function, "./"+function)
	if err != nil {
		t.Fatalf("Build(%s): %v", function, err)
	}
	return img
}

func TestBuildIsReproducible(t *testing.T) {
	first := build(t, fixture(t), "hello")
	// A second checkout in another folder at another time must give the same digest.
	second := build(t, fixture(t), "hello")

	if first.Digest != second.Digest {
		t.Errorf("Build(hello) digests = %s and %s, want equal", first.Digest, second.Digest)
	}
	if got, want := first.Tag(), "sha256-"+first.Digest.Hex; got != want {
		t.Errorf("Tag() = %q, want %q", got, want)
	}
}

func TestBuildChangesOnlyChangedFunction(t *testing.T) {
	dir := fixture(t)
	helloBefore, goodbyeBefore := build(t, dir, "hello"), build(t, dir, "goodbye")

	path := filepath.Join(dir, "goodbye", "main.go")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), `"goodbye\n"`, `"farewell\n"`, 1)
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	helloAfter, goodbyeAfter := build(t, dir, "hello"), build(t, dir, "goodbye")

	if helloAfter.Digest != helloBefore.Digest {
		t.Errorf("Build(hello) after changing goodbye = %s, want unchanged %s", helloAfter.Digest, helloBefore.Digest)
	}
	if goodbyeAfter.Digest == goodbyeBefore.Digest {
		t.Errorf("Build(goodbye) after changing goodbye = %s, want a new digest", goodbyeAfter.Digest)
	}
	if helloBefore.Digest == goodbyeBefore.Digest {
		t.Errorf("Build(hello) = Build(goodbye) = %s, want different digests", helloBefore.Digest)
	}
}

func TestBuildIgnoresGoEnvSettings(t *testing.T) {
	dir := fixture(t)
	t.Setenv("GOENV", "off")
	want := build(t, dir, "hello")

	// Settings that `go env -w` writes to the go env file. The go command reads the file for
	// every variable that is empty in the environment.
	tests := []struct {
		name, setting string
	}{
		{name: "compiler flags", setting: "GOFLAGS=-gcflags=-N"},
		{name: "newer arm64 level", setting: "GOARM64=v9.0"},
		{name: "experiment", setting: "GOEXPERIMENT=fieldtrack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goenv := filepath.Join(t.TempDir(), "go.env")
			if err := os.WriteFile(goenv, []byte(tt.setting+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("GOENV", goenv)

			if got := build(t, dir, "hello"); got.Digest != want.Digest {
				t.Errorf("Build(hello) with %s in the go env file = %s, want %s as without it", tt.setting, got.Digest, want.Digest)
			}
		})
	}
}

func TestBuildCompileError(t *testing.T) {
	dir := fixture(t)
	if err := os.WriteFile(filepath.Join(dir, "hello", "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := image.Builder{Dir: dir}.Build(t.Context(), "hello", "./hello")
	if err == nil {
		t.Fatal("Build(hello) with a compile error = nil error, want an error")
	}
	for _, want := range []string{"build function hello", "undefined"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Build(hello) error = %q, want it to contain %q", err, want)
		}
	}
}

func TestBuildMissingPackage(t *testing.T) {
	_, err := image.Builder{Dir: fixture(t)}.Build(t.Context(), "absent", "./absent")
	if err == nil || !strings.Contains(err.Error(), "build function absent") {
		t.Errorf("Build(absent) error = %v, want one naming the function", err)
	}
}

func TestPackIsDeterministic(t *testing.T) {
	binary := []byte("\x7fELF not really a binary")
	first, err := image.Pack(binary)
	if err != nil {
		t.Fatal(err)
	}
	second, err := image.Pack(binary)
	if err != nil {
		t.Fatal(err)
	}
	other, err := image.Pack([]byte("another binary"))
	if err != nil {
		t.Fatal(err)
	}

	d1, d2, d3 := digest(t, first), digest(t, second), digest(t, other)
	if d1 != d2 {
		t.Errorf("Pack(same binary) digests = %s and %s, want equal", d1, d2)
	}
	if d1 == d3 {
		t.Errorf("Pack(different binaries) digests both = %s, want different", d1)
	}
}

func TestPackFileTimesAndOwners(t *testing.T) {
	img, err := image.Pack([]byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	files := imageFiles(t, img)

	for path, h := range files {
		if !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("file %s ModTime = %s, want the Unix epoch", path, h.ModTime)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("file %s owner = %d:%d, want 0:0", path, h.Uid, h.Gid)
		}
	}
	for _, path := range []string{image.Entrypoint, image.CABundle, image.WorkDir} {
		if _, ok := files[path]; !ok {
			t.Errorf("image files = %v, want %s", keys(files), path)
		}
	}
}

func TestPushReadsBackSinglePlatformImage(t *testing.T) {
	repository := startRegistry(t) + "/mtls-api/hello"
	img := build(t, fixture(t), "hello")

	ref, err := image.Push(t.Context(), repository, img, authn.Anonymous)
	if err != nil {
		t.Fatalf("Push() error = %v", err)
	}
	if want := repository + "@" + img.Digest.String(); ref != want {
		t.Errorf("Push() = %q, want %q", ref, want)
	}

	digestRef, err := name.NewDigest(ref)
	if err != nil {
		t.Fatalf("name.NewDigest(%q): %v", ref, err)
	}
	desc, err := remote.Get(digestRef)
	if err != nil {
		t.Fatalf("remote.Get(%s): %v", ref, err)
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		t.Errorf("pushed media type = %s, want a single-platform %s", desc.MediaType, types.OCIManifestSchema1)
	}
	pulled, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "arm64" {
		t.Errorf("pushed platform = %s/%s, want linux/arm64", cfg.OS, cfg.Architecture)
	}
	if cfg.RootFS.Type != "layers" || len(cfg.RootFS.DiffIDs) != 2 {
		t.Errorf("pushed rootfs = %+v, want type layers with 2 diff ids", cfg.RootFS)
	}
	if !cfg.Created.Equal(time.Unix(0, 0)) {
		t.Errorf("pushed creation time = %s, want the Unix epoch", cfg.Created.Time)
	}
	if got := cfg.Config.Entrypoint; len(got) != 1 || got[0] != image.Entrypoint {
		t.Errorf("pushed entrypoint = %q, want [%q]", got, image.Entrypoint)
	}

	files := imageFiles(t, pulled)
	bootstrap, ok := files[image.Entrypoint]
	if !ok {
		t.Fatalf("pushed image files = %v, want %s", keys(files), image.Entrypoint)
	}
	if bootstrap.Mode&0o111 != 0o111 {
		t.Errorf("%s mode = %o, want executable by everyone", image.Entrypoint, bootstrap.Mode)
	}
	machine := elfMachine(t, pulled)
	if machine != elf.EM_AARCH64 {
		t.Errorf("%s ELF machine = %s, want %s", image.Entrypoint, machine, elf.EM_AARCH64)
	}

	tag, err := name.NewTag(repository + ":" + img.Tag())
	if err != nil {
		t.Fatal(err)
	}
	tagged, err := remote.Head(tag)
	if err != nil {
		t.Fatalf("remote.Head(%s): %v", tag, err)
	}
	if tagged.Digest != img.Digest {
		t.Errorf("tag %s names %s, want %s", tag, tagged.Digest, img.Digest)
	}
}

func TestPushTwiceIsIdempotent(t *testing.T) {
	repository := startRegistry(t) + "/mtls-api/hello"
	img := build(t, fixture(t), "hello")

	first, err := image.Push(t.Context(), repository, img, authn.Anonymous)
	if err != nil {
		t.Fatalf("first Push() error = %v", err)
	}
	second, err := image.Push(t.Context(), repository, img, authn.Anonymous)
	if err != nil {
		t.Fatalf("second Push() error = %v", err)
	}
	if first != second {
		t.Errorf("Push() twice = %q and %q, want equal", first, second)
	}
}

func TestPushErrors(t *testing.T) {
	packed, err := image.Pack([]byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	img := image.Image{Function: "hello", Digest: digest(t, packed), Image: packed}
	other, err := image.Pack([]byte("other binary"))
	if err != nil {
		t.Fatal(err)
	}

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "registry unavailable", http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)

	// A registry whose tag for img already names another image, which immutable tags make
	// impossible to fix by pushing.
	conflicting := startRegistry(t) + "/mtls-api/hello"
	tag, err := name.NewTag(conflicting + ":" + img.Tag())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, other); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		repository string
		img        image.Image
		want       string
	}{
		{name: "never built", repository: startRegistry(t) + "/r", img: image.Image{Function: "hello", Digest: img.Digest}, want: "never built"},
		{name: "invalid repository", repository: "Not A Repository", img: img, want: "invalid repository"},
		{name: "registry fails", repository: strings.TrimPrefix(failing.URL, "http://") + "/r", img: img, want: "look up"},
		{name: "tag names other image", repository: conflicting, img: img, want: "already names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := image.Push(t.Context(), tt.repository, tt.img, authn.Anonymous)
			if err == nil {
				t.Fatalf("Push() = nil error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "hello") {
				t.Errorf("Push() error = %q, want it to contain %q and the function name", err, tt.want)
			}
		})
	}
}

func TestPushCanceled(t *testing.T) {
	repository := startRegistry(t) + "/mtls-api/hello"
	packed, err := image.Pack([]byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	img := image.Image{Function: "hello", Digest: digest(t, packed), Image: packed}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err = image.Push(ctx, repository, img, authn.Anonymous)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Push() with a canceled context error = %v, want context.Canceled", err)
	}
}

// startRegistry serves an in-memory OCI registry on 127.0.0.1 and returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// walkFiles calls visit with the tar header and content of every entry in img's layers.
func walkFiles(t *testing.T, img v1.Image, visit func(h *tar.Header, content []byte)) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			content, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			visit(h, content)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// imageFiles returns the tar header of every file and folder in img's layers, by absolute
// path.
func imageFiles(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	files := map[string]*tar.Header{}
	walkFiles(t, img, func(h *tar.Header, _ []byte) {
		files["/"+strings.TrimSuffix(h.Name, "/")] = h
	})
	return files
}

// elfMachine returns the machine of the ELF binary at the entrypoint of img.
func elfMachine(t *testing.T, img v1.Image) elf.Machine {
	t.Helper()
	var binary []byte
	walkFiles(t, img, func(h *tar.Header, content []byte) {
		if "/"+h.Name == image.Entrypoint {
			binary = content
		}
	})
	if binary == nil {
		t.Fatalf("no %s in the image", image.Entrypoint)
	}
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatalf("parse %s as ELF: %v", image.Entrypoint, err)
	}
	return f.Machine
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBuildCatalogFunctions(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range catalog.All() {
		t.Run(f.Name, func(t *testing.T) {
			img, err := image.Builder{Dir: root}.Build(t.Context(), f.Name, f.Package)
			if err != nil {
				t.Fatalf("Build(%s) error = %v", f.Name, err)
			}
			if got := elfMachine(t, img.Image); got != elf.EM_AARCH64 {
				t.Errorf("Build(%s) ELF machine = %s, want %s", f.Name, got, elf.EM_AARCH64)
			}
			if got := digest(t, img.Image); got != img.Digest {
				t.Errorf("Build(%s).Digest = %s, want the image's digest %s", f.Name, img.Digest, got)
			}
		})
	}
}

func TestPackCABundle(t *testing.T) {
	img, err := image.Pack([]byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle []byte
	walkFiles(t, img, func(h *tar.Header, content []byte) {
		if "/"+h.Name == image.CABundle {
			bundle = content
		}
	})

	pool := map[string]bool{}
	for rest := bundle; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("%s holds a certificate that does not parse: %v", image.CABundle, err)
		}
		pool[cert.Subject.CommonName] = true
	}
	// The functions call Cognito, DynamoDB and Secrets Manager, whose certificates chain to
	// the Amazon roots.
	for _, cn := range []string{"Amazon Root CA 1", "Amazon Root CA 3"} {
		if !pool[cn] {
			t.Errorf("%s lacks %q (%d roots)", image.CABundle, cn, len(pool))
		}
	}
}
