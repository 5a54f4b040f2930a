#!/usr/bin/env bash
# Regenerate the typed API client: the app's OpenAPI schema, then src/api/schema.ts from it.
# Usage: scripts/generate-client.sh [path/to/trading-bot]
set -euo pipefail

dashboard="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bot="${1:-$dashboard/../.venv/bin/trading-bot}"

"$bot" api openapi --out "$dashboard/openapi.json"
"$dashboard/node_modules/.bin/openapi-typescript" "$dashboard/openapi.json" \
  --output "$dashboard/src/api/schema.ts"
