# Seer's developer entry points. `make quickstart` runs the main job, `make test` every
# test (what CI runs through .ci/run). Heavy builds are cached outside the clone, under
# $(SEER_CACHE), so a second run is quick.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
SEER_CACHE ?= $(HOME)/.cache/seer
export CARGO_TARGET_DIR ?= $(SEER_CACHE)/target
S3S_FS_VERSION := 0.14.1
S3S_FS := $(SEER_CACHE)/tools/s3s-fs-$(S3S_FS_VERSION)/bin/s3s-fs

.PHONY: help test tools test-packages fmt fmt-check clippy doc-check layering unit contract aws-sdk crds build quickstart quickstart-down \
	cluster-deps cluster-up cluster-up-cp cluster-down cluster-test readme-test images chart-test chart-check
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

help:
	@echo "make quickstart    the main job: Seer on a local cluster, the examples trained and served, their results"
	@echo "make test          fmt check, clippy -D warnings, docs, every test incl. the cluster tier (what CI runs; root)"
	@echo "make unit          the tests that need no cluster (cargo test --workspace)"
	@echo "make contract      seer-server against its /openapi.json: openapi-spec-validator, schemathesis"
	@echo "make aws-sdk       seer-server's AWS runtime services driven by boto3 (endpoint_url changed, nothing else)"
	@echo "make chart-test    the Helm chart: lint, values schema, rendering, package, Argo CD health Lua; then install/upgrade/uninstall on a real API server"
	@echo "make cluster-test  the tests on a real local cluster: admission cases, the operator on a control plane, node smoke test, the examples end to end, leftovers"
	@echo "make readme-test   the README's command blocks in a clean checkout of HEAD (make quickstart and the rest; not make test)"
	@echo "make tools         install the test tools: s3s-fs into $(SEER_CACHE), redis-server and openssl with apt"
	@echo "make crds          regenerate crds/, the chart's CRDs and the field tables of docs/resources/ from the Rust types"
	@echo "make fmt           format the code"

## Tools the tests start (cached by version outside the clone; Debian packages with apt).
tools: $(S3S_FS) test-packages

# Debian packages the tests run, each named as its command: redis-server for seer-server's
# --redis-url tests, openssl for their TLS certificates. Nothing to do when they are there;
# else apt (root).
TEST_PACKAGES := redis-server openssl
test-packages:
	@missing=(); for p in $(TEST_PACKAGES); do command -v $$p >/dev/null || missing+=($$p); done; \
	if (( $${#missing[@]} )); then \
	  [[ $$(id -u) == 0 ]] || { echo "missing: $${missing[*]}: apt-get install them (as root)" >&2; exit 1; }; \
	  echo "apt-get install $${missing[*]}"; apt-get update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}" >/dev/null; \
	fi

$(S3S_FS):
	cargo install s3s-fs@$(S3S_FS_VERSION) --features binary --locked --root $(SEER_CACHE)/tools/s3s-fs-$(S3S_FS_VERSION)

fmt:
	cargo fmt --all

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

# Broken intra-doc links are errors: the crate docs are the reference for each part.
doc-check:
	RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -q

unit: tools
	cargo test --workspace

crds:
	cargo run -q -p seer-operator --bin crdgen -- crds charts/seer/crds --docs docs/resources

build:
	cargo build --workspace

# Every phase in order, each timed; the times are printed at the end, and up to the phase
# that failed when one does (CI's 90 minutes are spent here).
TEST_PHASES := tools fmt-check clippy doc-check layering chart-test unit contract aws-sdk cluster-test readme-test
test:
	@start=$$SECONDS; times=(); \
	for p in $(TEST_PHASES); do \
	  t=$$SECONDS; echo "== make $$p"; \
	  if ! $(MAKE) --no-print-directory $$p; then \
	    echo "make test: phase $$p FAILED after $$((SECONDS - t)) s; the phases before it:"; \
	    printf '  %s\n' "$${times[@]:-(none)}"; exit 1; \
	  fi; \
	  times+=("$$(printf '%-12s %5d s' $$p $$((SECONDS - t)))"); \
	done; \
	echo "make test: every phase passed in $$((SECONDS - start)) s:"; printf '  %s\n' "$${times[@]}"

# The real seer-server, for a Predictor and a Solution trained from examples/, against its own
# /openapi.json: the document validated, then schemathesis with every check (any 5xx, any
# response outside the document fails). Installs its pinned Python tools under $(SEER_CACHE).
contract:
	server/contract/run.sh

# The real seer-server's Personalize Runtime, Personalize Events and Forecast Query routes
# driven by boto3 with only endpoint_url changed: every operation, filters, bounds, dates,
# errors, Signature Version 4. Installs its pinned boto3 under $(SEER_CACHE).
aws-sdk:
	server/aws-sdk/run.sh

# Dependencies point one way (DESIGN §3): the server and the models link no Kubernetes crate,
# the operator never links the algorithms.
layering:
	@! cargo tree -q -e normal -p seer-server | grep -E ' (kube|k8s-openapi) ' || { echo "seer-server links Kubernetes crates"; exit 1; }
	@! cargo tree -q -e normal -p seer-models | grep -E ' (kube|k8s-openapi|seer-storage|tokio) ' || { echo "seer-models links I/O or Kubernetes crates"; exit 1; }
	@! cargo tree -q -e normal -p seer-operator | grep -E ' seer-models ' || { echo "seer-operator links the algorithms"; exit 1; }
	@echo "layering: ok"

# The Helm chart and the GitOps kit. chart-check needs no cluster (helm lint, the values
# schema refusing wrong values, what the options render, the alert rules and dashboard
# queries through Prometheus' parsers, helm package, actionlint on the release workflow, the
# Argo CD health Lua in gopher-lua: ~5 s warm, ~1.5 min with an empty Go build cache);
# chart-test adds a control plane: strict server-side dry run of every object, helm
# install/upgrade, the CRD upgrade path, the uninstall order (~30 s in all, warm).
chart-check:
	tests/chart/run.sh

chart-test: chart-check cluster-deps
	bash tests/cluster/with-cluster.sh --control-plane-only -- tests/chart/cluster.sh

## The real local cluster of tests/cluster/ (root; binaries built once, cached by version).
cluster-deps:
	bash tests/cluster/deps.sh

cluster-up:
	bash tests/cluster/up.sh

cluster-up-cp:
	bash tests/cluster/up.sh --control-plane-only

cluster-down:
	bash tests/cluster/down.sh

images:
	cargo build --release --bins
	bash tests/cluster/images.sh --version $(VERSION)

# Control-plane tier: the CRDs install and every admission case gets the same answer from the
# real API server. Node tier: a Job of the seer-trainer image, a NodePort Service, S3 from a
# pod, `kubectl top`. Each run checks that nothing of the cluster is left afterwards.
cluster-test: tools cluster-deps
	cargo build --release -p seer-trainer -p seer-server -p seer-operator
	bash tests/cluster/leftovers-test.sh --control-plane-only -- \
	  cargo test -p seer-operator --test crd_admission_cluster --test operator_cluster -- --ignored
	bash tests/cluster/leftovers-test.sh -- bash -c 'tests/cluster/images.sh --version $(VERSION) seer-trainer && \
	  SMOKE_JOB_IMAGE=localhost/seer/seer-trainer:$(VERSION) tests/cluster/smoke-test.sh && \
	  tests/e2e/examples.sh'

# The README's command blocks in a clean checkout of HEAD (make quickstart, the no-cluster
# path, the developer commands; not make test itself): tests/readme/run.sh.
readme-test: tools cluster-deps
	bash tests/readme/run.sh

# The whole product on the local cluster of tests/cluster/ (root): see tests/quickstart/run.sh.
quickstart: tools cluster-deps
	tests/quickstart/run.sh

quickstart-down:
	tests/quickstart/down.sh
