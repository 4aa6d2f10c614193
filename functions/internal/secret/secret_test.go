package secret_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/mtls-api/mtls-api/functions/internal/secret"
)

const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:client-AbCdEf"

// fakeAPI returns its queued results in order and records the requested ids.
type fakeAPI struct {
	results []result
	ids     []string
}

type result struct {
	value *string
	err   error
}

func (f *fakeAPI) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.ids = append(f.ids, aws.ToString(in.SecretId))
	a := f.results[0]
	f.results = f.results[1:]
	if a.err != nil {
		return nil, a.err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: a.value}, nil
}

func TestValueReadsOnce(t *testing.T) {
	api := &fakeAPI{results: []result{{value: aws.String("s3cr3t")}}}
	s := secret.New(api, arn)

	for range 3 {
		got, err := s.Value(t.Context())
		if err != nil || got != "s3cr3t" {
			t.Fatalf("Value() = %q, %v, want s3cr3t", got, err)
		}
	}
	if len(api.ids) != 1 || api.ids[0] != arn {
		t.Errorf("GetSecretValue ids = %v, want one call for %s", api.ids, arn)
	}
}

func TestValueRetriesAfterFailure(t *testing.T) {
	api := &fakeAPI{results: []result{{err: errors.New("throttled")}, {value: aws.String("s3cr3t")}}}
	s := secret.New(api, arn)

	if _, err := s.Value(t.Context()); err == nil {
		t.Fatal("first Value() succeeded, want the API error")
	}
	got, err := s.Value(t.Context())
	if err != nil || got != "s3cr3t" {
		t.Errorf("second Value() = %q, %v, want s3cr3t", got, err)
	}
}

func TestValueRejectsEmptySecret(t *testing.T) {
	tests := []struct {
		name  string
		value *string
	}{
		{"binary secret", nil},
		{"empty string", aws.String("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := secret.New(&fakeAPI{results: []result{{value: tt.value}}}, arn)
			if _, err := s.Value(t.Context()); err == nil {
				t.Error("Value() succeeded, want an error")
			}
		})
	}
}

func TestStaticNeverCallsAPI(t *testing.T) {
	got, err := secret.Static("local").Value(t.Context())
	if err != nil || got != "local" {
		t.Errorf("Static(local).Value() = %q, %v, want local", got, err)
	}
}
