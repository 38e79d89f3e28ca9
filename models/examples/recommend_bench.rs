//! Benchmark driver for `bench/recommendations/run.sh`.
//!
//! `recommend_bench seer <set_dir> <work_dir>`: reads a set's gzipped CSVs, makes Personalize's
//! split (seed 42, or `SEER_SPLIT_SEED`), writes the split for the anchors (`train.csv`,
//! `test.csv`, `relevant.csv`, dense indices), fits Seer's recipes on it and writes their top-25
//! lists (`recs_<name>.tsv`) and training times (`time_<name>.txt`).
//!
//! `recommend_bench report <work_dir>...`: scores every `recs_*.tsv` against `relevant.csv` with
//! Seer's metrics (one scorer for everyone) and prints a markdown table per work directory; where
//! several directories hold the same set (its name is the directory's), on different splits
//! (`SEER_SPLIT_SEED`), also a summary pooled over all their test users.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use seer_models::recommend::metrics::ndcg_at;
use seer_models::recommend::personalization::RequestOptions;
use seer_models::recommend::{
    Dataset, DatasetBuilder, PersonalizationParams, Popularity, RankedList, Trending, UserPersonalization, evaluate,
    personalize_split,
};
use seer_models::rng::SplitMix64;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seer") if args.len() == 4 => seer(Path::new(&args[2]), Path::new(&args[3])),
        Some("report") if args.len() >= 3 => report(&args[2..]),
        _ => Err("usage: recommend_bench seer <set_dir> <work_dir> | report <work_dir>...".into()),
    }
}

/// Split a CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A CSV file: header and rows.
type Table = (Vec<String>, Vec<Vec<String>>);

fn read_gz(path: &Path) -> Res<Option<Table>> {
    if !path.exists() {
        return Ok(None);
    }
    let r = BufReader::new(flate2::read::GzDecoder::new(fs::File::open(path)?));
    let mut lines = r.lines();
    let header = split_csv(&lines.next().ok_or("empty file")??);
    let mut rows = Vec::new();
    for l in lines {
        let l = l?;
        if !l.is_empty() {
            rows.push(split_csv(&l));
        }
    }
    Ok(Some((header, rows)))
}

fn load(dir: &Path) -> Res<Dataset> {
    let mut b = DatasetBuilder::new();
    let (h, rows) = read_gz(&dir.join("interactions.csv.gz"))?.ok_or("no interactions.csv.gz")?;
    let col = |n: &str| h.iter().position(|c| c == n);
    let (u, i, t) =
        (col("USER_ID").ok_or("USER_ID")?, col("ITEM_ID").ok_or("ITEM_ID")?, col("TIMESTAMP").ok_or("TIMESTAMP")?);
    let (et, ev) = (col("EVENT_TYPE"), col("EVENT_VALUE"));
    for (line, r) in rows.iter().enumerate() {
        let ts: i64 = r[t].parse().map_err(|e| format!("line {}: TIMESTAMP: {e}", line + 2))?;
        let value = ev.and_then(|c| r.get(c)).and_then(|v| v.parse::<f32>().ok());
        b.add_event(&r[u], &r[i], ts, et.and_then(|c| r.get(c)).map(String::as_str), value)?;
    }
    if let Some((h, rows)) = read_gz(&dir.join("items.csv.gz"))? {
        for r in rows {
            b.add_item(&r[0])?;
            for (c, name) in h.iter().enumerate().skip(1) {
                if let Some(v) = r.get(c) {
                    b.set_item_attribute(&r[0], name, v)?;
                }
            }
        }
    }
    if let Some((h, rows)) = read_gz(&dir.join("users.csv.gz"))? {
        for r in rows {
            for (c, name) in h.iter().enumerate().skip(1) {
                if let Some(v) = r.get(c) {
                    b.set_user_attribute(&r[0], name, v)?;
                }
            }
        }
    }
    Ok(b.build())
}

fn write_recs(work: &Path, name: &str, lists: &[(u32, Vec<u32>)], seconds: f64) -> Res<()> {
    let mut f = fs::File::create(work.join(format!("recs_{name}.tsv")))?;
    for (u, items) in lists {
        let s: Vec<String> = items.iter().map(u32::to_string).collect();
        writeln!(f, "{u}\t{}", s.join(","))?;
    }
    fs::write(work.join(format!("time_{name}.txt")), format!("{seconds:.3}\n"))?;
    Ok(())
}

fn seer(dir: &Path, work: &Path) -> Res<()> {
    fs::create_dir_all(work)?;
    let ds = load(dir)?;
    // SEER_SPLIT_SEED: another split of the same set (to see how much of a difference is noise;
    // the anchors must then be run on that work directory too).
    let seed = std::env::var("SEER_SPLIT_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(42);
    let split = personalize_split(&ds, 0.1, 0.1, seed);
    eprintln!(
        "{}: {} users, {} items, {} train events, {} test users",
        dir.display(),
        ds.n_users(),
        ds.n_items(),
        split.train.events().len(),
        split.test.len()
    );
    {
        let mut f = fs::File::create(work.join("train.csv"))?;
        writeln!(f, "user,item,timestamp,value")?;
        for e in split.train.events() {
            writeln!(f, "{},{},{},{}", e.user, e.item, e.timestamp, e.value.unwrap_or(1.0))?;
        }
        let mut f = fs::File::create(work.join("test.csv"))?;
        writeln!(f, "user,item,timestamp,value")?;
        for c in &split.test {
            for e in &c.history {
                writeln!(f, "{},{},{},{}", e.user, e.item, e.timestamp, e.value.unwrap_or(1.0))?;
            }
        }
        let mut f = fs::File::create(work.join("relevant.csv"))?;
        writeln!(f, "user,item")?;
        for c in &split.test {
            for i in &c.relevant {
                writeln!(f, "{},{i}", c.user)?;
            }
        }
        fs::write(work.join("shape.txt"), format!("{} {}\n", ds.n_users(), ds.n_items()))?;
        fs::write(work.join("seed.txt"), format!("{seed}\n"))?;
    }
    let n = 25;
    // POPULARITY_COUNT.
    let t0 = Instant::now();
    let pop = Popularity::fit(&split.train)?;
    let secs = t0.elapsed().as_secs_f64();
    let lists: Vec<(u32, Vec<u32>)> =
        split.test.iter().map(|c| (c.user, pop.recommend(n, |_| true).into_iter().map(|s| s.0).collect())).collect();
    write_recs(work, "seer_popularity_count", &lists, secs)?;
    // TRENDING_NOW, over the newest tenth of the time span.
    let ts: Vec<i64> = split.train.events().iter().map(|e| e.timestamp).collect();
    let span = ts.iter().max().copied().unwrap_or(1) - ts.iter().min().copied().unwrap_or(0);
    let t0 = Instant::now();
    let trend = Trending::fit(&split.train, (span / 10).max(1), None)?;
    let secs = t0.elapsed().as_secs_f64();
    let lists: Vec<(u32, Vec<u32>)> =
        split.test.iter().map(|c| (c.user, trend.recommend(n, |_| true).into_iter().map(|s| s.0).collect())).collect();
    write_recs(work, "seer_trending_now", &lists, secs)?;
    // USER_PERSONALIZATION.
    let mut params = PersonalizationParams::default();
    if let Ok(v) = std::env::var("SEER_USE_EVENT_VALUE") {
        params.use_event_value = v == "1";
    }
    if let Ok(v) = std::env::var("SEER_FACTORS") {
        params.als.factors = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_ALPHA") {
        params.als.alpha = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_WINDOW") {
        params.sims.window = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_REFIT") {
        params.refit_on_all = v == "1";
    }
    if let Ok(v) = std::env::var("SEER_GAMMA") {
        params.sims.distance_decay = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_DAMPING") {
        params.sims.popularity_damping = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_VAL_USERS") {
        params.max_validation_users = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_KNN_K") {
        params.knn.neighbors = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_KNN_MAX") {
        params.knn.max_user_items = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_KNN_GAMMA") {
        params.knn.user_weight_exponent = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_KNN_BETA") {
        params.knn.popularity_damping = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_IDF") {
        params.idf_exponent = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_LNORM") {
        params.length_normalization = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_ITERS") {
        params.als.iterations = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_CG") {
        params.als.cg_steps = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_KNN_SHRINK") {
        params.knn.shrinkage = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_EASE_ITEMS") {
        params.ease.max_items = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_EASE_REG") {
        params.ease.regularization = v.parse()?;
    }
    if let Ok(v) = std::env::var("SEER_REG") {
        params.als.regularization = v.parse()?;
    }
    if std::env::var("SEER_PROFILE").is_ok() {
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let m = split.train.user_item_matrix();
        let _als = seer_models::recommend::als::Als::fit(&m, &params.als)?;
        eprintln!("  ALS alone: {:.1}s wall, {:.1}s CPU", t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let _s = seer_models::recommend::SimilarItems::fit(&split.train, &params.sims)?;
        eprintln!("  SIMS alone: {:.1}s wall, {:.1}s CPU", t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let _k = seer_models::recommend::ItemKnn::fit(&split.train, &params.knn)?;
        eprintln!("  item kNN alone: {:.1}s wall, {:.1}s CPU", t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
        let (t0, c0) = (Instant::now(), cpu_seconds());
        let _e = seer_models::recommend::Ease::fit(&split.train, &params.ease)?;
        eprintln!("  EASE alone: {:.1}s wall, {:.1}s CPU", t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    }
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    let model = UserPersonalization::fit(&split.train, &params)?;
    let secs = t0.elapsed().as_secs_f64();
    eprintln!("  fit CPU time {:.1}s (all threads; load on the machine does not inflate it)", cpu_seconds() - cpu0);
    // SEER_WEIGHTS=w0,w1,...: score with fixed blend weights instead of the learned ones.
    let model = match std::env::var("SEER_WEIGHTS") {
        Ok(v) => {
            let mut w = model.weights();
            for (slot, x) in w.iter_mut().zip(v.split(',')) {
                *slot = x.trim().parse()?;
            }
            model.with_weights(w)
        }
        Err(_) => model,
    };
    eprintln!(
        "USER_PERSONALIZATION: {secs:.1}s, weights {:?}, validation NDCG@10 {:.4}",
        model.weights(),
        model.validation_ndcg()
    );
    // SEER_BENCH_SERVED=1: score as the server does (the item index and the serving state it
    // prepares at load, with their default parameters) instead of the plain model.
    let mut model = model;
    if std::env::var("SEER_BENCH_SERVED").is_ok_and(|v| v == "1") {
        let indexed = model.index_items(&seer_models::recommend::AnnParams::default());
        let train = &split.train;
        let params = seer_models::recommend::ServingParams::default();
        model.prepare_serving(&params, train.n_users(), |u| train.user_events(u));
        eprintln!("  scored as served: index {indexed}, {params:?}, skipping {:?}", model.skipped_signals());
    }
    let opts = RequestOptions { exploration_weight: Some(0.0), now: None, exact: false, trained_user: None };
    let mut lists = Vec::new();
    for c in &split.test {
        let recs = model.recommend(&c.history, n, &opts, |_| true)?;
        lists.push((c.user, recs.into_iter().map(|s| s.0).collect()));
    }
    write_recs(work, "seer_user_personalization", &lists, secs)?;
    fs::write(
        work.join("seer_weights.txt"),
        format!("{:?} validation_ndcg10={:.4}\n", model.weights(), model.validation_ndcg()),
    )?;
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Paired bootstrap over the test users (2,000 resamples, seeded): how far the ratio of
/// USER_PERSONALIZATION's NDCG@10 to the strongest anchor's moves with which users were
/// drawn, against that anchor and against whichever anchor is strongest in each resample
/// (the strongest anchor is itself picked on the test users, which favours it). Each draw takes
/// one of `clusters` (indices into the score vectors: one user's scores on every split they are
/// a test user of).
fn print_bootstrap(up: &[f64], best: &[f64], anchors: &[&Vec<f64>], clusters: &[Vec<usize>], users: &str) {
    const RESAMPLES: usize = 2000;
    let n = clusters.len();
    if n == 0 {
        return;
    }
    let mut rng = SplitMix64::new(42);
    let (mut fixed, mut strongest) = (Vec::with_capacity(RESAMPLES), Vec::with_capacity(RESAMPLES));
    let mut draw: Vec<usize> = Vec::with_capacity(up.len());
    for _ in 0..RESAMPLES {
        draw.clear();
        for _ in 0..n {
            draw.extend_from_slice(&clusters[rng.below(n)]);
        }
        let sum = |v: &[f64]| draw.iter().map(|&i| v[i]).sum::<f64>();
        let u = sum(up);
        fixed.push(u / sum(best));
        strongest.push(u / anchors.iter().map(|a| sum(a)).fold(f64::MIN, f64::max));
    }
    for (what, r) in [("that anchor", &mut fixed), ("the strongest anchor of each resample", &mut strongest)] {
        r.sort_by(f64::total_cmp);
        let share = r.iter().filter(|x| **x >= 1.05).count() as f64 / RESAMPLES as f64;
        println!(
            "Paired bootstrap over the {n} {users} ({RESAMPLES} resamples), UP / {what}: median {:.3}, 95% interval {:.3}–{:.3}, {:.1}% of resamples at 1.05 or more",
            r[RESAMPLES / 2],
            r[RESAMPLES / 40],
            r[RESAMPLES - 1 - RESAMPLES / 40],
            100.0 * share
        );
    }
}

fn report(works: &[String]) -> Res<()> {
    // Per set (the work directory's name), each split's per-user NDCG@10 by method, for the
    // pooled summary of sets run on several splits.
    let mut splits: Vec<Split> = Vec::new();
    for w in works {
        let work = PathBuf::from(w);
        let shape = fs::read_to_string(work.join("shape.txt"))?;
        let n_items: usize = shape.split_whitespace().nth(1).ok_or("shape")?.parse()?;
        let mut relevant: HashMap<u32, Vec<u32>> = HashMap::new();
        for l in fs::read_to_string(work.join("relevant.csv"))?.lines().skip(1) {
            let mut p = l.split(',');
            let (u, i) = (p.next().ok_or("user")?.parse()?, p.next().ok_or("item")?.parse()?);
            relevant.entry(u).or_default().push(i);
        }
        let mut rows = Vec::new();
        // Each method's NDCG@10 per test user, users in one fixed order, for the paired bootstrap.
        let mut users: Vec<u32> = relevant.keys().copied().collect();
        users.sort_unstable();
        let mut per_user: HashMap<String, Vec<f64>> = HashMap::new();
        let mut names: Vec<String> = fs::read_dir(&work)?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("recs_") && n.ends_with(".tsv"))
            .collect();
        names.sort();
        for name in names {
            let mut recs: HashMap<u32, Vec<u32>> = HashMap::new();
            for l in fs::read_to_string(work.join(&name))?.lines() {
                let (u, items) = l.split_once('\t').unwrap_or((l, ""));
                let items: Vec<u32> =
                    items.split(',').filter(|s| !s.is_empty()).map(str::parse).collect::<Result<_, _>>()?;
                recs.insert(u.parse()?, items);
            }
            let empty = Vec::new();
            let lists: Vec<RankedList<'_>> = relevant
                .iter()
                .map(|(u, rel)| RankedList { recommended: recs.get(u).unwrap_or(&empty), relevant: rel })
                .collect();
            let m = evaluate(&lists, n_items);
            let method = name.trim_start_matches("recs_").trim_end_matches(".tsv").to_string();
            let scores = users
                .iter()
                .map(|u| {
                    ndcg_at(&RankedList { recommended: recs.get(u).unwrap_or(&empty), relevant: &relevant[u] }, 10)
                })
                .collect();
            per_user.insert(method.clone(), scores);
            let time: f64 = fs::read_to_string(work.join(format!("time_{method}.txt")))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(f64::NAN);
            rows.push((method, m, time));
        }
        let set = work.file_name().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let up = rows
            .iter()
            .find(|r| r.0 == "seer_user_personalization")
            .map(|r| r.1.normalized_discounted_cumulative_gain_at_10);
        let seed =
            fs::read_to_string(work.join("seed.txt")).map_or(String::new(), |s| format!(", split seed {}", s.trim()));
        println!("\n### {set}{seed} ({} test users)\n", relevant.len());
        println!("| method | NDCG@10 | precision@10 | MRR@25 | coverage | train s | UP NDCG@10 ÷ this |");
        println!("|---|---:|---:|---:|---:|---:|---:|");
        let best_anchor = rows.iter().filter(|r| r.0.starts_with("anchor_")).max_by(|a, b| {
            a.1.normalized_discounted_cumulative_gain_at_10.total_cmp(&b.1.normalized_discounted_cumulative_gain_at_10)
        });
        let best_als = rows.iter().filter(|r| r.0.starts_with("anchor_als_")).max_by(|a, b| {
            a.1.normalized_discounted_cumulative_gain_at_10.total_cmp(&b.1.normalized_discounted_cumulative_gain_at_10)
        });
        let pop = rows.iter().find(|r| r.0 == "anchor_popularity");
        let up_row = rows.iter().find(|r| r.0 == "seer_user_personalization");
        for (method, m, t) in &rows {
            let ratio = up.map_or("–".to_string(), |u| {
                let d = m.normalized_discounted_cumulative_gain_at_10;
                if d > 0.0 { format!("{:.2}", u / d) } else { "∞".into() }
            });
            println!(
                "| {method} | {:.4} | {:.4} | {:.4} | {:.4} | {:.1} | {ratio} |",
                m.normalized_discounted_cumulative_gain_at_10,
                m.precision_at_10,
                m.mean_reciprocal_rank_at_25,
                m.coverage,
                t
            );
        }
        if let (Some(up), Some(best), Some(pop)) = (up_row, best_anchor, pop) {
            let u = up.1.normalized_discounted_cumulative_gain_at_10;
            let b = best.1.normalized_discounted_cumulative_gain_at_10;
            let p = pop.1.normalized_discounted_cumulative_gain_at_10;
            println!(
                "\nUSER_PERSONALIZATION NDCG@10 {u:.4}: {:.3}× the strongest anchor ({}, {b:.4}; target ≥ 1.05), {:.2}× popularity ({p:.4}; target ≥ 2)",
                u / b,
                best.0,
                u / p
            );
            let anchors: Vec<&Vec<f64>> =
                rows.iter().filter(|r| r.0.starts_with("anchor_")).filter_map(|r| per_user.get(&r.0)).collect();
            if let (Some(up), Some(best)) = (per_user.get(&up.0), per_user.get(&best.0)) {
                let each: Vec<Vec<usize>> = (0..users.len()).map(|i| vec![i]).collect();
                print_bootstrap(up, best, &anchors, &each, "test users");
            }
        }
        let train_ratio = up_row.zip(best_als).map(|(up, als)| up.2 / als.2);
        let up_ratio = up_row.zip(best_anchor).map(|(up, best)| {
            up.1.normalized_discounted_cumulative_gain_at_10 / best.1.normalized_discounted_cumulative_gain_at_10
        });
        if let (Some(up), Some(als)) = (up_row, best_als) {
            println!(
                "Training: USER_PERSONALIZATION {:.1} s, implicit ALS best grid point ({}) {:.1} s: ratio {:.2} (target ≤ 2)",
                up.2,
                als.0,
                als.2,
                up.2 / als.2
            );
        }
        splits.push(Split { set, users, per_user, up_ratio, train_ratio });
    }
    let mut sets: Vec<&str> = splits.iter().map(|s| s.set.as_str()).collect();
    sets.sort_unstable();
    sets.dedup();
    for set in sets {
        let of_set: Vec<&Split> = splits.iter().filter(|s| s.set == set).collect();
        if of_set.len() > 1 {
            print_pooled(set, &of_set);
        }
    }
    Ok(())
}

/// One work directory's scores: its test users (ascending) and each method's NDCG@10 for them.
struct Split {
    set: String,
    users: Vec<u32>,
    per_user: HashMap<String, Vec<f64>>,
    /// USER_PERSONALIZATION's NDCG@10 over this split's strongest anchor's.
    up_ratio: Option<f64>,
    /// USER_PERSONALIZATION's training time over the best ALS anchor's.
    train_ratio: Option<f64>,
}

/// A set run on several splits (`SEER_BENCH_SEEDS`): every method's NDCG@10 over the test users
/// of all of them, the strongest anchor being the one configuration with the best pooled score
/// (as a user tunes implicit once for a data set, not once per split), and the paired bootstrap
/// over all those users. One split of a small set (188 test users on lastfm) cannot resolve 5%.
/// A user drawn into several splits' test sets is one draw of the bootstrap (their held-out
/// events are the same newest tenth each time).
fn print_pooled(set: &str, splits: &[&Split]) {
    let mut methods: Vec<&String> =
        splits[0].per_user.keys().filter(|m| splits.iter().all(|s| s.per_user.contains_key(*m))).collect();
    methods.sort();
    let pooled: Vec<(&String, Vec<f64>)> =
        methods.iter().map(|m| (*m, splits.iter().flat_map(|s| s.per_user[*m].iter().copied()).collect())).collect();
    let mut of_user: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, u) in splits.iter().flat_map(|s| &s.users).enumerate() {
        of_user.entry(*u).or_default().push(i);
    }
    let mut clusters: Vec<Vec<usize>> = of_user.into_values().collect();
    clusters.sort_unstable();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let find = |name: &str| pooled.iter().find(|p| p.0 == name);
    let Some(up) = find("seer_user_personalization") else { return };
    let anchors: Vec<&(&String, Vec<f64>)> = pooled.iter().filter(|p| p.0.starts_with("anchor_")).collect();
    let Some(best) = anchors.iter().max_by(|a, b| mean(&a.1).total_cmp(&mean(&b.1))) else { return };
    let (u, b) = (mean(&up.1), mean(&best.1));
    println!("\n### {set}, pooled over {} splits ({} test users)\n", splits.len(), up.1.len());
    let per_split: Vec<String> = splits.iter().map(|s| s.up_ratio.map_or("–".into(), |r| format!("{r:.3}"))).collect();
    println!(
        "USER_PERSONALIZATION NDCG@10 {u:.4}: {:.3}× the strongest anchor ({}, {b:.4}; target ≥ 1.05); per split, against that split's strongest anchor: {}",
        u / b,
        best.0,
        per_split.join(", ")
    );
    if let Some(pop) = find("anchor_popularity") {
        println!("{:.2}× popularity ({:.4}; target ≥ 2)", u / mean(&pop.1), mean(&pop.1));
    }
    let anchor_scores: Vec<&Vec<f64>> = anchors.iter().map(|a| &a.1).collect();
    print_bootstrap(&up.1, &best.1, &anchor_scores, &clusters, "distinct test users of these splits");
    let ratios: Vec<String> = splits.iter().map(|s| s.train_ratio.map_or("–".into(), |r| format!("{r:.2}"))).collect();
    println!(
        "Training time over the best ALS grid point's, per split (target ≤ 2; wall clock, both in the same run of that split): {}",
        ratios.join(", ")
    );
}
