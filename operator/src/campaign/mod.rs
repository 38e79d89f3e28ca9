//! The Campaign controller: a Deployment of `seer-server` on the version the promotion
//! policy chooses, a Service, a HorizontalPodAutoscaler and a PodDisruptionBudget; status
//! says which version serves, where, and on how many replicas.

pub mod children;
pub mod decide;
pub mod reconcile;
