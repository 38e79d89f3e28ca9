# shellcheck shell=bash
# The node tier of the test cluster (sourced by up.sh after the control plane is up):
# containerd + runc, CNI bridge, kubelet, kube-proxy, images, and the addons.
source "$CLUSTER_SCRIPTS/lib/images.sh"

# Host networking the node needs, made before the apiserver starts:
#  - the CNI bridge $CNI_BRIDGE holding $NODE_IP = the pods' gateway (the node address, the
#    `kubernetes` Service's endpoint); the bridge plugin finds it there and adds the pods to it;
#  - chain SEER-GUARD: the apiserver/kubelet ports answer only on 127.0.0.1, $NODE_IP and from
#    the pods, never on the machine's own addresses; pod traffic never leaves for other links;
#  - ip_forward on (pod -> Service -> pod on the same bridge is routed); old values are kept
#    in sysctl-before for down.sh.
node_network_host() {
  for cmd in ip iptables iptables-save containerd runc ctr; do
    command -v "$cmd" >/dev/null || die "$cmd is missing (apt-get install containerd runc containernetworking-plugins iptables)"
  done
  [[ -x /usr/lib/cni/bridge ]] || die "CNI plugins missing in /usr/lib/cni (apt-get install containernetworking-plugins)"
  : > "$SEER_CLUSTER_DIR/sysctl-before"
  for k in net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables; do
    echo "$k $(sysctl -n "$k" 2>/dev/null)" >> "$SEER_CLUSTER_DIR/sysctl-before"
  done
  ip netns list 2>/dev/null | awk '{print $1}' > "$SEER_CLUSTER_DIR/netns-before"
  [[ -d /run/netns ]] || touch "$SEER_CLUSTER_DIR/no-run-netns-before"
  [[ -d /var/log/containers ]] || touch "$SEER_CLUSTER_DIR/no-var-log-containers-before"
  # kube-proxy makes netfilter accounting objects (nfacct) for its metrics; down.sh deletes
  # those that were not there before.
  if command -v nfacct >/dev/null; then
    nfacct list 2>/dev/null | sed -n 's/.* = \(.*\);$/\1/p' > "$SEER_CLUSTER_DIR/nfacct-before"
  fi
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 >/dev/null \
    || die "could not set ip_forward / bridge-nf-call-iptables"

  ip link add "$CNI_BRIDGE" type bridge || die "could not create bridge $CNI_BRIDGE (leftover? run down.sh)"
  # A bridge whose address was never set takes the lowest address of its ports, so it changes
  # whenever a pod whose veth sorts lower starts, or the lowest one stops (the CNI bridge
  # plugin 1.1 sets none). Pods keep sending to the old address until their ARP entry
  # expires, and replies to the host (NodePort traffic) go astray meanwhile: requests were
  # lost during Campaign rollouts. An address set explicitly is kept by the kernel.
  ip link set "$CNI_BRIDGE" address "$CNI_BRIDGE_MAC"
  ip addr add "$CNI_GATEWAY/${POD_CIDR#*/}" dev "$CNI_BRIDGE"
  ip link set "$CNI_BRIDGE" up

  iptables -w -N SEER-GUARD
  iptables -w -A SEER-GUARD -d 127.0.0.0/8 -j RETURN
  iptables -w -A SEER-GUARD -d "$NODE_IP" -j RETURN
  iptables -w -A SEER-GUARD -j DROP
  iptables -w -I INPUT -p tcp -m multiport --dports "$APISERVER_PORT,$KUBELET_PORT" -j SEER-GUARD
  if command -v ip6tables >/dev/null && ip6tables -w -S INPUT >/dev/null 2>&1; then
    # Go binds "0.0.0.0" dual-stack: the apiserver port answers on ::1 only.
    ip6tables -w -N SEER-GUARD
    ip6tables -w -A SEER-GUARD -d ::1/128 -j RETURN
    ip6tables -w -A SEER-GUARD -j DROP
    ip6tables -w -I INPUT -p tcp -m multiport --dports "$APISERVER_PORT,$KUBELET_PORT" -j SEER-GUARD
  fi
  iptables -w -N SEER-EGRESS
  iptables -w -A SEER-EGRESS -o "$CNI_BRIDGE" -j RETURN
  iptables -w -A SEER-EGRESS -j DROP
  iptables -w -I FORWARD -s "$POD_CIDR" -j SEER-EGRESS
}

containerd_config() {
  local d=$SEER_CLUSTER_DIR/containerd
  mkdir -p "$d/root" "$d/state" "$d/opt" "$d/runc" "$SEER_CLUSTER_DIR/cni/net.d" "$SEER_CLUSTER_DIR/cni/ipam"
  cat > "$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$d/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$SEER_CLUSTER_DIR/cni/net.d"
    max_conf_num = 1
  # No image is ever pulled: every image is imported. Registries point at a closed local port.
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
    endpoint = ["http://127.0.0.1:9"]
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."registry.k8s.io"]
    endpoint = ["http://127.0.0.1:9"]
TOML
  cat > "$SEER_CLUSTER_DIR/cni/net.d/10-seer.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "seer-pods",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$SEER_CLUSTER_DIR/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$CNI_GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
}

kubelet_config() {
  local d=$SEER_CLUSTER_DIR/kubelet
  mkdir -p "$d/root" "$SEER_CLUSTER_DIR/pod-logs"
  # Pods with dnsPolicy Default get no upstream resolver: nothing leaves the machine.
  printf 'nameserver %s\nsearch %s\n' "$DNS_SVC_IP" "$CLUSTER_DOMAIN" > "$d/resolv.conf"
  make_kubeconfig kubelet kubelet-client "$d/kubeconfig"
  cat > "$d/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $SEER_CLUSTER_DIR/pki/kubelet.crt
tlsPrivateKeyFile: $SEER_CLUSTER_DIR/pki/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $SEER_CLUSTER_DIR/pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
clusterDNS: [$DNS_SVC_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $d/resolv.conf
podLogsDir: $SEER_CLUSTER_DIR/pod-logs
failSwapOn: false
failCgroupV1: false
maxPods: 60
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
enforceNodeAllocatable: [pods]
registerNode: true
rotateCertificates: false
serverTLSBootstrap: false
YAML
}

kube_proxy_config() {
  local d=$SEER_CLUSTER_DIR/kube-proxy
  mkdir -p "$d"
  make_kubeconfig kube-proxy kube-proxy "$d/kubeconfig"
  cat > "$d/config.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $d/kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
nodePortAddresses: [127.0.0.1/32]
iptables: {localhostNodePorts: true, masqueradeAll: false, syncPeriod: 30s, minSyncPeriod: 1s}
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
}

node_up() {
  phase "images (pause)"
  local pause_tar; pause_image pause_tar

  phase "containerd"
  containerd_config
  start_bg containerd containerd --config "$SEER_CLUSTER_DIR/containerd/config.toml" --log-level warn
  wait_for "containerd socket" 30 ctr --address "$CONTAINERD_SOCK" version
  import_image "$pause_tar"

  phase "kubelet"
  kubelet_config
  start_bg kubelet "$K8S_BIN/kubelet" \
    --config "$SEER_CLUSTER_DIR/kubelet/config.yaml" \
    --kubeconfig "$SEER_CLUSTER_DIR/kubelet/kubeconfig" \
    --root-dir "$SEER_CLUSTER_DIR/kubelet/root" \
    --cert-dir "$SEER_CLUSTER_DIR/kubelet/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1

  phase "kube-proxy"
  kube_proxy_config
  start_bg kube-proxy "$K8S_BIN/kube-proxy" --config "$SEER_CLUSTER_DIR/kube-proxy/config.yaml" --v=1

  phase "node Ready"
  local deadline=$(( $(date +%s) + 90 ))
  until "$KUBECTL" get node "$NODE_NAME" >/dev/null 2>&1; do
    alive kubelet; alive containerd
    (( $(date +%s) < deadline )) || die "node $NODE_NAME never registered; log: $LOG_DIR/kubelet.log"
    sleep 0.5
  done
  "$KUBECTL" wait --for=condition=Ready "node/$NODE_NAME" --timeout=90s >/dev/null \
    || { alive kubelet; die "node $NODE_NAME not Ready; log: $LOG_DIR/kubelet.log"; }
  alive kube-proxy

  (( ADDONS )) || return 0
  phase "addons"
  source "$CLUSTER_SCRIPTS/lib/addons.sh"
  addons_up
}
