# Entry points for working on mtls-api. Run `make help` for the list.

GO_PACKAGES := ./shared/... ./functions/... ./tools/... ./infra/...
GO_MODULES  := shared functions tools infra

.DEFAULT_GOAL := help
.PHONY: help deps test dev lint build plan bench new-function

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

deps: node_modules/.package-lock.json ## Install Go modules and dynalite from the lockfiles.
	@for m in $(GO_MODULES); do (cd $$m && go mod download) || exit 1; done

test: deps ## Run every test: unit, integration (dynalite, Cognito stand-in), infrastructure, end to end.
	go test -count=1 -timeout 40m $(GO_PACKAGES)

dev: deps ## Run the whole flow locally on https://localhost:8443 (Ctrl-C stops it).
	go run ./tools/devstack

build: ## Compile every module.
	go build $(GO_PACKAGES)

plan: ## Refresh the committed per-stack plans under infra/plans.
	go run ./infra/cmd/plan

bench: deps ## Run the benchmarks of the hot paths.
	go test -run '^$$' -bench . -benchmem $(GO_PACKAGES)

lint: ## Check formatting, vet, golangci-lint and actionlint.
	gofmt -l shared functions tools infra | tee /dev/stderr | (! read)
	go vet $(GO_PACKAGES)

new-function: ## Scaffold a function: make new-function NAME=widgets ROUTE="GET /v1/widgets" AUTH=jwt
	./scripts/new-function.sh "$(NAME)" "$(ROUTE)" "$(AUTH)"
