#!/usr/bin/env bash
# Builds the cluster's Go binaries once and caches them, keyed by version and by the
# build module's go.mod/go.sum:
#   $SEER_CACHE/k8s/<k8s version>/bin: kube-apiserver kube-controller-manager kube-scheduler
#                                        kubelet kube-proxy etcd
# All in ONE `go build`, so the Kubernetes commands and etcd share compilation.
# Usage: build.sh [--control-plane-only]   (the node binaries are built anyway: same cost)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

command -v go >/dev/null || die "go is not installed (needs Go >= 1.24)"
mod="$CLUSTER_SCRIPTS/build"
key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
stamp="$K8S_BIN/.built-$key"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy etcd)

if [[ -f "$stamp" ]]; then
  ok=1; for b in "${bins[@]}"; do [[ -x "$K8S_BIN/$b" ]] || ok=0; done
  if (( ok )); then log "k8s $K8S_VERSION binaries cached in $K8S_BIN"; exit 0; fi
fi

log "building Kubernetes $K8S_VERSION + etcd $ETCD_VERSION into $K8S_BIN (cold: ~10 min on 2 cores)"
mkdir -p "$K8S_BIN"
tmp=$(mktemp -d "$K8S_BIN/../build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$now -X $p.gitCommit=seer-$K8S_VERSION"
done

cd "$mod"
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath -mod=mod" GOMAXPROCS="${GOMAXPROCS:-2}"
start=$(date +%s)
go build -p "${GO_BUILD_P:-2}" -ldflags "$ld" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kube-proxy \
  go.etcd.io/etcd/server/v3
mv "$tmp/server" "$tmp/etcd"   # go names the main package of .../server/v3 "server"
for b in "${bins[@]}"; do mv -f "$tmp/$b" "$K8S_BIN/$b"; done
rm -f "$K8S_BIN"/.built-*
touch "$stamp"
log "built in $(( $(date +%s) - start ))s: $("$K8S_BIN/kube-apiserver" --version)"
