use seer_models::forecast::{Algorithm, ForecastSpec};
fn read(p: &str) -> Vec<f64> {
    let out = std::process::Command::new("zcat").arg(p).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect()
}
fn main() {
    let d = "/work/shared/data/forecast/bike_sharing";
    let y = read(&format!("{d}/target_time_series.csv.gz"));
    let t = read(&format!("{d}/test.csv.gz"));
    let m = 24;
    let scale: f64 = (m..y.len()).map(|i| (y[i] - y[i - m]).abs()).sum::<f64>() / (y.len() - m) as f64;
    for season in [24usize, 168] {
        for alg in [Algorithm::Ets, Algorithm::SeasonalNaive] {
            let spec = ForecastSpec { horizon: 168, season, quantiles: vec![0.1, 0.5, 0.9] };
            let s = std::time::Instant::now();
            let f = alg.forecast(&y, &spec).unwrap();
            let mae: f64 = (0..168).map(|h| (f.quantiles[1][h] - t[h]).abs()).sum::<f64>() / 168.0;
            let mean: f64 = f.mean.iter().sum::<f64>() / 168.0;
            println!(
                "{alg:?} season {season}: MASE {:.4} mean fc {mean:.1} ({:.1}s)",
                mae / scale,
                s.elapsed().as_secs_f64()
            );
        }
    }
}
