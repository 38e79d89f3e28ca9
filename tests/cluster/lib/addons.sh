# shellcheck shell=bash
# Addons of the node tier (sourced by lib/node.sh): CoreDNS, metrics-server, the S3 server.
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"

# render FILE: prints a manifest with its @VAR@ placeholders filled in.
render() {
  sed -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" -e "s|@DNS_SVC_IP@|$DNS_SVC_IP|g" \
      -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" -e "s|@METRICS_SERVER_IMAGE@|$METRICS_SERVER_IMAGE|g" \
      -e "s|@S3_IMAGE@|$S3_IMAGE|g" -e "s|@S3_NAMESPACE@|$S3_NAMESPACE|g" \
      -e "s|@S3_NODEPORT@|$S3_NODEPORT|g" -e "s|@S3_ACCESS_KEY@|$S3_ACCESS_KEY|g" \
      -e "s|@S3_SECRET_KEY@|$S3_SECRET_KEY|g" "$1"
}

addons_up() {
  "$CLUSTER_SCRIPTS/build-addons.sh"
  local t
  build_image "$COREDNS_IMAGE" t 65532:65532 '["/usr/local/bin/coredns"]' "$COREDNS_BIN:/usr/local/bin/coredns"; import_image "$t"
  build_image "$METRICS_SERVER_IMAGE" t 65532:65532 '["/usr/local/bin/metrics-server"]' "$METRICS_SERVER_BIN:/usr/local/bin/metrics-server"; import_image "$t"
  build_image "$S3_IMAGE" t 65532:65532 '["/usr/local/bin/s3s-fs"]' "$S3S_FS_BIN+libs:/usr/local/bin/s3s-fs"; import_image "$t"

  local m
  for m in coredns metrics-server s3; do
    render "$CLUSTER_SCRIPTS/manifests/$m.yaml" | "$KUBECTL" apply -f - >/dev/null || die "applying $m.yaml failed"
  done
  "$KUBECTL" -n kube-system rollout status deploy/coredns --timeout=120s >/dev/null || die "CoreDNS did not become ready"
  "$KUBECTL" -n "$S3_NAMESPACE" rollout status deploy/s3 --timeout=120s >/dev/null || die "the S3 server did not become ready"
  "$KUBECTL" -n kube-system rollout status deploy/metrics-server --timeout=120s >/dev/null || die "metrics-server did not become ready"
  "$KUBECTL" wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=60s >/dev/null \
    || die "the metrics.k8s.io APIService is not available"
  # The host reaches the S3 server through its NodePort on 127.0.0.1.
  wait_for "S3 NodePort 127.0.0.1:$S3_NODEPORT" 30 curl -s -o /dev/null "http://127.0.0.1:$S3_NODEPORT/"
}
