#!/usr/bin/env bash
# Records Seer resources as the real operator leaves them, as fixtures for the Argo CD health
# tests (gitops/argocd/healthtest/testdata): on a control plane (no node, so no Job runs),
# the operator binary reconciles a few resources into states it can reach there, and each
# object is written as {"expect": <the health it must have>, "object": <kubectl get -o json>}.
#   tests/cluster/with-cluster.sh --control-plane-only -- tests/chart/capture-health-fixtures.sh [OPERATOR_BINARY]
# Default binary: $CARGO_TARGET_DIR/release/seer-operator (cargo build --release -p seer-operator).
# A developer tool, not part of make test: the fixtures it writes are committed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${KUBECONFIG:?run under tests/cluster/with-cluster.sh}"
K=${SEER_KUBECTL:-$("$ROOT/tests/cluster/tools.sh" kubectl)}
BIN=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/seer/target}/release/seer-operator}
OUT=$ROOT/gitops/argocd/healthtest/testdata
NS=fixtures
tmp=$(mktemp -d)
op_pid=
cleanup() { [[ -n $op_pid ]] && kill "$op_pid" 2>/dev/null && wait "$op_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$K" apply --server-side -f "$ROOT/charts/seer/crds/" >/dev/null
"$K" wait --for=condition=Established --timeout=30s crd --all >/dev/null
"$K" create namespace "$NS" >/dev/null
mkdir -p "$tmp/artifacts"
SEER_NO_LEADER_ELECTION=true SEER_ARTIFACT_ROOT="file://$tmp/artifacts" SEER_OPERATOR_LISTEN=127.0.0.1:0 \
  SEER_RESYNC_SECONDS=2 SEER_WATCH_NAMESPACE=$NS "$BIN" >"$tmp/operator.log" 2>&1 &
op_pid=$!

# The forecast example, its data read from the clone (file://), and variants.
data="file://$ROOT/examples/forecast"
sed "s|s3://seer-examples/forecast|$data|" "$ROOT/examples/forecast/dataset-group.yaml" | "$K" -n "$NS" apply -f - >/dev/null
sed "s|s3://seer-examples/forecast|file:///nonexistent|; s|^  name: retail-demand$|  name: missing-data|" "$ROOT/examples/forecast/dataset-group.yaml" \
  | "$K" -n "$NS" apply -f - >/dev/null
"$K" -n "$NS" apply -f "$ROOT/examples/forecast/predictor.yaml" >/dev/null
sed "s|^  name: retail-demand$|  name: on-missing-data|; s|^    name: retail-demand$|    name: missing-data|" "$ROOT/examples/forecast/predictor.yaml" \
  | "$K" -n "$NS" apply -f - >/dev/null
"$K" -n "$NS" apply -f "$ROOT/examples/forecast/campaign.yaml" >/dev/null

record() {   # record KIND/NAME CONDITION EXPECTED_STATUS FILE
  local obj=$1 cond=$2 status=$3 file=$4
  "$K" -n "$NS" wait "$obj" --for=condition="$cond" --timeout=60s >/dev/null \
    || { cat "$tmp/operator.log" >&2; "$K" -n "$NS" get "$obj" -o yaml >&2; exit 1; }
  "$K" -n "$NS" get "$obj" -o json >"$tmp/obj.json"
  python3 - "$tmp/obj.json" "$status" "$OUT/$file.json" <<'PY'
import json, sys
obj = json.load(open(sys.argv[1]))
for k in ("managedFields", "resourceVersion", "uid", "creationTimestamp"):
    obj["metadata"].pop(k, None)
conds = {c["type"]: c for c in obj["status"]["conditions"]}
c = conds["Stalled"] if sys.argv[2] == "Degraded" else conds["Reconciling"]
msg = f'{c["reason"]}: {c["message"]}' if c["message"] else c["reason"]
json.dump({"expect": {"status": sys.argv[2], "message": msg}, "object": obj}, open(sys.argv[3], "w"), indent=2)
open(sys.argv[3], "a").write("\n")
PY
  echo "recorded $obj ($status) -> testdata/$file.json"
}
record datasetgroup/retail-demand Reconciling Progressing real-datasetgroup-validating
record datasetgroup/missing-data Stalled Degraded real-datasetgroup-dataset-not-found
record predictor/retail-demand Reconciling Progressing real-predictor-waiting-for-data
record predictor/on-missing-data Stalled Degraded real-predictor-data-invalid
record campaign/retail-demand Reconciling Progressing real-campaign-waiting-for-model
