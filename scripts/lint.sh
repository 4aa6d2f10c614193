#!/usr/bin/env bash
# Runs the project's static checks. `make lint` runs them all; the pre-commit hooks run them one
# at a time.
#
# Usage: scripts/lint.sh [all | gofmt | vet | golangci-lint | actionlint]...
#
# golangci-lint and actionlint are the versions pinned in the Makefile. The Makefile passes their
# paths in GOLANGCI_LINT and ACTIONLINT; without them, this script runs `make lint-tools` and uses
# the links in bin/.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=(shared functions tools infra)

ensure_tools() {
  if [[ -z "${GOLANGCI_LINT:-}" || -z "${ACTIONLINT:-}" ]]; then
    make --no-print-directory -s lint-tools
    GOLANGCI_LINT="${GOLANGCI_LINT:-$PWD/bin/golangci-lint}"
    ACTIONLINT="${ACTIONLINT:-$PWD/bin/actionlint}"
  fi
}

check_gofmt() {
  echo "==> gofmt"
  local unformatted
  unformatted="$(gofmt -l "${modules[@]}")"
  if [[ -n "$unformatted" ]]; then
    echo "gofmt: these files are not formatted; run gofmt -w on them:" >&2
    echo "$unformatted" >&2
    return 1
  fi
}

check_vet() {
  echo "==> go vet"
  local patterns=() module
  for module in "${modules[@]}"; do
    patterns+=("./$module/...")
  done
  go vet "${patterns[@]}"
}

# golangci-lint runs in each module's folder: at the root, ./... matches no module of go.work,
# and golangci-lint treats one module as one project. The go.work file above the modules still
# applies, so each module resolves the others at their workspace versions, as go build does. Every
# module is checked even when an earlier one has findings.
check_golangci_lint() {
  ensure_tools
  local status=0 module
  for module in "${modules[@]}"; do
    echo "==> golangci-lint ($module)"
    (cd "$module" && "$GOLANGCI_LINT" run ./...) || status=1
  done
  return "$status"
}

check_actionlint() {
  ensure_tools
  echo "==> actionlint"
  "$ACTIONLINT"
}

checks=("$@")
if [[ ${#checks[@]} -eq 0 ]]; then
  checks=(all)
fi

status=0
for check in "${checks[@]}"; do
  case "$check" in
    all)
      check_gofmt || status=1
      check_vet || status=1
      check_golangci_lint || status=1
      check_actionlint || status=1
      ;;
    gofmt) check_gofmt || status=1 ;;
    vet) check_vet || status=1 ;;
    golangci-lint) check_golangci_lint || status=1 ;;
    actionlint) check_actionlint || status=1 ;;
    *)
      echo "lint.sh: unknown check $check; use all, gofmt, vet, golangci-lint or actionlint" >&2
      exit 2
      ;;
  esac
done
exit "$status"
