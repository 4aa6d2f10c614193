package truststore_test

import (
	"testing"

	"github.com/mtls-api/mtls-api/shared/truststore"
)

func BenchmarkValidate(b *testing.B) {
	data := bundle(chain(b, 2)...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := truststore.Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBundleVerify(b *testing.B) {
	certs := chain(b, 1)
	leaf := issue(b, certSpec{cn: "client", parent: certs[1], leaf: true}).cert
	bundled, err := truststore.Validate(bundle(certs...))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := bundled.Verify(leaf, epoch); err != nil {
			b.Fatal(err)
		}
	}
}
