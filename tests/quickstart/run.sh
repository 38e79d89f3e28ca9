#!/usr/bin/env bash
# The main job, for now (the full quickstart of training and serving replaces it as those
# land): a real local Kubernetes control plane, the CRDs, an S3-compatible server on loopback
# as the embedded default storage with the example data in it, the example resources applied
# and shown. Undo with tests/quickstart/down.sh (`make quickstart-down`).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SEER_CACHE="${SEER_CACHE:-$HOME/.cache/seer}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SEER_CACHE/target}"
export SEER_CLUSTER_DIR="${SEER_CLUSTER_DIR:-$SEER_CACHE/cluster}"
state="$SEER_CACHE/quickstart"
ns=seer-quickstart
s3_port="${SEER_QUICKSTART_S3_PORT:-19000}"
s3s_fs="$SEER_CACHE/tools/s3s-fs-0.14.1/bin/s3s-fs"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "quickstart: $*" >&2; exit 1; }

[[ -x "$s3s_fs" ]] || die "s3s-fs is missing: run 'make tools' (make quickstart does)"

step "Local Kubernetes control plane (tests/cluster/up.sh --control-plane-only; the first run builds it)"
if ! "$repo/tests/cluster/up.sh" --control-plane-only; then
  die "the cluster did not start; see the log above (a running cluster? run 'make quickstart-down' first)"
fi
export KUBECONFIG="$SEER_CLUSTER_DIR/kubeconfig"
kubectl="$("$repo/tests/cluster/tools.sh" kubectl)"
"$kubectl" get --raw /readyz >/dev/null && echo "kube-apiserver /readyz: ok"

step "Embedded S3-compatible storage on 127.0.0.1:$s3_port (s3s-fs), with the example data"
mkdir -p "$state/s3"
if [[ -f "$state/s3s-fs.pid" ]] && kill -0 "$(cat "$state/s3s-fs.pid")" 2>/dev/null; then
  echo "already running (pid $(cat "$state/s3s-fs.pid"))"
else
  "$s3s_fs" --host 127.0.0.1 --port "$s3_port" --access-key seer-quickstart --secret-key seer-quickstart-secret "$state/s3" \
    >"$state/s3s-fs.log" 2>&1 &
  echo $! > "$state/s3s-fs.pid"
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$s3_port" && break; sleep 0.1; done
  curl -s -o /dev/null "http://127.0.0.1:$s3_port" || die "s3s-fs did not start; see $state/s3s-fs.log"
fi
AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port" AWS_ACCESS_KEY_ID=seer-quickstart \
  AWS_SECRET_ACCESS_KEY=seer-quickstart-secret "$repo/examples/upload.sh" s3://seer-examples

step "The data checked as the operator checks it (seer-trainer validate: rows, items, time range, digest)"
cargo build -q -p seer-trainer
for group in forecast recommendations; do
  AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port" AWS_ACCESS_KEY_ID=seer-quickstart \
    AWS_SECRET_ACCESS_KEY=seer-quickstart-secret AWS_REGION=us-east-1 \
    "$CARGO_TARGET_DIR/debug/seer-trainer" validate -f "$repo/examples/$group/dataset-group.yaml"
done

step "The example Predictor trained on that data (seer-trainer train; AUTO backtests every model per item)"
cargo build -q --release -p seer-trainer
printf -- '---\n' | cat "$repo/examples/forecast/dataset-group.yaml" - "$repo/examples/forecast/predictor.yaml" \
  > "$state/forecast.yaml"
AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port" AWS_ACCESS_KEY_ID=seer-quickstart \
  AWS_SECRET_ACCESS_KEY=seer-quickstart-secret AWS_REGION=us-east-1 \
  "$CARGO_TARGET_DIR/release/seer-trainer" train -f "$state/forecast.yaml" \
  --output "file://$state/artifacts" --version v1
version_dir="$state/artifacts/default/predictor/retail-demand/v1"
python3 - "$version_dir/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"{'algorithm':<26}{'avg wQL':>9}{'wQL p10':>9}{'wQL p50':>9}{'wQL p90':>9}{'WAPE':>8}{'MASE':>8}")
for e in m["PredictorEvaluationResults"]:
    s = e["TestWindows"][0]["Metrics"]
    q = {round(w["Quantile"], 3): w["LossValue"] for w in s["WeightedQuantileLosses"]}
    err = s["ErrorMetrics"][0] if s["ErrorMetrics"] else {}
    f = lambda v: f"{v:.3f}" if isinstance(v, (int, float)) else "-"
    print(f"{e['Algorithm']:<26}{f(s.get('AverageWeightedQuantileLoss')):>9}{f(q.get(0.1)):>9}{f(q.get(0.5)):>9}"
          f"{f(q.get(0.9)):>9}{f(err.get('WAPE')):>8}{f(err.get('MASE')):>8}")
PY
echo; echo "First forecasts (forecasts/forecasts.csv):"
head -6 "$version_dir/forecasts/forecasts.csv"

step "The four CRDs (generated from the Rust types)"
cargo run -q -p seer-operator --bin crdgen -- --stdout | "$kubectl" apply --server-side -f -
"$kubectl" wait --for=condition=Established --timeout=60s \
  crd/datasetgroups.seer.dev crd/predictors.seer.dev crd/solutions.seer.dev crd/campaigns.seer.dev

step "The examples, applied as a user would (namespace $ns)"
"$kubectl" get namespace "$ns" >/dev/null 2>&1 || "$kubectl" create namespace "$ns"
"$kubectl" apply -n "$ns" -f "$repo/examples/forecast/" -f "$repo/examples/recommendations/"
"$kubectl" get seer -n "$ns"

step "What 'kubectl explain' tells a user"
"$kubectl" explain predictor.spec.forecastTypes
"$kubectl" explain campaign.spec.promotion

step "A mistake is caught at admission, with the field and the reason"
sed 's/forecastHorizon: 14/forecastHorizon: 900/' "$repo/examples/forecast/predictor.yaml" \
  | "$kubectl" apply -n "$ns" --dry-run=server -f - 2>&1 || true
sed 's/domain: RETAIL/domain: ECOMMERCE/' "$repo/examples/forecast/dataset-group.yaml" \
  | "$kubectl" apply -n "$ns" -f - 2>&1 || true

cat <<EOT

Done. The API is live on a real kube-apiserver:
  export KUBECONFIG=$KUBECONFIG
  $kubectl get seer -n $ns
  $kubectl describe predictor retail-demand -n $ns
The example data is in s3://seer-examples on http://127.0.0.1:$s3_port
(access key seer-quickstart / seer-quickstart-secret).
The trained version is in $state/artifacts (manifest.json, metrics.json, forecasts/).
Serving (Campaigns) and the operator join this quickstart as they land.
Stop it all with: make quickstart-down
EOT
