//! Times `POST /v1/recommendations`' scoring without HTTP, one thread, over every user of a
//! Solution version: `cargo run --release -p seer-server --example recommend_scoring -- <model-uri> [seconds]`.

use std::{collections::BTreeMap, time::Instant};

use seer_server::model::{FilterRequest, load};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let uri = args.next().ok_or("usage: recommend_scoring <model-uri> [seconds]")?;
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse().map_err(|e| format!("seconds: {e}")))?;
    let started = Instant::now();
    let model = load(&uri, &[]).await?;
    println!("loaded in {:.2} s", started.elapsed().as_secs_f64());
    let recommender = model.recommender().map_err(|e| format!("{e:?}"))?;
    let users: Vec<String> = recommender.user_ids().map(str::to_string).collect();
    let values = BTreeMap::new();
    let filter = FilterRequest { name: None, values: &values };
    let mut times = Vec::new();
    let deadline = Instant::now();
    'outer: loop {
        for user in &users {
            let t = Instant::now();
            let out = recommender.recommend(Some(user), None, 25, &[], &filter).map_err(|e| format!("{e:?}"))?;
            times.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(out);
            if deadline.elapsed().as_secs_f64() > seconds {
                break 'outer;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "{} requests, mean {:.0} µs, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        times.len(),
        times.iter().sum::<f64>() / times.len() as f64,
        q(0.5),
        q(0.99),
        q(1.0)
    );
    Ok(())
}
