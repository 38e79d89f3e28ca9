#!/usr/bin/env bash
# Forecasting benchmark: Seer's models and statsforecast on the shared datasets, scored by
# the same code on each set's official test horizon.
#
#   bench/forecast/run.sh [set ...]        # default: every set under $DATA
#
# DATA   the datasets (default: ../shared/data/forecast next to the repository; never copied in)
# OUT    where statsforecast's forecasts and timings go (default: ~/.cache/seer/bench-out)
# VENV   statsforecast's virtual environment (default: ~/.cache/seer/bench-venv; made if missing)
# SKIP_SF=1 reuses statsforecast results already in $OUT (they take long: AutoARIMA especially)
# SF_EVERY=k (statsforecast) and SEER_BENCH_EVERY=k (Seer) keep every k-th series of each set:
#   a sample where a whole set would take hours (give both the same k, and a separate OUT)
# SF_TAIL=n (statsforecast) and SEER_BENCH_TAIL=n (Seer) keep the last n points of each series:
#   for a set whose single series statsforecast's AutoARIMA fits in hours (bike_sharing)
# SF_PER_SERIES=1 fits one series at a time on one core, writing after each; with
#   SF_BUDGET_S=<cpu seconds> no series is started after that. Seer is then scored and timed
#   on the series statsforecast finished. SF_RESUME=1 continues such a run where it stopped
#   (the series it finished kept, with their time).
#
# Both sides use every core: Seer through rayon, statsforecast with n_jobs = cores. Times are
# reported as wall and CPU seconds; ratios use CPU time, which a machine shared with other
# work distorts least.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
DATA="${DATA:-$repo/../shared/data/forecast}"
OUT="${OUT:-$HOME/.cache/seer/bench-out}"
VENV="${VENV:-$HOME/.cache/seer/bench-venv}"
sets=("$@")
if [ ${#sets[@]} -eq 0 ]; then
  sets=(m4_hourly m4_weekly carparts bike_sharing stallion complete_journey_weekly)
fi
mkdir -p "$OUT"

if [ "${SKIP_SF:-0}" != 1 ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q statsforecast pandas
  fi
  for s in "${sets[@]}"; do
    "$VENV/bin/python" "$here/statsforecast_bench.py" "$DATA" "$OUT" "$s"
  done
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/seer/target-forecast}"
cargo build --release -q -p seer-models --example forecast_bench --manifest-path "$repo/Cargo.toml"
"$CARGO_TARGET_DIR/release/examples/forecast_bench" "$DATA" "$OUT" "${sets[@]}"
