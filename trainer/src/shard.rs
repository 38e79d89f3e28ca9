//! Sharded training for Kubernetes Indexed Jobs: `train --shard i/n` trains the items whose
//! key hashes to `i` modulo `n`, and `merge --shards n` joins the shards into one version.
//!
//! Which shard an item belongs to depends only on its key — item_id and forecast dimension
//! values — through FNV-1a (64-bit, fixed by its specification, unlike Rust's `Hash`, which
//! may change between releases), so every pod agrees without talking, whatever the order of
//! the files, and every item lands in exactly one shard.
//!
//! What a shard persists (`shard.bin`, postcard-encoded [`ShardFile`]): for each of its
//! items the regular series, the backtest of every candidate algorithm (forecasts, actuals,
//! MASE scales and the metric sums), and every candidate's forecast of the horizon after
//! the data. AUTO chooses its ensembles per velocity class *across all items* (and the
//! classes are terciles over all items), so no shard can choose alone; the merge rebuilds
//! the whole backtest report from the shards, in the order an unsharded run has, and makes
//! the same choice, the same sums and the same forecasts — bit for bit, as long as every
//! candidate is local. A global candidate (`BOOSTED_TREES`) learns across its shard's items
//! only, so what depends on it is close to an unsharded run, not the same.

use seer_models::forecast::{Forecast, Series, backtest::ItemBacktest};
use seer_storage::artifacts::ShardId;
use serde::{Deserialize, Serialize};

use crate::featurize::{ItemKey, ItemSeries};

/// The file a shard writes beside its manifest.
pub const SHARD_FILE: &str = "shard.bin";
/// Version of [`ShardFile`]'s layout; a merge refuses shards of another.
pub const SHARD_FORMAT: u32 = 1;

/// Parses `--shard i/n`.
pub fn parse_shard(text: &str) -> Result<ShardId, String> {
    let (i, n) = text.split_once('/').ok_or_else(|| format!("--shard {text:?}: expected i/n, such as 0/4"))?;
    let i: u32 = i.trim().parse().map_err(|_| format!("--shard {text:?}: {i:?} is not a whole number"))?;
    let n: u32 = n.trim().parse().map_err(|_| format!("--shard {text:?}: {n:?} is not a whole number"))?;
    ShardId::new(i, n).map_err(|m| format!("--shard: {m}"))
}

/// FNV-1a, 64-bit, of the key: each part as its length (8 bytes, little-endian) and its
/// UTF-8 bytes, so that `("ab", ["c"])` and `("a", ["bc"])` differ.
pub fn key_hash(key: &ItemKey) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for part in std::iter::once(&key.item_id).chain(&key.dimensions) {
        eat(&(part.len() as u64).to_le_bytes());
        eat(part.as_bytes());
    }
    h
}

/// Whether an item belongs to a shard.
pub fn shard_of(key: &ItemKey, count: u32) -> u32 {
    (key_hash(key) % u64::from(count.max(1))) as u32
}

/// A shard's partial output. Every float is stored bit for bit.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: u32,
    pub shard: (u32, u32),
    /// What was trained, as [`crate::train_forecast::Plan::fingerprint`] writes it: shards
    /// and the merge must agree.
    pub plan: String,
    /// The dataset digest the shard read.
    pub dataset_digest: String,
    /// Candidate algorithms, by name, in the order of every per-algorithm vector.
    pub algorithms: Vec<String>,
    /// Earliest timestamp of the whole dataset (the grid's anchor) and the last period.
    pub anchor: i64,
    pub end: i64,
    pub items: Vec<ShardItem>,
}

/// One item of a shard.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShardItem {
    pub item_id: String,
    pub dimensions: Vec<String>,
    pub start: i64,
    pub values: Vec<f64>,
    pub filled: Option<Vec<bool>>,
    /// `None` when the history is too short for the backtest windows.
    pub backtest: Option<ItemBacktest>,
    /// Per candidate: its forecast of the horizon after the data, or why it failed.
    pub candidates: Vec<Result<Forecast, String>>,
}

impl ShardItem {
    /// The item and its series.
    pub fn series(&self) -> ItemSeries {
        ItemSeries {
            key: ItemKey { item_id: self.item_id.clone(), dimensions: self.dimensions.clone() },
            series: Series { start: self.start, values: self.values.clone(), filled: self.filled.clone() },
        }
    }
}

impl ShardFile {
    /// The bytes of `shard.bin`.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        postcard::to_stdvec(self).map_err(|e| format!("cannot encode the shard: {e}"))
    }

    /// Reads `shard.bin`.
    pub fn decode(bytes: &[u8]) -> Result<ShardFile, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("not a shard file of format {SHARD_FORMAT}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, dims: &[&str]) -> ItemKey {
        ItemKey { item_id: id.into(), dimensions: dims.iter().map(|d| d.to_string()).collect() }
    }

    #[test]
    fn shard_arguments() {
        assert_eq!(parse_shard("1/4").unwrap(), ShardId { index: 1, count: 4 });
        assert!(parse_shard("4/4").unwrap_err().contains("0 ≤ i < n"));
        assert!(parse_shard("1-4").unwrap_err().contains("expected i/n"));
        assert!(parse_shard("a/4").unwrap_err().contains("whole number"));
    }

    #[test]
    fn the_hash_is_fixed_and_separates_parts() {
        // FNV-1a's published test vector for the empty input is the offset basis; ours adds
        // the length prefix, so pin today's values: a change would reshuffle running jobs.
        assert_eq!(key_hash(&key("", &[])), 0xa8c7_f832_281a_39c5);
        assert_eq!(key_hash(&key("item_1", &["store_9"])), key_hash(&key("item_1", &["store_9"])));
        assert_ne!(key_hash(&key("ab", &["c"])), key_hash(&key("a", &["bc"])));
        assert_ne!(key_hash(&key("a", &["b"])), key_hash(&key("a", &["b", ""])));
    }

    #[test]
    fn every_item_lands_in_exactly_one_shard_and_shards_are_balanced() {
        let n = 4;
        let mut sizes = [0usize; 4];
        for i in 0..4000 {
            let k = key(&format!("item_{i}"), &["s1"]);
            let s = shard_of(&k, n);
            assert!(s < n);
            sizes[s as usize] += 1;
        }
        assert!(sizes.iter().all(|s| (800..1200).contains(s)), "{sizes:?}");
        assert_eq!(shard_of(&key("x", &[]), 1), 0);
    }

    #[test]
    fn floats_survive_bit_for_bit() {
        let f = ShardFile {
            format: SHARD_FORMAT,
            shard: (0, 1),
            plan: "p".into(),
            dataset_digest: "sha256:x".into(),
            algorithms: vec!["ETS".into()],
            anchor: 0,
            end: 3,
            items: vec![ShardItem {
                item_id: "a".into(),
                dimensions: vec![],
                start: 0,
                values: vec![0.1 + 0.2, f64::NAN, -0.0, 1e-310],
                filled: Some(vec![false, true, false, false]),
                backtest: None,
                candidates: vec![Err("no".into())],
            }],
        };
        let back = ShardFile::decode(&f.encode().unwrap()).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.items[0].values), bits(&f.items[0].values));
        assert!(ShardFile::decode(b"\xff\xff").is_err());
    }
}
