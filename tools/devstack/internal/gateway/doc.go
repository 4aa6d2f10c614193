// Package gateway is a local stand-in for an API Gateway HTTP API with a mutual TLS custom
// domain. It requires a client certificate from the truststore, routes requests by the
// function catalog, runs the Lambda authorizer for jwt routes, and invokes each route's
// function with a payload format 2.0 event shaped as API Gateway shapes it.
//
// Functions are reached through the Invoker interface, so tests can put fakes behind the
// gateway and the local stack can put the Lambda Runtime API emulator there.
package gateway
