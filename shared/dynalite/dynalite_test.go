package dynalite_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/dynalite"
)

func TestStartTableCreatesSchema(t *testing.T) {
	client := dynalite.StartTable(t, "certificates")

	out, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String("certificates")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Table.KeySchema[0].AttributeName); got != certstore.PartitionKey {
		t.Errorf("hash key = %q, want %q", got, certstore.PartitionKey)
	}
	if len(out.Table.GlobalSecondaryIndexes) != 1 || aws.ToString(out.Table.GlobalSecondaryIndexes[0].IndexName) != certstore.ClientIndexName {
		t.Errorf("indexes = %v, want one named %q", out.Table.GlobalSecondaryIndexes, certstore.ClientIndexName)
	}
}

func TestStartNotInstalled(t *testing.T) {
	_, err := dynalite.Start(t.Context(), dynalite.Options{Dir: t.TempDir()})
	if err == nil {
		t.Fatal("Start in a folder without node_modules succeeded, want ErrNotInstalled")
	}
}
