//! What the approximate candidate index loses against exact scoring, and what it saves, on a
//! trained USER_PERSONALIZATION version: every training user's top 10 with the index against
//! their top 10 with every item scored, one thread, no HTTP (bench/server runs it).
//!
//! `cargo run --release -p seer-models --example ann_recall -- <version folder> [ef ...]`
//!
//! The folder is a Solution version as seer-trainer writes it (`model.json`,
//! `tensors.safetensors`). Prints a markdown table.

use std::time::Instant;

use seer_models::recommend::{AnnParams, RecipeModel, TrainedModel, personalization::RequestOptions};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let folder = args.next().ok_or("usage: ann_recall <version folder> [ef ...]")?;
    let mut efs: Vec<usize> =
        args.map(|a| a.parse().map_err(|e| format!("ef {a:?}: {e}"))).collect::<Result<_, _>>()?;
    if efs.is_empty() {
        efs = vec![AnnParams::default().ef_search];
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
        "Recall of the approximate candidates (HNSW over the item factors, `instant-distance`) against exact \
         scoring, over all {users} users of the version ({} items), server defaults (25 → top 10 compared, \
         exploration 0.3); one thread, no HTTP.\n",
        trained.items().len()
    );
    println!(
        "| ef (search) | index build s | recall@10 of the recommendations | collaborative recall@10 | \
         collaborative recall@200 | exact µs mean / p99 | with index µs mean / p99 |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let exact_options = RequestOptions { exact: true, ..RequestOptions::default() };
    let ann_options = RequestOptions::default();
    for ef in efs {
        let started = Instant::now();
        let mut params = AnnParams { min_items: 0, ef_search: ef, ..AnnParams::default() };
        if let Some(c) = std::env::var("SEER_ANN_EF_CONSTRUCTION").ok().and_then(|v| v.parse().ok()) {
            params.ef_construction = c;
        }
        trained.index_items(&params);
        let build = started.elapsed().as_secs_f64();
        let RecipeModel::UserPersonalization(m) = trained.model() else {
            return Err("not a USER_PERSONALIZATION model".into());
        };
        let (mut hits, mut total) = (0usize, 0usize);
        let (mut cf10, mut cf_total10, mut cf200, mut cf_total200) = (0usize, 0usize, 0usize, 0usize);
        let (mut exact_us, mut ann_us) = (Vec::new(), Vec::new());
        for u in 0..users {
            let history = trained.histories().user(u);
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
            "| {ef} | {build:.1} | **{:.4}** | {:.4} | {:.4} | {} | {} |",
            hits as f64 / total.max(1) as f64,
            cf10 as f64 / cf_total10.max(1) as f64,
            cf200 as f64 / cf_total200.max(1) as f64,
            stats(&mut exact_us),
            stats(&mut ann_us)
        );
    }
    Ok(())
}
