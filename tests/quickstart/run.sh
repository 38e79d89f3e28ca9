#!/usr/bin/env bash
# The main job (`make quickstart`, as root): the whole product on a real local cluster.
# The node-tier cluster of tests/cluster/ (reused when one is already up and healthy), the
# release binaries and their images, the chart with the in-cluster S3 server as default
# storage, the example data uploaded, examples/forecast and examples/recommendations applied
# (their Campaigns on NodePorts of 127.0.0.1); it waits for every resource to be Ready, showing
# each one's state, then prints the Predictor's accuracy, forecasts, recommendations before and
# after sending events, and the commands to query the Campaigns. Every long step says how long
# it took. Running it again reuses what is there (a few minutes at most).
# Undo with tests/quickstart/down.sh (`make quickstart-down`).
#
# On your own cluster instead: CONTEXT=<kubeconfig context> IMAGE_REPOSITORY=<registry/prefix>
# (`make quickstart CONTEXT=... IMAGE_REPOSITORY=...`): no local cluster; the images are pushed
# to the registry; the S3 server and the Campaigns are reached through kubectl port-forward
# (tests/quickstart/context.sh). `make quickstart-down CONTEXT=...` removes what it installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib/common.sh"
source "$CLUSTER_SCRIPTS/lib/addons-versions.sh"
source "$CLUSTER_SCRIPTS/lib/seer.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/context.sh"
source "$CLUSTER_SCRIPTS/lib/images.sh"
source "$CLUSTER_SCRIPTS/lib/addons.sh"
REPO_ROOT=$(cd "$CLUSTER_SCRIPTS/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$SEER_CACHE/target}
K=$("$CLUSTER_SCRIPTS/tools.sh" kubectl)
H=$("$CLUSTER_SCRIPTS/tools.sh" helm)
VERSION=$(seer_version)
[[ -n "$VERSION" ]] || die "no [workspace.package] version in $REPO_ROOT/Cargo.toml"
total_start=$SECONDS
trap stop_forwards EXIT

if [[ -n $QS_CONTEXT ]]; then
  [[ -n $QS_IMAGE_REPOSITORY ]] || die "CONTEXT=$QS_CONTEXT needs IMAGE_REPOSITORY=<registry/prefix> the cluster can pull from"
  step "Your cluster: context $QS_CONTEXT"
  KUBECONFIG=$(context_kubeconfig); export KUBECONFIG
  "$K" version 2>&1 | sed 's/^/  /' || die "cannot reach the API server of context $QS_CONTEXT"
  done_step
else
  need_root "the quickstart (it starts a local cluster with a kubelet and containerd)"
  export KUBECONFIG=$KUBECONFIG_FILE
  step "Local Kubernetes cluster (tests/cluster/up.sh; the first run builds it from source)"
  if cluster_running; then
    cluster_healthy || die "a cluster is running from $SEER_CLUSTER_DIR but is not a healthy node-tier one; run 'make quickstart-down' first"
    echo "reusing the cluster already up (node Ready, S3 server available)"
  else
    "$CLUSTER_SCRIPTS/up.sh" || die "the cluster did not start; see the log above (its logs: $SEER_CLUSTER_DIR.last-logs)"
  fi
  done_step
fi

step "Release binaries (cargo build --release: seer-operator, seer-trainer, seer-server)"
(cd "$REPO_ROOT" && cargo build --release -p seer-operator -p seer-trainer -p seer-server)
done_step

install_args=()
if [[ -n $QS_CONTEXT ]]; then
  step "Images $QS_IMAGE_REPOSITORY/*:$VERSION (buildah, pushed to the registry)"
  push_images "$VERSION"
  done_step
  step "The quickstart's S3 server in $S3_NAMESPACE (reached on 127.0.0.1:$S3_NODEPORT by port-forward)"
  s3_up
  done_step
  install_args=(--set image.registry="$QS_IMAGE_REPOSITORY")
else
  step "Images localhost/seer/*:$VERSION (buildah, imported into the node's containerd)"
  seer_images "$VERSION"
  done_step
fi

step "The Helm chart (charts/seer): operator + CRDs, storage: the in-cluster S3 server"
seer_install "$VERSION" "${install_args[@]}"
seer_namespace "$NS"
"$H" list -n "$SEER_RELEASE_NAMESPACE" 2>&1 | sed 's/^/  /'
done_step

step "The example data into s3://seer-examples (examples/upload.sh, through the S3 NodePort)"
seer_upload
seer_s3 "$SEER_S3_URL/seer-examples?list-type=2" | python3 "$QS_DIR/show.py" objects
done_step

if [[ -n $QS_CONTEXT ]]; then
  step "The examples applied (namespace $NS, as committed)"
  "$K" -n "$NS" apply -f "$REPO_ROOT/examples/forecast/" -f "$REPO_ROOT/examples/recommendations/" >/dev/null
else
  step "The examples applied (namespace $NS; the Campaigns' Services on 127.0.0.1:$FORECAST_PORT and :$RECS_PORT)"
  seer_apply_example "$NS" forecast "$FORECAST_PORT" Predictor
  seer_apply_example "$NS" recommendations "$RECS_PORT" Solution
fi
"$K" -n "$NS" get seer 2>&1 | sed 's/^/  /'
done_step

step "Waiting: the DatasetGroups validate the data, the trainer Jobs train, the Campaigns serve"
wait_ready "$NS" "${SEER_QUICKSTART_TIMEOUT:-1200}"
if [[ -n $QS_CONTEXT ]]; then
  forward "$NS" svc/retail-demand "$FORECAST_PORT:80"
  forward "$NS" svc/shop-for-you "$RECS_PORT:80"
fi
wait_for "the forecast Campaign answering on 127.0.0.1:$FORECAST_PORT" 60 curl -sf --max-time 3 "$FORECAST_URL/readyz"
wait_for "the recommendation Campaign answering on 127.0.0.1:$RECS_PORT" 60 curl -sf --max-time 3 "$RECS_URL/readyz"
done_step

show_results
printf '\n\033[1mQuickstart done in %s.\033[0m\n' "$(dur $((SECONDS - total_start)))"
