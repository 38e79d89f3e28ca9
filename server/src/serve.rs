//! Start to finish: listen, load the model, serve until a stop signal, drain, return.

use std::sync::Arc;

use tokio::{net::TcpListener, sync::Notify};

use seer_storage::{ObjectStore, S3Settings, events::event_log_uri};

use crate::{
    app,
    aws::AwsSettings,
    config::Args,
    event_log::EventLog,
    follow,
    live::{LiveHistory, LiveStore},
    live_redis::RedisHistory,
    metrics::Metrics,
    model, shutdown,
    state::Shared,
};

/// Runs the server. It listens before the model is loaded (so `/healthz` answers and
/// `/readyz` says 503 while a large model loads) and returns after a graceful stop; an error
/// is a sentence for the operator (bad flags, unreadable artifact, port taken).
pub async fn run(args: Args) -> Result<(), String> {
    let api_key = args.api_key()?;
    if args.follow_latest && model::location::parse_model_uri(&args.model)?.1.is_some() {
        return Err(format!(
            "--follow-latest follows the resource's `latest`: give its folder, not a version ({})",
            args.model
        ));
    }
    let metrics = Metrics::new().map_err(|e| format!("metrics: {e}"))?;
    let live = live_store(&args, &metrics)?;
    let aws = AwsSettings { keys: args.aws_keys()?, campaign: args.campaign_name.clone().filter(|c| !c.is_empty()) };
    eprintln!("seer-server: {}", aws_routes_line(&aws, api_key.is_some()));
    let state = Arc::new(Shared::new(live, metrics, api_key).with_aws(aws));
    let listener =
        TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| format!("listener address: {e}"))?;
    // Tests and scripts read this line to find the port when given `:0`.
    println!("seer-server listening on http://{addr}");

    let draining = Arc::new(Notify::new());
    let stop = {
        let (state, draining, delay) = (state.clone(), draining.clone(), args.shutdown_delay);
        async move {
            shutdown::stop_after_signal(state, delay).await;
            draining.notify_one();
        }
    };
    let app = app::router(state.clone(), args.max_body);
    let mut server = tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stop).await });

    let options = args.load_options();
    let loaded = tokio::select! {
        loaded = model::load_with(&args.model, &args.filters, &options) => loaded,
        finished = &mut server => return Err(format!("the server stopped before the model was loaded: {finished:?}")),
    };
    let model = loaded.map_err(|e| format!("cannot load the model: {e}"))?;
    eprintln!(
        "seer-server: serving {} version {} ({}, {})",
        model.resource(),
        model.version(),
        model.manifest.algorithm,
        match &model.body {
            model::ModelBody::Forecast(f) => format!("{} items forecast", f.len()),
            model::ModelBody::Recommend(r) => format!("{} items", r.n_items()),
        }
    );
    // The event log is in place before the model is: once `/readyz` says ready, every event
    // taken in is logged.
    if args.log_events {
        let m = &model.manifest;
        if m.kind != seer_api::artifact::ArtifactKind::Solution {
            return Err("--log-events applies to Solutions; this is a Predictor".into());
        }
        let (location, _) = model::location::parse_model_uri(&args.model)?;
        let store = ObjectStore::connect(&S3Settings::from_env()).await;
        let log_uri = event_log_uri(&location.root, &m.namespace, &m.name);
        let log = Arc::new(EventLog::new(store, log_uri, args.event_log_batch));
        let _ = state.event_log.set(log.clone());
        let interval = args.event_log_interval;
        tokio::spawn(async move { log.run(interval).await });
    }
    state.metrics.serving(&model);
    state.model.store(model);
    if args.follow_latest {
        tokio::spawn(follow::follow_latest(
            state.clone(),
            args.model.clone(),
            args.filters.clone(),
            options,
            args.poll_interval,
        ));
    }

    let drain_timeout = args.drain_timeout;
    let outcome = tokio::select! {
        finished = &mut server => match finished {
            Ok(Ok(())) => {
                eprintln!("seer-server: stopped");
                Ok(())
            }
            Ok(Err(e)) => Err(format!("serving failed: {e}")),
            Err(e) => Err(format!("the server task failed: {e}")),
        },
        () = async {
            draining.notified().await;
            tokio::time::sleep(drain_timeout).await;
        } => {
            eprintln!("seer-server: requests still in flight after {drain_timeout:?}; exiting");
            Ok(())
        }
    };
    // Whatever events are still buffered are written before the process ends.
    if let Some(log) = state.event_log.get() {
        match log.flush().await {
            Ok(n) if n > 0 => eprintln!("seer-server: event log: wrote the last {n} events"),
            Ok(_) => {}
            Err(e) => eprintln!("seer-server: event log: {e}; {} events not written", log.pending_len()),
        }
    }
    outcome
}

/// In memory, or in Redis with `--redis-url` (keys under the Solution that `--model` names, so
/// every replica of it, whatever version it serves, shares them). Redis being down at start is
/// no reason not to serve: the probe logs it and keeps trying.
fn live_store(args: &Args, metrics: &Metrics) -> Result<LiveStore, String> {
    let memory = || LiveStore::Memory(LiveHistory::new(args.live_events_per_user, args.live_users));
    let Some(url) = &args.redis_url else { return Ok(memory()) };
    let (location, _) = model::location::parse_model_uri(&args.model)?;
    if location.kind != seer_api::artifact::ArtifactKind::Solution {
        eprintln!("seer-server: --redis-url / SEER_REDIS_URL ignored: a Predictor takes no events");
        return Ok(memory());
    }
    let redis = RedisHistory::new(
        &url.0,
        &location.namespace,
        &location.name,
        args.live_events_per_user,
        args.live_events_ttl,
        args.redis_timeout,
        metrics.live_store(),
    )?;
    eprintln!(
        "seer-server: live history in Redis at {} (keys {}*, {} events per user, expiring after {:?})",
        redis.server(),
        crate::live_redis::key_prefix(&location.namespace, &location.name),
        args.live_events_per_user.max(1),
        args.live_events_ttl
    );
    redis.spawn_probe();
    Ok(LiveStore::Redis(redis))
}

/// What the startup log says about the AWS-style routes' authentication.
fn aws_routes_line(aws: &AwsSettings, api_key: bool) -> String {
    let routes = "AWS-style routes (Personalize Runtime and Events, Forecast Query)";
    let auth = match (&aws.keys, api_key) {
        (Some(keys), _) => format!("require Signature Version 4 with one of {} access key(s)", keys.len()),
        (None, true) => "accept unsigned and signed requests alike (no AWS access keys configured) but require \
                         the API key (x-api-key)"
            .to_string(),
        (None, false) => "accept unsigned and signed requests alike: no AWS access keys configured \
                          (--aws-keys-file, or SEER_AWS_ACCESS_KEY_ID and SEER_AWS_SECRET_ACCESS_KEY)"
            .to_string(),
    };
    let campaign = match &aws.campaign {
        Some(c) => format!("; campaign and forecast ARNs must name {c:?}"),
        None => "; any campaign or forecast ARN is answered (no --campaign-name)".to_string(),
    };
    format!("{routes} {auth}{campaign}")
}
