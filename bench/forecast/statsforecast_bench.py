"""statsforecast side of the forecasting benchmark.

For each set in <data dir>, fits AutoETS, AutoARIMA and AutoTheta (plus CrostonOptimized and
TSB on intermittent sets) on target_time_series.csv.gz and forecasts the official horizon.
Every model is timed warm (its numba code compiled on a two-series slice first) with
n_jobs = cores. p10/p90 are the 80% interval, the mean (= p50) the point forecast; Croston
and TSB give no interval, so their p10 = p90 = the point forecast.

Writes <out>/<set>/forecasts.csv (item_id,step,model,mean,p10,p90) and timings.csv
(model,seconds,cpu_seconds); the Rust bench scores them with the same code as Seer's forecasts.
SF_EVERY, SF_TAIL, SF_PER_SERIES, SF_BUDGET_S and SF_RESUME (bench/forecast/run.sh) make samples of sets
where a whole run takes hours.
"""

import json
import os
import resource
import sys
import time

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import TSB, AutoARIMA, AutoETS, AutoTheta, CrostonOptimized


def load(path):
    df = pd.read_csv(path, dtype={"item_id": str})
    df = df.rename(columns={"item_id": "unique_id", "target_value": "y"})
    # Integer time index per item: every series is regular and gap-free.
    df["ds"] = df.groupby("unique_id", sort=False).cumcount()
    return df[["unique_id", "ds", "y"]]


def cpu_seconds():
    """CPU time of this process and its reaped children (statsforecast's worker pool is
    joined when forecast returns), so a busy shared machine does not distort the ratio."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def models_for(meta):
    m = int(meta["seasonality"])
    out = [
        ("AutoETS", lambda: AutoETS(season_length=m), True),
        ("AutoARIMA", lambda: AutoARIMA(season_length=m), True),
        ("AutoTheta", lambda: AutoTheta(season_length=m), True),
    ]
    if meta.get("zero_fraction", 0) >= 0.3:
        out += [
            ("CrostonOptimized", lambda: CrostonOptimized(), False),
            ("TSB", lambda: TSB(alpha_d=0.2, alpha_p=0.2), False),
        ]
    return out


def run_set(data_dir, out_dir, name, cores, only):
    meta = json.load(open(os.path.join(data_dir, name, "meta.json")))
    h = int(meta["horizon"])
    train = load(os.path.join(data_dir, name, "target_time_series.csv.gz"))
    # SF_EVERY=k keeps every k-th series (file order, the first included), as forecast_bench
    # does with SEER_BENCH_EVERY=k: a sample where the whole set would take hours.
    every = max(1, int(os.environ.get("SF_EVERY", "1")))
    if every > 1:
        train = train[train["unique_id"].isin(train["unique_id"].unique()[::every])]
    # SF_TAIL=n keeps the last n points of each series, as forecast_bench does with
    # SEER_BENCH_TAIL=n: a shorter history where one fit of the whole series takes hours.
    tail = int(os.environ.get("SF_TAIL", "0"))
    if tail > 0:
        train = train.groupby("unique_id", sort=False).tail(tail)
    os.makedirs(os.path.join(out_dir, name), exist_ok=True)
    fc_path = os.path.join(out_dir, name, "forecasts.csv")
    tm_path = os.path.join(out_dir, name, "timings.csv")
    rows, timings = [], []
    # Keep what earlier passes wrote for other models (e.g. AutoARIMA run in a later pass).
    if only and os.path.exists(fc_path) and os.path.exists(tm_path):
        old = pd.read_csv(fc_path, dtype={"item_id": str})
        rows.append(old[~old["model"].isin(only)])
        timings += [tuple(r) for r in pd.read_csv(tm_path).itertuples(index=False) if r[0] not in only]
    # The warm-up only has to compile numba's code, which does not depend on the length: the
    # last few seasons of two series are enough (a one-series set would otherwise be fitted
    # twice, which for AutoARIMA on 17,000 hours is most of an hour).
    m = int(meta["seasonality"])
    slice_ids = train["unique_id"].unique()[:2]
    warm_df = train[train["unique_id"].isin(slice_ids)].groupby("unique_id", sort=False).tail(3 * m + 2 * h + 50)
    for label, make, has_level in models_for(meta):
        if only and label not in only:
            continue
        kwargs = {"level": [80]} if has_level else {}
        # Warm-up: compile the numba code on a small slice.
        StatsForecast(models=[make()], freq=1, n_jobs=1).forecast(df=warm_df, h=h, **kwargs)
        # SF_PER_SERIES=1 fits one series at a time on one core and writes after each, so a
        # run stopped early (or by SF_BUDGET_S, CPU seconds after which no series is started)
        # leaves the series it finished; forecast_bench then scores both sides on those.
        per_series = os.environ.get("SF_PER_SERIES") == "1"
        budget = float(os.environ.get("SF_BUDGET_S", "inf"))
        done = []
        secs = cpu = 0.0
        ids = train["unique_id"].unique()
        # SF_RESUME=1 (with SF_PER_SERIES=1) keeps the series an earlier, stopped run of this
        # model finished, with their time, and fits only the others.
        if per_series and os.environ.get("SF_RESUME") == "1" and os.path.exists(fc_path) and os.path.exists(tm_path):
            old = pd.read_csv(fc_path, dtype={"item_id": str})
            old = old[(old["model"] == label) & old["item_id"].isin(ids)]
            old_t = pd.read_csv(tm_path)
            old_t = old_t[old_t["model"] == label]
            if len(old) and len(old_t):
                done.append(old)
                secs, cpu = float(old_t["seconds"].iloc[0]), float(old_t["cpu_seconds"].iloc[0])
                finished = set(old["item_id"])
                ids = [i for i in ids if i not in finished]
                print(f"{name}: {label} resuming after {old['item_id'].nunique()} series", flush=True)
        batches = [train[train["unique_id"] == i] for i in ids] if per_series else [train]
        for batch in batches:
            if cpu > budget:
                break
            sf = StatsForecast(models=[make()], freq=1, n_jobs=1 if per_series else cores)
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            fc = sf.forecast(df=batch, h=h, **kwargs)
            secs += time.perf_counter() - t0
            cpu += cpu_seconds() - c0
            done.append(to_rows(fc, label, has_level))
            print(f"{name}: {label} {pd.concat(done)['item_id'].nunique()} series, "
                  f"{secs:.1f}s wall, {cpu:.1f}s cpu", flush=True)
            # Write after every batch so a long run leaves usable partial results.
            pd.concat(rows + done).to_csv(fc_path, index=False)
            pd.DataFrame(timings + [(label, secs, cpu)], columns=["model", "seconds", "cpu_seconds"]).to_csv(
                tm_path, index=False)
        rows += done
        timings.append((label, secs, cpu))


def to_rows(fc, label, has_level):
    """statsforecast's forecast frame as forecasts.csv rows: item, step, model, mean, p10, p90."""
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c and "-hi-" not in c][0]
    step = fc.groupby("unique_id", sort=False).cumcount() + 1
    mean = fc[col]
    lo = fc[f"{col}-lo-80"] if has_level else mean
    hi = fc[f"{col}-hi-80"] if has_level else mean
    return pd.DataFrame({"item_id": fc["unique_id"], "step": step, "model": label,
                         "mean": mean, "p10": lo, "p90": hi})


def main():
    data_dir, out_dir = sys.argv[1], sys.argv[2]
    sets = sys.argv[3].split(",") if len(sys.argv) > 3 and sys.argv[3] else []
    only = sys.argv[4].split(",") if len(sys.argv) > 4 else []
    cores = int(os.environ.get("BENCH_CORES", os.cpu_count() or 1))
    for name in sets:
        run_set(data_dir, out_dir, name, cores, only)


if __name__ == "__main__":
    main()
