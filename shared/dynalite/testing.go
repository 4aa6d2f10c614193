package dynalite

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// StartTable starts dynalite for the test t, creates the certificate table named table, and
// stops the server when the test ends. It fails t when dynalite is not installed.
func StartTable(t testing.TB, table string) *dynamodb.Client {
	t.Helper()

	srv, err := Start(t.Context(), Options{Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })

	client := srv.Client()
	if err := CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	return client
}
