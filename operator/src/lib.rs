//! `seer-operator`: the kube-rs controllers that reconcile DatasetGroup, Predictor,
//! Solution and Campaign, and the CRD definitions they install.
//!
//! Depends on `seer-api` (with its `kube` feature) and `seer-storage`. It must never link
//! the algorithms (`seer-models`) or the inference server: it orchestrates Jobs and
//! Deployments that run those, it does not run them itself.
//!
//! Shape (kube-rs/controller-rs): one [`context::Context`] injected into every reconcile;
//! per kind a pure `decide` module (what to do, given what was observed; the table in
//! `docs/operator.md`) and a `reconcile` module that observes and acts; children written
//! with server-side apply and owned by their resource.

pub mod campaign;
pub mod conditions;
pub mod config;
pub mod context;
pub mod controller;
pub mod crd_reference;
pub mod crds;
pub mod dataset_group;
pub mod error;
pub mod http;
pub mod job_state;
pub mod leader;
pub mod metrics;
pub mod pod;
pub mod storage_access;
pub mod trainer_job;
pub mod training;
