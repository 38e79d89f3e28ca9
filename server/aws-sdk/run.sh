#!/usr/bin/env bash
# seer-server's AWS runtime services driven by an official AWS SDK (issue 9): trains the example
# Solution and Predictor, plus a small Predictor with a `store` dimension, with the real
# seer-trainer; starts the real seer-server for each on loopback (two of them with an access
# key, so requests must carry Signature Version 4); then runs test_boto3.py, whose boto3
# clients differ from an application's on AWS only in `endpoint_url` (and dummy credentials).
# The servers are stopped by PID however the run ends.
#
# Tools: a Python venv with the pinned packages of requirements.txt, cached under
# $SEER_CACHE/tools.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export SEER_CACHE="${SEER_CACHE:-$HOME/.cache/seer}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SEER_CACHE/target}"
started=$SECONDS

say() { printf 'aws-sdk [%3d s]: %s\n' "$((SECONDS - started))" "$*"; }
die() { printf 'aws-sdk: %s\n' "$*" >&2; exit 1; }

source "$here/../test-servers.sh"
pinned_venv boto3 "${SEER_AWS_SDK_PYTHON:-$(command -v python3.11 || command -v python3)}" aws-sdk-venv
build_binaries
example_manifests

# Items a and b at store s1, a also at s2 (a different level), 8 weeks of days.
{
  echo "item_id,store,timestamp,demand"
  for day in $(seq 0 55); do
    date="$(date -u -d "2024-01-01 + $day days" +%F)"
    w=$((day % 7))
    echo "a,s1,$date,$((5 + w))"
    echo "a,s2,$date,$((50 + 3 * w))"
    echo "b,s1,$date,$((2 * w))"
  done
} >"$work/stores.csv"
cat >"$work/stores.yaml" <<EOF
apiVersion: seer.dev/v1alpha1
kind: DatasetGroup
metadata: {name: stores, namespace: default}
spec:
  domain: RETAIL
  datasets:
  - type: TARGET_TIME_SERIES
    uri: file://$work/stores.csv
    dataFrequency: D
---
apiVersion: seer.dev/v1alpha1
kind: Predictor
metadata: {name: stores, namespace: default}
spec:
  datasetGroupRef: {name: stores}
  forecastHorizon: 7
  forecastFrequency: D
  forecastTypes: ["0.1", "0.5", "0.9", mean]
  forecastDimensions: [store]
  algorithm: SEASONAL_NAIVE
  backtest: {windows: 1}
EOF

say "training the example Predictor and Solution, and the stores Predictor"
train() {
  local log="$work/train-$1.log"
  shift
  "$trainer" train "$@" --output "file://$work/artifacts" --version v1 >"$log" 2>&1 || { cat "$log"; die "training failed: $*"; }
}
train predictor -f "$work/forecast-group.yaml" -f "$work/predictor.yaml"
train solution -f "$work/shop-group.yaml" -f "$work/solution.yaml"
train stores -f "$work/stores.yaml"

key_id="AKIDSEERTEST"
key_secret="seer-test-secret-$RANDOM$RANDOM"
printf '# access key id, secret access key\n%s %s\n' "$key_id" "$key_secret" >"$work/aws-keys"

artifacts="file://$work/artifacts/default"
start_server "$artifacts/solution/shop-for-you/v1" --campaign-name shop
export SEER_SOLUTION="$addr"
grep -q "accept unsigned and signed requests alike" "$last_log" || { cat "$last_log"; die "no startup line about unsigned requests"; }
start_server "$artifacts/solution/shop-for-you/v1" --aws-keys-file "$work/aws-keys" --campaign-name shop
export SEER_SIGNED="$addr"
grep -q "require Signature Version 4 with one of 1 access key" "$last_log" || { cat "$last_log"; die "no startup line about signatures"; }
start_server "$artifacts/predictor/retail-demand/v1"
export SEER_PREDICTOR="$addr"
SEER_AWS_ACCESS_KEY_ID="$key_id" SEER_AWS_SECRET_ACCESS_KEY="$key_secret" \
  start_server "$artifacts/predictor/stores/v1" --campaign-name stores
export SEER_STORES="$addr"
export SEER_KEY_ID="$key_id" SEER_KEY_SECRET="$key_secret" SEER_EXAMPLES="$repo/examples/recommendations"
say "servers: Solution $SEER_SOLUTION, signed Solution $SEER_SIGNED, Predictor $SEER_PREDICTOR, stores $SEER_STORES"

failed=0
# No AWS configuration files or variables of the machine may change what the clients do.
env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  "$venv/bin/python" "$here/test_boto3.py" || failed=1
# docs/moving-from-aws.md names every member of botocore's Forecast and Personalize models.
"$venv/bin/python" "$here/test_mapping_doc.py" || failed=1

# Neither server may have died or logged a panic along the way.
servers_alive || failed=1
# Secrets never reach a log.
if grep -l "$key_secret" "$work"/server-*.log*; then failed=1; say "a server logged the secret access key"; fi
((failed == 0)) || die "FAILED after $((SECONDS - started)) s"
say "passed in $((SECONDS - started)) s"
