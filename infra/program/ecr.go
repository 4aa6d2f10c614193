package program

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/mtls-api/mtls-api/infra/image"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ecrPublisher pushes images to ECR with a token from ecr.GetAuthorizationToken, fetched per
// push so that a long update never uses an expired token.
type ecrPublisher struct {
	ctx *pulumi.Context
}

// Publish pushes img to repository in the registry of account registryID.
func (p ecrPublisher) Publish(ctx context.Context, registryID, repository string, img image.Image) (string, error) {
	token, err := ecr.GetAuthorizationToken(p.ctx, &ecr.GetAuthorizationTokenArgs{RegistryId: &registryID})
	if err != nil {
		return "", fmt.Errorf("push %s: get ECR authorization token for registry %s: %w", img.Function, registryID, err)
	}
	return image.Push(ctx, repository, img, &authn.Basic{Username: token.UserName, Password: token.Password})
}
