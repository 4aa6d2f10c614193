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
	go build -o bin/devstack ./tools/devstack
	./bin/devstack

build: ## Compile every module.
	go build $(GO_PACKAGES)

plan: ## Refresh the committed per-stack plans under infra/plans.
	go run ./infra/cmd/plan

bench: deps ## Run the benchmarks of the hot paths.
	go test -run '^$$' -bench . -benchmem $(GO_PACKAGES)

lint: lint-tools ## Check formatting, vet, golangci-lint and actionlint.
	GOLANGCI_LINT=$(GOLANGCI_LINT) ACTIONLINT=$(ACTIONLINT) ./scripts/lint.sh all

# The lint tools are pinned here and built from source into bin/ (git-ignored), one folder per
# version, so that changing a version reinstalls it. bin/golangci-lint and bin/actionlint link to
# the pinned builds for editors and the pre-commit hooks.
GOLANGCI_LINT_VERSION := v2.15.0
ACTIONLINT_VERSION    := v1.7.12
GOLANGCI_LINT := $(CURDIR)/bin/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
ACTIONLINT    := $(CURDIR)/bin/actionlint-$(ACTIONLINT_VERSION)/actionlint

.PHONY: lint-tools
lint-tools: $(GOLANGCI_LINT) $(ACTIONLINT) ## Install the pinned golangci-lint and actionlint into bin/.
	@ln -sfn $(GOLANGCI_LINT) bin/golangci-lint
	@ln -sfn $(ACTIONLINT) bin/actionlint

$(GOLANGCI_LINT):
	GOBIN=$(@D) GOWORK=off go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(ACTIONLINT):
	GOBIN=$(@D) GOWORK=off go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

new-function: ## Scaffold a function: make new-function NAME=widgets ROUTE="GET /v1/widgets" AUTH=jwt
	./scripts/new-function.sh "$(NAME)" "$(ROUTE)" "$(AUTH)"
