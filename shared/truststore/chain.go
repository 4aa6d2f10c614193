package truststore

import (
	"bytes"
	"crypto/x509"
	"fmt"
)

// checkChains links every certificate to its issuer in the bundle by subject name and
// signature, and returns the length of each certificate's chain up to its root (0 where no
// chain reaches a root). Entries of certs may be nil for blocks that did not parse.
func checkChains(certs []*x509.Certificate) ([]int, []error) {
	var errs []error
	fail := func(i int, reason Reason, problem, fix string) {
		errs = append(errs, &CertificateError{Index: i + 1, Subject: certs[i].Subject.String(), Reason: reason, Problem: problem, Fix: fix})
	}

	bySubject := make(map[string]int, len(certs))
	for i, cert := range certs {
		if cert == nil {
			continue
		}
		if first, ok := bySubject[string(cert.RawSubject)]; ok {
			fail(i, ReasonDuplicateSubject, fmt.Sprintf("same subject as certificate %d", first+1),
				"remove one of them, or give each CA its own subject (for example a different CN per intermediate)")
			continue
		}
		bySubject[string(cert.RawSubject)] = i
	}

	// parent[i] is the index of certificate i's issuer, i itself for a root, or -1 when the
	// issuer is missing or its signature does not verify.
	parent := make([]int, len(certs))
	for i, cert := range certs {
		parent[i] = -1
		if cert == nil {
			continue
		}
		if bytes.Equal(cert.RawIssuer, cert.RawSubject) {
			if signedBy(cert, cert) {
				parent[i] = i
			} else {
				fail(i, ReasonBadSignature, "self-signed, but its signature does not verify with its own key",
					"replace it with the CA's genuine certificate")
			}
			continue
		}
		j, ok := bySubject[string(cert.RawIssuer)]
		if !ok {
			fail(i, ReasonIssuerMissing, fmt.Sprintf("its issuer %q is not in the bundle", cert.Issuer.String()),
				"add the issuer's certificate, and so on up to the self-signed root")
			continue
		}
		if !signedBy(cert, certs[j]) {
			fail(i, ReasonBadSignature, fmt.Sprintf("its signature does not verify with the key of certificate %d (%s)", j+1, certs[j].Subject.String()),
				"add the certificate of the CA that really issued it, or reissue it")
			continue
		}
		parent[i] = j
	}

	lengths := make([]int, len(certs))
	for i, cert := range certs {
		if cert == nil || parent[i] < 0 {
			continue
		}
		n, status := chainLength(parent, i)
		if status == chainBroken {
			continue // The broken link is reported at the certificate that has it.
		}
		if status == chainLoops {
			fail(i, ReasonIssuerMissing, "its chain loops back on itself without reaching a self-signed root",
				"add the self-signed root CA certificate and reissue the CAs from it")
			continue
		}
		lengths[i] = n
		if n > MaxChainLength {
			fail(i, ReasonChainTooLong, fmt.Sprintf("its chain up to the root has %d CA certificates, API Gateway allows at most %d", n, MaxChainLength),
				"issue client certificates from a CA closer to the root")
		}
	}
	return lengths, errs
}

type chainStatus int

const (
	chainComplete chainStatus = iota
	chainBroken
	chainLoops
)

// chainLength follows parent links from i to a root and returns the number of certificates
// on the way, root included.
func chainLength(parent []int, i int) (int, chainStatus) {
	n := 1
	for parent[i] != i {
		if parent[i] < 0 {
			return 0, chainBroken
		}
		if n > len(parent) {
			return 0, chainLoops
		}
		i = parent[i]
		n++
	}
	return n, chainComplete
}

// signedBy reports whether issuer's key verifies cert's signature. It checks the signature
// alone: weak algorithms and missing CA flags are reported by checkCertificate.
func signedBy(cert, issuer *x509.Certificate) bool {
	if !strongSignature(cert.SignatureAlgorithm) {
		return true
	}
	return issuer.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
}
