package certstore

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The key schema of the certificate table.
const (
	// PartitionKey is the table's hash key: the canonical decimal serial number.
	PartitionKey = "serialNumber"
	// ClientIndexName is the global secondary index that lists a client's certificates.
	ClientIndexName = "clientId-index"
	// ClientIndexKey is the hash key of ClientIndexName.
	ClientIndexKey = "clientId"
)

// CreateTableInput returns the request that creates the certificate table named name, billed
// on demand. The infrastructure declares the same schema; the local stack and tests use this.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(ClientIndexKey), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(PartitionKey), KeyType: types.KeyTypeHash},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(ClientIndexName),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String(ClientIndexKey), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}
