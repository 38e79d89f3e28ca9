#!/usr/bin/env bash
# Installs the Debian packages the test cluster needs, if missing (root; apt).
#   deps.sh                   everything (node tier)
#   deps.sh --control-plane-only   only what the control-plane tier needs (openssl, curl)
# Go (>= 1.24) and python3 (for the kubectl/helm wheel) must already be on the machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

pkgs=(openssl curl ca-certificates)
[[ "${1:-}" == --control-plane-only ]] || pkgs+=(containerd runc containernetworking-plugins buildah iptables iproute2 conntrack nfacct file libc6-dev gcc)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v go >/dev/null || die "Go is not installed (the cluster's binaries are built with Go >= 1.24)"
command -v python3 >/dev/null || die "python3 is not installed (kubectl/helm come from a PyPI wheel)"
(( ${#missing[@]} )) || { log "packages present: ${pkgs[*]}"; exit 0; }
need_root "installing ${missing[*]}"
log "apt-get install ${missing[*]}"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
