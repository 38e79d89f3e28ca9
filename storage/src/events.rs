//! The event log: interactions that inference servers take in (`POST /v1/events`), appended in
//! batches so the next training learns from them.
//!
//! Layout (DESIGN.md §5): `<root>/<namespace>/events/<solution>/<YYYY-MM-DD>/<part>.csv`, each
//! part a CSV in the interactions layout of §4 with the header
//! `USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE` and unix-second timestamps. Parts are
//! written whole (the store's puts are atomic), so a reader never sees half a batch.

use crate::ObjectUri;

/// The header every part starts with.
pub const EVENT_LOG_HEADER: &str = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE";

/// `<root>/<namespace>/events/<solution>`: the prefix holding one Solution's event log.
pub fn event_log_uri(root: &ObjectUri, namespace: &str, solution: &str) -> ObjectUri {
    root.join(&format!("{namespace}/events/{solution}"))
}

/// `<log>/<date>/<part>.csv` for a batch written on `date` (`YYYY-MM-DD`, UTC).
pub fn event_part_uri(log: &ObjectUri, date: &str, part: &str) -> ObjectUri {
    log.join(&format!("{date}/{part}.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_the_design() -> Result<(), crate::StorageError> {
        let root = ObjectUri::parse("s3://seer-artifacts/prod")?;
        let log = event_log_uri(&root, "shop", "for-you");
        assert_eq!(log.to_string(), "s3://seer-artifacts/prod/shop/events/for-you");
        assert_eq!(
            event_part_uri(&log, "2026-11-29", "0001-abc").to_string(),
            "s3://seer-artifacts/prod/shop/events/for-you/2026-11-29/0001-abc.csv"
        );
        Ok(())
    }
}
