# shellcheck shell=bash
# Addon versions (the Go ones must match the build/<name>/go.mod pins).
COREDNS_VERSION=v1.14.7
METRICS_SERVER_VERSION=v0.8.0
S3S_FS_VERSION=0.14.1
S3S_FS_BIN="$SEER_CACHE/tools/s3s-fs-$S3S_FS_VERSION/bin/s3s-fs"
COREDNS_BIN="$SEER_CACHE/addons/coredns-$COREDNS_VERSION/coredns"
METRICS_SERVER_BIN="$SEER_CACHE/addons/metrics-server-$METRICS_SERVER_VERSION/metrics-server"
COREDNS_IMAGE="localhost/seer/coredns:${COREDNS_VERSION#v}"
METRICS_SERVER_IMAGE="localhost/seer/metrics-server:${METRICS_SERVER_VERSION#v}"
S3_IMAGE="localhost/seer/s3s-fs:$S3S_FS_VERSION"
S3_NAMESPACE=seer-system
S3_NODEPORT=30900
S3_ACCESS_KEY=seer-test-access
S3_SECRET_KEY=seer-test-secret-key-0123456789
