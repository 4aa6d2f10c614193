module github.com/mtls-api/mtls-api/tools

go 1.26.0
