//! Filters (placeholder, filled in below).
