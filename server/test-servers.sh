# What the scripts that drive real seer-server processes share (server/contract/run.sh,
# server/aws-sdk/run.sh), sourced after they define `here`, `repo`, `say` and `die`:
#   pinned_venv WHAT PYTHON PREFIX   the venv of $here/requirements.txt under $SEER_CACHE/tools,
#                                    made once per version of that file; sets $venv
#   $work, $pids                     a scratch folder and the servers' PIDs, both cleaned up
#                                    (servers stopped by PID) however the run ends
#   build_binaries                   debug seer-trainer and seer-server; sets $trainer, $server
#   example_manifests                the example Predictor and Solution, reading their data from
#                                    the repository and kept small, into $work
#   start_server MODEL [FLAGS...]    seer-server on a free loopback port; sets $addr once
#                                    /readyz answers 200 (at most 60 s), and $last_log
#   servers_alive                    0 unless a server died or panicked (said with `say`)
# shellcheck shell=bash

pinned_venv() {
  local what="$1" python="$2" prefix="$3"
  [[ -n "$python" ]] || die "python3 is needed for $what"
  venv="$SEER_CACHE/tools/$prefix-$(sha256sum "$here/requirements.txt" | cut -c1-12)"
  # `.complete` is written last, so an interrupted install is redone, not used.
  [[ -f "$venv/.complete" ]] && return 0
  say "installing $what into $venv"
  rm -rf "$venv"
  # Debian's python3.11 leaves venv's pip bootstrap to a package of its own.
  if ! "$python" -c 'import ensurepip' 2>/dev/null && [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv
  fi
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  touch "$venv/.complete"
}

work="$(mktemp -d "${TMPDIR:-/tmp}/seer-$(basename "$here").XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

build_binaries() {
  say "building seer-trainer and seer-server"
  (cd "$repo" && cargo build -q -p seer-trainer -p seer-server)
  trainer="$CARGO_TARGET_DIR/debug/seer-trainer"
  server="$CARGO_TARGET_DIR/debug/seer-server"
}

# The examples' data read from the repository; models kept small (debug builds are slow).
example_manifests() {
  local_data() { sed "s|s3://seer-examples/|file://$repo/examples/|" "$1"; }
  local_data "$repo/examples/forecast/dataset-group.yaml" >"$work/forecast-group.yaml"
  sed 's/^  algorithm: AUTO/  algorithm: SEASONAL_NAIVE/' "$repo/examples/forecast/predictor.yaml" >"$work/predictor.yaml"
  local_data "$repo/examples/recommendations/dataset-group.yaml" >"$work/shop-group.yaml"
  sed 's/iterations: 15/iterations: 3/' "$repo/examples/recommendations/solution.yaml" >"$work/solution.yaml"
}

start_server() {
  local model="$1" log="$work/server-$((${#pids[@]})).log"
  shift
  "$server" --model "$model" --listen 127.0.0.1:0 --shutdown-delay 0s "$@" >"$log.out" 2>"$log" &
  pids+=("$!")
  local deadline=$((SECONDS + 60))
  addr=""
  until [[ -n "$addr" ]]; do
    addr="$(sed -n 's|^seer-server listening on http://||p' "$log.out" 2>/dev/null || true)"
    ((SECONDS < deadline)) || { cat "$log"; die "seer-server did not start"; }
    [[ -n "$addr" ]] || sleep 0.05
  done
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz")" == 200 ]]; do
    ((SECONDS < deadline)) || { cat "$log"; die "seer-server ($model) not ready within 60 s"; }
    sleep 0.05
  done
  last_log="$log"
}

servers_alive() {
  local pid ok=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { ok=1; say "seer-server $pid exited during the run"; }; done
  if grep -l "panicked" "$work"/server-*.log; then ok=1; say "a server panicked (logs above)"; fi
  return "$ok"
}
