#!/usr/bin/env bash
# Scaffolds a Lambda function: its code under functions/NAME, its catalog entry and the
# refreshed plans. `make new-function NAME=... ROUTE=... AUTH=...` runs it.
#
# Usage: scripts/new-function.sh NAME "METHOD /path" jwt|mtls
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -ne 3 ]]; then
  echo "usage: $0 NAME \"METHOD /path\" jwt|mtls" >&2
  echo "   or: make new-function NAME=widgets ROUTE=\"GET /v1/widgets\" AUTH=jwt" >&2
  exit 2
fi

# Built rather than run with go run, which would add its own "exit status" line to every
# rejection.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/newfunction" ./tools/newfunction
"$tmp/newfunction" -name "$1" -route "$2" -auth "$3"
