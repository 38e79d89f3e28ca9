#!/usr/bin/env bash
# Stops the test cluster started by up.sh and removes what it made: processes (by the PIDs in
# $SEER_CLUSTER_DIR/run and containerd's own pid files), mounts under $SEER_CLUSTER_DIR, the
# pods' network namespaces, the CNI bridge and the node's dummy link, the iptables chains
# (KUBE-*, CNI-*, SEER-*), the sysctls it changed, the pod cgroups, and the state dir.
# Logs (the components' and the pods') are kept in $SEER_CLUSTER_DIR.last-logs.
# Safe to run when nothing is up.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ -d "$SEER_CLUSTER_DIR" ]] || { log "nothing to stop ($SEER_CLUSTER_DIR does not exist)"; exit 0; }

# stop_pid PID NAME: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || { log "stopped $name ($pid)"; return 0; }; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null; log "killed $name ($pid)"
}
# stop_named NAME...: SIGTERM to all of them at once, wait up to 10 s, then SIGKILL.
stop_named() {
  local n pids=() names=() i left
  local pid
  for n in "$@"; do
    [[ -f "$RUN_DIR/$n.pid" ]] || continue
    pid=$(cat "$RUN_DIR/$n.pid"); rm -f "$RUN_DIR/$n.pid"
    # A stale pid file (machine restarted, pid reused) must not kill someone else's process.
    { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$n" || continue
    pids+=("$pid"); names+=("$n")
  done
  (( ${#pids[@]} )) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  for i in $(seq 50); do
    left=0; for n in "${pids[@]}"; do kill -0 "$n" 2>/dev/null && left=1; done
    (( left )) || break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if kill -0 "${pids[$i]}" 2>/dev/null; then kill -KILL "${pids[$i]}"; log "killed ${names[$i]} (${pids[$i]})"
    else log "stopped ${names[$i]} (${pids[$i]})"; fi
  done
}

# 1. Node: kubelet first (so nothing restarts pods), then the containers, then containerd.
stop_named kubelet kube-proxy
bundles=$SEER_CLUSTER_DIR/containerd/state/io.containerd.runtime.v2.task
shim_sockets=()
if [[ -d "$bundles" ]]; then
  for f in "$bundles"/*/*/address; do   # the shims' sockets (containerd drops the bundles)
    [[ -f "$f" ]] && a=$(sed 's|^unix://||' "$f") && [[ $a == /run/containerd/s/* ]] && shim_sockets+=("$a")
  done
  for f in "$bundles"/*/*/init.pid; do
    [[ -f "$f" ]] && kill -KILL "$(cat "$f")" 2>/dev/null && log "killed container $(basename "$(dirname "$f")" | cut -c1-12)"
  done
fi
# The runc shims: found by PID through their command line, which names our containerd socket.
for p in /proc/[0-9]*; do
  { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q -- "containerd-shim.* -address $CONTAINERD_SOCK\( \|\$\)" || continue
  kill -KILL "${p#/proc/}" 2>/dev/null && log "killed containerd-shim ${p#/proc/}"
done
(( ${#shim_sockets[@]} )) && rm -f "${shim_sockets[@]}"
stop_named containerd
# Anything else up.sh started and recorded (addons run as host processes, if any).
for f in "$RUN_DIR"/*.pid; do
  [[ -f "$f" ]] || continue
  case "$(basename "$f" .pid)" in kube-apiserver|kube-controller-manager|kube-scheduler|etcd) continue ;; esac
  stop_named "$(basename "$f" .pid)"
done

# 2. Control plane.
stop_named kube-scheduler kube-controller-manager kube-apiserver
stop_named etcd

# 3. Mounts under the state dir (deepest first), then the pods' network namespaces.
real_dir=$(readlink -f "$SEER_CLUSTER_DIR")
for _ in 1 2 3; do
  mapfile -t mnts < <(awk -v d="$real_dir/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  (( ${#mnts[@]} )) || break
  for m in "${mnts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"; done
done
if [[ -f "$SEER_CLUSTER_DIR/netns-before" ]]; then
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns == cni-* ]] || continue
    grep -qx "$ns" "$SEER_CLUSTER_DIR/netns-before" && continue
    ip netns delete "$ns" 2>/dev/null && log "removed netns $ns"
  done
fi

[[ -f "$SEER_CLUSTER_DIR/no-run-netns-before" ]] && rmdir /run/netns 2>/dev/null

# 4. Links: the CNI bridge (its veths went with the namespaces) and the node's dummy link.
for l in "$CNI_BRIDGE" "$NODE_LINK"; do
  ip link show "$l" >/dev/null 2>&1 && ip link delete "$l" && log "removed link $l"
done

# 5. iptables chains made by kube-proxy, the kubelet, the CNI plugins and up.sh.
clean_iptables() {
  local cmd=$1 table chain
  command -v "$cmd" >/dev/null || return 0
  for table in filter nat mangle raw; do
    "$cmd-save" -t "$table" >/dev/null 2>&1 || continue
    # Rules in any chain that jump to one of ours go first, then our chains themselves.
    "$cmd-save" -t "$table" 2>/dev/null | grep -E '^-A .* -j (KUBE-|CNI-|SEER-)' | grep -Ev '^-A (KUBE-|CNI-|SEER-)' |
      while read -r _ rule; do eval "$cmd -w -t $table -D $rule" 2>/dev/null; done
    for chain in $("$cmd-save" -t "$table" 2>/dev/null | awk '/^:(KUBE-|CNI-|SEER-)/ {print substr($1, 2)}'); do
      "$cmd" -w -t "$table" -F "$chain" 2>/dev/null
    done
    for chain in $("$cmd-save" -t "$table" 2>/dev/null | awk '/^:(KUBE-|CNI-|SEER-)/ {print substr($1, 2)}'); do
      "$cmd" -w -t "$table" -X "$chain" 2>/dev/null || log "could not delete $cmd $table $chain"
    done
  done
}
if [[ ! -f "$SEER_CLUSTER_DIR/control-plane-only" || "$(cat "$SEER_CLUSTER_DIR/control-plane-only")" != 1 ]] && [[ $(id -u) == 0 ]]; then
  clean_iptables iptables
  clean_iptables ip6tables
fi

# kube-proxy's nfacct objects (made after up.sh's record of those present before).
if [[ -f "$SEER_CLUSTER_DIR/nfacct-before" ]] && command -v nfacct >/dev/null; then
  for o in $(nfacct list 2>/dev/null | sed -n 's/.* = \(.*\);$/\1/p'); do
    grep -qx "$o" "$SEER_CLUSTER_DIR/nfacct-before" && continue
    nfacct del "$o" >/dev/null 2>&1 && log "removed nfacct $o"
  done
fi

# 6. Sysctls back to what they were before up.sh.
if [[ -f "$SEER_CLUSTER_DIR/sysctl-before" ]]; then
  while read -r key value; do
    [[ "$(sysctl -n "$key" 2>/dev/null)" == "$value" ]] || sysctl -qw "$key=$value" >/dev/null || log "could not restore $key"
  done < "$SEER_CLUSTER_DIR/sysctl-before"
fi

# 7. Pod cgroups the kubelet made (v1 controllers and the unified tree), leaves first.
for root in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice /sys/fs/cgroup/kubepods; do
  [[ -d "$root" ]] || continue
  find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null
done

# 8. CNI result cache entries for our network (libcni keeps them in /var/lib/cni/results).
rm -f /var/lib/cni/results/seer-pods-* 2>/dev/null

# The kubelet's symlinks to container logs (always in /var/log/containers) that point to us.
for l in /var/log/containers/*.log; do
  [[ -L "$l" && "$(readlink "$l")" == "$real_dir/"* ]] && rm -f "$l"
done
[[ -f "$SEER_CLUSTER_DIR/no-var-log-containers-before" ]] && rmdir /var/log/containers 2>/dev/null

# 9. The logs (ours and the pods') go to $SEER_CLUSTER_DIR.last-logs for a look afterwards;
#    then the state dir (never crossing into a mount that failed to go).
last=$SEER_CLUSTER_DIR.last-logs
rm -rf "$last"; mkdir -p "$last"
for d in logs pod-logs; do [[ -d "$SEER_CLUSTER_DIR/$d" ]] && cp -a "$SEER_CLUSTER_DIR/$d" "$last/" 2>/dev/null; done
rm -rf --one-file-system "$SEER_CLUSTER_DIR"
log "cluster down"
