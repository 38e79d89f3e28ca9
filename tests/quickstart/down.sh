#!/usr/bin/env bash
# Undoes tests/quickstart/run.sh: stops the embedded S3 server by PID and the local cluster.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SEER_CACHE="${SEER_CACHE:-$HOME/.cache/seer}"
state="$SEER_CACHE/quickstart"
if [[ -f "$state/s3s-fs.pid" ]]; then
  pid=$(cat "$state/s3s-fs.pid")
  kill "$pid" 2>/dev/null && echo "stopped s3s-fs (pid $pid)" || true
fi
rm -rf "$state"
"$repo/tests/cluster/down.sh"
