//! Parsing of storage URIs.

use crate::StorageError;

/// A parsed storage URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectUri {
    /// `s3://bucket/key` (the key may be empty or a prefix).
    S3 { bucket: String, key: String },
    /// `file:///absolute/path`.
    File { path: String },
}

impl ObjectUri {
    /// Parses `s3://bucket[/key]` or `file:///absolute/path`.
    pub fn parse(uri: &str) -> Result<ObjectUri, StorageError> {
        let invalid = |reason: &str| StorageError::InvalidUri { uri: uri.to_string(), reason: reason.to_string() };
        if let Some(rest) = uri.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(invalid("the bucket name is empty"));
            }
            if !bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.') {
                return Err(invalid("bucket names hold lower-case letters, digits, '-' and '.'"));
            }
            return Ok(ObjectUri::S3 { bucket: bucket.to_string(), key: key.to_string() });
        }
        if let Some(path) = uri.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(invalid("file URIs need an absolute path: file:///path"));
            }
            if path.split('/').any(|seg| seg == "..") {
                return Err(invalid("'..' is not allowed in a path"));
            }
            return Ok(ObjectUri::File { path: path.to_string() });
        }
        Err(invalid("must start with s3:// or file://"))
    }

    /// This URI with a relative `/`-separated path appended.
    pub fn join(&self, relative: &str) -> ObjectUri {
        let rel = relative.trim_start_matches('/');
        let join = |base: &str| {
            if base.is_empty() {
                rel.to_string()
            } else if rel.is_empty() {
                base.to_string()
            } else {
                format!("{}/{rel}", base.trim_end_matches('/'))
            }
        };
        match self {
            ObjectUri::S3 { bucket, key } => ObjectUri::S3 { bucket: bucket.clone(), key: join(key) },
            ObjectUri::File { path } => ObjectUri::File { path: join(path) },
        }
    }
}

impl std::fmt::Display for ObjectUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectUri::S3 { bucket, key } if key.is_empty() => write!(f, "s3://{bucket}"),
            ObjectUri::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            ObjectUri::File { path } => write!(f, "file://{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_joins() {
        let u = ObjectUri::parse("s3://bucket/a/b").unwrap();
        assert_eq!(u, ObjectUri::S3 { bucket: "bucket".into(), key: "a/b".into() });
        assert_eq!(u.join("c/manifest.json").to_string(), "s3://bucket/a/b/c/manifest.json");
        assert_eq!(ObjectUri::parse("s3://bucket").unwrap().join("x").to_string(), "s3://bucket/x");
        assert_eq!(ObjectUri::parse("file:///tmp/x/").unwrap().join("y").to_string(), "file:///tmp/x/y");
    }

    #[test]
    fn rejects_bad_uris_with_a_reason() {
        for (uri, want) in [
            ("http://x/y", "must start with s3:// or file://"),
            ("s3:///key", "bucket name is empty"),
            ("s3://Bucket/key", "lower-case"),
            ("file://relative/path", "absolute path"),
            ("file:///a/../etc", "'..'"),
        ] {
            let err = ObjectUri::parse(uri).unwrap_err().to_string();
            assert!(err.contains(want) && err.contains(uri), "{uri}: {err}");
        }
    }
}
