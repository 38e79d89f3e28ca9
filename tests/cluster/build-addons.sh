#!/usr/bin/env bash
# Builds the cluster addons from their Go modules once, cached by version and go.sum:
#   $SEER_CACHE/addons/coredns-<v>/coredns, $SEER_CACHE/addons/metrics-server-<v>/metrics-server
# and makes sure the s3s-fs binary exists ($SEER_CACHE/tools/s3s-fs-0.14.1/bin/s3s-fs).
# Usage: build-addons.sh [coredns|metrics-server|s3s-fs]...   (default: all)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"

go_addon() {   # go_addon NAME VERSION PACKAGE
  local name=$1 version=$2 pkg=$3 mod=$CLUSTER_SCRIPTS/build/$1
  local out=$SEER_CACHE/addons/$name-$version key
  key=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
  [[ -x "$out/$name" && -f "$out/.built-$key" ]] && return 0
  command -v go >/dev/null || die "go is not installed"
  log "building $name $version (a few minutes on 2 cores)"
  mkdir -p "$out"; rm -f "$out"/.built-*
  local start; start=$(date +%s)
  (cd "$mod" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath -mod=mod" GOMAXPROCS="${GOMAXPROCS:-2}" \
    go build -p "${GO_BUILD_P:-2}" -ldflags "-s -w" -o "$out/$name.tmp" "$pkg") || die "building $name failed"
  mv "$out/$name.tmp" "$out/$name"
  touch "$out/.built-$key"
  log "built $name in $(( $(date +%s) - start ))s"
}

s3s_fs() {
  [[ -x "$S3S_FS_BIN" ]] && return 0
  command -v cargo >/dev/null || die "cargo is needed to install s3s-fs"
  log "installing s3s-fs $S3S_FS_VERSION with cargo (several minutes)"
  cargo install "s3s-fs@$S3S_FS_VERSION" --features binary --locked \
    --root "$SEER_CACHE/tools/s3s-fs-$S3S_FS_VERSION" || die "cargo install s3s-fs failed"
}

what=("$@"); (( ${#what[@]} )) || what=(coredns metrics-server s3s-fs)
for w in "${what[@]}"; do
  case "$w" in
    coredns) go_addon coredns "$COREDNS_VERSION" github.com/coredns/coredns ;;
    metrics-server) go_addon metrics-server "$METRICS_SERVER_VERSION" sigs.k8s.io/metrics-server/cmd/metrics-server ;;
    s3s-fs) s3s_fs ;;
    *) die "unknown addon $w" ;;
  esac
done
