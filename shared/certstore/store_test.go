package certstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mtls-api/mtls-api/shared/certificate"
	"github.com/mtls-api/mtls-api/shared/certstore"
	"github.com/mtls-api/mtls-api/shared/dynalite"
)

const table = "certificates"

var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newRecord(t *testing.T, serial int64, client string) certificate.Record {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: client},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return certificate.NewRecord(cert, client, now)
}

// TestStoreDynalite runs the store against a real DynamoDB-compatible server.
func TestStoreDynalite(t *testing.T) {
	client := dynalite.StartTable(t, table)
	store := certstore.New(client, table)
	ctx := t.Context()

	first := newRecord(t, 1001, "client-a")
	second := newRecord(t, 1002, "client-a")
	third := newRecord(t, 1003, "client-b")
	for _, rec := range []certificate.Record{first, second, third} {
		if err := store.Put(ctx, rec); err != nil {
			t.Fatalf("Put(%s) = %v", rec.SerialNumber, err)
		}
	}

	t.Run("get round trip", func(t *testing.T) {
		got, err := store.Get(ctx, "1001")
		if err != nil {
			t.Fatal(err)
		}
		if got != first {
			t.Errorf("Get(1001) = %+v, want %+v", got, first)
		}
	})

	t.Run("get by hex serial", func(t *testing.T) {
		got, err := store.Get(ctx, "0x03e9")
		if err != nil {
			t.Fatal(err)
		}
		if got.SerialNumber != "1001" {
			t.Errorf("Get(0x03e9).SerialNumber = %s, want 1001", got.SerialNumber)
		}
	})

	t.Run("get unknown", func(t *testing.T) {
		_, err := store.Get(ctx, "999")
		if !errors.Is(err, certstore.ErrNotFound) {
			t.Errorf("Get(999) = %v, want ErrNotFound", err)
		}
	})

	t.Run("get invalid serial", func(t *testing.T) {
		_, err := store.Get(ctx, "zz")
		if !errors.Is(err, certificate.ErrInvalidSerial) {
			t.Errorf("Get(zz) = %v, want ErrInvalidSerial", err)
		}
	})

	t.Run("put twice", func(t *testing.T) {
		err := store.Put(ctx, first)
		if !errors.Is(err, certstore.ErrExists) {
			t.Errorf("Put(existing) = %v, want ErrExists", err)
		}
	})

	t.Run("put invalid record", func(t *testing.T) {
		bad := newRecord(t, 1004, "client-c")
		bad.Status = "paused"
		if err := store.Put(ctx, bad); err == nil {
			t.Error("Put(status paused) = nil, want a validation error")
		}
		if _, err := store.Get(ctx, "1004"); !errors.Is(err, certstore.ErrNotFound) {
			t.Errorf("Get(1004) after a rejected Put = %v, want ErrNotFound", err)
		}
	})

	t.Run("list by client", func(t *testing.T) {
		got, err := store.ListByClient(ctx, "client-a")
		if err != nil {
			t.Fatal(err)
		}
		serials := serialsOf(got)
		if !slices.Equal(serials, []string{"1001", "1002"}) {
			t.Errorf("ListByClient(client-a) = %v, want [1001 1002]", serials)
		}
	})

	t.Run("list all", func(t *testing.T) {
		got, err := store.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if serials := serialsOf(got); !slices.Equal(serials, []string{"1001", "1002", "1003"}) {
			t.Errorf("List() = %v, want [1001 1002 1003]", serials)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		at := now.Add(time.Hour)
		got, err := store.Revoke(ctx, "1001", "keyCompromise", at)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != certificate.StatusRevoked || got.RevocationReason != "keyCompromise" || !got.RevokedAt.Equal(at) {
			t.Errorf("Revoke() = %+v, want revoked at %v for keyCompromise", got, at)
		}
		stored, err := store.Get(ctx, "1001")
		if err != nil {
			t.Fatal(err)
		}
		if stored != got {
			t.Errorf("Get after Revoke = %+v, want %+v", stored, got)
		}
	})

	t.Run("revoke twice", func(t *testing.T) {
		_, err := store.Revoke(ctx, "1001", "keyCompromise", now)
		if !errors.Is(err, certstore.ErrNotActive) {
			t.Errorf("Revoke(revoked) = %v, want ErrNotActive", err)
		}
	})

	t.Run("revoke unknown", func(t *testing.T) {
		_, err := store.Revoke(ctx, "555", "keyCompromise", now)
		if !errors.Is(err, certstore.ErrNotFound) {
			t.Errorf("Revoke(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("supersede", func(t *testing.T) {
		got, err := store.Supersede(ctx, "1002", now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != certificate.StatusSuperseded {
			t.Errorf("Supersede().Status = %s, want superseded", got.Status)
		}
	})
}

// TestStoreItemLayout pins the item layout other tools read: attribute names and RFC 3339
// times, and that an item written before the optional fields existed still loads.
func TestStoreItemLayout(t *testing.T) {
	client := dynalite.StartTable(t, table)
	store := certstore.New(client, table)
	ctx := t.Context()

	rec := newRecord(t, 77, "client-a")
	if err := store.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table),
		Key:       map[string]types.AttributeValue{"serialNumber": &types.AttributeValueMemberS{Value: "77"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStrings := map[string]string{
		"serialNumber": "77",
		"clientId":     "client-a",
		"status":       "active",
		"issuedAt":     "2026-03-04T05:06:07Z",
		"notAfter":     rec.NotAfter.Format(time.RFC3339),
	}
	for name, want := range wantStrings {
		got, ok := out.Item[name].(*types.AttributeValueMemberS)
		if !ok || got.Value != want {
			t.Errorf("item[%s] = %#v, want string %q", name, out.Item[name], want)
		}
	}
	for _, name := range []string{"revokedAt", "revocationReason"} {
		if _, ok := out.Item[name]; ok {
			t.Errorf("item[%s] is present on an active record, want it absent", name)
		}
	}

	legacy := map[string]types.AttributeValue{
		"serialNumber":      &types.AttributeValueMemberS{Value: "78"},
		"clientId":          &types.AttributeValueMemberS{Value: "client-old"},
		"fingerprintSha256": &types.AttributeValueMemberS{Value: rec.FingerprintSHA256},
		"status":            &types.AttributeValueMemberS{Value: "active"},
		"notBefore":         &types.AttributeValueMemberS{Value: "2026-01-01T00:00:00Z"},
		"notAfter":          &types.AttributeValueMemberS{Value: "2027-01-01T00:00:00Z"},
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: legacy}); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, "78")
	if err != nil {
		t.Fatalf("Get(legacy item) = %v", err)
	}
	if got.ClientID != "client-old" || !got.IssuedAt.IsZero() || got.SubjectDN != "" {
		t.Errorf("Get(legacy item) = %+v, want client-old with empty optional fields", got)
	}
}

// failingAPI returns err from every call, as DynamoDB does when it is unreachable.
type failingAPI struct{ err error }

func (f failingAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return nil, f.err
}

func (f failingAPI) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, f.err
}

func (f failingAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, f.err
}

func (f failingAPI) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, f.err
}

func (f failingAPI) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return nil, f.err
}

func TestStoreDependencyFailure(t *testing.T) {
	down := errors.New("connection refused")
	store := certstore.New(failingAPI{err: down}, table)
	rec := newRecord(t, 5, "client-a")

	calls := []struct {
		name string
		call func() error
	}{
		{name: "get", call: func() error { _, err := store.Get(t.Context(), "5"); return err }},
		{name: "put", call: func() error { return store.Put(t.Context(), rec) }},
		{name: "revoke", call: func() error { _, err := store.Revoke(t.Context(), "5", "x", now); return err }},
		{name: "list", call: func() error { _, err := store.List(t.Context()); return err }},
		{name: "list by client", call: func() error { _, err := store.ListByClient(t.Context(), "client-a"); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if !errors.Is(err, down) {
				t.Errorf("%s = %v, want the client's error wrapped", c.name, err)
			}
			if errors.Is(err, certstore.ErrNotFound) {
				t.Errorf("%s = %v, must not look like ErrNotFound", c.name, err)
			}
		})
	}
}

func serialsOf(records []certificate.Record) []string {
	out := make([]string, 0, len(records))
	for _, r := range records {
		out = append(out, r.SerialNumber)
	}
	slices.Sort(out)
	return out
}
