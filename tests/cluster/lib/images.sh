# shellcheck shell=bash
# OCI images for the test cluster, built with buildah FROM scratch (sourced).
# Storage: vfs driver under $SEER_CACHE/buildah (no mounts; works on any root filesystem).
# Results: $SEER_CACHE/images/<name>_<tag>_<key>.tar (docker-archive), keyed by content.

BUILDAH_ROOT="$SEER_CACHE/buildah"
IMAGE_CACHE="$SEER_CACHE/images"
bh() { buildah --storage-driver vfs --root "$BUILDAH_ROOT/storage" --runroot "$BUILDAH_ROOT/run" "$@"; }

# libs_of BIN: the shared libraries BIN needs, plus its dynamic loader (nothing for static).
libs_of() {
  local bin=$1
  file -L "$bin" 2>/dev/null | grep -q 'statically linked' && return 0
  ldd "$bin" 2>/dev/null | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | sort -u
}

# build_image REF OUT_VAR USER ENTRYPOINT_JSON SRC:DST...
#   Builds REF (e.g. localhost/seer/pause:3.10) from scratch with the given files (a SRC ending
#   in "+libs" also brings the shared libraries of that binary, at their own paths), runs as USER
#   (uid:gid), and stores a docker-archive; sets OUT_VAR to its path. Cached by content.
build_image() {
  local ref=$1 outvar=$2 user=$3 entry=$4; shift 4
  command -v buildah >/dev/null || die "buildah is not installed (apt-get install buildah)"
  local specs=() s src dst key name _bi_tar
  for s in "$@"; do
    src=${s%%:*}; dst=${s#*:}
    if [[ $src == *+libs ]]; then
      src=${src%+libs}
      local lib; for lib in $(libs_of "$src"); do specs+=("$(readlink -f "$lib"):$lib"); done
    fi
    [[ -f "$src" ]] || die "image $ref: missing file $src"
    specs+=("$src:$dst")
  done
  key=$( { echo "$ref $user $entry"; for s in "${specs[@]}"; do echo "$s"; sha256sum < "${s%%:*}"; done; } | sha256sum | cut -c1-16)
  name=$(echo "$ref" | tr '/:' '__')
  _bi_tar=$IMAGE_CACHE/${name}_$key.tar
  if [[ ! -f "$_bi_tar" ]]; then
    log "building image $ref"
    mkdir -p "$IMAGE_CACHE"
    local ctr; ctr=$(bh from --quiet scratch)
    for s in "${specs[@]}"; do
      bh copy --quiet --chmod 0755 "$ctr" "${s%%:*}" "${s#*:}" >/dev/null
    done
    bh config --user "$user" --entrypoint "$entry" --cmd '' --workingdir / \
      --env PATH=/usr/local/bin:/usr/bin:/bin "$ctr"
    bh commit --quiet --rm "$ctr" "$ref" >/dev/null
    rm -f "$IMAGE_CACHE/${name}"_*.tar
    bh push --quiet "$ref" "docker-archive:$_bi_tar.tmp:$ref" >/dev/null
    mv "$_bi_tar.tmp" "$_bi_tar"
    bh rmi "$ref" >/dev/null 2>&1 || true
  fi
  printf -v "$outvar" '%s' "$_bi_tar"
}

# import_image TAR [REF]: loads an image archive into the node's containerd (namespace k8s.io).
# Skipped when this cluster already imported that archive (its name carries the content key)
# and, given REF, containerd still lists REF.
import_image() {
  local marker; marker=$SEER_CLUSTER_DIR/imported/$(basename "$1")
  if [[ -f "$marker" ]] && { [[ -z "${2:-}" ]] ||
      [[ -n "$(ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images ls -q "name==$2" 2>/dev/null)" ]]; }; then
    return 0
  fi
  ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images import --no-unpack=false "$1" >/dev/null \
    || die "ctr images import $1 failed"
  mkdir -p "$(dirname "$marker")" && touch "$marker"
}

PAUSE_IMAGE="localhost/seer/pause:3.10"
# pause_image OUT_VAR: the pause image archive (static C program compiled here).
pause_image() {
  local bin=$SEER_CACHE/images/pause-bin/pause src=$CLUSTER_SCRIPTS/images/pause/pause.c
  local sum; sum=$(sha256sum < "$src" | cut -c1-16)
  if [[ ! -x "$bin" || ! -f "$bin.$sum" ]]; then
    command -v cc >/dev/null || die "a C compiler (cc) is needed for the pause image"
    mkdir -p "$(dirname "$bin")"; rm -f "$bin".*
    cc -Os -static -o "$bin" "$src" || die "compiling pause.c failed (needs static libc: libc6-dev)"
    touch "$bin.$sum"
  fi
  build_image "$PAUSE_IMAGE" "$1" 65535:65535 '["/pause"]' "$bin:/pause"
}
