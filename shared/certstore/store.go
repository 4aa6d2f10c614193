package certstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mtls-api/mtls-api/shared/certificate"
)

// Errors callers branch on. They are returned wrapped; check them with errors.Is.
var (
	// ErrNotFound means no record has the requested serial number.
	ErrNotFound = errors.New("certstore: certificate not registered")
	// ErrExists means a record with the same serial number is already registered.
	ErrExists = errors.New("certstore: certificate already registered")
	// ErrNotActive means a status change was requested for a record that is no longer active.
	ErrNotActive = errors.New("certstore: certificate is not active")
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Store reads and writes records in one certificate table.
type Store struct {
	client API
	table  string
}

// New returns a Store for the table named table.
func New(client API, table string) *Store {
	return &Store{client: client, table: table}
}

// Table returns the name of the table the store uses.
func (s *Store) Table() string { return s.table }

// Get returns the record of the certificate with the given serial number, in any of the
// forms certificate.ParseSerial accepts. It uses a strongly consistent read so that a
// revocation takes effect on the next request.
func (s *Store) Get(ctx context.Context, serial string) (certificate.Record, error) {
	key, err := certificate.CanonicalSerial(serial)
	if err != nil {
		return certificate.Record{}, err
	}

	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            serialKey(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return certificate.Record{}, fmt.Errorf("get certificate %s from %s: %w", key, s.table, err)
	}
	if len(out.Item) == 0 {
		return certificate.Record{}, fmt.Errorf("certificate %s: %w", key, ErrNotFound)
	}

	var rec certificate.Record
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return certificate.Record{}, fmt.Errorf("decode certificate %s: %w", key, err)
	}
	return rec, nil
}

// Put registers rec. It validates rec first and never overwrites an existing record: a second
// registration of the same serial number returns ErrExists.
func (s *Store) Put(ctx context.Context, rec certificate.Record) error {
	if err := rec.Validate(); err != nil {
		return err
	}

	item, err := marshalRecord(rec)
	if err != nil {
		return fmt.Errorf("encode certificate %s: %w", rec.SerialNumber, err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": PartitionKey,
		},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("certificate %s: %w", rec.SerialNumber, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("put certificate %s into %s: %w", rec.SerialNumber, s.table, err)
	}
	return nil
}

// Revoke marks the active certificate serial as revoked at the given time, for reason, and
// returns the updated record. It returns ErrNotFound for an unknown serial number and
// ErrNotActive when the record is already revoked or superseded.
func (s *Store) Revoke(ctx context.Context, serial, reason string, at time.Time) (certificate.Record, error) {
	return s.deactivate(ctx, serial, certificate.StatusRevoked, reason, at)
}

// Supersede marks the active certificate serial as replaced by a newer certificate at the
// given time, and returns the updated record. Errors are as for Revoke.
func (s *Store) Supersede(ctx context.Context, serial string, at time.Time) (certificate.Record, error) {
	return s.deactivate(ctx, serial, certificate.StatusSuperseded, "superseded", at)
}

func (s *Store) deactivate(ctx context.Context, serial string, status certificate.Status, reason string, at time.Time) (certificate.Record, error) {
	key, err := certificate.CanonicalSerial(serial)
	if err != nil {
		return certificate.Record{}, err
	}
	revokedAt, err := attributevalue.Marshal(at.UTC().Truncate(time.Second))
	if err != nil {
		return certificate.Record{}, fmt.Errorf("encode time %s: %w", at, err)
	}

	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 serialKey(key),
		UpdateExpression:    aws.String("SET #status = :new, #revokedAt = :at, #reason = :reason"),
		ConditionExpression: aws.String("attribute_exists(#pk) AND #status = :active"),
		ExpressionAttributeNames: map[string]string{
			"#pk":        PartitionKey,
			"#status":    "status",
			"#revokedAt": "revokedAt",
			"#reason":    "revocationReason",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":new":    &types.AttributeValueMemberS{Value: string(status)},
			":active": &types.AttributeValueMemberS{Value: string(certificate.StatusActive)},
			":at":     revokedAt,
			":reason": &types.AttributeValueMemberS{Value: reason},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		// Tell an unknown serial apart from one that is no longer active.
		if _, getErr := s.Get(ctx, key); getErr != nil {
			return certificate.Record{}, getErr
		}
		return certificate.Record{}, fmt.Errorf("certificate %s: %w", key, ErrNotActive)
	}
	if err != nil {
		return certificate.Record{}, fmt.Errorf("set certificate %s to %s: %w", key, status, err)
	}

	var rec certificate.Record
	if err := attributevalue.UnmarshalMap(out.Attributes, &rec); err != nil {
		return certificate.Record{}, fmt.Errorf("decode certificate %s: %w", key, err)
	}
	return rec, nil
}

// ListByClient returns every record of clientID, through the client index, in no set order.
func (s *Store) ListByClient(ctx context.Context, clientID string) ([]certificate.Record, error) {
	var (
		records []certificate.Record
		start   map[string]types.AttributeValue
	)
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(ClientIndexName),
			KeyConditionExpression:    aws.String("#client = :client"),
			ExpressionAttributeNames:  map[string]string{"#client": ClientIndexKey},
			ExpressionAttributeValues: map[string]types.AttributeValue{":client": &types.AttributeValueMemberS{Value: clientID}},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("list certificates of client %s in %s: %w", clientID, s.table, err)
		}
		page, err := decodeRecords(out.Items)
		if err != nil {
			return nil, err
		}
		records = append(records, page...)
		if len(out.LastEvaluatedKey) == 0 {
			return records, nil
		}
		start = out.LastEvaluatedKey
	}
}

// List returns every record in the table, in no set order. It scans the whole table, which
// suits the sizes a CA tool lists.
func (s *Store) List(ctx context.Context) ([]certificate.Record, error) {
	var (
		records []certificate.Record
		start   map[string]types.AttributeValue
	)
	for {
		out, err := s.client.Scan(ctx, &dynamodb.ScanInput{
			TableName:         aws.String(s.table),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("list certificates in %s: %w", s.table, err)
		}
		page, err := decodeRecords(out.Items)
		if err != nil {
			return nil, err
		}
		records = append(records, page...)
		if len(out.LastEvaluatedKey) == 0 {
			return records, nil
		}
		start = out.LastEvaluatedKey
	}
}

// marshalRecord encodes rec as an item. Zero optional times (revokedAt on an active record)
// are left out instead of being stored as year 1.
func marshalRecord(rec certificate.Record) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMapWithOptions(rec, func(o *attributevalue.EncoderOptions) {
		o.OmitEmptyTime = true
	})
}

func decodeRecords(items []map[string]types.AttributeValue) ([]certificate.Record, error) {
	records := make([]certificate.Record, 0, len(items))
	for _, item := range items {
		var rec certificate.Record
		if err := attributevalue.UnmarshalMap(item, &rec); err != nil {
			return nil, fmt.Errorf("decode certificate record: %w", err)
		}
		records = append(records, rec)
	}
	return records, nil
}

func serialKey(serial string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PartitionKey: &types.AttributeValueMemberS{Value: serial}}
}

func isConditionFailed(err error) bool {
	var failed *types.ConditionalCheckFailedException
	return errors.As(err, &failed)
}
