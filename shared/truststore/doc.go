// Package truststore validates a mutual TLS truststore bundle, the PEM file of CA certificates
// that API Gateway reads from S3 to decide which client certificates to accept.
//
// Validate applies API Gateway's documented requirements before the bundle is uploaded, so a
// bad bundle fails in the CA tool or in the infrastructure program instead of producing
// truststore warnings on the custom domain name. The limits come from "Configuring mutual TLS
// authentication for an HTTP API" in the Amazon API Gateway Developer Guide
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mutual-tls.html):
//
//   - certificates can have a maximum chain length of four;
//   - SHA-256 or stronger, RSA-2048 or stronger, ECDSA-256 or stronger are supported;
//   - the bundle is one PEM file of CERTIFICATE blocks.
//
// On top of those, Validate requires what a working bundle needs: every certificate is a CA,
// every chain ends at a self-signed root in the bundle, and no two certificates share a
// subject, because API Gateway chains certificates by name.
package truststore
