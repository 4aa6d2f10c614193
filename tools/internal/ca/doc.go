// Package ca is the project's private certificate authority: a root CA, an intermediate CA
// that issues the client certificates, and the truststore bundle API Gateway reads.
//
// Keys are ECDSA. The root signs only intermediates (path length 1) and the intermediate
// signs only end-entity certificates (path length 0), with the key usages, basic constraints
// and key identifiers RFC 5280 section 4.2 expects of CA certificates.
//
// A client certificate names its client id in a URI subject alternative name of the form
// urn:mtls-api:client:<id> (see ClientIDURIPrefix). The subject CN stays free for a
// human-readable name. The certificate table stores the same id, so a certificate found
// without its record still names its client.
//
// Times and randomness come from Options, so tests can fix both. The package never logs.
package ca
