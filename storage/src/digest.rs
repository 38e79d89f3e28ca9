//! Digests: of content (SHA-256, for manifests) and of datasets (from object listings, so
//! that a changed, added or removed object changes the digest without reading the data).

use sha2::{Digest, Sha256};

use crate::ObjectInfo;

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The digest of a dataset: `sha256:<hex>` over each object's URI, size and ETag, in URI
/// order. Equal listings give equal digests; any added, removed, resized or rewritten
/// object (new ETag) changes it.
pub fn dataset_digest(objects: &[ObjectInfo]) -> String {
    let mut lines: Vec<String> =
        objects.iter().map(|o| format!("{}\t{}\t{}\n", o.uri, o.size, o.etag.as_deref().unwrap_or(""))).collect();
    lines.sort();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectUri;

    fn obj(key: &str, size: u64, etag: &str) -> ObjectInfo {
        ObjectInfo { uri: ObjectUri::S3 { bucket: "b".into(), key: key.into() }, size, etag: Some(etag.into()) }
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn dataset_digest_is_order_free_and_sees_changes() {
        let a = [obj("x", 1, "e1"), obj("y", 2, "e2")];
        let b = [obj("y", 2, "e2"), obj("x", 1, "e1")];
        assert_eq!(dataset_digest(&a), dataset_digest(&b));
        assert!(dataset_digest(&a).starts_with("sha256:"));
        assert_ne!(dataset_digest(&a), dataset_digest(&[obj("x", 1, "e1"), obj("y", 2, "e3")]));
        assert_ne!(dataset_digest(&a), dataset_digest(&[obj("x", 1, "e1")]));
    }
}
