#!/usr/bin/env bash
# Builds the OCI images of Seer's binaries with buildah (FROM scratch + the shared libraries the
# binary needs, non-root uid 65532) and, if a node-tier cluster is running, imports them into its
# containerd (namespace k8s.io).
#
#   images.sh [--version V] [--no-import] [NAME...]
#     NAME: seer-operator seer-trainer seer-server s3s-fs   (default: the three seer-* and s3s-fs)
#     V:    image tag; default: the workspace version from Cargo.toml ([workspace.package])
#   Binaries come from $CARGO_TARGET_DIR/release (default $HOME/.cache/seer/target/release);
#   build them first with `cargo build --release --bins`.
# Images are named localhost/seer/NAME:V; archives are kept in $SEER_CACHE/images.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/images.sh"
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"

REPO_ROOT=$(cd "$CLUSTER_SCRIPTS/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/seer/target}
RELEASE_DIR=$TARGET_DIR/release
version="" import=1 names=()
while (( $# )); do
  case "$1" in
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --no-import) import=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) names+=("$1"); shift ;;
  esac
done
if [[ -z "$version" ]]; then
  version=$(awk '/^\[workspace.package\]/ {p=1; next} /^\[/ {p=0} p && /^version *=/ {gsub(/[" ]/, "", $0); sub(/version=/, ""); print; exit}' "$REPO_ROOT/Cargo.toml")
  [[ -n "$version" ]] || die "no --version given and no [workspace.package] version in $REPO_ROOT/Cargo.toml"
fi
(( ${#names[@]} )) || names=(seer-operator seer-trainer seer-server s3s-fs)

if (( import )); then
  if ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then :; else
    log "no node-tier cluster running (no containerd at $CONTAINERD_SOCK): building only"; import=0
  fi
fi

for name in "${names[@]}"; do
  case "$name" in
    seer-operator|seer-trainer|seer-server)
      bin=$RELEASE_DIR/$name
      [[ -x "$bin" ]] || die "$bin is missing: build it first (cargo build --release --bin $name; CARGO_TARGET_DIR=$TARGET_DIR)"
      ref="localhost/seer/$name:$version" ;;
    s3s-fs)
      "$CLUSTER_SCRIPTS/build-addons.sh" s3s-fs
      bin=$S3S_FS_BIN; ref=$S3_IMAGE ;;
    *) die "unknown image $name (seer-operator, seer-trainer, seer-server, s3s-fs)" ;;
  esac
  # (the s3s-fs image is the same as the one lib/addons.sh makes: same ref, files and entrypoint)
  files=("$bin+libs:/usr/local/bin/$name")
  # Seer's binaries speak TLS to S3 and other endpoints: give them the system's CA bundle, as
  # the Containerfile at the repository root does.
  ca=/etc/ssl/certs/ca-certificates.crt
  [[ $name == seer-* && -f $ca ]] && files+=("$(readlink -f "$ca"):$ca")
  build_image "$ref" tar 65532:65532 "[\"/usr/local/bin/$name\"]" "${files[@]}"
  if (( import )); then import_image "$tar" "$ref"; log "imported $ref"; fi
  echo "$ref $tar"
done
