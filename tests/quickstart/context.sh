# shellcheck shell=bash
# The quickstart on the user's own cluster (`make quickstart CONTEXT=<name>
# IMAGE_REPOSITORY=<registry>`; sourced by run.sh and down.sh after lib.sh). The images are
# pushed to IMAGE_REPOSITORY (the cluster pulls them from there); the quickstart's S3 server
# runs in namespace seer-system as on the local cluster, behind a ClusterIP Service; the host
# reaches it and the Campaigns through `kubectl port-forward` on the same 127.0.0.1 ports the
# local cluster's NodePorts use, stopped when the quickstart ends.

QS_CONTEXT=${CONTEXT:-}
QS_IMAGE_REPOSITORY=${IMAGE_REPOSITORY:-}
_forwards=()

# context_kubeconfig: a kubeconfig of CONTEXT alone (from $KUBECONFIG or ~/.kube/config),
# so kubectl and helm need no --context flag; its path on stdout.
context_kubeconfig() {
  local out=$SEER_CACHE/quickstart/kubeconfig-$QS_CONTEXT
  mkdir -p "$(dirname "$out")"
  "$K" config view --raw --minify --flatten --context "$QS_CONTEXT" > "$out.tmp" 2>/dev/null \
    || die "no context '$QS_CONTEXT' in ${KUBECONFIG:-$HOME/.kube/config} (kubectl config get-contexts lists them)"
  chmod 600 "$out.tmp" && mv "$out.tmp" "$out"
  echo "$out"
}

# push_images VERSION: the three Seer images and the S3 server's, built as for the local
# cluster, pushed to IMAGE_REPOSITORY/<name>:<tag> with buildah (its credentials: `buildah
# login`; a registry on localhost/127.0.0.1 is spoken to over plain HTTP).
push_images() {
  local version=$1 ref tar name tls=true
  [[ $QS_IMAGE_REPOSITORY == localhost[:/]* || $QS_IMAGE_REPOSITORY == 127.0.0.1[:/]* ]] && tls=false
  while read -r ref tar; do
    name=${ref##*/}   # seer-server:0.1.0, s3s-fs:0.14.1
    bh pull --quiet "docker-archive:$tar" >/dev/null || die "cannot load $tar"
    bh push --quiet --tls-verify="$tls" "$ref" "docker://$QS_IMAGE_REPOSITORY/$name" >/dev/null \
      || die "cannot push $QS_IMAGE_REPOSITORY/$name (buildah login to the registry first?)"
    bh rmi "$ref" >/dev/null 2>&1 || true
    echo "  pushed $QS_IMAGE_REPOSITORY/$name"
  done < <("$CLUSTER_SCRIPTS/images.sh" --no-import --version "$version" seer-operator seer-trainer seer-server s3s-fs)
}

# s3_up: the quickstart's S3 server in seer-system (the local cluster's manifest with the
# pushed image and a ClusterIP Service), then a port-forward to it on 127.0.0.1:$S3_NODEPORT.
s3_up() {
  S3_IMAGE="$QS_IMAGE_REPOSITORY/s3s-fs:$S3S_FS_VERSION" render "$CLUSTER_SCRIPTS/manifests/s3.yaml" \
    | sed -e 's/imagePullPolicy: Never/imagePullPolicy: IfNotPresent/' -e 's/type: NodePort/type: ClusterIP/' \
          -e 's/, nodePort: [0-9]*//' \
    | "$K" apply -f - >/dev/null || die "applying the S3 server failed"
  "$K" -n "$S3_NAMESPACE" rollout status deploy/s3 --timeout=180s >/dev/null \
    || die "the S3 server did not become ready (can the cluster pull $QS_IMAGE_REPOSITORY/s3s-fs?)"
  forward "$S3_NAMESPACE" svc/s3 "$S3_NODEPORT:9000"
}

# forward NS TARGET LOCAL:REMOTE: kubectl port-forward in the background until the quickstart
# ends, waiting (bounded) until the local port answers.
forward() {
  "$K" -n "$1" port-forward "$2" "$3" --address 127.0.0.1 >/dev/null 2>&1 &
  _forwards+=($!)
  wait_for "port-forward of $1/$2 on 127.0.0.1:${3%%:*}" 30 curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${3%%:*}/"
}
stop_forwards() { local p; for p in "${_forwards[@]}"; do kill "$p" 2>/dev/null || true; done; }

# context_down: what the quickstart put on the cluster, never the cluster itself.
context_down() {
  "$K" -n "$S3_NAMESPACE" delete deploy/s3 svc/s3 secret/seer-s3-credentials --ignore-not-found --wait --timeout=60s >/dev/null \
    || log "deleting the S3 server failed; going on"
}
