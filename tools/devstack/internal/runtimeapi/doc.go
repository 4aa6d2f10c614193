// Package runtimeapi emulates the AWS Lambda Runtime API for one function, so that an unchanged
// function binary built with aws-lambda-go runs as a local process.
//
// The function process long-polls GET /2018-06-01/runtime/invocation/next and posts the result
// of each invocation to /{requestId}/response or /{requestId}/error; a runtime that cannot
// start posts to /init/error. Emulator.Invoke queues an event, waits for the process to respond
// within the function's timeout, and returns the response payload. The protocol follows
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html and the client in
// github.com/aws/aws-lambda-go/lambda (v1.55.1), which reads the request id, deadline and
// function ARN headers this package sets.
package runtimeapi
