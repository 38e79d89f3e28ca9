# shellcheck shell=bash
# Seer on a running node-tier test cluster (sourced after lib/common.sh and
# lib/addons-versions.sh): its images, the chart with the in-cluster S3 server as default
# storage, a namespace with the storage Secret, the example data, the examples applied with
# their Campaigns' Services on NodePorts of 127.0.0.1. Used by tests/e2e/examples.sh and
# tests/quickstart/run.sh. Every step may run again: it changes nothing already so.
#
# Needs: K (kubectl), H (helm), REPO_ROOT, KUBECONFIG set by the caller.

SEER_RELEASE=${SEER_RELEASE:-seer}
SEER_RELEASE_NAMESPACE=seer-system

# seer_version: the workspace version from Cargo.toml ([workspace.package]), the images' tag.
seer_version() {
  awk '/^\[workspace.package\]/ {p=1; next} /^\[/ {p=0} p && /^version *=/ {gsub(/[" ]/, "", $0); sub(/version=/, ""); print; exit}' \
    "$REPO_ROOT/Cargo.toml"
}

# seer_images VERSION: the three images from $CARGO_TARGET_DIR/release, built (cached by
# content) and imported into the node's containerd (skipped when that archive already was).
seer_images() {
  "$CLUSTER_SCRIPTS/images.sh" --version "$1" seer-operator seer-trainer seer-server >/dev/null
}

# seer_s3 ARGS...: curl signed for the in-cluster S3 server through its NodePort on 127.0.0.1.
seer_s3() {
  curl -sS --aws-sigv4 aws:amz:us-east-1:s3 --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
SEER_S3_URL="http://127.0.0.1:$S3_NODEPORT"

# seer_s3_keys BUCKET PREFIX: the keys under PREFIX, one a line (ListObjectsV2, first 1000).
# The prefix's slashes are sent percent-encoded: SigV4 signs the query in that form, and curl
# signs it as written. Anything but a listing is an error, so that a refused request never
# reads as "no keys".
seer_s3_keys() {
  local bucket=$1 prefix=$2 out
  out=$(seer_s3 "$SEER_S3_URL/$bucket?list-type=2&prefix=${prefix//\//%2F}") || return 1
  [[ $out == *"<ListBucketResult"* ]] || { echo "seer_s3_keys $bucket $prefix: $out" >&2; return 1; }
  grep -o '<Key>[^<]*</Key>' <<<"$out" | sed 's|<Key>\(.*\)</Key>|\1|' || true
}

# seer_install VERSION [HELM_ARGS...]: the chart (operator, CRDs, RBAC) with the in-cluster S3
# server as default storage, waiting for the operator's rollout. Also creates the artifacts
# bucket (a platform team does that once; the operator never creates buckets).
seer_install() {
  local version=$1; shift
  "$H" upgrade --install "$SEER_RELEASE" "$REPO_ROOT/charts/seer" -n "$SEER_RELEASE_NAMESPACE" --wait --timeout 180s \
    --set image.tag="$version" \
    --set storage.uri=s3://seer-artifacts \
    --set storage.endpoint="http://s3.$S3_NAMESPACE.svc.cluster.local:9000" \
    --set storage.forcePathStyle=true \
    --set storage.secretName=seer-storage \
    "$@" >/dev/null
  local code
  code=$(seer_s3 -o /dev/null -w '%{http_code}' -X PUT "$SEER_S3_URL/seer-artifacts")
  [[ "$code" == 200 || "$code" == 409 ]] || die "cannot create bucket seer-artifacts: HTTP $code"
}

# seer_namespace NS: the namespace with the storage Secret the chart's values name, and its
# default service account (a new namespace gets it a moment later; pods need it).
seer_namespace() {
  local ns=$1
  "$K" get namespace "$ns" >/dev/null 2>&1 || "$K" create namespace "$ns" >/dev/null
  "$K" -n "$ns" create secret generic seer-storage --dry-run=client -o yaml \
    --from-literal=AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" --from-literal=AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" \
    | "$K" apply -f - >/dev/null
  wait_for "service account default in $ns" 30 "$K" -n "$ns" get serviceaccount default
}

# seer_upload: the example data into s3://seer-examples (host → NodePort). Same bytes, same
# ETags: uploading again changes no dataset digest, so nothing retrains.
seer_upload() {
  AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_ENDPOINT_URL="$SEER_S3_URL" \
    "$REPO_ROOT/examples/upload.sh" s3://seer-examples >/dev/null
}

# seer_apply_example NS DIR NODEPORT KIND: the manifests of examples/DIR as committed, except
# that a Campaign of a KIND model gets its Service as a NodePort (on 127.0.0.1) the host may
# reach. The change is made before applying, so applying again changes nothing.
seer_apply_example() {
  local ns=$1 dir=$2 port=$3 kind=$4 f
  for f in "$REPO_ROOT/examples/$dir"/*.yaml; do
    if grep -q '^kind: Campaign$' "$f" && grep -Eq "^ +kind: $kind\$" "$f"; then
      "$K" patch --local -f "$f" --type merge -o yaml \
        -p "{\"spec\":{\"service\":{\"type\":\"NodePort\",\"nodePort\":$port}}}" | "$K" -n "$ns" apply -f - >/dev/null
    else
      "$K" -n "$ns" apply -f "$f" >/dev/null
    fi
  done
}
