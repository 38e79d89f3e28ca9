#!/usr/bin/env bash
# Undoes tests/quickstart/run.sh (`make quickstart-down`): the example resources first (their
# finalizers finish while the operator still runs), the namespace, the Helm release, the CRDs,
# then the local cluster (tests/cluster/down.sh: processes, links, iptables, state). Safe to
# run when nothing is up.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"
source "$CLUSTER_SCRIPTS/lib/seer.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/context.sh"
REPO_ROOT=$(cd "$CLUSTER_SCRIPTS/../.." && pwd)
export KUBECONFIG=$KUBECONFIG_FILE

# remove_quickstart: the example resources, the namespace, the release, the CRDs.
remove_quickstart() {
  if "$K" get namespace "$NS" >/dev/null 2>&1; then
    log "deleting the example resources in $NS, then the namespace"
    "$K" -n "$NS" delete campaigns,solutions,predictors,datasetgroups --all --wait --timeout=120s >/dev/null \
      || log "the resources in $NS did not all go within 120 s; going on"
    "$K" delete namespace "$NS" --wait --timeout=120s >/dev/null || log "namespace $NS did not go within 120 s; going on"
  fi
  if "$H" status "$SEER_RELEASE" -n "$SEER_RELEASE_NAMESPACE" >/dev/null 2>&1; then
    log "helm uninstall $SEER_RELEASE"
    "$H" uninstall "$SEER_RELEASE" -n "$SEER_RELEASE_NAMESPACE" --wait --timeout 120s >/dev/null || log "helm uninstall failed; going on"
  fi
  "$K" delete -f "$REPO_ROOT/charts/seer/crds/" --ignore-not-found --wait --timeout=60s >/dev/null || log "deleting the CRDs failed; going on"
}

if [[ -n $QS_CONTEXT ]]; then
  # Your own cluster: what the quickstart installed, never the cluster.
  K=$("$CLUSTER_SCRIPTS/tools.sh" kubectl)
  H=$("$CLUSTER_SCRIPTS/tools.sh" helm)
  KUBECONFIG=$(context_kubeconfig) || exit 1; export KUBECONFIG
  remove_quickstart
  context_down
  rm -f "$KUBECONFIG"
  log "removed the quickstart from context $QS_CONTEXT"
  exit 0
fi
if cluster_running; then
  K=$("$CLUSTER_SCRIPTS/tools.sh" kubectl)
  H=$("$CLUSTER_SCRIPTS/tools.sh" helm)
  remove_quickstart
fi
# The quickstart of earlier versions ran an S3 server of its own on the host.
state=$SEER_CACHE/quickstart
if [[ -f "$state/s3s-fs.pid" ]] && { tr '\0' ' ' < "/proc/$(cat "$state/s3s-fs.pid")/cmdline"; } 2>/dev/null | grep -q s3s-fs; then
  kill "$(cat "$state/s3s-fs.pid")" && log "stopped the quickstart's old s3s-fs"
fi
rm -rf "$state"
"$CLUSTER_SCRIPTS/down.sh"
