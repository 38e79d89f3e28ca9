//! What the approximate candidate index loses against exact scoring, and what it saves, on a
//! trained USER_PERSONALIZATION version: every training user's top 10 with the index against
//! their top 10 with every item scored, one thread, no HTTP (bench/server runs it).
//!
//! `cargo run --release -p seer-models --example ann_recall -- <version folder> [probes ...]`
//!
//! The served side is what the server computes: the index plus what it prepares at load
//! (`ServingParams`; override with `SEER_SERVE_HISTORY_NEIGHBORS`, `SEER_SERVE_KNN_NEIGHBORS`,
//! `SEER_SERVE_EASE_USER_ITEMS`, `SEER_SERVE_HISTORY_ITEMS`, `SEER_SERVE_KNN_USER_ITEMS`,
//! `SEER_SERVE_SIGNAL_CANDIDATES`, `SEER_SERVE_OWN_CANDIDATES`, `SEER_SERVE_MIN_RECALL`; `SEER_ANN_LISTS` sets the index's lists). `SEER_ANN_SERVED_ONLY=1` skips the comparison and prints the
//! CPU time per served request instead (every user, `SEER_ANN_REPEAT` times), which a loaded
//! machine does not inflate as it does wall time.
//!
//! The folder is a Solution version as seer-trainer writes it (`model.json`,
//! `tensors.safetensors`). Prints a markdown table.

use std::time::Instant;

use seer_models::recommend::{AnnParams, RecipeModel, ServingParams, TrainedModel, personalization::RequestOptions};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let folder = args.next().ok_or("usage: ann_recall <version folder> [probes ...]")?;
    let mut probes: Vec<usize> =
        args.map(|a| a.parse().map_err(|e| format!("probes {a:?}: {e}"))).collect::<Result<_, _>>()?;
    if probes.is_empty() {
        probes = vec![AnnParams::default().probes];
    }
    let read = |name: &str| std::fs::read(format!("{folder}/{name}")).map_err(|e| format!("{folder}/{name}: {e}"));
    let files = vec![("model.json", read("model.json")?), ("tensors.safetensors", read("tensors.safetensors")?)];
    let mut trained = TrainedModel::load(&files).map_err(|e| e.to_string())?;
    let users = std::env::var("SEER_ANN_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX)
        .min(trained.users().len()) as u32;
    println!(
        "Recall of the approximate candidates (IVF lists of the item factors) against exact \
         scoring, over all {users} users of the version ({} items), server defaults (25 → top 10 compared, \
         exploration 0.3); one thread, no HTTP.\n",
        trained.items().len()
    );
    println!(
        "| probes (lists searched) | index at load s | recall@10 of the recommendations | collaborative recall@10 | \
         collaborative recall@200 | exact µs mean / p99 | with index µs mean / p99 | signals skipped in serving |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    let exact_options = RequestOptions { exact: true, ..RequestOptions::default() };
    // What the server computes at load (after the index, as the server does): the trained users'
    // folded-in factors and the signals it skips; the exact reference uses neither.
    let mut serving = ServingParams::default();
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<usize>().ok());
    let overrides = [
        ("SEER_SERVE_HISTORY_NEIGHBORS", &mut serving.history_neighbors),
        ("SEER_SERVE_KNN_NEIGHBORS", &mut serving.knn_neighbors),
        ("SEER_SERVE_EASE_USER_ITEMS", &mut serving.ease_user_items),
        ("SEER_SERVE_HISTORY_ITEMS", &mut serving.history_items),
        ("SEER_SERVE_KNN_USER_ITEMS", &mut serving.knn_user_items),
        ("SEER_SERVE_OWN_CANDIDATES", &mut serving.own_candidates),
        ("SEER_SERVE_SIGNAL_CANDIDATES", &mut serving.signal_candidates),
    ];
    for (name, field) in overrides {
        if let Some(n) = env(name) {
            *field = n;
        }
    }
    if let Some(r) = std::env::var("SEER_SERVE_MIN_RECALL").ok().and_then(|v| v.parse().ok()) {
        serving.min_recall = r;
    }
    eprintln!("serving parameters {serving:?}");
    // SEER_ANN_SERVED_ONLY=1: only the served path, every user once (for profiling).
    let served_only = std::env::var("SEER_ANN_SERVED_ONLY").is_ok_and(|v| v == "1");
    for probe in probes {
        let started = Instant::now();
        let mut params = AnnParams { min_items: 0, probes: probe, ..AnnParams::default() };
        if let Some(c) = std::env::var("SEER_ANN_LISTS").ok().and_then(|v| v.parse().ok()) {
            params.lists = c;
        }
        // A version whose trainer saved the index keeps it (about 0 s here); older versions, or
        // SEER_ANN_LISTS with another number of lists, build it as the server would.
        trained.index_items(&params);
        let build = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let prepared = trained.prepare_serving(&serving);
        let RecipeModel::UserPersonalization(m) = trained.model() else {
            return Err("not a USER_PERSONALIZATION model".into());
        };
        let skipped = m.skipped_signals();
        eprintln!(
            "prepared {prepared} users for serving in {:.1} s; served requests skip {skipped:?}",
            started.elapsed().as_secs_f64()
        );
        let (mut hits, mut total) = (0usize, 0usize);
        let (mut cf10, mut cf_total10, mut cf200, mut cf_total200) = (0usize, 0usize, 0usize, 0usize);
        let (mut exact_us, mut ann_us) = (Vec::new(), Vec::new());
        if served_only {
            // CPU time of this (single-threaded) loop: on a loaded machine wall time per call
            // counts the waits for a core too.
            // SEER_ANN_EXPLORATION=w: another exploration weight than the model's.
            let exploration_weight = std::env::var("SEER_ANN_EXPLORATION").ok().and_then(|v| v.parse().ok());
            let repeat: u32 = std::env::var("SEER_ANN_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
            let cpu = cpu_seconds();
            for _ in 0..repeat {
                for u in 0..users {
                    let history = trained.histories().user(u);
                    let options =
                        RequestOptions { trained_user: Some(u), exploration_weight, ..RequestOptions::default() };
                    m.recommend(history, 25, &options, |_| true).map_err(|e| e.to_string())?;
                }
            }
            let per = (cpu_seconds() - cpu) / f64::from(repeat.max(1) * users.max(1)) * 1e6;
            // The same index without the serving state (what a request cost before it): every
            // neighbour, the fold-in, EASE over 200 items.
            let mut plain = m.clone();
            plain.clear_serving();
            let cpu = cpu_seconds();
            for u in 0..users {
                let history = trained.histories().user(u);
                plain.recommend(history, 25, &RequestOptions::default(), |_| true).map_err(|e| e.to_string())?;
            }
            let before = (cpu_seconds() - cpu) / f64::from(users.max(1)) * 1e6;
            println!(
                "served path, {probe} probes: {per:.0} µs of CPU per request (mean over {users} users x {repeat}); \
                 without the serving state {before:.0} µs"
            );
            continue;
        }
        for u in 0..users {
            let history = trained.histories().user(u);
            // As the server asks for a trained user without live events.
            let ann_options = RequestOptions { trained_user: Some(u), ..RequestOptions::default() };
            let t = Instant::now();
            let exact = m.recommend(history, 25, &exact_options, |_| true).map_err(|e| e.to_string())?;
            exact_us.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let approx = m.recommend(history, 25, &ann_options, |_| true).map_err(|e| e.to_string())?;
            ann_us.push(t.elapsed().as_secs_f64() * 1e6);
            let top: Vec<u32> = exact.iter().take(10).map(|s| s.0).collect();
            total += top.len();
            hits += approx.iter().take(10).filter(|s| top.contains(&s.0)).count();
            let (e, a) = m.collaborative_candidates(history).map_err(|e| e.to_string())?;
            let a = a.unwrap_or_default();
            cf10 += e.iter().take(10).filter(|i| a.iter().take(10).any(|j| j == *i)).count();
            cf_total10 += e.len().min(10);
            cf200 += e.iter().filter(|i| a.contains(i)).count();
            cf_total200 += e.len();
        }
        let stats = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            let p99 = v.get((v.len().saturating_sub(1)) * 99 / 100).copied().unwrap_or(0.0);
            format!("{mean:.0} / {p99:.0}")
        };
        println!(
            "| {probe} | {build:.1} | **{:.4}** | {:.4} | {:.4} | {} | {} | {} |",
            hits as f64 / total.max(1) as f64,
            cf10 as f64 / cf_total10.max(1) as f64,
            cf200 as f64 / cf_total200.max(1) as f64,
            stats(&mut exact_us),
            stats(&mut ann_us),
            if skipped.is_empty() { "none".to_string() } else { skipped.join(", ") }
        );
    }
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (in parentheses, may hold spaces): utime and stime are the
    // 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
