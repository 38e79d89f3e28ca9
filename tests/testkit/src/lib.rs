//! `seer-testkit`: starts the real parts tests talk to and stops them, by PID, when the
//! test ends — pass or fail (the guards stop them on drop, also while unwinding).
//!
//! Only ever a dev-dependency. Must never be linked into a shipped binary.

pub mod s3;

/// `$HOME/.cache/seer`, where tools and builds are cached outside the clone.
pub fn cache_dir() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("SEER_CACHE_DIR") {
        return dir.into();
    }
    std::path::PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/seer")
}

#[cfg(feature = "cluster")]
pub mod cluster;
