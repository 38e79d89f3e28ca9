# shellcheck shell=bash
# The quickstart's own parts (sourced by run.sh and down.sh after tests/cluster/lib/common.sh):
# timed steps, the cluster check, the progress display while waiting, the results printed.

QS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NS=seer-quickstart
FORECAST_PORT=30081
RECS_PORT=30082
FORECAST_URL="http://127.0.0.1:$FORECAST_PORT"
RECS_URL="http://127.0.0.1:$RECS_PORT"

# dur SECONDS: "1 min 05 s" or "42 s".
dur() { (( $1 >= 60 )) && printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)) || printf '%d s' "$1"; }

# step TITLE / done_step: a titled step, then how long it took.
_step_title="" _step_start=0 _step_times=()
step() {
  _step_title=$1 _step_start=$SECONDS
  printf '\n\033[1m==> %s\033[0m\n' "$1"
}
done_step() {
  local took=$((SECONDS - _step_start))
  printf '    \033[32mdone in %s\033[0m\n' "$(dur "$took")"
  _step_times+=("$(printf '%6s  %s' "$took s" "${_step_title%% (*}")")
}

# cluster_healthy: a node-tier cluster whose API server, node and S3 server are all up.
cluster_healthy() {
  [[ "$(cat "$SEER_CLUSTER_DIR/control-plane-only" 2>/dev/null)" == 0 ]] || return 1
  "$K" get --raw /readyz >/dev/null 2>&1 || return 1
  [[ "$("$K" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]] || return 1
  [[ "$("$K" -n "$S3_NAMESPACE" get deploy s3 -o jsonpath='{.status.availableReplicas}' 2>/dev/null)" -ge 1 ]] 2>/dev/null || return 1
  curl -s -o /dev/null --max-time 3 "$SEER_S3_URL"
}

# wait_ready NS TIMEOUT_S: every DatasetGroup, Predictor, Solution and Campaign in NS Ready.
# Shows one line per resource (Ready, or why not: the Ready/Reconciling reason and message)
# with the time elapsed, redrawn in place on a terminal, printed when it changes otherwise.
# Fails on a Stalled resource or after TIMEOUT_S, showing the operator's log.
wait_ready() {
  local ns=$1 timeout=$2 start=$SECONDS shown=0 prev="" out rc tty=0
  [[ -t 1 ]] && tty=1
  while :; do
    rc=0
    out=$("$K" -n "$ns" get datasetgroups,predictors,solutions,campaigns -o json 2>&1 \
      | python3 "$QS_DIR/show.py" status "$((SECONDS - start))") || rc=$?
    if (( tty )); then
      (( shown )) && printf '\033[%dA\033[J' "$shown"
      printf '%s\n' "$out"; shown=$(wc -l <<<"$out")
    elif [[ "${out#*$'\n'}" != "$prev" ]]; then   # (the first line carries the clock)
      printf '%s\n' "$out"; prev=${out#*$'\n'}
    fi
    case $rc in
      0) return 0 ;;
      3) "$K" -n seer-system logs deploy/"$SEER_RELEASE"-operator --tail=30 2>&1 | sed 's/^/    /'
         die "a resource is Stalled (above); the operator's log is above, the namespace's events: $K -n $ns get events" ;;
    esac
    if (( SECONDS - start >= timeout )); then
      "$K" -n "$ns" get jobs,pods 2>&1 | sed 's/^/    /'
      "$K" -n seer-system logs deploy/"$SEER_RELEASE"-operator --tail=30 2>&1 | sed 's/^/    /'
      die "not everything was Ready after $(dur "$timeout") (above: the Jobs and pods, the operator's log)"
    fi
    sleep 2
  done
}

# show_results: what the quickstart is for, once everything is Ready.
show_results() {
  local version metrics
  step "The Predictor's accuracy (backtests; metrics.json of its latest version in the artifact store)"
  version=$("$K" -n "$NS" get predictor retail-demand -o jsonpath='{.status.latestVersion}')
  [[ -n "$version" ]] || die "predictor retail-demand has no latestVersion"
  metrics="$SEER_S3_URL/seer-artifacts/$NS/predictor/retail-demand/$version/metrics.json"
  seer_s3 --fail-with-body "$metrics" | python3 "$QS_DIR/show.py" accuracy "retail-demand $version" \
    || die "cannot read $metrics"

  step "The items it forecasts worst (backtest/accuracy.csv: the example sets spec.backtest.export)"
  local accuracy="$SEER_S3_URL/seer-artifacts/$NS/predictor/retail-demand/$version/backtest/accuracy.csv"
  seer_s3 --fail-with-body "$accuracy" | python3 "$QS_DIR/show.py" worst "retail-demand $version" \
    || die "cannot read $accuracy"

  step "Forecasts from the forecast Campaign (GET $FORECAST_URL/v1/forecasts/{item})"
  python3 "$QS_DIR/show.py" forecasts "$FORECAST_URL" "$REPO_ROOT/examples/forecast/target_time_series.csv"

  step "Recommendations from the recommendation Campaign, before and after sending events"
  python3 "$QS_DIR/show.py" recommendations "$RECS_URL" "$REPO_ROOT/examples/recommendations"

  local item; item=$(awk -F, 'NR==2 {print $1}' "$REPO_ROOT/examples/forecast/target_time_series.csv")
  local user; user=$(awk -F, 'NR==2 {print $1}' "$REPO_ROOT/examples/recommendations/interactions.csv")
  mkdir -p "$SEER_CACHE/quickstart"
  curl -sSf --max-time 10 -o "$SEER_CACHE/quickstart/$item.svg" "$FORECAST_URL/v1/forecasts/$item/chart.svg" || true
  step "Try it yourself"
  if [[ -n ${QS_CONTEXT:-} ]]; then
    cat <<EOT
  # The port-forwards stopped with the quickstart; start them again to use the URLs below:
  kubectl --context $QS_CONTEXT -n $NS port-forward svc/retail-demand $FORECAST_PORT:80 &
  kubectl --context $QS_CONTEXT -n $NS port-forward svc/shop-for-you $RECS_PORT:80 &
EOT
  fi
  cat <<EOT
  export KUBECONFIG=$KUBECONFIG
  alias kubectl=$K
  kubectl get seer -n $NS                           # the resources, their versions, wQL
  kubectl describe predictor retail-demand -n $NS   # conditions, versions, metrics
  kubectl get jobs,pods -n $NS                      # the trainer Jobs, the Campaigns' pods

  # The forecast Campaign (a Predictor's export, per item; ?start=&end= for a window):
  curl -s $FORECAST_URL/v1/forecasts/$item | python3 -m json.tool
  # Its chart (history and p10-p90 band), an SVG any browser opens; this one is saved at
  #   $SEER_CACHE/quickstart/$item.svg
  curl -s -o $item.svg $FORECAST_URL/v1/forecasts/$item/chart.svg && xdg-open $item.svg

  # The recommendation Campaign: recommendations, events, similar items, ranking:
  curl -s -H 'content-type: application/json' -d '{"userId":"$user","numResults":5}' $RECS_URL/v1/recommendations
  curl -s -H 'content-type: application/json' \\
    -d '{"userId":"$user","sessionId":"s1","eventList":[{"eventType":"view","itemId":"i0001","sentAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)"}]}' \\
    $RECS_URL/v1/events
  curl -s $RECS_URL/v1/similar-items/i0001
  curl -s $RECS_URL/openapi.json | python3 -m json.tool | less   # the whole HTTP API

EOT
  if [[ -n ${QS_CONTEXT:-} ]]; then
    echo "  Remove what the quickstart installed (resources, release, CRDs, S3 server): make quickstart-down CONTEXT=$QS_CONTEXT"
  else
    echo "  Remove it all (resources, release, CRDs, the cluster): make quickstart-down"
  fi
  printf '\n\033[1mHow long each step took:\033[0m\n'
  printf '  %s\n' "${_step_times[@]}"
}
