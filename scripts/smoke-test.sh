#!/usr/bin/env bash
# Boot the production stack with docker compose and check that it answers.
#
#   scripts/smoke-test.sh            build and start the stack, wait, check, leave it running
#   scripts/smoke-test.sh --no-build start what is already built
#   scripts/smoke-test.sh --down     stop the stack (volumes kept) once the checks ran
#
# Waits (up to SMOKE_TIMEOUT seconds, default 300) until every service is healthy and the
# migrations have run, then calls /health and /metrics, /api/portfolio with and without a
# token, the dashboard, and Prometheus's view of every /metrics target. Prints one line per
# check and a summary; exits 1 if any check failed, 2 on a usage error.
set -euo pipefail

cd "$(dirname "$0")/.."

COMPOSE=(docker compose)
API=${SMOKE_API_URL:-http://127.0.0.1:8000}
DASHBOARD=${SMOKE_DASHBOARD_URL:-http://127.0.0.1:8080}
PROMETHEUS=${SMOKE_PROMETHEUS_URL:-http://127.0.0.1:9090}
TIMEOUT=${SMOKE_TIMEOUT:-300}
BUILD=(--build)
DOWN=0
# The six services (the names `trading-bot service NAME` takes) and what they stand on.
SERVICES=(news-fetcher sentiment-analyzer signal-generator trade-executor learning-engine api-gateway)
HEALTHY=(timescaledb redis "${SERVICES[@]}" dashboard)

for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=() ;;
    --down) DOWN=1 ;;
    -h | --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "error: unknown option $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

for tool in docker curl; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 2; }
done
[[ -f .env ]] || { echo "error: no .env; cp .env.example .env and set the secrets first" >&2; exit 2; }

failures=0
passed=0
check() { # check NAME COMMAND...: run the command, print PASS or FAIL with its output
  local name=$1 output
  shift
  if output=$("$@" 2>&1); then
    passed=$((passed + 1))
    printf '  PASS  %s\n' "$name"
  else
    failures=$((failures + 1))
    printf '  FAIL  %s\n' "$name"
    [[ -n "$output" ]] && printf '        %s\n' "${output//$'\n'/$'\n'        }"
  fi
  return 0
}

container_of() { "${COMPOSE[@]}" ps --all --quiet "$1"; }

state_of() { # state_of SERVICE: healthy, starting, unhealthy, running, exited(N), or missing
  local id
  id=$(container_of "$1")
  [[ -n "$id" ]] || { echo missing; return; }
  docker inspect --format \
    '{{if .State.Health}}{{.State.Health.Status}}{{else if .State.Running}}running{{else}}exited({{.State.ExitCode}}){{end}}' \
    "$id"
}

wait_for_stack() {
  local deadline=$((SECONDS + TIMEOUT)) pending service state
  while ((SECONDS < deadline)); do
    pending=()
    state=$(state_of migrate)
    [[ "$state" == "exited(0)" ]] || pending+=("migrate:$state")
    for service in "${HEALTHY[@]}"; do
      state=$(state_of "$service")
      [[ "$state" == healthy ]] || pending+=("$service:$state")
    done
    if ((${#pending[@]} == 0)); then
      return 0
    fi
    # A failed migration never recovers; a service that is still starting may.
    if [[ "$(state_of migrate)" == "exited("[1-9]* ]]; then
      echo "the migrations failed:"
      "${COMPOSE[@]}" logs --no-color --tail 20 migrate
      return 1
    fi
    sleep 3
  done
  echo "still waiting after ${TIMEOUT} s: ${pending[*]}"
  return 1
}

status_is() { # status_is CODE URL [CURL ARGS...]: the URL answers with this HTTP status
  local want=$1 url=$2 got
  shift 2
  got=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 "$@" "$url")
  [[ "$got" == "$want" ]] || { echo "$url answered $got, expected $want"; return 1; }
}

body_has() { # body_has TEXT URL [CURL ARGS...]: a 2xx body of URL contains TEXT
  local text=$1 url=$2 body
  shift 2
  body=$(curl --silent --show-error --fail --max-time 10 "$@" "$url") || return 1
  [[ "$body" == *"$text"* ]] || { echo "$url does not mention $text"; return 1; }
}

service_health() { # service_health SERVICE: its own /health answers 200 inside its container
  "${COMPOSE[@]}" exec -T "$1" python -c \
    "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['HEALTH_PORT'] + '/health', timeout=5)"
}

service_metrics() { # service_metrics SERVICE: its /metrics serves the Prometheus exposition
  "${COMPOSE[@]}" exec -T "$1" python -c \
    "import os, sys, urllib.request; body = urllib.request.urlopen('http://127.0.0.1:' + os.environ['HEALTH_PORT'] + '/metrics', timeout=5).read().decode(); sys.exit(0 if '# TYPE' in body else 'no metrics in the answer')"
}

mint_token() { # mint_token: an API token for the first account, else a five-minute access token
  local output
  if output=$("${COMPOSE[@]}" exec -T api-gateway trading-bot user token --name smoke-test --ttl 1h 2>&1); then
    printf '%s\n' "$output" | tail -n 1
    return 0
  fi
  if [[ "$output" != *"no account yet"* ]]; then
    printf '%s\n' "$output" >&2
    return 1
  fi
  # No account exists before someone signs up with a passkey; sign a short session token with
  # the gateway's own key and code instead, so the authenticated routes are still exercised.
  echo "no account yet: using a five-minute access token signed by the api-gateway" >&2
  "${COMPOSE[@]}" exec -T api-gateway python -c \
    "import datetime, os, uuid; from trading_bot.adapters.clocks import WallClock; from trading_bot.entrypoints.api.auth.jwt import AccessTokens; print(AccessTokens(os.environ['TRADING_API__JWT_SECRET'], WallClock(), ttl=datetime.timedelta(minutes=5)).issue(uuid.uuid4(), 'smoke-test')[0])"
}

prometheus_targets_up() { # every scrape target Prometheus knows reports up (six expected)
  curl --silent --show-error --fail --max-time 10 "$PROMETHEUS/api/v1/targets?state=active" |
    "${COMPOSE[@]}" exec -T api-gateway python -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
down = [t["scrapeUrl"] for t in targets if t["health"] != "up"]
if len(targets) != 6 or down:
    sys.exit(f"{len(targets)} targets, not up: {down}")
'
}

eventually() { # eventually SECONDS COMMAND...: retry every 3 s until it succeeds or time runs out
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { "$@"; return 1; }
    sleep 3
  done
}

echo "==> docker compose up -d ${BUILD[*]}"
"${COMPOSE[@]}" up --detach "${BUILD[@]}"

echo "==> waiting for the stack (up to ${TIMEOUT} s)"
check "every service healthy, migrations applied" wait_for_stack

echo "==> checks"
check "api-gateway /health" body_has '"status":"ok"' "$API/health"
check "api-gateway /metrics" body_has "# TYPE" "$API/metrics"
for service in "${SERVICES[@]}"; do
  [[ "$service" == api-gateway ]] && continue
  check "$service /health" service_health "$service"
  check "$service /metrics" service_metrics "$service"
done
check "/api/portfolio refuses a call without a token" status_is 401 "$API/api/portfolio"
if token=$(mint_token); then
  check "/api/portfolio with a token" body_has '"equity"' "$API/api/portfolio" \
    --header "Authorization: Bearer $token"
else
  check "mint a token" false
fi
check "dashboard serves the app" body_has '<div id="root">' "$DASHBOARD/"
check "dashboard proxies /health to the api-gateway" body_has '"status"' "$DASHBOARD/health"
check "Prometheus scrapes every service's /metrics" eventually 90 prometheus_targets_up

if ((DOWN)); then
  echo "==> docker compose down"
  "${COMPOSE[@]}" down
fi

echo
if ((failures)); then
  echo "smoke test FAILED: $failures failed, $passed passed"
  "${COMPOSE[@]}" ps
  exit 1
fi
echo "smoke test passed: $passed checks"
