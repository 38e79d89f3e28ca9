//! `seer-operator`: the controller binary. The reconcilers live in the library
//! (`seer_operator`); this file parses flags, checks the CRDs, campaigns for the Lease and
//! runs the controllers while it leads, until SIGTERM.

use std::{
    process::ExitCode,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use clap::Parser;
use seer_operator::{config::OperatorConfig, context::Context, controller, http, leader, metrics::Metrics};

#[derive(Parser)]
#[command(
    name = "seer-operator",
    version,
    about = "Seer's Kubernetes operator: DatasetGroup, Predictor, Solution, Campaign"
)]
struct Cli {
    #[command(flatten)]
    config: OperatorConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("seer-operator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("seer-operator: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut config: OperatorConfig) -> Result<(), String> {
    let client = kube::Client::try_default().await.map_err(|e| format!("cannot reach the Kubernetes API: {e}"))?;
    controller::check_crds(&client).await?;
    let metrics = Metrics::new().map_err(|e| format!("cannot register metrics: {e}"))?;
    let identity = config.identity.clone().unwrap_or_else(|| {
        std::env::var("HOSTNAME").unwrap_or_else(|_| format!("seer-operator-{}", std::process::id()))
    });
    config.identity = Some(identity.clone());

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = stop_tx.send(true);
    });
    let stopped = {
        let rx = stop_rx.clone();
        move || {
            let mut rx = rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        }
    };

    let ready = Arc::new(AtomicBool::new(true));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    println!(
        "seer-operator {} ({identity}) serving metrics on http://{}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let http_task = tokio::spawn(http::serve(listener, metrics.clone(), ready.clone(), stopped()));

    let ctx = Context::new(client.clone(), config.clone(), metrics.clone());
    if config.no_leader_election {
        println!("seer-operator: leader election off; reconciling");
        metrics.leader.with_label_values(&[&identity]).set(1);
        controller::run(ctx, shared(stopped())).await;
    } else {
        // A standby reports 0 (not nothing), so alerts can count the replicas that lead.
        metrics.leader.with_label_values(&[&identity]).set(0);
        let (mut leading, _election) =
            leader::campaign(client, &config.lease_namespace, &config.lease_name, &identity, config.lease_seconds)
                .await?;
        println!("seer-operator: waiting for Lease {}/{}", config.lease_namespace, config.lease_name);
        tokio::select! {
            is_leader = leader::until_leading(&mut leading) => {
                if !is_leader {
                    return Err("leader election ended before this replica led".into());
                }
            }
            () = stopped() => {
                ready.store(false, Ordering::Relaxed);
                let _ = http_task.await;
                return Ok(());
            }
        }
        println!("seer-operator: leading as {identity}; reconciling");
        metrics.leader.with_label_values(&[&identity]).set(1);
        let lost = leader::until_lost(leading.clone());
        let stop = stopped();
        let trigger = async move {
            tokio::select! {
                () = lost => eprintln!("seer-operator: lost the Lease; stopping so a fresh start campaigns again"),
                () = stop => {}
            }
        };
        controller::run(ctx, shared(trigger)).await;
        metrics.leader.with_label_values(&[&identity]).set(0);
        if !*stop_rx.borrow() {
            return Err("leadership lost".into());
        }
    }
    ready.store(false, Ordering::Relaxed);
    let _ = http_task.await;
    println!("seer-operator: stopped");
    Ok(())
}

/// A future several controllers can wait on (kube's graceful shutdown takes a Clone future).
type Shared = futures::future::Shared<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>>>;

fn shared(f: impl std::future::Future<Output = ()> + Send + Sync + 'static) -> Shared {
    use futures::FutureExt;
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>> = Box::pin(f);
    boxed.shared()
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
