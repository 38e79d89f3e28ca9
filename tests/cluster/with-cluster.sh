#!/usr/bin/env bash
# Runs a command against a fresh test cluster and always stops the cluster afterwards:
#   with-cluster.sh [--control-plane-only | --no-addons] -- CMD ARGS...
# CMD gets KUBECONFIG (admin) and SEER_KUBECTL (kubectl 1.34) in its environment; the exit code
# is CMD's (or up.sh's / down.sh's if those fail). For the leftover checks as well, use
# leftovers-test.sh, which takes the same arguments.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
up_args=()
while (( $# )); do
  case "$1" in
    --control-plane-only|--no-addons) up_args+=("$1"); shift ;;
    --) shift; break ;;
    *) die "usage: with-cluster.sh [--control-plane-only | --no-addons] -- CMD ARGS..." ;;
  esac
done
(( $# )) || die "usage: with-cluster.sh [--control-plane-only | --no-addons] -- CMD ARGS..."
# Refuse before the trap is set: the trap's down.sh would stop a cluster this run did not start
# (the quickstart's, or another test run's).
need_no_cluster "stop it first with make quickstart-down (or tests/cluster/down.sh)"
trap '"$CLUSTER_SCRIPTS/down.sh" >&2 || rc=1' EXIT
"$CLUSTER_SCRIPTS/up.sh" "${up_args[@]}"
export KUBECONFIG=$KUBECONFIG_FILE
SEER_KUBECTL=$("$CLUSTER_SCRIPTS/tools.sh" kubectl); export SEER_KUBECTL
rc=0
"$@" || rc=$?
trap - EXIT
"$CLUSTER_SCRIPTS/down.sh" >&2 || { log "down.sh failed"; (( rc )) || rc=1; }
exit "$rc"
