# Seer's developer entry points. `make quickstart` runs the main job, `make test` every
# test (what CI runs through .ci/run). Heavy builds are cached outside the clone, under
# $(SEER_CACHE), so a second run is quick.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
SEER_CACHE ?= $(HOME)/.cache/seer
export CARGO_TARGET_DIR ?= $(SEER_CACHE)/target
S3S_FS_VERSION := 0.14.1
S3S_FS := $(SEER_CACHE)/tools/s3s-fs-$(S3S_FS_VERSION)/bin/s3s-fs

.PHONY: help test tools fmt fmt-check clippy unit crds crds-check build quickstart quickstart-down

help:
	@echo "make quickstart    the main job: the example resources on a real local API server"
	@echo "make test          fmt check, clippy -D warnings, every test (what CI runs)"
	@echo "make tools         install the test tools into $(SEER_CACHE) (s3s-fs)"
	@echo "make crds          regenerate crds/ from the Rust types"
	@echo "make fmt           format the code"

## Tools the tests start (cached by version outside the clone).
tools: $(S3S_FS)

$(S3S_FS):
	cargo install s3s-fs@$(S3S_FS_VERSION) --features binary --locked --root $(SEER_CACHE)/tools/s3s-fs-$(S3S_FS_VERSION)

fmt:
	cargo fmt --all

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

unit: tools
	cargo test --workspace

crds:
	cargo run -q -p seer-operator --bin crdgen -- crds charts/seer/crds

build:
	cargo build --workspace

test: tools fmt-check clippy unit

quickstart: tools
	tests/quickstart/run.sh

quickstart-down:
	tests/quickstart/down.sh
