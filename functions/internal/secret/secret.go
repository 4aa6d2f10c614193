// Package secret reads a Secrets Manager secret once per Lambda execution environment.
package secret

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// API is the part of the Secrets Manager client a Secret uses.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret is a string secret read on first use and kept for the life of the process, so a
// cold start reads it once. A failed read is not kept: the next call tries again. A Secret is
// safe for concurrent use.
type Secret struct {
	api API
	arn string

	mu     sync.Mutex
	value  string
	loaded bool
}

// New returns the secret with the given ARN, read through api.
func New(api API, arn string) *Secret {
	return &Secret{api: api, arn: arn}
}

// Static returns a Secret that holds value and never calls Secrets Manager. Only the local
// stack uses it, with a value from the environment.
func Static(value string) *Secret {
	return &Secret{value: value, loaded: true}
}

// Value returns the secret's string value.
func (s *Secret) Value(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		return s.value, nil
	}

	out, err := s.api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.arn)})
	if err != nil {
		return "", fmt.Errorf("get secret %s: %w", s.arn, err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return "", errors.New("secret " + s.arn + " has no string value, store the client secret as plain text")
	}

	s.value, s.loaded = *out.SecretString, true
	return s.value, nil
}
