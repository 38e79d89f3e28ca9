//! The DatasetGroup controller: checks that every dataset URI names objects (with the
//! referenced Secret's credentials), runs a validation Job (`seer-trainer validate`) per
//! generation, and records what it found (rows, items, time range, digest) in status.

pub mod decide;
pub mod reconcile;
