//! The scorer against a published number: seasonal naive on M4 hourly (m = 24) has MASE
//! 1.193 in the M4 paper. Reads the shared dataset at run time (it is never copied into the
//! repository); skipped with a message when the data are not on this machine.

use std::io::Read;
use std::path::PathBuf;

use seer_models::forecast::metrics::{MetricAccumulator, mase_scale};
use seer_models::forecast::{Algorithm, ForecastSpec};

fn data_dir() -> PathBuf {
    std::env::var_os("SEER_FORECAST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/forecast"))
}

fn read(path: PathBuf) -> Vec<Vec<f64>> {
    let mut text = String::new();
    let file = std::fs::File::open(&path).expect("open");
    flate2::read::GzDecoder::new(file).read_to_string(&mut text).expect("gunzip");
    let mut out: Vec<Vec<f64>> = Vec::new();
    let mut last = String::new();
    for line in text.lines().skip(1) {
        let mut parts = line.rsplitn(3, ',');
        let v: f64 = parts.next().expect("value").parse().expect("number");
        let _ = parts.next();
        let id = parts.next().expect("id");
        if id != last {
            last = id.to_string();
            out.push(Vec::new());
        }
        out.last_mut().expect("item").push(v);
    }
    out
}

#[test]
fn seasonal_naive_mase_matches_m4_paper() {
    let dir = data_dir().join("m4_hourly");
    if !dir.join("test.csv.gz").exists() {
        eprintln!("skipped: no M4 hourly data at {}", dir.display());
        return;
    }
    let train = read(dir.join("target_time_series.csv.gz"));
    let test = read(dir.join("test.csv.gz"));
    assert_eq!(train.len(), 414);
    let spec = ForecastSpec { horizon: 48, season: 24, quantiles: vec![0.1, 0.5, 0.9], long_season: None };
    let mut acc = MetricAccumulator::new(&spec.quantiles);
    for (y, actual) in train.iter().zip(&test) {
        let f = Algorithm::SeasonalNaive.forecast(y, &spec).expect("forecast");
        acc.add(&f, actual, None, mase_scale(y, 24)).expect("score");
    }
    let mase = acc.mase().expect("mase");
    assert!((mase - 1.193).abs() < 0.0005, "MASE {mase}");
}
