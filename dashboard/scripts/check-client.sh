#!/usr/bin/env bash
# Fail when the committed openapi.json or src/api/schema.ts is not what the API generates now.
# Usage: scripts/check-client.sh [path/to/trading-bot]
set -euo pipefail

dashboard="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bot="${1:-$dashboard/../.venv/bin/trading-bot}"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT

"$bot" api openapi --out "$fresh/openapi.json"
"$dashboard/node_modules/.bin/openapi-typescript" "$fresh/openapi.json" \
  --output "$fresh/schema.ts" >/dev/null 2>&1

stale=0
for pair in "openapi.json:openapi.json" "src/api/schema.ts:schema.ts"; do
  committed="$dashboard/${pair%%:*}"
  if ! diff -u "$committed" "$fresh/${pair##*:}" >"$fresh/diff" 2>&1; then
    echo "dashboard/${pair%%:*} is stale: run 'make dashboard-client' and commit the result." >&2
    head -n 40 "$fresh/diff" >&2
    stale=1
  fi
done
if [ "$stale" -eq 0 ]; then
  echo "dashboard client is up to date with the API"
fi
exit "$stale"
