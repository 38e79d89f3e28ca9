//! Benchmark of Seer's forecasting models on the shared datasets, scored on their official
//! test horizons, next to statsforecast's forecasts when `bench/forecast/run.sh` made them.
//!
//! `cargo run --release -p seer-models --example forecast_bench -- <data dir> [<statsforecast out dir>] [set ...]`
//!
//! Reads `<data dir>/<set>/{target_time_series,test}.csv.gz` and `meta.json` at run time (the
//! data never enters the repository) and prints a Markdown table. statsforecast's forecasts
//! (`<out>/<set>/forecasts.csv`: `item_id,step,model,mean,p10,p90`) and timings
//! (`<out>/<set>/timings.csv`: `model,seconds`) are scored by the same code as Seer's.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use seer_models::forecast::auto::{AutoConfig, AutoModel};
use seer_models::forecast::backtest::fill_global;
use seer_models::forecast::covariates::calendar_columns;
use seer_models::forecast::metrics::{MetricAccumulator, mase_scale};
use seer_models::forecast::{Algorithm, BacktestConfig, Covariates, Forecast, ForecastSpec, Series, backtest, global};

type BoxError = Box<dyn std::error::Error>;

const SETS: [&str; 6] = ["m4_hourly", "m4_weekly", "carparts", "bike_sharing", "stallion", "complete_journey_weekly"];
const LEVELS: [f64; 3] = [0.1, 0.5, 0.9];

/// CPU seconds of this process, all threads (user + system), from /proc: on a machine
/// shared with other work, CPU time compares implementations more fairly than wall time.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return f64::NAN };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // Clock ticks are 100 per second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn read_gz(path: &Path) -> Result<String, BoxError> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut s = String::new();
    flate2::read::GzDecoder::new(f).read_to_string(&mut s)?;
    Ok(s)
}

/// Items in file order with their values and period starts (unix seconds); the files are
/// grouped by item and time-sorted.
type SeriesFile = (Vec<String>, Vec<Vec<f64>>, Vec<Vec<i64>>);

fn read_series(path: &Path) -> Result<SeriesFile, BoxError> {
    let text = read_gz(path)?;
    let mut ids: Vec<String> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut times: Vec<Vec<i64>> = Vec::new();
    for (line_no, line) in text.lines().enumerate().skip(1) {
        let mut parts = line.rsplitn(3, ',');
        let v = parts.next().ok_or_else(|| format!("{}:{}: no value", path.display(), line_no + 1))?;
        let ts = parts.next().ok_or_else(|| format!("{}:{}: no timestamp", path.display(), line_no + 1))?;
        let id = parts.next().ok_or_else(|| format!("{}:{}: no item", path.display(), line_no + 1))?;
        let v: f64 = if v.is_empty() { f64::NAN } else { v.parse()? };
        if ids.last().map(String::as_str) != Some(id) {
            ids.push(id.to_string());
            values.push(Vec::new());
            times.push(Vec::new());
        }
        if let (Some(last), Some(t)) = (values.last_mut(), times.last_mut()) {
            last.push(v);
            t.push(iso_seconds(ts).ok_or_else(|| format!("{}:{}: bad timestamp {ts}", path.display(), line_no + 1))?);
        }
    }
    Ok((ids, values, times))
}

/// Unix seconds of `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (UTC).
fn iso_seconds(ts: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| ts.get(r).and_then(|x| x.parse::<i64>().ok());
    let days = seer_models::forecast::covariates::days_from_civil(num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    let secs = if ts.len() >= 19 { num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)? } else { 0 };
    Some(days * 86_400 + secs)
}

/// The set's related time series (history and horizon), item metadata and calendar, as the
/// global model takes them; columns of text become category codes.
fn read_covariates(dir: &Path, ids: &[String], starts: &[Vec<i64>]) -> Result<Covariates, BoxError> {
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let mut cov = Covariates::default();
    let related = dir.join("related_time_series.csv.gz");
    let mut dynamic: Vec<Vec<Vec<f64>>> = vec![Vec::new(); ids.len()];
    if related.exists() {
        let text = read_gz(&related)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().ok_or("related: empty")?.split(',').collect();
        let cols = header.len().saturating_sub(2);
        cov.dynamic_names = header[2..].iter().map(|s| s.to_string()).collect();
        let mut codes: Vec<HashMap<String, f64>> = vec![HashMap::new(); cols];
        for d in dynamic.iter_mut() {
            *d = vec![Vec::new(); cols];
        }
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let Some(&i) = f.first().and_then(|id| index.get(id)) else { continue };
            for c in 0..cols {
                let cell = f.get(c + 2).copied().unwrap_or("");
                let v = match cell.parse::<f64>() {
                    Ok(v) => v,
                    Err(_) if cell.is_empty() => f64::NAN,
                    Err(_) => {
                        let next = codes[c].len() as f64;
                        *codes[c].entry(cell.to_string()).or_insert(next)
                    }
                };
                dynamic[i][c].push(v);
            }
        }
    }
    // The calendar of every period, history and horizon.
    let names = calendar_columns(&[]).into_iter().map(|(n, _)| n);
    cov.dynamic_names.extend(names);
    for (d, t) in dynamic.iter_mut().zip(starts) {
        d.extend(calendar_columns(t).into_iter().map(|(_, v)| v));
    }
    cov.dynamic = dynamic;
    let metadata = dir.join("item_metadata.csv.gz");
    if metadata.exists() {
        let text = read_gz(&metadata)?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().ok_or("metadata: empty")?.split(',').collect();
        cov.static_names = header[1..].iter().map(|s| s.to_string()).collect();
        let mut codes: Vec<HashMap<String, f64>> = vec![HashMap::new(); cov.static_names.len()];
        cov.statics = vec![vec![f64::NAN; cov.static_names.len()]; ids.len()];
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let Some(&i) = f.first().and_then(|id| index.get(id)) else { continue };
            for (a, code) in codes.iter_mut().enumerate() {
                let cell = f.get(a + 1).copied().unwrap_or("");
                let next = code.len() as f64;
                cov.statics[i][a] = *code.entry(cell.to_string()).or_insert(next);
            }
        }
    }
    Ok(cov)
}

/// Season lengths the global model takes as lags, by frequency.
fn seasons_of(meta: &str) -> Vec<usize> {
    match meta_string(meta, "frequency").as_deref() {
        Some("H") => vec![24, 168],
        Some("D") => vec![7],
        Some("W") => vec![52],
        Some("M") => vec![12],
        Some("Q") => vec![4],
        _ => Vec::new(),
    }
}

fn meta_string(meta: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":");
    let at = meta.find(&pat)? + pat.len();
    let rest = meta[at..].trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn meta_number(meta: &str, key: &str) -> Result<usize, BoxError> {
    let pat = format!("\"{key}\":");
    let at = meta.find(&pat).ok_or_else(|| format!("meta.json has no {key}"))? + pat.len();
    let digits: String = meta[at..].trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
    Ok(digits.parse()?)
}

struct Row {
    model: String,
    acc: MetricAccumulator,
    seconds: f64,
    cpu: f64,
}

fn score(fcs: &[Forecast], test: &[Vec<f64>], scales: &[Option<f64>]) -> MetricAccumulator {
    let mut acc = MetricAccumulator::new(&LEVELS);
    for ((f, y), s) in fcs.iter().zip(test).zip(scales) {
        if let Err(e) = acc.add(f, y, None, *s) {
            eprintln!("scoring failed: {e}");
        }
    }
    acc
}

/// What the global model learns from besides the targets.
struct Known<'a> {
    covariates: &'a Covariates,
    seasons: &'a [usize],
}

fn run_seer(
    train: &[Series],
    spec: &ForecastSpec,
    alg: Algorithm,
    known: &Known,
) -> Result<(Vec<Forecast>, f64, f64), BoxError> {
    use rayon::prelude::*;
    let c0 = cpu_seconds();
    let t0 = Instant::now();
    let fcs: Vec<Forecast> = if alg.is_global() {
        let histories: Vec<&[f64]> = train.iter().map(|s| s.values.as_slice()).collect();
        let cutoffs: Vec<Option<usize>> = histories.iter().map(|h| Some(h.len())).collect();
        global::forecast_items(&histories, known.covariates, &cutoffs, spec, known.seasons)?
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or("the global model left an item without a forecast")?
    } else {
        train.par_iter().map(|s| alg.forecast(&s.values, spec)).collect::<Result<_, _>>()?
    };
    Ok((fcs, t0.elapsed().as_secs_f64(), cpu_seconds() - c0))
}

type SfModel = (String, Vec<Forecast>, f64, f64);

/// The items statsforecast forecast all `h` steps of with every model in `dir`, or None where
/// it has no results there.
fn finished_items(dir: &Path, h: usize) -> Result<Option<std::collections::HashSet<String>>, BoxError> {
    let Ok(text) = std::fs::read_to_string(dir.join("forecasts.csv")) else { return Ok(None) };
    let mut steps: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for line in text.lines().skip(1) {
        // item ids may hold commas: the model is the fourth field from the right.
        let mut parts = line.rsplitn(6, ',').skip(3);
        let model = parts.next().ok_or("model")?;
        let id = parts.nth(1).ok_or("id")?;
        *steps.entry(model).or_default().entry(id).or_default() += 1;
    }
    let Some(first) = steps.values().next() else { return Ok(None) };
    let all = |id: &str| steps.values().all(|m| m.get(id).is_some_and(|n| *n >= h));
    Ok(Some(first.keys().filter(|id| all(id)).map(|id| id.to_string()).collect()))
}

/// The entries of `v` whose `keep` is true.
fn keep_where<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
    v.into_iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x).collect()
}

fn read_statsforecast(dir: &Path, ids: &[String], h: usize) -> Result<Vec<SfModel>, BoxError> {
    let text = std::fs::read_to_string(dir.join("forecasts.csv"))?;
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let mut by_model: HashMap<String, Vec<Forecast>> = HashMap::new();
    for line in text.lines().skip(1) {
        // item ids may hold commas: parse from the right.
        let mut parts = line.rsplitn(6, ',');
        let p90: f64 = parts.next().ok_or("p90")?.parse()?;
        let p10: f64 = parts.next().ok_or("p10")?.parse()?;
        let mean: f64 = parts.next().ok_or("mean")?.parse()?;
        let model = parts.next().ok_or("model")?.to_string();
        let step: usize = parts.next().ok_or("step")?.parse()?;
        let id = parts.next().ok_or("id")?;
        let Some(&i) = index.get(id) else { continue };
        let fcs = by_model.entry(model).or_insert_with(|| {
            (0..ids.len())
                .map(|_| Forecast {
                    levels: LEVELS.to_vec(),
                    quantiles: vec![vec![f64::NAN; h]; 3],
                    mean: vec![f64::NAN; h],
                })
                .collect()
        });
        let f = &mut fcs[i];
        if step >= 1 && step <= h {
            f.quantiles[0][step - 1] = p10;
            f.quantiles[1][step - 1] = mean;
            f.quantiles[2][step - 1] = p90;
            f.mean[step - 1] = mean;
        }
    }
    let timings = std::fs::read_to_string(dir.join("timings.csv"))?;
    let mut secs: HashMap<String, (f64, f64)> = HashMap::new();
    for line in timings.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() >= 3 {
            secs.insert(f[0].to_string(), (f[1].parse()?, f[2].parse()?));
        }
    }
    let mut out: Vec<SfModel> = by_model
        .into_iter()
        .map(|(m, f)| {
            let (w, c) = secs.get(&m).copied().unwrap_or((f64::NAN, f64::NAN));
            (m.clone(), f, w, c)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn cold_start(
    train: &[Vec<f64>],
    test: &[Vec<f64>],
    covariates: &Covariates,
    spec: &ForecastSpec,
    seasons: &[usize],
    every: usize,
) -> Result<(), BoxError> {
    let hidden: Vec<usize> = (0..train.len()).filter(|i| i % every == every - 1).collect();
    let histories: Vec<&[f64]> =
        train.iter().enumerate().map(|(i, v)| if hidden.contains(&i) { &v[..0] } else { v.as_slice() }).collect();
    let cutoffs: Vec<Option<usize>> = histories.iter().map(|h| Some(h.len())).collect();
    // The hidden items' covariates start at the horizon (their "launch").
    let mut cov = covariates.clone();
    for &i in &hidden {
        for col in cov.dynamic[i].iter_mut() {
            *col = col[train[i].len()..].to_vec();
        }
    }
    let t0 = Instant::now();
    let out = global::forecast_items(&histories, &cov, &cutoffs, spec, seasons)?;
    let secs = t0.elapsed().as_secs_f64();
    let mut trees = MetricAccumulator::new(&LEVELS);
    let mut baseline = MetricAccumulator::new(&LEVELS);
    let m = spec.season.max(spec.horizon);
    for &i in &hidden {
        let f = out[i].as_ref().ok_or("no forecast for a new item")?;
        trees.add(f, &test[i], None, None)?;
        // Items sharing the most metadata values with it, their last-season means.
        let shared =
            |j: usize| (0..cov.static_names.len()).filter(|&a| cov.static_at(i, a) == cov.static_at(j, a)).count();
        let warm: Vec<usize> = (0..train.len()).filter(|j| !hidden.contains(j)).collect();
        let best = warm.iter().map(|&j| shared(j)).max().unwrap_or(0);
        let means: Vec<f64> = warm
            .iter()
            .filter(|&&j| shared(j) == best)
            .map(|&j| train[j][train[j].len().saturating_sub(m)..].iter().sum::<f64>() / m as f64)
            .collect();
        let level = means.iter().sum::<f64>() / means.len().max(1) as f64;
        let point = vec![level; spec.horizon];
        let b = Forecast { levels: LEVELS.to_vec(), quantiles: vec![point.clone(); 3], mean: point };
        baseline.add(&b, &test[i], None, None)?;
    }
    println!(
        "- cold start ({} of {} items new): BOOSTED_TREES avg wQL {}, WAPE {} ({secs:.1}s); similar items' last-season mean: avg wQL {}, WAPE {}",
        hidden.len(),
        train.len(),
        fmt(trees.average_wql()),
        fmt(trees.wape()),
        fmt(baseline.average_wql()),
        fmt(baseline.wape())
    );
    Ok(())
}

fn fmt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "-".to_string())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let data = PathBuf::from(args.first().ok_or("usage: forecast_bench <data dir> [<sf out dir>] [set ...]")?);
    let sf_dir = args.get(1).map(PathBuf::from);
    let sets: Vec<String> =
        if args.len() > 2 { args[2..].to_vec() } else { SETS.iter().map(|s| s.to_string()).collect() };
    let cores = rayon::current_num_threads();
    println!(
        "Cores: {cores}. Quantiles p10/p50/p90; MASE per item, averaged; coverage = share of p10 ≤ y ≤ p90; time ratios are of CPU time.\n"
    );
    let mut auto_vs_naive: Vec<f64> = Vec::new();
    // AUTO's avg wQL over each single model's, per set: "beats every model it contains on
    // average" is read as the geometric mean over the sets below 1.
    let mut auto_vs_model: std::collections::BTreeMap<String, Vec<f64>> = std::collections::BTreeMap::new();
    for set in &sets {
        let dir = data.join(set);
        let meta = std::fs::read_to_string(dir.join("meta.json"))?;
        let h = meta_number(&meta, "horizon")?;
        let m = meta_number(&meta, "seasonality")?;
        let (ids, train, train_times) = read_series(&dir.join("target_time_series.csv.gz"))?;
        let (test_ids, test, test_times) = read_series(&dir.join("test.csv.gz"))?;
        if ids != test_ids {
            return Err(format!("{set}: train and test items differ").into());
        }
        // SEER_BENCH_EVERY=k keeps every k-th item (file order, the first included), as
        // statsforecast_bench.py does with SF_EVERY=k: a sample of the set where a full
        // comparison would take hours (statsforecast's AutoARIMA on long seasonal series).
        let every = std::env::var("SEER_BENCH_EVERY").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1).max(1);
        // A statsforecast run stopped early (SF_PER_SERIES=1 with SF_BUDGET_S) forecast only
        // some items: both sides are scored, and timed, on those.
        let finished = sf_dir.as_ref().map(|d| finished_items(&d.join(set), h)).transpose()?.flatten();
        let sampled = ids.len().div_ceil(every);
        let keep: Vec<bool> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| i % every == 0 && finished.as_ref().is_none_or(|f| f.contains(id)))
            .collect();
        let kept = keep.iter().filter(|k| **k).count();
        if kept < sampled {
            println!(
                "statsforecast finished {kept} of {sampled} items (a partial run): both sides are scored and timed on those.\n"
            );
        }
        let (ids, mut train, mut train_times, test, test_times) = (
            keep_where(ids, &keep),
            keep_where(train, &keep),
            keep_where(train_times, &keep),
            keep_where(test, &keep),
            keep_where(test_times, &keep),
        );
        // SEER_BENCH_TAIL=n keeps the last n points of each history, as statsforecast_bench.py
        // does with SF_TAIL=n: a shorter history where one fit of the whole takes hours.
        let tail = std::env::var("SEER_BENCH_TAIL").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        if tail > 0 {
            for (v, t) in train.iter_mut().zip(train_times.iter_mut()) {
                let cut = v.len().saturating_sub(tail);
                v.drain(..cut);
                t.drain(..cut);
            }
            println!("Histories cut to their last {tail} points (SEER_BENCH_TAIL).\n");
        }
        let starts: Vec<Vec<i64>> =
            train_times.iter().zip(&test_times).map(|(a, b)| [a.clone(), b.clone()].concat()).collect();
        let covariates = read_covariates(&dir, &ids, &starts)?;
        let seasons = seasons_of(&meta);
        let known = Known { covariates: &covariates, seasons: &seasons };
        let series: Vec<Series> = train.iter().map(|v| Series::new(v.clone())).collect();
        let scales: Vec<Option<f64>> = train.iter().map(|v| mase_scale(v, m)).collect();
        // As the trainer does: the frequency's longer cycle (a week of hours) for ETS.
        let long_season = seasons.iter().copied().find(|s| *s > m);
        let spec = ForecastSpec { horizon: h, season: m, quantiles: LEVELS.to_vec(), long_season };
        let mut rows: Vec<Row> = Vec::new();
        let intermittent = meta.contains("\"zero_fraction\": 0.7");
        // Every algorithm AUTO chooses from, as the trainer runs it.
        let mut algs = Algorithm::ALL.to_vec();
        // SEER_BENCH_ONLY=ETS,ARIMA runs just those (no AUTO), next to statsforecast's models.
        let only: Vec<Algorithm> = std::env::var("SEER_BENCH_ONLY")
            .map(|v| v.split(',').filter_map(Algorithm::from_name).collect())
            .unwrap_or_default();
        let subset = !only.is_empty();
        if subset {
            algs = only;
        }
        // SEER_BENCH_WINDOWS=k backtests k windows (default 1, a Predictor's default
        // `backtest.windows`, as in Amazon Forecast: AUTO is measured as users get it);
        // SEER_BENCH_CACHE=<dir> keeps every forecast and the backtest there, so that AUTO's
        // choice can be studied without refitting.
        let windows = std::env::var("SEER_BENCH_WINDOWS").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
        let cache_path = std::env::var("SEER_BENCH_CACHE")
            .ok()
            .map(|d| PathBuf::from(d).join(format!("{set}-{windows}w-{}a.bin", algs.len())));
        let cached = cache_path.as_ref().and_then(|p| cache::load(p, &LEVELS, &train, h, m).ok());
        // A cache of the first algorithms only (made before later ones were added, which
        // go at the end of `Algorithm::ALL`): those are reused and only the others run.
        let partial = || -> Option<cache::Loaded> {
            let path = cache_path.as_ref()?;
            (1..algs.len()).rev().find_map(|k| {
                let p = path.with_file_name(format!("{set}-{windows}w-{k}a.bin"));
                cache::load(&p, &LEVELS, &train, h, m)
                    .ok()
                    .filter(|c| c.0.len() == k && algs[..k] == Algorithm::ALL[..k])
            })
        };
        let cfg = BacktestConfig { spec: spec.clone(), windows, offset: None };
        let histories: Vec<&[f64]> = train.iter().map(Vec::as_slice).collect();
        let (by_alg, times, report, bt_secs, bt_cpu) = match cached {
            Some(c) => c,
            None => {
                let (mut by_alg, mut times, mut report, mut bt_secs, mut bt_cpu) =
                    if subset { (Vec::new(), Vec::new(), None, 0.0, 0.0) } else { partial().unwrap_or_default() };
                let done = by_alg.len();
                for alg in &algs[done..] {
                    let (fcs, secs, cpu) = run_seer(&series, &spec, *alg, &known)?;
                    eprintln!("{set}: {} {secs:.1}s wall {cpu:.1}s cpu", alg.name());
                    by_alg.push(fcs);
                    times.push((secs, cpu));
                }
                let c0 = cpu_seconds();
                let t0 = Instant::now();
                if !subset {
                    report = Some(match report {
                        Some(mut r) => {
                            // Extend the cached backtest with the new algorithms.
                            let new = &algs[done..];
                            let only_new = backtest(&series, new, &cfg)?;
                            for (it, more) in r.items.iter_mut().zip(only_new.items) {
                                for w in 0..windows {
                                    it.forecasts[w].extend(more.forecasts[w].iter().cloned());
                                    it.scores[w].extend(more.scores[w].iter().cloned());
                                }
                            }
                            r.algorithms.extend_from_slice(new);
                            fill_global(&mut r.items, &histories, &covariates, &algs, &cfg, &seasons)?;
                            r
                        }
                        None => {
                            let mut r = backtest(&series, &algs, &cfg)?;
                            fill_global(&mut r.items, &histories, &covariates, &algs, &cfg, &seasons)?;
                            r
                        }
                    });
                }
                bt_secs += t0.elapsed().as_secs_f64();
                bt_cpu += cpu_seconds() - c0;
                if let (Some(p), Some(r)) = (&cache_path, &report) {
                    cache::save(p, &by_alg, &times, r, bt_secs, bt_cpu)?;
                }
                (by_alg, times, report, bt_secs, bt_cpu)
            }
        };
        // SEER_BENCH_DUMP=<dir> writes every algorithm's mean forecasts there
        // (`<set>-<ALGORITHM>.csv`: item index, then the means), for item-level study.
        if let Ok(dump) = std::env::var("SEER_BENCH_DUMP") {
            std::fs::create_dir_all(&dump)?;
            for (alg, fcs) in algs.iter().zip(&by_alg) {
                let mut text = String::new();
                for (i, f) in fcs.iter().enumerate() {
                    let means: Vec<String> = f.mean.iter().map(|v| v.to_string()).collect();
                    text.push_str(&format!("{i},{}\n", means.join(",")));
                }
                std::fs::write(Path::new(&dump).join(format!("{set}-{}.csv", alg.name())), text)?;
            }
        }
        let (mut all_secs, mut all_cpu) = (0.0, 0.0);
        for ((alg, fcs), (secs, cpu)) in algs.iter().zip(&by_alg).zip(&times) {
            rows.push(Row {
                model: format!("Seer {}", alg.name()),
                acc: score(fcs, &test, &scales),
                seconds: *secs,
                cpu: *cpu,
            });
            all_secs += secs;
            all_cpu += cpu;
        }
        // A subset run (SEER_BENCH_ONLY) has no AUTO: its table has the chosen models only.
        if let Some(report) = report {
            // AUTO: backtest every candidate on windows before the test, choose per item, and
            // combine the candidates' forecasts above. Its time is the backtest plus every
            // candidate's fit and forecast.
            let ensemble = |config: &AutoConfig| -> Result<MetricAccumulator, BoxError> {
                let auto = AutoModel::from_backtest(&report, series.len(), config);
                let fcs: Option<Vec<Forecast>> = (0..series.len())
                    .map(|i| auto.combine(i, |a| algs.iter().position(|x| *x == a).map(|k| &by_alg[k][i])))
                    .collect();
                Ok(score(&fcs.ok_or("a member forecast is missing")?, &test, &scales))
            };
            let global = ensemble(&AutoConfig { per_class: false, ..AutoConfig::default() })?;
            eprintln!("{set}: AUTO with one ensemble for all items: avg wQL {}", fmt(global.average_wql()));
            if std::env::var("SEER_BENCH_VARIANTS").is_ok() {
                // AUTO chosen on the latest k windows only, for every k.
                for k in 1..=report.windows {
                    let mut r = report.clone();
                    r.windows = k;
                    for it in &mut r.items {
                        it.forecasts.truncate(k);
                        it.scores.truncate(k);
                        it.actuals.truncate(k);
                        it.scales.truncate(k);
                        it.histories.truncate(k);
                    }
                    for per_class in [true, false] {
                        let name = if per_class { "class" } else { "global" };
                        let config = AutoConfig { per_class, ..AutoConfig::default() };
                        let auto = AutoModel::from_backtest(&r, series.len(), &config);
                        let fcs: Option<Vec<Forecast>> = (0..series.len())
                            .map(|i| auto.combine(i, |a| algs.iter().position(|x| *x == a).map(|k| &by_alg[k][i])))
                            .collect();
                        let acc = score(&fcs.ok_or("a member forecast is missing")?, &test, &scales);
                        let mut distinct: Vec<String> = auto
                            .weights
                            .iter()
                            .map(|w| {
                                w.iter().map(|(a, x)| format!("{}:{x:.2}", a.name())).collect::<Vec<_>>().join(" ")
                            })
                            .collect();
                        distinct.sort();
                        distinct.dedup();
                        eprintln!("{set}: variant {name} k={k}: avg wQL {} {:?}", fmt(acc.average_wql()), distinct);
                    }
                }
            }
            rows.push(Row {
                model: "Seer AUTO".to_string(),
                acc: ensemble(&AutoConfig::default())?,
                seconds: bt_secs + all_secs,
                cpu: bt_cpu + all_cpu,
            });
            eprintln!("{set}: AUTO backtest {bt_secs:.1}s ({windows} windows)");
        }
        // SEER_BENCH_COLD=k: every k-th item (with metadata) is treated as new — its history
        // hidden, its metadata and related series kept — and BOOSTED_TREES forecasts it; the
        // baseline is the mean, over the items sharing its metadata, of their last season.
        if let (Ok(k), false) = (std::env::var("SEER_BENCH_COLD"), covariates.static_names.is_empty()) {
            let k: usize = k.parse()?;
            cold_start(&train, &test, &covariates, &spec, &seasons, k)?;
        }
        let mut sf_rows: Vec<Row> = Vec::new();
        if let Some(sf) = &sf_dir {
            match read_statsforecast(&sf.join(set), &ids, h) {
                Ok(models) => {
                    for (name, fcs, secs, cpu) in models {
                        let acc = score(&fcs, &test, &scales);
                        sf_rows.push(Row { model: format!("sf {name}"), acc, seconds: secs, cpu });
                    }
                }
                Err(e) => eprintln!("{set}: no statsforecast results ({e})"),
            }
        }
        println!("### {set} (h={h}, m={m}, {} items, intermittent={intermittent})\n", ids.len());
        println!("| model | avg wQL | wQL p10 | wQL p50 | wQL p90 | MASE | WAPE | cov p10–p90 | wall s | cpu s |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for r in rows.iter().chain(&sf_rows) {
            let w = r.acc.weighted_quantile_losses();
            let cov = r.acc.coverage(0.1, 0.9);
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {:.2} |",
                r.model,
                fmt(r.acc.average_wql()),
                fmt(w[0]),
                fmt(w[1]),
                fmt(w[2]),
                fmt(r.acc.mase()),
                fmt(r.acc.wape()),
                fmt(cov),
                r.seconds,
                r.cpu
            );
        }
        let find = |rows: &[Row], name: &str| rows.iter().find(|r| r.model == name).map(|r| (r.acc.clone(), r.cpu));
        println!();
        for (seer, sf) in [
            ("Seer ETS", "sf AutoETS"),
            ("Seer ARIMA", "sf AutoARIMA"),
            ("Seer THETA", "sf AutoTheta"),
            ("Seer CROSTON", "sf CrostonOptimized"),
            ("Seer CROSTON_TSB", "sf TSB"),
        ] {
            if let (Some((a, ta)), Some((b, tb))) = (find(&rows, seer), find(&sf_rows, sf)) {
                println!(
                    "- {seer} / {sf}: CPU time {:.4}×, MASE {}×, avg wQL {}×",
                    ta / tb,
                    fmt(a.mase().zip(b.mase()).map(|(x, y)| x / y)),
                    fmt(a.average_wql().zip(b.average_wql()).map(|(x, y)| x / y)),
                );
            }
        }
        let auto_wql = find(&rows, "Seer AUTO").and_then(|(a, _)| a.average_wql());
        let naive_wql = find(&rows, "Seer SEASONAL_NAIVE").and_then(|(a, _)| a.average_wql());
        let best_sf = sf_rows
            .iter()
            .filter_map(|r| r.acc.average_wql().map(|w| (w, r.model.clone())))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(a) = auto_wql {
            for r in rows.iter().filter(|r| r.model != "Seer AUTO") {
                if let Some(w) = r.acc.average_wql().filter(|w| *w > 0.0) {
                    auto_vs_model.entry(r.model.clone()).or_default().push(a / w);
                }
            }
        }
        if let (Some(a), Some(n)) = (auto_wql, naive_wql) {
            auto_vs_naive.push(a / n);
            println!("- AUTO / seasonal naive avg wQL: {:.3}", a / n);
        }
        if let (Some(a), Some((b, name))) = (auto_wql, best_sf) {
            println!("- AUTO / best statsforecast ({name}) avg wQL: {:.3}", a / b);
        }
        println!();
    }
    if !auto_vs_naive.is_empty() {
        let g = (auto_vs_naive.iter().map(|x| x.ln()).sum::<f64>() / auto_vs_naive.len() as f64).exp();
        println!("Geometric mean over the sets of AUTO / seasonal naive avg wQL: {g:.3} (target ≤ 0.85)");
    }
    if !auto_vs_model.is_empty() {
        println!(
            "\nAUTO's avg wQL over each model's it contains, per set and geometric mean over the sets (below 1: AUTO better on average):\n"
        );
        println!("| model | {} | geometric mean |", sets.join(" | "));
        println!("|---|{}---|", "---|".repeat(sets.len()));
        for (model, ratios) in &auto_vs_model {
            let g = (ratios.iter().map(|x| x.ln()).sum::<f64>() / ratios.len() as f64).exp();
            let cells: Vec<String> = ratios.iter().map(|r| format!("{r:.3}")).collect();
            println!("| {model} | {} | **{g:.3}** |", cells.join(" | "));
        }
    }
    Ok(())
}

/// A plain binary copy of every forecast and of the backtest (f64 little-endian throughout),
/// so that AUTO's choice can be re-run on them without refitting.
mod cache {
    use std::path::Path;

    use seer_models::forecast::backtest::{BacktestReport, ItemBacktest, Velocity};
    use seer_models::forecast::metrics::MetricAccumulator;
    use seer_models::forecast::{Algorithm, Forecast};

    use super::BoxError;

    pub type Loaded = (Vec<Vec<Forecast>>, Vec<(f64, f64)>, Option<BacktestReport>, f64, f64);

    fn put(out: &mut Vec<u8>, v: f64) {
        out.extend_from_slice(&v.to_le_bytes());
    }

    fn put_fc(out: &mut Vec<u8>, f: &Forecast) {
        put(out, f.horizon() as f64);
        for q in &f.quantiles {
            q.iter().for_each(|v| put(out, *v));
        }
        f.mean.iter().for_each(|v| put(out, *v));
    }

    pub fn save(
        path: &Path,
        by_alg: &[Vec<Forecast>],
        times: &[(f64, f64)],
        r: &BacktestReport,
        bt_secs: f64,
        bt_cpu: f64,
    ) -> Result<(), BoxError> {
        let mut out = Vec::new();
        put(&mut out, by_alg.len() as f64);
        put(&mut out, by_alg.first().map_or(0, Vec::len) as f64);
        for (fcs, (s, c)) in by_alg.iter().zip(times) {
            put(&mut out, *s);
            put(&mut out, *c);
            fcs.iter().for_each(|f| put_fc(&mut out, f));
        }
        put(&mut out, bt_secs);
        put(&mut out, bt_cpu);
        put(&mut out, r.windows as f64);
        put(&mut out, r.algorithms.len() as f64);
        for a in &r.algorithms {
            put(&mut out, Algorithm::ALL.iter().position(|x| x == a).unwrap_or(0) as f64);
        }
        put(&mut out, r.velocity.len() as f64);
        for v in &r.velocity {
            put(&mut out, *v as u8 as f64);
        }
        put(&mut out, r.skipped.len() as f64);
        r.skipped.iter().for_each(|v| put(&mut out, *v as f64));
        put(&mut out, r.items.len() as f64);
        for it in &r.items {
            put(&mut out, it.item as f64);
            for w in 0..r.windows {
                for f in &it.forecasts[w] {
                    match f {
                        Some(f) => put_fc(&mut out, f),
                        None => put(&mut out, -1.0),
                    }
                }
                let (y, c) = &it.actuals[w];
                put(&mut out, y.len() as f64);
                y.iter().for_each(|v| put(&mut out, *v));
                c.iter().for_each(|v| put(&mut out, if *v { 1.0 } else { 0.0 }));
                put(&mut out, it.scales[w].unwrap_or(f64::NAN));
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, out)?;
        Ok(())
    }

    struct Reader {
        bytes: Vec<u8>,
        at: usize,
    }

    impl Reader {
        fn f(&mut self) -> Result<f64, BoxError> {
            let b = self.bytes.get(self.at..self.at + 8).ok_or("cache truncated")?;
            self.at += 8;
            Ok(f64::from_le_bytes(b.try_into()?))
        }
        fn n(&mut self) -> Result<usize, BoxError> {
            Ok(self.f()? as usize)
        }
        fn fc(&mut self, levels: &[f64]) -> Result<Option<Forecast>, BoxError> {
            let h = self.f()?;
            if h < 0.0 {
                return Ok(None);
            }
            let h = h as usize;
            let mut quantiles = Vec::new();
            for _ in levels {
                quantiles.push((0..h).map(|_| self.f()).collect::<Result<Vec<_>, _>>()?);
            }
            let mean = (0..h).map(|_| self.f()).collect::<Result<Vec<_>, _>>()?;
            Ok(Some(Forecast { levels: levels.to_vec(), quantiles, mean }))
        }
    }

    pub fn load(path: &Path, levels: &[f64], train: &[Vec<f64>], h: usize, m: usize) -> Result<Loaded, BoxError> {
        let mut r = Reader { bytes: std::fs::read(path)?, at: 0 };
        let (n_alg, n_items) = (r.n()?, r.n()?);
        let mut by_alg = Vec::new();
        let mut times = Vec::new();
        for _ in 0..n_alg {
            times.push((r.f()?, r.f()?));
            by_alg.push(
                (0..n_items)
                    .map(|_| r.fc(levels)?.ok_or_else(|| "missing".into()))
                    .collect::<Result<Vec<_>, BoxError>>()?,
            );
        }
        let (bt_secs, bt_cpu) = (r.f()?, r.f()?);
        let windows = r.n()?;
        let algorithms: Vec<Algorithm> =
            (0..r.n()?).map(|_| r.n().map(|k| Algorithm::ALL[k])).collect::<Result<_, _>>()?;
        let classes = [Velocity::Fast, Velocity::Medium, Velocity::Slow, Velocity::Intermittent];
        let velocity: Vec<Velocity> = (0..r.n()?).map(|_| r.n().map(|k| classes[k])).collect::<Result<_, _>>()?;
        let skipped: Vec<usize> = (0..r.n()?).map(|_| r.n()).collect::<Result<_, _>>()?;
        let mut items = Vec::new();
        for _ in 0..r.n()? {
            let item = r.n()?;
            let mut it = ItemBacktest {
                item,
                forecasts: vec![],
                scores: vec![],
                actuals: vec![],
                scales: vec![],
                histories: vec![],
            };
            for w in 0..windows {
                let fcs: Vec<Option<Forecast>> =
                    (0..algorithms.len()).map(|_| r.fc(levels)).collect::<Result<_, _>>()?;
                let h = r.n()?;
                let y: Vec<f64> = (0..h).map(|_| r.f()).collect::<Result<_, _>>()?;
                let c: Vec<bool> = (0..h).map(|_| r.f().map(|v| v > 0.5)).collect::<Result<_, _>>()?;
                let scale = Some(r.f()?).filter(|v| !v.is_nan());
                let skip: Vec<bool> = c.iter().map(|v| !v).collect();
                let scores = fcs
                    .iter()
                    .map(|f| {
                        let mut acc = MetricAccumulator::new(levels);
                        if let Some(f) = f {
                            let _ = acc.add(f, &y, Some(&skip), scale);
                        }
                        acc
                    })
                    .collect();
                it.forecasts.push(fcs);
                it.scores.push(scores);
                it.actuals.push((y, c));
                it.scales.push(scale);
                it.histories.push(train[item].len() - (w + 1) * h);
            }
            items.push(it);
        }
        let report = BacktestReport {
            algorithms,
            levels: levels.to_vec(),
            items,
            skipped,
            velocity,
            windows,
            horizon: h,
            season: m,
        };
        Ok((by_alg, times, Some(report), bt_secs, bt_cpu))
    }
}
