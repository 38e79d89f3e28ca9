#!/usr/bin/env bash
# Inference server benchmark (issue 6): models trained from the shared data sets, seer-server on
# loopback pinned to core 0 with one worker thread, wrk (Debian's) pinned to core 1, several
# concurrencies per endpoint, each next to the same server's /healthz (the HTTP floor here).
#
#   bench/server/run.sh                          # train what is missing, measure, print the table
#   SEER_BENCH_DURATION=10s SEER_BENCH_RETRAIN=1 bench/server/run.sh
#
# Needs: wrk (apt-get install wrk), taskset, curl. The data are read from ../shared/data at run
# time and never copied into the repository; models, id lists and raw wrk output go to
# $SEER_BENCH_WORK (default ~/.cache/seer/bench-server). The table is printed and written to
# $SEER_BENCH_WORK/table.md; bench/server/RESULTS.md is a copy of a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DATA=${SEER_DATA:-$ROOT/../shared/data}
WORK=${SEER_BENCH_WORK:-$HOME/.cache/seer/bench-server}
DURATION=${SEER_BENCH_DURATION:-10s}
CONCURRENCY=${SEER_BENCH_CONCURRENCY:-1 4 16 64}
SERVER_CPU=${SEER_BENCH_SERVER_CPU:-0}
WRK_CPU=${SEER_BENCH_WRK_CPU:-1}
PORT=${SEER_BENCH_PORT:-18080}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/seer/target-recommend}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

cargo build -q --release -p seer-trainer -p seer-server -p seer-models --bins --example ann_recall
BIN=$CARGO_TARGET_DIR/release
mkdir -p "$WORK"
bash bench/server/manifests.sh "$DATA" "$WORK/manifests"
ARTIFACTS=$WORK/artifacts

# name kind: train the bench version once (again with SEER_BENCH_RETRAIN=1).
train() {
  local version=$ARTIFACTS/default/$2/${1//_/-}/v1
  if [ -n "${SEER_BENCH_RETRAIN:-}" ] || [ ! -f "$version/manifest.json" ]; then
    rm -rf "$version"
    echo "== training $1" >&2
    /usr/bin/time -f "trained $1 in %e s" "$BIN/seer-trainer" train -f "$WORK/manifests/$1.yaml" \
      --output "file://$ARTIFACTS" --version v1 >&2
  fi
  echo "$version"
}
CJ=$(train complete_journey solution)
M4=$(train m4_hourly predictor)
CP=$(train carparts predictor)

# Who and what the requests ask for: every user of complete_journey, every forecast item.
zcat "$DATA/recs/complete_journey/interactions.csv.gz" | tail -n +2 | cut -d, -f1 | sort -u > "$WORK/cj_users.txt"
for s in m4_hourly carparts; do
  zcat "$DATA/forecast/$s/test.csv.gz" | tail -n +2 | cut -d, -f1 | sort -u > "$WORK/${s}_items.txt"
done

load() { cut -d' ' -f1-3 /proc/loadavg; }

# What the index loses, measured against exact scoring over every user (one thread, no HTTP).
echo "== recall of the ANN index against exact scoring" >&2
"$BIN/examples/ann_recall" "$CJ" ${SEER_BENCH_PROBES:-16 32 48 64} | tee "$WORK/recall.md" >&2

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

# start <model folder>: the server on core $SERVER_CPU, one worker thread, ready when /readyz is.
start_server() {
  taskset -c "$SERVER_CPU" "$BIN/seer-server" --model "file://$1" --listen "127.0.0.1:$PORT" \
    --worker-threads 1 --shutdown-delay 0s >"$WORK/server.log" 2>&1 &
  server_pid=$!
  local started=$SECONDS
  until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    [ $((SECONDS - started)) -lt 300 ] || { echo "the server was not ready in 300 s" >&2; exit 1; }
    sleep 0.2
  done
  echo "ready in $((SECONDS - started)) s: $(grep -h "approximate candidates" "$WORK/server.log" || true)" >&2
}

# drive <script> <ids file> <connections> -> "rps p50_us p99_us non2xx socket_errors"
drive() {
  local out
  out=$(SEER_BENCH_LUA=$ROOT/bench/server SEER_BENCH_IDS=$2 taskset -c "$WRK_CPU" \
    wrk -t1 -c"$3" -d"$DURATION" -s "$ROOT/bench/server/$1.lua" "http://127.0.0.1:$PORT")
  echo "$out" >>"$WORK/wrk.log"
  echo "$out" | sed -n 's/^RESULT rps=\([^ ]*\) p50_us=\([^ ]*\) p99_us=\([^ ]*\) requests=[^ ]* non2xx=\([^ ]*\) socket_errors=\(.*\)$/\1 \2 \3 \4 \5/p'
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

ROWS=$WORK/rows.md
: >"$ROWS"
# bench <label> <model folder> <script> <ids file>
bench() {
  start_server "$2"
  drive "$3" "$4" 16 >/dev/null # warm-up
  for c in $CONCURRENCY; do
    read -r h_rps h_p50 h_p99 _ _ < <(drive healthz /dev/null "$c")
    read -r rps p50 p99 bad sock < <(drive "$3" "$4" "$c")
    echo "$1 c=$c: $rps req/s (healthz $h_rps), non-2xx $bad, socket errors $sock, load $(load)" >&2
    printf '| %s | %s | %.0f | %s | %s | %.0f | %s | %s | **%s** | %s | %s |\n' "$1" "$c" "$rps" "$(ms "$p50")" \
      "$(ms "$p99")" "$h_rps" "$(ms "$h_p50")" "$(ms "$h_p99")" "$(ratio "$rps" "$h_rps")" "$(ratio "$p99" "$h_p99")" \
      "$((bad + sock))" >>"$ROWS"
  done
  stop_server
}

LOAD_BEFORE=$(load)
bench "recommendations, complete_journey (68k items)" "$CJ" recommendations "$WORK/cj_users.txt"
bench "forecasts, m4_hourly (h=48, 4 types)" "$M4" forecasts "$WORK/m4_hourly_items.txt"
bench "forecasts, carparts (h=6, 4 types)" "$CP" forecasts "$WORK/carparts_items.txt"
LOAD_AFTER=$(load)

{
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs));"
  echo "load average (1/5/15 min) $LOAD_BEFORE before, $LOAD_AFTER after; wrk $DURATION per cell, 1 thread,"
  echo "pinned to core $WRK_CPU; seer-server --worker-threads 1 pinned to core $SERVER_CPU."
  echo
  echo "| endpoint | connections | req/s | p50 ms | p99 ms | /healthz req/s | /healthz p50 ms | /healthz p99 ms | req/s ÷ /healthz | p99 ÷ /healthz p99 | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  cat "$ROWS"
  echo
  cat "$WORK/recall.md"
} | tee "$WORK/table.md"
