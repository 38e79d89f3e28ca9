//! Prometheus metrics: requests and latency by route and status, the model version being
//! served, events taken in, the live-history store's health.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::model::Model;

/// The server's metrics, registered on their own registry.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    model_info: IntGaugeVec,
    events_ingested: IntCounter,
    events_ignored: IntCounterVec,
    aws_records_not_stored: IntCounterVec,
    live_store: LiveStoreMetrics,
}

/// The live-history store's metrics, handed to the store itself.
#[derive(Clone, Debug)]
pub struct LiveStoreMetrics {
    /// `seer_live_store_errors_total{op}`: failed or timed-out reads and writes.
    pub errors: IntCounterVec,
    /// `seer_live_store_up`: 1 while the store answers (always 1 in memory).
    pub up: IntGauge,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("seer_http_requests_total", "HTTP requests answered, by route template, method and status."),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("seer_http_request_duration_seconds", "Time to answer, by route template and status.")
                .buckets(vec![0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["route", "status"],
        )?;
        let model_info = IntGaugeVec::new(
            Opts::new("seer_model_info", "1 for the model version being served."),
            &["kind", "namespace", "name", "version", "algorithm"],
        )?;
        let events_ingested =
            IntCounter::new("seer_events_ingested_total", "Events taken in by POST /v1/events and kept.")?;
        let events_ignored = IntCounterVec::new(
            Opts::new("seer_events_ignored_total", "Events taken in but not kept, by reason."),
            &["reason"],
        )?;
        let aws_records_not_stored = IntCounterVec::new(
            Opts::new(
                "seer_aws_records_not_stored_total",
                "Records taken by PutItems and PutUsers, acknowledged but not stored (not supported yet), by kind.",
            ),
            &["kind"],
        )?;
        let live_store = LiveStoreMetrics {
            errors: IntCounterVec::new(
                Opts::new(
                    "seer_live_store_errors_total",
                    "Live-history store (Redis) reads and writes that failed or timed out, by op (read, write, ping).",
                ),
                &["op"],
            )?,
            up: IntGauge::new("seer_live_store_up", "1 while the live-history store answers (always 1 in memory).")?,
        };
        live_store.up.set(1);
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(model_info.clone()))?;
        registry.register(Box::new(events_ingested.clone()))?;
        registry.register(Box::new(events_ignored.clone()))?;
        registry.register(Box::new(aws_records_not_stored.clone()))?;
        registry.register(Box::new(live_store.errors.clone()))?;
        registry.register(Box::new(live_store.up.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            model_info,
            events_ingested,
            events_ignored,
            aws_records_not_stored,
            live_store,
        })
    }

    /// Counts one answered request.
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        self.requests.with_label_values(&[route, method, status.as_str()]).inc();
        self.latency.with_label_values(&[route, status.as_str()]).observe(seconds);
    }

    /// Marks `model` as the one served (and no other).
    pub fn serving(&self, model: &Model) {
        let m = &model.manifest;
        self.model_info.reset();
        self.model_info
            .with_label_values(&[
                m.kind.as_str(),
                m.namespace.as_str(),
                m.name.as_str(),
                m.version.as_str(),
                m.algorithm.as_str(),
            ])
            .set(1);
    }

    /// Counts events kept and events ignored because the model does not know their item.
    pub fn events(&self, kept: usize, unknown_items: usize) {
        self.events_ingested.inc_by(kept as u64);
        if unknown_items > 0 {
            self.events_ignored.with_label_values(&["unknown_item"]).inc_by(unknown_items as u64);
        }
    }

    /// Counts records PutItems or PutUsers acknowledged without storing them.
    pub fn aws_records_not_stored(&self, kind: &str, n: usize) {
        self.aws_records_not_stored.with_label_values(&[kind]).inc_by(n as u64);
    }

    /// The live-history store's metrics.
    pub fn live_store(&self) -> LiveStoreMetrics {
        self.live_store.clone()
    }

    /// The text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}
