module github.com/mtls-api/mtls-api/functions

go 1.26.0
