#!/usr/bin/env bash
# End to end on a running node-tier cluster (tests/cluster/up.sh): the chart installs the
# operator (two replicas, leader election) with the in-cluster S3 server as default storage;
# the example data is uploaded; the examples in examples/forecast and examples/recommendations
# are applied as they are, except that each Campaign's Service is made a NodePort on 127.0.0.1;
# the trainer Jobs run for real; the Campaigns answer forecasts and recommendations over HTTP;
# a spec change and then a one-minute schedule (after the data changed) roll new versions out
# under load without a failed request; the HPA adds a replica under load; uninstalling in the
# documented order leaves nothing behind.
#
#   tests/e2e/examples.sh            # after tests/cluster/up.sh, as root
# Images: built by tests/cluster/images.sh from $CARGO_TARGET_DIR/release (build those first).
# Every wait is bounded; the namespace and the release are removed at the end, pass or fail.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"
source "$CLUSTER_SCRIPTS/lib/seer.sh"
export KUBECONFIG=${KUBECONFIG:-$KUBECONFIG_FILE}
K=$("$CLUSTER_SCRIPTS/tools.sh" kubectl)
H=$("$CLUSTER_SCRIPTS/tools.sh" helm)
REPO_ROOT=$(cd "$CLUSTER_SCRIPTS/../.." && pwd)
VERSION=$(seer_version)
NS=seer-examples
RELEASE=$SEER_RELEASE
FORECAST_PORT=31081
RECS_PORT=31082

dump() {
  log "--- state of $NS and the operator (for the failure above)"
  "$K" -n "$NS" get seer,jobs,pods,deploy,svc -o wide 2>&1 | sed 's/^/    /' || true
  "$K" -n "$NS" get events --sort-by=.lastTimestamp 2>&1 | tail -30 | sed 's/^/    /' || true
  "$K" -n seer-system logs deploy/$RELEASE-operator --tail=60 2>&1 | sed 's/^/    /' || true
}
clients=() load_pids=()
cleanup() {
  for pid in "${clients[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$K" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  "$H" uninstall "$RELEASE" -n seer-system >/dev/null 2>&1 || true
}
trap 'rc=$?; (( rc )) && dump; cleanup; exit $rc' EXIT

log "images $VERSION"
seer_images "$VERSION"

log "helm install (storage: the in-cluster S3 server)"
seer_install "$VERSION" --set operator.leaseSeconds=6
seer_namespace "$NS"

log "upload the example data to s3://seer-examples (host → NodePort)"
seer_upload

# The examples as committed, with the Campaigns' Services on NodePorts the host may reach.
log "apply examples/forecast and examples/recommendations"
seer_apply_example "$NS" forecast $FORECAST_PORT Predictor
seer_apply_example "$NS" recommendations $RECS_PORT Solution

log "wait: the DatasetGroups validate, the models train, the Campaigns serve"
for kind in datasetgroup predictor solution campaign; do
  for obj in $("$K" -n "$NS" get "$kind" -o name); do
    "$K" -n "$NS" wait "$obj" --for=condition=Ready --timeout=600s >/dev/null \
      || die "$obj did not become Ready: $("$K" -n "$NS" get "$obj" -o jsonpath='{.status.conditions}')"
    log "  $obj Ready"
  done
done

# Ready means the Campaign's pods are ready; kube-proxy programs the NodePort to reach them a
# moment later (it syncs its rules at most once a second), so wait for the port to answer.
wait_for "the forecast Campaign on 127.0.0.1:$FORECAST_PORT" 60 curl -sf --max-time 3 "http://127.0.0.1:$FORECAST_PORT/readyz"
wait_for "the recommendation Campaign on 127.0.0.1:$RECS_PORT" 60 curl -sf --max-time 3 "http://127.0.0.1:$RECS_PORT/readyz"

log "the forecast Campaign answers"
item=$(awk -F, 'NR==2 {print $1}' "$REPO_ROOT/examples/forecast/target_time_series.csv")
body=$(curl -sS --fail-with-body --max-time 10 "http://127.0.0.1:$FORECAST_PORT/v1/forecasts/$item")
grep -q '"p50"' <<<"$body" || die "no p50 in the forecast for $item: $body"
log "  GET /v1/forecasts/$item → $(head -c 160 <<<"$body")…"

log "the recommendation Campaign answers"
user=$(awk -F, 'NR==2 {print $1}' "$REPO_ROOT/examples/recommendations/interactions.csv")
body=$(curl -sS --fail-with-body --max-time 10 -H 'content-type: application/json' \
  -d "{\"userId\":\"$user\",\"numResults\":5}" "http://127.0.0.1:$RECS_PORT/v1/recommendations")
grep -q '"itemList"' <<<"$body" || die "no itemList for $user: $body"
log "  POST /v1/recommendations → $(head -c 160 <<<"$body")…"

log "the Predictor's version holds its backtest export (spec.backtest.export in the example)"
keys=$(seer_s3_keys seer-artifacts "$NS/predictor/retail-demand/v1/backtest/") || die "cannot list the artifacts"
for f in forecasts.csv accuracy.csv; do
  grep -qx "$NS/predictor/retail-demand/v1/backtest/$f" <<<"$keys" || die "no backtest/$f in v1: $keys"
done
log "  v1/backtest/forecasts.csv and accuracy.csv are there"

log "kubectl get seer"
"$K" -n "$NS" get seer 2>&1 | sed 's/^/    /'

RECS_URL="http://127.0.0.1:$RECS_PORT/v1/recommendations"
# A client that keeps calling until told to stop; one line per answer: status and version.
start_client() {   # start_client OUTFILE
  local out=$1
  : > "$out"
  (
    while [[ ! -f "$out.stop" ]]; do
      # A failed request prints "000 " (curl's code when nothing came back).
      curl -sS -o /dev/null --max-time 5 -w '%{http_code} %header{x-seer-model-version}\n' \
        -H 'content-type: application/json' -d "{\"userId\":\"$user\",\"numResults\":5}" "$RECS_URL" >>"$out" 2>/dev/null \
        || true
    done
  ) </dev/null >/dev/null 2>&1 &   # not on our stdout: $(start_client ...) would wait for it
  echo $!
}
stop_client() {   # stop_client OUTFILE PID
  touch "$1.stop"; wait "$2" 2>/dev/null || true; rm -f "$1.stop"
}
serving() { "$K" -n "$NS" get campaign shop-for-you -o jsonpath='{.status.servingVersion}'; }
wait_serving() {   # wait_serving VERSION SECONDS
  local deadline=$((SECONDS + $2))
  until [[ "$(serving)" == "$1" ]]; do
    (( SECONDS < deadline )) || die "the Campaign did not serve $1 within $2 s (serving $(serving))"
    sleep 1
  done
}
# A request lost during a rollout fails the run. (Runs before the node's bridge got a fixed
# MAC address (lib/node.sh) lost up to ~50 of ~600 requests: the bridge took a new pod's veth
# MAC and the node's ARP entries went stale; none was lost in any run since.)
# SEER_E2E_STRICT_ROLLOUT=0 only reports such losses, to investigate one without stopping.
strict_rollout=${SEER_E2E_STRICT_ROLLOUT:-1}
rollout_losses=0
no_failures() {   # no_failures OUTFILE WHAT
  local total bad
  total=$(wc -l <"$1"); bad=$(grep -vc '^200 ' "$1" || true)
  (( total > 0 )) || die "$2: the client made no request"
  if (( bad > 0 )); then
    local what="$2: $bad of $total requests failed: $(grep -v '^200 ' "$1" | sort | uniq -c | head -5 | tr -s ' \n' ' ')"
    (( strict_rollout )) && die "$what"
    log "  LOST REQUESTS (reported only, as SEER_E2E_STRICT_ROLLOUT=0 asks): $what"
    rollout_losses=$((rollout_losses + bad))
    return 0
  fi
  log "  $2: $total requests, none failed; answers per version: $(awk '{print $2}' "$1" | sort | uniq -c | tr -s ' \n' ' ')"
}

log "a spec change trains v2 and the Campaign rolls to it under load, no request failing"
client_out=$(mktemp); client=$(start_client "$client_out"); clients+=("$client")
"$K" -n "$NS" patch solution shop-for-you --type merge -p '{"spec":{"recipeParameters":{"iterations":10}}}' >/dev/null
wait_serving v2 300
stop_client "$client_out" "$client"
no_failures "$client_out" "roll v1 → v2"
[[ "$("$K" -n "$NS" get solution shop-for-you -o jsonpath='{.status.versions[1].trigger}')" == SpecChanged ]] \
  || die "v2 was not trained for the spec change"

log "a one-minute schedule with onlyIfDataChanged: unchanged data trains nothing, appended data trains v3"
"$K" -n "$NS" patch solution shop-for-you --type merge -p '{"spec":{"retrain":{"schedule":"* * * * *"}}}' >/dev/null
deadline=$((SECONDS + 150))
until "$K" -n "$NS" get solution shop-for-you -o jsonpath='{.status.skippedTicks[*].reason}' | grep -q DataUnchanged; do
  (( SECONDS < deadline )) || die "no tick was skipped as DataUnchanged: $("$K" -n "$NS" get solution shop-for-you -o jsonpath='{.status}')"
  sleep 2
done
[[ "$("$K" -n "$NS" get solution shop-for-you -o jsonpath='{.status.latestVersion}')" == v2 ]] || die "a tick with unchanged data trained a version"
log "  a tick with unchanged data was skipped (DataUnchanged); still v2"
appended=$(mktemp)
cp "$REPO_ROOT/examples/recommendations/interactions.csv" "$appended"
echo "$user,$(awk -F, 'NR==3 {print $2}' "$REPO_ROOT/examples/recommendations/interactions.csv"),$(date +%s),purchase,1" >>"$appended"
curl -sSf --aws-sigv4 aws:amz:us-east-1:s3 --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
  --upload-file "$appended" "http://127.0.0.1:$S3_NODEPORT/seer-examples/recommendations/interactions.csv" -o /dev/null
rm -f "$appended"
client_out3=$(mktemp); client=$(start_client "$client_out3"); clients+=("$client")
wait_serving v3 300
stop_client "$client_out3" "$client"
[[ "$("$K" -n "$NS" get solution shop-for-you -o jsonpath='{.status.versions[2].trigger}')" == Schedule ]] \
  || die "v3 was not trained by the schedule"
no_failures "$client_out3" "scheduled retrain v2 → v3"
"$K" -n "$NS" patch solution shop-for-you --type merge -p '{"spec":{"retrain":{"suspend":true}}}' >/dev/null

log "autoscaling: load the recommendation Campaign until its HPA adds a replica, no request failing"
# The HPA's floor is one replica (minProvisionedTPS 5) and the operator never sets
# `replicas`, so two or more can only be the HPA's doing (the load of the steps above may
# already have made it scale; its scale-down waits five minutes).
[[ "$("$K" -n "$NS" get hpa shop-for-you -o jsonpath='{.spec.minReplicas}')" == 1 ]] || die "the HPA's floor is not 1"
# The load comes from curl processes on the same two cores as the cluster, so it reaches the
# example's 70% of a 100m request only when the machine is otherwise quiet (runs at load 10
# stopped at 43–44%). The Campaign's target goes to 20% for this step: still the operator
# changing the HPA from the spec, and the HPA scaling on real CPU metrics.
"$K" -n "$NS" patch campaign shop-for-you --type merge -p '{"spec":{"autoscaling":{"targetCPUUtilizationPercentage":20}}}' >/dev/null
deadline=$((SECONDS + 60))
until [[ "$("$K" -n "$NS" get hpa shop-for-you -o jsonpath='{.spec.metrics[0].resource.target.averageUtilization}')" == 20 ]]; do
  (( SECONDS < deadline )) || die "the operator did not set the HPA's target to 20% within 60 s"
  sleep 1
done
load_outs=()
for _ in 1 2 3 4 5 6; do
  o=$(mktemp); load_outs+=("$o"); pid=$(start_client "$o"); clients+=("$pid"); load_pids+=("$pid")
done
deadline=$((SECONDS + 300))
until [[ "$("$K" -n "$NS" get hpa shop-for-you -o jsonpath='{.status.desiredReplicas}')" -ge 2 ]] 2>/dev/null \
  && [[ "$("$K" -n "$NS" get deploy shop-for-you -o jsonpath='{.status.readyReplicas}')" -ge 2 ]] 2>/dev/null; do
  (( SECONDS < deadline )) || die "the HPA did not add a ready replica within 300 s: $("$K" -n "$NS" get hpa shop-for-you -o jsonpath='{.status}')"
  sleep 3
done
log "  $("$K" -n "$NS" get hpa shop-for-you --no-headers 2>&1)"
for i in "${!load_outs[@]}"; do stop_client "${load_outs[$i]}" "${load_pids[$i]}"; done
cat "${load_outs[@]}" > "${load_outs[0]}.all"
no_failures "${load_outs[0]}.all" "scale-up under load"

log "uninstall as the docs say: the resources first (finalizers finish), then the release, then the CRDs"
"$K" -n "$NS" delete campaigns,solutions,predictors,datasetgroups --all --wait --timeout=120s >/dev/null
# (Until 2026-12-08 this listing was refused for its unencoded slashes, and the refusal, which
# has no <Key>, passed for "nothing left".)
left=$(seer_s3_keys seer-artifacts "$NS/solution/shop-for-you/") || die "cannot list the artifacts"
[[ -z "$left" ]] || die "deletionPolicy Delete left artifacts: $left"
kept=$(seer_s3_keys seer-artifacts "$NS/predictor/retail-demand/") || die "cannot list the artifacts"
grep -q "/v1/manifest.json$" <<<"$kept" || die "deletionPolicy Retain lost the Predictor's artifacts: $kept"
log "  the Solutions' artifacts are gone (deletionPolicy: Delete); the Predictor's stay (Retain)"
"$H" uninstall "$RELEASE" -n seer-system --wait --timeout 120s >/dev/null
"$K" delete -f "$REPO_ROOT/charts/seer/crds/" --wait --timeout=60s >/dev/null
leftovers() {
  "$K" get clusterroles,clusterrolebindings -o name | grep "/$RELEASE-operator" || true
  "$K" -n seer-system get deploy,sa,role,rolebinding,svc,lease -o name 2>/dev/null | grep -i seer-operator || true
  "$K" -n "$NS" get jobs,pods,deploy,svc,hpa,pdb,configmaps -l app.kubernetes.io/managed-by=seer-operator -o name 2>/dev/null || true
  "$K" get crd -o name | grep seer.dev || true
}
# Owned children go with the garbage collector, a moment after their owners.
deadline=$((SECONDS + 90))
until [[ -z "$(leftovers)" ]]; do
  (( SECONDS < deadline )) || die "left behind after uninstall: $(leftovers | tr '\n' ' ')"
  sleep 2
done
log "  nothing of Seer is left (CRDs, RBAC, operator, children)"
# The node's bridge keeps the address up.sh set while pods came and went (see lib/node.sh:
# a bridge that follows its ports' addresses lost requests during rollouts).
bridge_mac=$(cat "/sys/class/net/$CNI_BRIDGE/address" 2>/dev/null || echo none)
[[ "$bridge_mac" == "$CNI_BRIDGE_MAC" ]] || die "the bridge $CNI_BRIDGE has address $bridge_mac, not $CNI_BRIDGE_MAC"
if (( rollout_losses )); then
  log "e2e: PASS, but $rollout_losses requests were lost during rollouts (SEER_E2E_STRICT_ROLLOUT=0)"
else
  log "e2e: PASS"
fi
