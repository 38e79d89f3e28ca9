#!/usr/bin/env bash
# Checks that down.sh leaves nothing of the cluster behind. Snapshots processes, mounts,
# network namespaces, links, iptables/ip6tables rules, nfacct objects and the sysctls up.sh touches; runs
# up.sh (and, if given, a command on the running cluster); runs down.sh; snapshots again and
# compares.
#   leftovers-test.sh [--control-plane-only | --no-addons] [-- CMD ARGS...]
# e.g. leftovers-test.sh -- tests/cluster/smoke-test.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

up_args=(); cmd=()
while (( $# )); do
  case "$1" in
    --control-plane-only|--no-addons) up_args+=("$1"); shift ;;
    --) shift; cmd=("$@"); break ;;
    *) die "usage: leftovers-test.sh [--control-plane-only | --no-addons] [-- CMD ARGS...]" ;;
  esac
done

snap=$(mktemp -d); trap 'rm -rf "$snap"' EXIT
snapshot() {   # snapshot DIR
  local d=$snap/$1; mkdir -p "$d"
  awk '{print $5, $9}' /proc/self/mountinfo | sort > "$d/mounts"
  { ip netns list 2>/dev/null || true; } | awk '{print $1}' | sort > "$d/netns"
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort > "$d/links"
  # Rules and chains, each line prefixed with its table. A table with only its built-in
  # chains at policy ACCEPT and no rules is what an absent one does: on a machine whose
  # tables were never loaded, the first run creates them empty, and nothing can unload them.
  for t in iptables ip6tables; do
    if command -v "$t-save" >/dev/null; then
      { "$t-save" 2>/dev/null || true; } | sed 's/\[[0-9]*:[0-9]*\]//' \
        | awk '/^#/ || /^COMMIT/ || /^:[A-Z]+ ACCEPT *$/ { next } /^\*/ { table = substr($0, 2); next } { print table ": " $0 }' \
        > "$d/$t"
    else : > "$d/$t"; fi
  done
  if command -v nfacct >/dev/null; then
    nfacct list 2>/dev/null | sed -n 's/.* = \(.*\);$/\1/p' | sort > "$d/nfacct"
  else : > "$d/nfacct"; fi
  for k in net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables; do
    echo "$k $(sysctl -n "$k" 2>/dev/null)"
  done > "$d/sysctls"
  # Processes as "pid starttime command": a pid reused later shows as a different line. A
  # command line's newlines (bash -c scripts) become spaces, so each process is one line.
  for p in /proc/[0-9]*; do
    local stat; stat=$(cat "$p/stat" 2>/dev/null) || continue
    echo "${p#/proc/} $(echo "${stat##*) }" | awk '{print $20}') $({ tr '\0\n' '  ' < "$p/cmdline"; } 2>/dev/null | cut -c1-200)"
  done | sort > "$d/procs"
}

# ours PID: the process belongs to the cluster (its command names the cluster's files or
# binaries, or it runs in a pod cgroup).
ours() {
  local pid=$1 line=$2
  grep -q kubepods "/proc/$pid/cgroup" 2>/dev/null && return 0
  [[ $line == *"$SEER_CLUSTER_DIR"* || $line == *"$K8S_BIN"* || $line == *"$SEER_CACHE/addons"* \
     || $line == *containerd* || $line == *" /pause"* || $line == *s3s-fs* ]]
}

# A running cluster would make up.sh fail and the down.sh below stop it: refuse first.
need_no_cluster "stop it first with make quickstart-down (or tests/cluster/down.sh)"
log "snapshot before up"
snapshot before
start=$(date +%s)
rc=0
if ! "$CLUSTER_SCRIPTS/up.sh" "${up_args[@]}"; then rc=1; log "up.sh failed"; fi
if (( rc == 0 && ${#cmd[@]} )); then
  log "running: ${cmd[*]}"
  export KUBECONFIG=$KUBECONFIG_FILE
  SEER_KUBECTL=$("$CLUSTER_SCRIPTS/tools.sh" kubectl); export SEER_KUBECTL
  "${cmd[@]}" || { rc=1; log "command failed: ${cmd[*]}"; }
fi
"$CLUSTER_SCRIPTS/down.sh" || { rc=1; log "down.sh failed"; }
log "snapshot after down ($(( $(date +%s) - start ))s after up started)"
snapshot after

passed=0; failed=0
for what in mounts netns links iptables ip6tables nfacct sysctls; do
  if diff -u "$snap/before/$what" "$snap/after/$what" > "$snap/$what.diff"; then
    log "ok: $what unchanged"; passed=$((passed + 1))
  else
    log "LEFT OVER: $what"; cat "$snap/$what.diff" >&2; failed=$((failed + 1))
  fi
done
left=()
while read -r pid st rest; do
  [[ $pid =~ ^[0-9]+$ && $st =~ ^[0-9]+$ ]] || continue   # a command line is one line each
  grep -q "^$pid $st " "$snap/before/procs" && continue
  kill -0 "$pid" 2>/dev/null || continue
  ours "$pid" "$rest" && left+=("$pid $rest")
done < "$snap/after/procs"
if (( ${#left[@]} )); then
  log "LEFT OVER: processes"; printf '  %s\n' "${left[@]}" >&2; failed=$((failed + 1))
else
  log "ok: no cluster process left"; passed=$((passed + 1))
fi
(( rc == 0 )) && passed=$((passed + 1)) || failed=$((failed + 1))
echo "leftovers: $passed passed, $failed failed"
(( failed == 0 ))
