//! SIGTERM (or Ctrl-C): fail `/readyz`, keep serving for the delay so the pod leaves the
//! Service's endpoints first, then let the server drain.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use crate::state::AppState;

/// Resolves when the server should stop accepting connections: after a stop signal and
/// `delay` of serving with `/readyz` failing.
pub async fn stop_after_signal(state: AppState, delay: Duration) {
    let name = wait_for_signal().await;
    state.start_stopping();
    eprintln!("seer-server: {name}: /readyz now fails; serving {delay:?} more, then draining");
    tokio::time::sleep(delay).await;
    eprintln!("seer-server: draining requests in flight");
}

async fn wait_for_signal() -> &'static str {
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        },
        Err(e) => {
            eprintln!("seer-server: cannot listen for SIGTERM ({e}); stopping on SIGINT only");
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
