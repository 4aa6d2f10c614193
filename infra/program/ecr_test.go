package program_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/mtls-api/mtls-api/infra/plan"
	"github.com/mtls-api/mtls-api/shared/catalog"
)

// packedImages packs a fake binary per function: real images, built in microseconds.
type packedImages struct{}

func (packedImages) Build(_ context.Context, function, _ string) (image.Image, error) {
	img, err := image.Pack([]byte("binary of " + function))
	if err != nil {
		return image.Image{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return image.Image{}, err
	}
	return image.Image{Function: function, Digest: digest, Image: img}, nil
}

func TestUpdatePushesToECR(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	opts := options()
	opts.Images = packedImages{}
	mocks := &plan.Mocks{Region: "eu-west-1", RegistryHost: host}
	if err := plan.RunWith(mocks, "dev", stackConfig(t, "dev"), opts, false); err != nil {
		t.Fatalf("update with the ECR publisher: %v", err)
	}

	d := deployment{stack: "dev", resources: mocks.Resources()}
	for _, f := range catalog.All() {
		fn := d.named(t, "mtls-api-dev-"+f.Name+"-function", typeFunction)
		repo := d.named(t, "mtls-api-dev-"+f.Name+"-repository", typeRepository)
		want, err := packedImages{}.Build(t.Context(), f.Name, f.Package)
		if err != nil {
			t.Fatal(err)
		}

		uri := str(t, fn.Inputs, "imageUri")
		if wantURI := str(t, repo.Outputs, "repositoryUrl") + "@" + want.Digest.String(); uri != wantURI {
			t.Errorf("%s imageUri = %q, want %q", f.Name, uri, wantURI)
		}
		ref, err := name.NewDigest(uri)
		if err != nil {
			t.Fatalf("%s imageUri %q: %v", f.Name, uri, err)
		}
		if _, err := remote.Head(ref); err != nil {
			t.Errorf("%s image is not in the registry: %v", f.Name, err)
		}
		tag, err := name.NewTag(fmt.Sprintf("%s:%s", str(t, repo.Outputs, "repositoryUrl"), want.Tag()))
		if err != nil {
			t.Fatal(err)
		}
		if desc, err := remote.Head(tag); err != nil || desc.Digest != want.Digest {
			t.Errorf("%s tag %s = %v, %v, want the pushed digest %s", f.Name, tag, desc, err, want.Digest)
		}
	}
}
