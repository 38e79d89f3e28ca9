//! `seer-storage`: the one home of object-storage I/O in Seer.
//!
//! - [`ObjectUri`]: `s3://bucket/key` and `file:///path` URIs.
//! - [`ObjectStore`]: get, put (atomic: a reader never sees half an object), list, delete
//!   on S3-compatible servers (aws-sdk-s3) or a local folder.
//! - [`artifacts`]: versioned artifacts — files first, `manifest.json` (sizes and SHA-256)
//!   last, then the `latest` pointer; reads verify every checksum.
//! - [`digest`]: the dataset digest (from object keys, sizes and ETags) that versions record
//!   and `onlyIfDataChanged` compares.
//! - [`datasets`]: the objects a dataset URI names (one file or a prefix).
//! - [`events`]: where the inference servers' event log lives, which the next training reads.
//!
//! Depends on `seer-api` for the manifest types. Must never depend on Kubernetes crates or
//! the algorithms: the trainer, the server and the operator all reach storage through here.

pub mod artifacts;
pub mod datasets;
pub mod digest;
mod error;
pub mod events;
mod file;
pub mod s3;
mod store;
mod uri;

pub use error::StorageError;
pub use s3::S3Settings;
pub use store::{ObjectInfo, ObjectStore};
pub use uri::ObjectUri;
