#!/usr/bin/env bash
# Smoke test of a running node-tier cluster (up.sh without --control-plane-only):
#   1. /readyz answers ok
#   2. a Job with one of our images (the S3 server's; SMOKE_JOB_IMAGE overrides) runs to completion
#   3. a Deployment + NodePort Service answers HTTP on 127.0.0.1
#   4. a pod writes and reads an object in the in-cluster S3 server through its Service (by DNS
#      name, credentials from a Secret), and the host reads it back through the NodePort
#   5. a pod reaches the API server through the `kubernetes` Service (TLS checked, by DNS name)
#   6. `kubectl top pod` shows figures
# Waits are bounded (kubectl wait --timeout, or polls with deadlines). Cleans its namespace up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/images.sh"
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"
export KUBECONFIG=${KUBECONFIG:-$KUBECONFIG_FILE}
K=$("$CLUSTER_SCRIPTS/tools.sh" kubectl)
[[ -f "$KUBECONFIG" ]] || die "no cluster: $KUBECONFIG is missing (run up.sh)"

passed=0; failed=0
check() {   # check NAME CMD...
  local name=$1; shift
  local start; start=$(date +%s.%N)
  if "$@"; then
    passed=$((passed + 1)); log "PASS $name ($(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")s)"
  else
    failed=$((failed + 1)); log "FAIL $name"
  fi
}

NS=seer-smoke-$$
JOB_IMAGE=${SMOKE_JOB_IMAGE:-$S3_IMAGE}
S3_SIGV4=aws:amz:us-east-1:s3

# A curl image (Debian's curl and its libraries, FROM scratch) for the in-pod S3 client.
command -v curl >/dev/null || die "curl is needed"
CURL_IMAGE="localhost/seer/curl:$(curl --version | awk 'NR==1 {print $2}')"
build_image "$CURL_IMAGE" curl_tar 65532:65532 '["/usr/bin/curl"]' "$(command -v curl)+libs:/usr/bin/curl"
import_image "$curl_tar"

cleanup() { "$K" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$K" create namespace "$NS" >/dev/null
"$K" -n "$NS" create secret generic s3-credentials \
  --from-literal=AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" --from-literal=AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" >/dev/null
# Pods in a fresh namespace wait for its default service account.
wait_for "service account default in $NS" 30 "$K" -n "$NS" get serviceaccount default

t_readyz() { [[ "$("$K" get --raw /readyz)" == ok ]]; }

t_job() {
  "$K" -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata: {name: smoke-job}
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 120
  template:
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: job
        image: $JOB_IMAGE
        imagePullPolicy: Never
        args: [--version]
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
YAML
  "$K" -n "$NS" wait --for=condition=Complete job/smoke-job --timeout=90s >/dev/null || return 1
  log "  job said: $("$K" -n "$NS" logs job/smoke-job)"
}

t_nodeport() {
  "$K" -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: $S3_IMAGE
        imagePullPolicy: Never
        args: [--host, 0.0.0.0, --port, "8080", /data]
        ports: [{containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
        securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
  if ! "$K" -n "$NS" rollout status deploy/web --timeout=90s >/dev/null; then
    "$K" -n "$NS" get pods -o wide >&2; "$K" -n "$NS" logs deploy/web --tail=20 >&2 || true
    return 1
  fi
  local port code=000 deadline=$(( $(date +%s) + 30 ))
  port=$("$K" -n "$NS" get svc web -o jsonpath='{.spec.ports[0].nodePort}')
  # kube-proxy programs the NodePort shortly after the endpoints appear.
  until [[ $code =~ ^[1-5][0-9][0-9]$ ]]; do
    (( $(date +%s) < deadline )) || { log "  no HTTP answer on 127.0.0.1:$port"; return 1; }
    code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/") || true
    [[ $code =~ ^[1-5][0-9][0-9]$ ]] || sleep 0.3
  done
  log "  http://127.0.0.1:$port/ answered HTTP $code"
}

t_s3_pod() {
  local bucket=smoke-$$ body="written by a pod at $(date -u +%FT%TZ)"
  local url=http://s3.$S3_NAMESPACE.svc.$CLUSTER_DOMAIN:9000
  local curl_s3="[--fail-with-body, -sS, -m, '20', -H, 'x-amz-content-sha256: UNSIGNED-PAYLOAD', --aws-sigv4, '$S3_SIGV4', --user, '\$(AWS_ACCESS_KEY_ID):\$(AWS_SECRET_ACCESS_KEY)'"
  "$K" -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: s3-client}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  initContainers:
  - name: create-bucket
    image: $CURL_IMAGE
    imagePullPolicy: Never
    args: $curl_s3, -X, PUT, '$url/$bucket']
    envFrom: [{secretRef: {name: s3-credentials}}]
  - name: put-object
    image: $CURL_IMAGE
    imagePullPolicy: Never
    args: $curl_s3, -X, PUT, --data-binary, '$body', '$url/$bucket/hello.txt']
    envFrom: [{secretRef: {name: s3-credentials}}]
  containers:
  - name: get-object
    image: $CURL_IMAGE
    imagePullPolicy: Never
    args: $curl_s3, '$url/$bucket/hello.txt']
    envFrom: [{secretRef: {name: s3-credentials}}]
YAML
  if ! "$K" -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded pod/s3-client --timeout=90s >/dev/null; then
    "$K" -n "$NS" get pod s3-client -o wide >&2 || true
    for c in create-bucket put-object get-object; do "$K" -n "$NS" logs s3-client -c "$c" >&2 || true; done
    return 1
  fi
  local got; got=$("$K" -n "$NS" logs s3-client -c get-object)
  [[ "$got" == "$body" ]] || { log "  pod read back '$got', expected '$body'"; return 1; }
  got=$(curl -sS --fail-with-body -m 10 -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --aws-sigv4 "$S3_SIGV4" \
    --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "http://127.0.0.1:$S3_NODEPORT/$bucket/hello.txt") || return 1
  [[ "$got" == "$body" ]] || { log "  host read back '$got' through the NodePort"; return 1; }
  log "  pod wrote and read s3://$bucket/hello.txt via $url; host read it via 127.0.0.1:$S3_NODEPORT"
}

t_api_from_pod() {
  # Through the `kubernetes` Service (10.152.0.1:443 -> 10.153.0.1:16443), verified with the
  # cluster CA the pod gets with its service-account volume; /readyz is public (RBAC default).
  "$K" -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: api-client}
spec:
  restartPolicy: Never
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: curl
    image: $CURL_IMAGE
    imagePullPolicy: Never
    args: [-sS, --fail-with-body, -m, "20", --cacert, /var/run/secrets/kubernetes.io/serviceaccount/ca.crt,
           "https://kubernetes.default.svc.$CLUSTER_DOMAIN/readyz"]
YAML
  if ! "$K" -n "$NS" wait --for=jsonpath='{.status.phase}'=Succeeded pod/api-client --timeout=90s >/dev/null; then
    "$K" -n "$NS" logs api-client >&2 || true; return 1
  fi
  [[ "$("$K" -n "$NS" logs api-client)" == ok ]]
}

t_top() {
  local out deadline=$(( $(date +%s) + 120 ))
  # metrics-server scrapes every 15 s; a pod shows up after its first two scrapes.
  until out=$("$K" top pod -n "$S3_NAMESPACE" --no-headers 2>/dev/null) && [[ $out =~ [0-9]+m\ +[0-9]+Mi ]]; do
    (( $(date +%s) < deadline )) || { log "  kubectl top pod showed no figures within 120s"; return 1; }
    sleep 2
  done
  log "  kubectl top pod -n $S3_NAMESPACE: $out"
}

check "kubectl get --raw /readyz" t_readyz
check "Job runs to completion ($JOB_IMAGE)" t_job
check "Deployment + Service answer HTTP via NodePort on 127.0.0.1" t_nodeport
check "pod writes + reads an object in the in-cluster S3 via its Service" t_s3_pod
check "a pod reaches the API server through the kubernetes Service" t_api_from_pod
check "kubectl top pod shows figures" t_top
echo "smoke: $passed passed, $failed failed"
(( failed == 0 ))
