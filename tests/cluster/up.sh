#!/usr/bin/env bash
# Starts a single-node Kubernetes cluster made of real parts, all state under
# ${SEER_CLUSTER_DIR:-$HOME/.cache/seer/cluster}, kubeconfig at $SEER_CLUSTER_DIR/kubeconfig.
#
#   up.sh --control-plane-only   etcd + kube-apiserver + kube-controller-manager + kube-scheduler
#   up.sh                        the above + containerd/runc + CNI bridge + kubelet + kube-proxy
#                                + CoreDNS + metrics-server + the in-cluster S3 server (needs root)
#   up.sh --no-addons            the node tier without CoreDNS, metrics-server and S3
#
# Stop everything with down.sh. Ports and CIDRs: see README.md and lib/common.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/pki.sh"

CONTROL_PLANE_ONLY=0
ADDONS=1
for a in "$@"; do
  case "$a" in
    --control-plane-only) CONTROL_PLANE_ONLY=1 ;;
    --no-addons) ADDONS=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument: $a (usage: up.sh [--control-plane-only | --no-addons])" ;;
  esac
done

need_no_cluster "run down.sh first"
(( CONTROL_PLANE_ONLY )) || need_root "the node tier (kubelet, containerd, CNI)"

phase "build/cache binaries"
"$CLUSTER_SCRIPTS/build.sh"
KUBECTL=$("$CLUSTER_SCRIPTS/tools.sh" kubectl)

phase "state dir + PKI"
if [[ -e "$SEER_CLUSTER_DIR" ]]; then   # left by a run that was cut short: clean it properly
  log "removing the state a previous run left in $SEER_CLUSTER_DIR"
  "$CLUSTER_SCRIPTS/down.sh" >&2
fi
mkdir -p "$SEER_CLUSTER_DIR" "$RUN_DIR" "$LOG_DIR"
echo "$CONTROL_PLANE_ONLY" > "$SEER_CLUSTER_DIR/control-plane-only"
make_pki
PKI=$SEER_CLUSTER_DIR/pki
make_kubeconfig admin admin "$KUBECONFIG_FILE"
make_kubeconfig controller-manager controller-manager
make_kubeconfig scheduler scheduler
export KUBECONFIG=$KUBECONFIG_FILE

# Tear down what was started if any later step fails, so a failed up.sh leaves nothing.
trap 'rc=$?; if (( rc != 0 )); then log "up.sh failed (exit $rc); stopping what it started (logs: $SEER_CLUSTER_DIR.last-logs)"; "$CLUSTER_SCRIPTS/down.sh" >&2 || true; fi' EXIT

phase "etcd"
start_bg etcd "$K8S_BIN/etcd" \
  --name seer --data-dir "$SEER_CLUSTER_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "seer=http://127.0.0.1:$ETCD_PEER_PORT" \
  --listen-metrics-urls "http://127.0.0.1:$ETCD_METRICS_PORT" \
  --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
wait_for "etcd health" 30 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

phase "kube-apiserver"
# The control-plane tier listens on loopback only. The node tier also needs the apiserver on the
# node address (NODE_IP, the CNI bridge gateway) for pods, so it binds 0.0.0.0 and a guard chain
# (SEER-GUARD, see lib/node.sh) drops its port on every address but 127.0.0.1 and NODE_IP.
bind=127.0.0.1; (( CONTROL_PLANE_ONLY )) || bind=0.0.0.0
if (( ! CONTROL_PLANE_ONLY )); then
  source "$CLUSTER_SCRIPTS/lib/node.sh"
  node_network_host   # dummy link + guard chain before the apiserver binds 0.0.0.0
fi
mkdir -p "$SEER_CLUSTER_DIR/apiserver"
start_bg kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address "$bind" --secure-port "$APISERVER_PORT" --advertise-address "$NODE_IP" \
  --cert-dir "$SEER_CLUSTER_DIR/apiserver" \
  --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$PKI/ca.crt" \
  --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file "$PKI/sa.pub" \
  --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range "$NODEPORT_RANGE" \
  --authorization-mode Node,RBAC \
  --enable-admission-plugins NodeRestriction \
  --allow-privileged=true \
  --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User \
  --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
  --proxy-client-key-file "$PKI/front-proxy-client.key" \
  --enable-aggregator-routing=true \
  --profiling=false --v=1
readyz() {
  curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null
}
deadline=$(( $(date +%s) + 60 ))
until readyz; do
  alive kube-apiserver
  (( $(date +%s) < deadline )) || die "kube-apiserver not ready after 60s; log: $LOG_DIR/kube-apiserver.log"
  sleep 0.2
done

phase "controller-manager + scheduler"
mkdir -p "$SEER_CLUSTER_DIR/controller-manager" "$SEER_CLUSTER_DIR/scheduler"
start_bg kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$SEER_CLUSTER_DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$SEER_CLUSTER_DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$SEER_CLUSTER_DIR/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
  --cert-dir "$SEER_CLUSTER_DIR/controller-manager" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --root-ca-file "$PKI/ca.crt" \
  --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials=true \
  --service-cluster-ip-range "$SERVICE_CIDR" \
  --allocate-node-cidrs=false --leader-elect=false \
  --controllers '*,bootstrapsigner,tokencleaner' --profiling=false --v=1
start_bg kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig "$SEER_CLUSTER_DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig "$SEER_CLUSTER_DIR/scheduler.kubeconfig" \
  --authorization-kubeconfig "$SEER_CLUSTER_DIR/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
  --cert-dir "$SEER_CLUSTER_DIR/scheduler" \
  --leader-elect=false --profiling=false --v=1
healthz() { curl -skf "https://127.0.0.1:$1/healthz" >/dev/null; }
wait_for "kube-controller-manager /healthz" 30 healthz "$KCM_PORT"
wait_for "kube-scheduler /healthz" 30 healthz "$SCHEDULER_PORT"
alive kube-controller-manager; alive kube-scheduler
# Pods can be created once the controller-manager has made the default service account.
wait_for "service account default/default" 30 "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" -n default get serviceaccount default

if (( ! CONTROL_PLANE_ONLY )); then
  node_up   # lib/node.sh: containerd, CNI, kubelet, kube-proxy, images, addons
fi

phase_total
trap - EXIT
log "cluster up: export KUBECONFIG=$KUBECONFIG_FILE   (kubectl: $KUBECTL)"
