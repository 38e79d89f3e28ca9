//! `seer-server`: the inference server a Campaign runs. It loads an artifact written by
//! `seer-trainer` and serves forecasts, recommendations, ranking, similar items and events
//! over HTTP (native routes and the AWS runtime APIs).
//!
//! Depends on `seer-api`, `seer-models` and `seer-storage`. It must never link Kubernetes
//! crates: `seer-api` is used without its `kube` feature.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("seer-server {}: serving is not built yet (see issue 6)", env!("CARGO_PKG_VERSION"));
    ExitCode::from(2)
}
