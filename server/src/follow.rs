//! `--follow-latest`: a standalone server watches its resource's `latest` pointer and, when it
//! names a new version, loads and checks that version beside the one serving, then switches
//! atomically. Requests in flight finish on the model they started with; the next ones get the
//! new one, and every answer names the version that gave it. A version that fails to load is
//! logged and skipped: the old one keeps serving. (In a cluster the operator rolls Campaigns
//! by Deployment instead.)

use std::{sync::Arc, time::Duration};

use seer_storage::{ObjectStore, S3Settings, artifacts};

use crate::{
    model::{self, LoadOptions, location::parse_model_uri},
    state::Shared,
};

/// Polls `latest` under `resource_uri` every `interval`, forever (the task ends with the server).
pub async fn follow_latest(
    state: Arc<Shared>,
    resource_uri: String,
    filters: Vec<(String, String)>,
    options: LoadOptions,
    interval: Duration,
) {
    let location = match parse_model_uri(&resource_uri) {
        Ok((location, None)) => location,
        Ok((_, Some(_))) | Err(_) => {
            eprintln!("seer-server: --follow-latest needs the resource folder, not {resource_uri}");
            return;
        }
    };
    let store = ObjectStore::connect(&S3Settings::from_env()).await;
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failed: Option<String> = None;
    loop {
        ticks.tick().await;
        let latest = match artifacts::latest_version(&store, &location).await {
            Ok(Some(v)) => v,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("seer-server: cannot read {}: {e}", location.latest_uri());
                continue;
            }
        };
        let serving = state.model.current().map(|m| m.version().to_string());
        if serving.as_deref() == Some(latest.as_str()) || failed.as_deref() == Some(latest.as_str()) {
            continue;
        }
        let uri = location.version_uri(&latest).to_string();
        match model::load_with(&uri, &filters, &options).await {
            Ok(next) => {
                eprintln!(
                    "seer-server: switching from {} to version {}",
                    serving.as_deref().unwrap_or("nothing"),
                    next.version()
                );
                state.metrics.serving(&next);
                state.model.store(next);
                failed = None;
            }
            Err(e) => {
                // Logged once per version; the one serving stays.
                eprintln!("seer-server: version {latest} not loaded, keeping {serving:?}: {e}");
                failed = Some(latest);
            }
        }
    }
}
