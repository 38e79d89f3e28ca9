//! The operator's Prometheus metrics, served on `/metrics`.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// Counters and histograms every controller updates.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    /// `seer_operator_reconciles_total{kind}`.
    pub reconciles: IntCounterVec,
    /// `seer_operator_reconcile_errors_total{kind,reason}`.
    pub errors: IntCounterVec,
    /// `seer_operator_reconcile_duration_seconds{kind}`.
    pub duration: HistogramVec,
    /// `seer_operator_versions_total{kind,result}`: versions started and finished.
    pub versions: IntCounterVec,
    /// `seer_operator_leader{identity}`: 1 on the replica that leads.
    pub leader: IntGaugeVec,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let reconciles =
            IntCounterVec::new(Opts::new("seer_operator_reconciles_total", "Reconciles run, by kind"), &["kind"])?;
        let errors = IntCounterVec::new(
            Opts::new("seer_operator_reconcile_errors_total", "Reconciles that failed, by kind and reason"),
            &["kind", "reason"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new("seer_operator_reconcile_duration_seconds", "Time one reconcile took, by kind")
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["kind"],
        )?;
        let versions = IntCounterVec::new(
            Opts::new("seer_operator_versions_total", "Model versions by kind and result (Started, Succeeded, Failed)"),
            &["kind", "result"],
        )?;
        let leader = IntGaugeVec::new(Opts::new("seer_operator_leader", "1 while this replica leads"), &["identity"])?;
        registry.register(Box::new(reconciles.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(versions.clone()))?;
        registry.register(Box::new(leader.clone()))?;
        Ok(Metrics { registry, reconciles, errors, duration, versions, leader })
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let encoder = prometheus::TextEncoder::new();
        if let Err(e) = encoder.encode_utf8(&self.registry.gather(), &mut out) {
            out = format!("# cannot encode metrics: {e}\n");
        }
        out
    }
}
