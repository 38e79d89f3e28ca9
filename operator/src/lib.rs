//! `seer-operator`: the kube-rs controllers that reconcile DatasetGroup, Predictor,
//! Solution and Campaign, and the CRD definitions they install.
//!
//! Depends on `seer-api` (with its `kube` feature) and `seer-storage`. It must never link
//! the algorithms (`seer-models`) or the inference server: it orchestrates Jobs and
//! Deployments that run those, it does not run them itself.

pub mod crds;
