package component

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CertificateStoreArgs configures a CertificateStore.
type CertificateStoreArgs struct {
	// Protect turns on deletion protection and keeps the table when the stack is destroyed.
	Protect bool
	// Tags are added to the table.
	Tags pulumi.StringMap
}

// CertificateStore is the DynamoDB table of client certificate records, with the schema of
// package certstore.
type CertificateStore struct {
	pulumi.ResourceState

	Table *dynamodb.Table
	// Name is the table name.
	Name pulumi.StringOutput
	// Arn is the table ARN.
	Arn pulumi.StringOutput
	// ClientIndexArn is the ARN of the index that lists a client's certificates.
	ClientIndexArn pulumi.StringOutput
}

// NewCertificateStore creates the certificate table: billed on demand, with point-in-time
// recovery, server-side encryption and the client id index.
func NewCertificateStore(ctx *pulumi.Context, name string, args *CertificateStoreArgs, opts ...pulumi.ResourceOption) (*CertificateStore, error) {
	if args == nil {
		return nil, fmt.Errorf("certificate store %s: %w", name, ErrNilArgs)
	}
	c := &CertificateStore{}
	if err := register(ctx, "CertificateStore", name, c, opts); err != nil {
		return nil, err
	}

	schema := certstore.CreateTableInput(name)
	table, err := dynamodb.NewTable(ctx, name+"-table", &dynamodb.TableArgs{
		BillingMode:               pulumi.String(string(schema.BillingMode)),
		HashKey:                   pulumi.String(hashKey(schema.KeySchema)),
		Attributes:                tableAttributes(schema.AttributeDefinitions),
		GlobalSecondaryIndexes:    tableIndexes(schema.GlobalSecondaryIndexes),
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(args.Protect),
		Tags:                      args.Tags,
	}, stateful(args.Protect, c)...)
	if err != nil {
		return nil, fmt.Errorf("certificate store %s: table: %w", name, err)
	}

	c.Table = table
	c.Name = table.Name
	c.Arn = table.Arn
	c.ClientIndexArn = pulumi.Sprintf("%s/index/%s", table.Arn, certstore.ClientIndexName)
	return c, finish(ctx, "CertificateStore", name, c, pulumi.Map{
		"name":           c.Name,
		"arn":            c.Arn,
		"clientIndexArn": c.ClientIndexArn,
	})
}

func hashKey(schema []types.KeySchemaElement) string {
	for _, k := range schema {
		if k.KeyType == types.KeyTypeHash {
			return aws.ToString(k.AttributeName)
		}
	}
	return ""
}

func tableAttributes(defs []types.AttributeDefinition) dynamodb.TableAttributeArray {
	var out dynamodb.TableAttributeArray
	for _, d := range defs {
		out = append(out, dynamodb.TableAttributeArgs{
			Name: pulumi.String(aws.ToString(d.AttributeName)),
			Type: pulumi.String(string(d.AttributeType)),
		})
	}
	return out
}

func tableIndexes(indexes []types.GlobalSecondaryIndex) dynamodb.TableGlobalSecondaryIndexArray {
	var out dynamodb.TableGlobalSecondaryIndexArray
	for _, ix := range indexes {
		out = append(out, dynamodb.TableGlobalSecondaryIndexArgs{
			Name:           pulumi.String(aws.ToString(ix.IndexName)),
			HashKey:        pulumi.String(hashKey(ix.KeySchema)),
			ProjectionType: pulumi.String(string(ix.Projection.ProjectionType)),
		})
	}
	return out
}
