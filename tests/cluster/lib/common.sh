# shellcheck shell=bash
# Shared settings for the test-cluster scripts (sourced, not run).
# All state lives under $SEER_CLUSTER_DIR; all binaries under $SEER_CACHE.

SEER_CACHE="${SEER_CACHE:-$HOME/.cache/seer}"
SEER_CLUSTER_DIR="${SEER_CLUSTER_DIR:-$SEER_CACHE/cluster}"
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="v3.6.4"
CLUSTER_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_BIN="$SEER_CACHE/k8s/$K8S_VERSION/bin"
KUBECONFIG_FILE="$SEER_CLUSTER_DIR/kubeconfig"

# Ports, all on 127.0.0.1, chosen away from common defaults (see README.md).
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
ETCD_METRICS_PORT=12381
APISERVER_PORT=16443
KCM_PORT=16257        # kube-controller-manager secure port
SCHEDULER_PORT=16259  # kube-scheduler secure port
KUBELET_PORT=16250
KUBELET_HEALTHZ_PORT=16248
PROXY_HEALTHZ_PORT=16256
PROXY_METRICS_PORT=16249
NODEPORT_RANGE="30000-32767"

# Addresses: CIDRs nothing else on these machines uses.
SERVICE_CIDR="10.152.0.0/16"
KUBERNETES_SVC_IP="10.152.0.1"
DNS_SVC_IP="10.152.0.10"
POD_CIDR="10.153.0.0/16"
CNI_BRIDGE="seer0"
CNI_GATEWAY="10.153.0.1"   # the bridge's address = the node address (NODE_IP)
CNI_BRIDGE_MAC="02:53:00:00:00:01"   # locally administered; fixed so it never follows the pods' veths (lib/node.sh)
CLUSTER_DOMAIN="cluster.local"
NODE_NAME="seer-node"

CONTAINERD_SOCK="$SEER_CLUSTER_DIR/containerd/containerd.sock"

log() { printf '%s [seer-cluster] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# phase NAME: prints the time the previous phase took, then starts timing NAME.
_phase_name=""
_phase_start=0
_total_start=$(date +%s.%N)
phase() {
  local now; now=$(date +%s.%N)
  if [[ -n "$_phase_name" ]]; then
    printf '%s [seer-cluster] phase %-28s %6.1fs\n' "$(date -u +%H:%M:%S)" "$_phase_name" "$(awk "BEGIN{print $now - $_phase_start}")" >&2
  fi
  _phase_name="${1:-}"
  _phase_start=$now
}
phase_total() {
  phase ""
  printf '%s [seer-cluster] total %34.1fs\n' "$(date -u +%H:%M:%S)" "$(awk "BEGIN{print $(date +%s.%N) - $_total_start}")" >&2
}

# wait_for DESC TIMEOUT_S CMD...: polls CMD until it succeeds; fails after TIMEOUT_S.
wait_for() {
  local desc=$1 timeout=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      die "timed out after ${timeout}s waiting for $desc"
    fi
    sleep 0.2
  done
}

need_root() { [[ $(id -u) == 0 ]] || die "$1 needs root"; }

# The node address: the CNI bridge's gateway address. up.sh (node tier) makes the bridge with it
# before anything starts (no dummy links on these kernels); the `kubernetes` Service points here.
NODE_IP="$CNI_GATEWAY"
NODE_LINK="$CNI_BRIDGE"
RUN_DIR="$SEER_CLUSTER_DIR/run"    # <name>.pid files
LOG_DIR="$SEER_CLUSTER_DIR/logs"

# cluster_running: up.sh's API server is running (its pid file names a live process).
cluster_running() {
  [[ -f "$RUN_DIR/kube-apiserver.pid" ]] && kill -0 "$(cat "$RUN_DIR/kube-apiserver.pid")" 2>/dev/null
}
# need_no_cluster WHAT_TO_DO: dies when a cluster is running, saying what to do about it (a
# script that would start its own, or stop it at its end, must not take over a running one).
need_no_cluster() {
  if cluster_running; then
    die "a cluster is already running from $SEER_CLUSTER_DIR; $1"
  fi
}

# start_bg NAME CMD...: starts CMD in its own session, logs to $LOG_DIR/NAME.log, pid to $RUN_DIR/NAME.pid
start_bg() {
  local name=$1; shift
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  if [[ -f "$RUN_DIR/$name.pid" ]] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
    die "$name is already running (pid $(cat "$RUN_DIR/$name.pid")); run down.sh first"
  fi
  setsid "$@" >"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$name.pid"
}

# alive NAME: the process named NAME still runs (else print its log tail and die)
alive() {
  local name=$1 pid
  pid=$(cat "$RUN_DIR/$name.pid" 2>/dev/null) || die "no pid file for $name"
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 30 "$LOG_DIR/$name.log" >&2 || true
    die "$name (pid $pid) exited; log: $LOG_DIR/$name.log"
  fi
}
