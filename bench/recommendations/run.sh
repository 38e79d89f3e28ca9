#!/usr/bin/env bash
# Recommendation benchmark: Seer's recipes against implicit ALS, popularity and buy-again on
# the same Personalize-style split of every set in ../shared/data/recs (DESIGN.md, issue 5).
#
#   bench/recommendations/run.sh            # all sets
#   SEER_BENCH_SETS=lastfm bench/recommendations/run.sh
#
# The data are read at run time and never copied into the repository; the split, the top-25
# lists and the times go to $SEER_BENCH_WORK (default ~/.cache/seer/bench-recs). The table is
# printed and written to $SEER_BENCH_WORK/table.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${SEER_RECS_DATA:-../shared/data/recs}
WORK=${SEER_BENCH_WORK:-$HOME/.cache/seer/bench-recs}
VENV=${SEER_BENCH_VENV:-$HOME/.cache/seer/bench-venv-recs}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/seer/target-recommend}
# implicit's own advice: BLAS threads off, its own threads on all cores (like Seer's ALS).
export OPENBLAS_NUM_THREADS=1

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import implicit, pandas' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q implicit==0.7.3 pandas
fi
cargo build -q --release -p seer-models --example recommend_bench
BIN=$CARGO_TARGET_DIR/release/examples/recommend_bench

SETS=${SEER_BENCH_SETS:-$(ls "$DATA")}
DIRS=()
for s in $SETS; do
  echo "== $s" >&2
  rm -rf "${WORK:?}/$s"
  "$BIN" seer "$DATA/$s" "$WORK/$s"
  "$VENV/bin/python" bench/recommendations/anchors.py "$WORK/$s"
  DIRS+=("$WORK/$s")
done
mkdir -p "$WORK"
"$BIN" report "${DIRS[@]}" | tee "$WORK/table.md"
