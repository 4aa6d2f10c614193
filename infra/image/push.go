package image

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Push uploads img to repository (such as
// "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mtls-api-dev-health") under img.Tag() and
// returns the reference by digest, repository@sha256:…. An image already present under its
// tag is not uploaded again, which keeps pushes to repositories with immutable tags
// idempotent.
func Push(ctx context.Context, repository string, img Image, auth authn.Authenticator) (string, error) {
	if img.Image == nil {
		return "", fmt.Errorf("push %s: image %s was never built", img.Function, img.Digest)
	}
	repo, err := name.NewRepository(repository)
	if err != nil {
		return "", fmt.Errorf("push %s: invalid repository %q: %w", img.Function, repository, err)
	}
	tag := repo.Tag(img.Tag())
	options := []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth)}

	existing, err := remote.Head(tag, options...)
	var terr *transport.Error
	switch {
	case err == nil && existing.Digest == img.Digest:
		return Reference(repository, img), nil
	case err == nil:
		return "", fmt.Errorf("push %s: tag %s already names %s, not %s", img.Function, tag, existing.Digest, img.Digest)
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		// Not there yet: upload it.
	default:
		return "", fmt.Errorf("push %s: look up %s: %w", img.Function, tag, err)
	}

	if err := remote.Write(tag, img.Image, options...); err != nil {
		return "", fmt.Errorf("push %s to %s: %w", img.Function, tag, err)
	}
	return Reference(repository, img), nil
}

// Reference returns repository@digest, the form Lambda requires for a pinned image.
func Reference(repository string, img Image) string {
	return repository + "@" + img.Digest.String()
}
