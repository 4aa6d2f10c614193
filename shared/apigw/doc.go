// Package apigw reads what API Gateway HTTP APIs put into payload format 2.0 events: the
// client certificate of a mutual TLS connection and the context a Lambda authorizer returned.
//
// The certificate's values are always taken from parsing clientCertPem with crypto/x509, never
// from splitting the DN strings API Gateway adds next to it.
package apigw
