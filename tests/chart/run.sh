#!/usr/bin/env bash
# The chart's checks that need no cluster (a few seconds once the Go build cache is warm):
#   helm lint (defaults and every option on), values.schema.json (the defaults pass, each
#   wrong value fails with the schema's message), what the options render, the alert rules
#   and dashboard queries through Prometheus' own parsers (tests/chart/promcheck), helm
#   package, actionlint on the release workflow, and the Argo CD health Lua run in gopher-lua
#   (gitops/argocd/healthtest).
# The first run downloads three Go modules (gopher-lua, actionlint; prometheus, ~13 MB) into the Go module
# cache and compiles them into $SEER_CACHE/go-build (~1-2 min on 2 cores); later runs: seconds.
# tests/chart/cluster.sh does the checks against a real API server.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHART=$ROOT/charts/seer
H=$("$ROOT/tests/cluster/tools.sh" helm)
export SEER_CACHE=${SEER_CACHE:-$HOME/.cache/seer}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "chart-test: FAIL: $*" >&2; exit 1; }
ok() { echo "chart-test: ok: $*"; }
start=$SECONDS

"$H" lint --strict "$CHART" >"$tmp/lint" 2>&1 || { cat "$tmp/lint"; fail "helm lint"; }
"$H" lint --strict "$CHART" -f "$ROOT/tests/chart/all-features.yaml" >"$tmp/lint" 2>&1 || { cat "$tmp/lint"; fail "helm lint (every option)"; }
ok "helm lint --strict (defaults, every option)"

# values.schema.json: the defaults pass, every wrong value fails, with the schema's words.
"$H" template seer "$CHART" >/dev/null || fail "the defaults do not render"
bad() {   # bad 'expected message' helm-args...
  local want=$1; shift
  if "$H" template seer "$CHART" "$@" >"$tmp/out" 2>&1; then fail "accepted: $*"; fi
  grep -qF "values don't meet the specifications of the schema" "$tmp/out" || { cat "$tmp/out"; fail "not refused by the schema: $*"; }
  grep -qF -- "$want" "$tmp/out" || { cat "$tmp/out"; fail "refused without '$want': $*"; }
}
bad "at '/operator/replicas': got string, want integer" --set operator.replicas=two
bad "at '/storage/uri': 'ftp://x' does not match pattern" --set storage.uri=ftp://x
bad "at '/storage/endpoint': 'minio:9000' does not match pattern" --set storage.endpoint=minio:9000
bad "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'" --set image.pullPolicy=Sometimes
bad "at '/storage': additional properties 'endpont' not allowed" --set storage.endpont=https://s3.example
bad "at '/operator/leaderElection': value must be true" --set operator.leaderElection=false
bad "at '/metrics/port': maximum: got 70,000, want 65,535" --set metrics.port=70000
bad "at '/metrics/serviceMonitor/enabled': got string, want boolean" --set-string metrics.serviceMonitor.enabled=yes
bad "at '/networkPolicy/apiServer/cidrs/0': '10.0.0.1' does not match pattern" --set networkPolicy.apiServer.cidrs[0]=10.0.0.1
bad "at '/operator/leaseSeconds': minimum: got 1, want 2" --set operator.leaseSeconds=1
# Good values pass: a single replica without election, file:// and https:// shapes.
"$H" template seer "$CHART" --set operator.replicas=1,operator.leaderElection=false \
  --set storage.uri=file:///var/lib/seer --set storage.endpoint=https://s3.eu-west-1.amazonaws.com >/dev/null \
  || fail "good values refused"
ok "values.schema.json: defaults and good values pass, 10 wrong values refused with the schema's message"

# What the options render.
"$H" template seer "$CHART" -n seer-system >"$tmp/default.yaml"
for kind in ServiceMonitor PodMonitor PrometheusRule NetworkPolicy ConfigMap; do
  ! grep -q "^kind: $kind\$" "$tmp/default.yaml" || fail "$kind rendered with the defaults (optional parts are off by default)"
done
! grep -q "SSL_CERT_FILE\|storage-ca" "$tmp/default.yaml" || fail "a CA bundle mount without storage.caBundle"
"$H" template seer "$CHART" -n seer-system -f "$ROOT/tests/chart/all-features.yaml" >"$tmp/all.yaml"
for kind in ServiceMonitor PodMonitor PrometheusRule NetworkPolicy ConfigMap; do
  grep -q "^kind: $kind\$" "$tmp/all.yaml" || fail "$kind not rendered with every option on"
done
grep -qF '{ name: SSL_CERT_FILE, value: "/etc/seer/storage-ca/ca.pem" }' "$tmp/all.yaml" || fail "SSL_CERT_FILE not set for the CA bundle"
grep -qF '{ name: AWS_CA_BUNDLE, value: "/etc/seer/storage-ca/ca.pem" }' "$tmp/all.yaml" || fail "AWS_CA_BUNDLE not set for the CA bundle"
grep -qF '{ name: storage-ca, mountPath: /etc/seer/storage-ca, readOnly: true }' "$tmp/all.yaml" || fail "the CA bundle is not mounted"
grep -qF 'secretName: seer-storage-ca' "$tmp/all.yaml" || fail "the CA bundle volume does not name the Secret"
# The dashboard ConfigMap carries dashboards/seer.json byte for byte, and that is valid JSON
# whose queries name only metrics the operator and the server export.
"$H" template seer "$CHART" -n seer-system -f "$ROOT/tests/chart/all-features.yaml" \
  --show-only templates/grafana-dashboard.yaml >"$tmp/dash.yaml"
python3 - "$tmp/dash.yaml" "$CHART/dashboards/seer.json" <<'PY' || fail "the Grafana dashboard"
import json, re, sys
rendered, source = open(sys.argv[1]).read(), open(sys.argv[2]).read()
body = rendered.split("  seer.json: |-\n", 1)[1]
embedded = "".join(l[4:] + "\n" for l in body.rstrip("\n").split("\n"))
assert embedded.rstrip("\n") == source.rstrip("\n"), "the ConfigMap does not carry dashboards/seer.json as it is"
assert 'grafana_dashboard: "1"' in rendered, "no grafana_dashboard label"
dash = json.loads(source)
known = {"seer_operator_reconciles_total", "seer_operator_reconcile_errors_total", "seer_operator_reconcile_duration_seconds_bucket",
         "seer_operator_versions_total", "seer_operator_leader", "seer_http_requests_total", "seer_http_request_duration_seconds_bucket",
         "seer_model_info", "seer_events_ingested_total", "seer_events_ignored_total", "seer_live_store_up"}
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
exprs += [v["query"]["query"] for v in dash["templating"]["list"] if isinstance(v.get("query"), dict)]
used = {m for e in exprs for m in re.findall(r"\bseer_[a-z_]+", e)}
assert used and used <= known, f"unknown metrics: {used - known}"
assert len({p["id"] for p in dash["panels"]}) == len(dash["panels"]), "panel ids repeat"
PY
# The alert rules name only metrics that exist, and every alert has a severity.
"$H" template seer "$CHART" -n seer-system -f "$ROOT/tests/chart/all-features.yaml" \
  --show-only templates/prometheusrule.yaml >"$tmp/rules.yaml"
python3 - "$tmp/rules.yaml" <<'PY' || fail "the PrometheusRule"
import re, sys
text = open(sys.argv[1]).read()
known = {"seer_operator_reconcile_errors_total", "seer_operator_versions_total", "seer_operator_leader",
         "seer_http_requests_total", "seer_http_request_duration_seconds_bucket", "seer_live_store_up"}
used = set(re.findall(r"\bseer_[a-z_]+(?=[{\[)\s])", "\n".join(l for l in text.splitlines() if "expr" in l or l.startswith("            ")) ))
assert used == known, f"metrics in the rules: {sorted(used)}, expected {sorted(known)}"
alerts = re.findall(r"- alert: (\w+)", text)
assert len(alerts) == 8 and text.count("severity: ") == len(alerts), alerts
assert text.count("team: ml-platform") == len(alerts), "additionalAlertLabels not on every alert"
PY
# ... and Prometheus reads them: rulefmt (promtool check rules' checks) and the PromQL parser
# on the dashboard's queries.
(cd "$ROOT/tests/chart/promcheck" && SEER_RENDERED_RULE="$tmp/rules.yaml" GOFLAGS=-buildvcs=false GOCACHE="$SEER_CACHE/go-build" \
  go test -count=1 ./... >"$tmp/go" 2>&1) || { cat "$tmp/go"; fail "the alert rules or dashboard queries, as Prometheus reads them"; }
ok "rendering: optional parts off by default; every option on: CA bundle mounted with SSL_CERT_FILE/AWS_CA_BUNDLE, monitoring objects, dashboard = dashboards/seer.json, rules and queries valid PromQL"

# helm package: the archive an OCI registry takes (helm push oci://...), schema included.
"$H" package "$CHART" -d "$tmp" >/dev/null
version=$(awk '/^version:/ {print $2}' "$CHART/Chart.yaml")
pkg=$tmp/seer-$version.tgz
[[ -f $pkg ]] || fail "helm package made no seer-$version.tgz"
tar -tzf "$pkg" >"$tmp/files"
grep -qx 'seer/values.schema.json' "$tmp/files" || fail "the package lacks values.schema.json"
grep -qx 'seer/dashboards/seer.json' "$tmp/files" || fail "the package lacks the dashboard"
[[ $(grep -c '^seer/crds/.*\.yaml$' "$tmp/files") == 4 ]] || fail "the package lacks the four CRDs"
if "$H" template seer "$pkg" --set operator.replicas=two >/dev/null 2>&1; then fail "the packaged chart does not check values"; fi
ok "helm package: $(basename "$pkg") ($(du -k "$pkg" | cut -f1) KiB) with the CRDs, schema and dashboard"

# The release workflow cannot run here; actionlint (from its Go module) checks its syntax,
# job references and expressions.
(cd "$ROOT" && GOFLAGS=-buildvcs=false GOCACHE="$SEER_CACHE/go-build" \
  go run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 -shellcheck= -pyflakes= .github/workflows/release.yaml) \
  || fail "actionlint .github/workflows/release.yaml"
ok "actionlint: .github/workflows/release.yaml"

# The Argo CD health checks, in gopher-lua as Argo CD runs them.
(cd "$ROOT/gitops/argocd/healthtest" && GOFLAGS=-buildvcs=false GOCACHE="$SEER_CACHE/go-build" go test -count=1 -v ./... >"$tmp/go" 2>&1) \
  || { cat "$tmp/go"; fail "Argo CD health checks"; }
ok "Argo CD health Lua (gopher-lua): $(grep -c -- '--- PASS' "$tmp/go") cases pass"
echo "chart-test: all passed in $((SECONDS - start)) s"
