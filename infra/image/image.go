// Package image builds the container image of a Lambda function without a Docker daemon. The
// function's main package is cross-compiled for linux/arm64 with reproducible flags and packed
// as a single-platform OCI image, so the image digest depends only on the function's code.
//
// The image has two layers: a CA certificate bundle at /etc/ssl/certs/ca-certificates.crt
// (the image has no operating system that would provide one) and the function binary at
// /var/runtime/bootstrap, which is the image's entrypoint. aws-lambda-go, linked into the
// binary, talks to the Lambda Runtime API itself, so no runtime interface client is needed.
package image

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Paths inside the image.
const (
	// Entrypoint is where the function binary is installed and what the image runs.
	Entrypoint = "/var/runtime/bootstrap"
	// CABundle is where the CA certificates are installed, one of the paths crypto/x509
	// reads on Linux.
	CABundle = "/etc/ssl/certs/ca-certificates.crt"
	// WorkDir is the working directory, the folder Lambda calls LAMBDA_TASK_ROOT.
	WorkDir = "/var/task"
)

// Platform is the only platform the images are built for: Lambda's arm64 architecture.
var Platform = v1.Platform{OS: "linux", Architecture: "arm64"}

// epoch is the modification time of every file in a layer and the creation time of the image,
// so that images built at different times are byte for byte equal.
var epoch = time.Unix(0, 0).UTC()

// Image is a function's image and its manifest digest.
type Image struct {
	// Function is the catalog name of the function the image runs.
	Function string
	// Digest is the manifest digest, the value of repo@sha256:… references.
	Digest v1.Hash
	// Image is nil in images that were never built, such as the placeholders of the plans.
	Image v1.Image
}

// Tag returns the tag the image is pushed under: the digest with ':' replaced, so that an
// immutable tag always names the same content.
func (i Image) Tag() string {
	return i.Digest.Algorithm + "-" + i.Digest.Hex
}

// Pack returns the single-platform linux/arm64 OCI image that runs binary as its entrypoint.
// The same binary always gives the same digest.
//
// NOTE: the image holds no /tmp, /etc/resolv.conf or /etc/hosts. It relies on Lambda to
// provide them, as it does for images built from scratch; no test here runs it on Lambda.
func Pack(binary []byte) (v1.Image, error) {
	certificates, err := caLayer()
	if err != nil {
		return nil, err
	}
	// The working directory is created in the image rather than left to the container
	// runtime.
	function, err := layer([]file{{path: WorkDir, mode: 0o755, dir: true}, {path: Entrypoint, mode: 0o755, content: binary}})
	if err != nil {
		return nil, fmt.Errorf("pack function binary: %w", err)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: Platform.Architecture,
		OS:           Platform.OS,
		Created:      v1.Time{Time: epoch},
		// The OCI image spec requires the type "layers"; mutate.Append adds the diff ids.
		RootFS: v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: []string{Entrypoint},
			WorkingDir: WorkDir,
			Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=" + CABundle},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("set image config: %w", err)
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: certificates, History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "CA certificates " + CABundle}},
		mutate.Addendum{Layer: function, History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "function binary " + Entrypoint}},
	)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}
	return img, nil
}

// caLayer is shared by every image, so a registry stores it once.
var caLayer = sync.OnceValues(func() (v1.Layer, error) {
	l, err := layer([]file{{path: CABundle, mode: 0o644, content: caBundle()}})
	if err != nil {
		return nil, fmt.Errorf("pack CA certificates: %w", err)
	}
	return l, nil
})

// caBundle returns the Mozilla NSS roots as shipped in golang.org/x/crypto/x509roots/fallback,
// so that the bundle changes only with that module's version, never with the build machine.
// Roots that carry a distrust-after constraint are left out because a PEM file cannot express
// the constraint.
func caBundle() []byte {
	var b bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		// pem.Encode fails only when its writer does, and a bytes.Buffer never returns an error.
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return b.Bytes()
}

// file is one entry of a layer: a regular file with content, or a folder when dir is set.
type file struct {
	path    string
	mode    int64
	dir     bool
	content []byte
}

// layer returns a gzip-compressed OCI layer with files and their parent folders, with fixed
// owners and times.
func layer(files []file) (v1.Layer, error) {
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	seen := map[string]bool{}
	for _, f := range files {
		dirs := parents(f.path)
		if f.dir {
			dirs = append(dirs, f.path[1:])
		}
		for _, dir := range dirs {
			if seen[dir] {
				continue
			}
			seen[dir] = true
			if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: epoch}); err != nil {
				return nil, err
			}
		}
		if f.dir {
			continue
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.path[1:], Mode: f.mode, Size: int64(len(f.content)), ModTime: epoch}
		if err := w.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := w.Write(f.content); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}

	data := b.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// parents returns the folders above an absolute path, outermost first, without the leading
// slash: parents("/var/runtime/bootstrap") is ["var", "var/runtime"].
func parents(path string) []string {
	var dirs []string
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			dirs = append(dirs, path[1:i])
		}
	}
	return dirs
}
