#!/usr/bin/env bash
# Contract test of seer-server against its own /openapi.json (issue 6): trains the example
# Predictor and Solution with the real seer-trainer, starts the real seer-server for each on
# loopback (with an API key, as a Campaign with a Secret runs it), validates the document with
# openapi-spec-validator and runs schemathesis with every check against each server. Any 5xx,
# any response the document does not describe, any valid request refused or invalid one
# accepted fails the run. The servers are stopped by PID however the run ends.
#
# Tools: a Python venv with the pinned packages of requirements.txt, cached under
# $SEER_CACHE/tools. Knobs: SEER_CONTRACT_EXAMPLES (schemathesis --max-examples per operation,
# default 40), SEER_CONTRACT_SEED (default fixed, so CI runs are repeatable; `random` for a new
# one each run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export SEER_CACHE="${SEER_CACHE:-$HOME/.cache/seer}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SEER_CACHE/target}"
examples="${SEER_CONTRACT_EXAMPLES:-40}"
seed="${SEER_CONTRACT_SEED:-20261129}"
started=$SECONDS

say() { printf 'contract [%3d s]: %s\n' "$((SECONDS - started))" "$*"; }
die() { printf 'contract: %s\n' "$*" >&2; exit 1; }

source "$here/../test-servers.sh"
# The tools, once per version of requirements.txt.
pinned_venv "schemathesis and openapi-spec-validator" "${SEER_CONTRACT_PYTHON:-$(command -v python3.11 || command -v python3)}" apitest-venv
build_binaries
example_manifests
say "training the example Predictor and Solution"
"$trainer" train -f "$work/forecast-group.yaml" -f "$work/predictor.yaml" --output "file://$work/artifacts" \
  --version v1 >"$work/train-predictor.log" 2>&1 || { cat "$work/train-predictor.log"; die "training the Predictor failed"; }
"$trainer" train -f "$work/shop-group.yaml" -f "$work/solution.yaml" --output "file://$work/artifacts" \
  --version v1 >"$work/train-solution.log" 2>&1 || { cat "$work/train-solution.log"; die "training the Solution failed"; }

key="contract-test-key"
printf '%s\n' "$key" >"$work/api-key"

start_server "file://$work/artifacts/default/predictor/retail-demand/v1" --api-key-file "$work/api-key"
predictor="$addr"
start_server "file://$work/artifacts/default/solution/shop-for-you/v1" --api-key-file "$work/api-key"
solution="$addr"
say "Predictor on http://$predictor, Solution on http://$solution"

curl -sf "http://$predictor/openapi.json" >"$work/openapi.json"
cmp -s "$work/openapi.json" <(curl -sf "http://$solution/openapi.json") || die "the two servers' documents differ"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

# Each server is held to every check on the routes of its kind of model. On the other kind's
# routes it answers 400 WrongModelKind to valid requests, which the document says, so there
# every check but positive_data_acceptance applies.
forecasts='^/v1/forecasts/'
recommendations='^/v1/(recommendations|personalized-ranking|similar-items/|events)'
open='^/(healthz|readyz|metrics|openapi\.json)$'
failed=0
run_schemathesis() {
  local name="$1" addr="$2"
  shift 2
  say "schemathesis: $name"
  # From the work folder: schemathesis keeps its state (.schemathesis/) in the current one.
  (cd "$work" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" \
    run "http://$addr/openapi.json" --header "x-api-key: $key" --max-examples "$examples" \
    $([[ "$seed" == random ]] || echo "--seed $seed") --workers 2 --no-color "$@") || failed=1
}
run_schemathesis "Predictor, its routes" "$predictor" --checks all --include-path-regex "$forecasts|$open"
run_schemathesis "Solution, its routes" "$solution" --checks all --include-path-regex "$recommendations|$open"
run_schemathesis "Predictor, the Solution's routes" "$predictor" --checks all \
  --exclude-checks positive_data_acceptance --include-path-regex "$recommendations" --max-examples 10
run_schemathesis "Solution, the Predictor's routes" "$solution" --checks all \
  --exclude-checks positive_data_acceptance --include-path-regex "$forecasts" --max-examples 10

# The runs reached the answers worth checking: every route of each model answered 200 at least
# once (seer_http_requests_total by route template and status).
reached() {
  local addr="$1" route
  shift
  curl -sf "http://$addr/metrics" >"$work/metrics"
  for route in "$@"; do
    grep -F "route=\"$route\",status=\"200\"}" "$work/metrics" | grep '^seer_http_requests_total{' |
      awk '{ n += $NF } END { exit !(n > 0) }' ||
      { failed=1; say "no request to $route on http://$addr was answered 200"; }
  done
}
reached "$predictor" '/v1/forecasts/{itemId}' '/v1/forecasts/{itemId}/chart.svg'
reached "$solution" /v1/recommendations /v1/personalized-ranking '/v1/similar-items/{itemId}' /v1/events

# Neither server may have died or logged a panic along the way.
servers_alive || failed=1
((failed == 0)) || die "FAILED after $((SECONDS - started)) s"
say "passed in $((SECONDS - started)) s"
