package truststore_test

import (
	"errors"
	"fmt"

	"github.com/mtls-api/mtls-api/shared/truststore"
)

func ExampleValidate() {
	t := mustSucceed{}
	root := issue(t, certSpec{cn: "example root"})
	intermediate := issue(t, certSpec{cn: "example intermediate", parent: root})

	b, err := truststore.Validate(bundle(intermediate, root))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(b.Certificates), "certificates,", len(b.Roots()), "root")

	// A bundle without its root names the certificate whose issuer is missing.
	_, err = truststore.Validate(bundle(intermediate))
	var certErr *truststore.CertificateError
	if errors.As(err, &certErr) {
		fmt.Println(certErr.Index, certErr.Reason)
	}
	// Output:
	// 2 certificates, 1 root
	// 1 issuerMissing
}
