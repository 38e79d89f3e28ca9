//! `seer-trainer validate`: reads every dataset of a DatasetGroup, checks it against its
//! schema, and reports rows, items, users, time range and digests — the DatasetGroup's
//! `status.datasets` — as JSON.

use std::collections::{BTreeMap, HashSet};

use seer_api::{DatasetGroup, DatasetStatus};
use seer_storage::{ObjectInfo, ObjectStore, digest::dataset_digest};

use crate::{
    TrainerError,
    ingest::{self, Cell, Role},
};

pub use seer_api::ValidationReport;

fn rfc3339(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Every object of every dataset of the group, listed without reading them: what the one
/// dataset digest is computed from (`validate` prints it, a version's manifest records it).
pub async fn group_objects(store: &ObjectStore, group: &DatasetGroup) -> Result<Vec<ObjectInfo>, TrainerError> {
    let mut out = Vec::new();
    for dataset in &group.spec.datasets {
        out.extend(ingest::dataset_objects(store, &dataset.uri).await?);
    }
    Ok(out)
}

/// Reads and checks every dataset of the group.
pub async fn validate(store: &ObjectStore, group: &DatasetGroup) -> Result<ValidationReport, TrainerError> {
    let mut all_objects: Vec<ObjectInfo> = Vec::new();
    let mut datasets = Vec::new();
    for dataset in &group.spec.datasets {
        let mut rows = 0i64;
        let mut skipped: BTreeMap<String, i64> = BTreeMap::new();
        let mut items: HashSet<String> = HashSet::new();
        let mut users: HashSet<String> = HashSet::new();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let (schema, objects) = ingest::read_dataset(store, dataset, group.spec.domain, |schema, row| {
            let key = |role: Role| schema.position(role).map(|i| &row.cells[i]);
            for role in ingest::schema::key_roles(dataset.type_) {
                if matches!(key(*role), Some(Cell::Missing)) {
                    let name = schema.position(*role).map(|i| schema.columns[i].name.as_str()).unwrap_or("?");
                    *skipped.entry(format!("missing {name}")).or_default() += 1;
                    return Ok(());
                }
            }
            rows += 1;
            if let Some(Cell::Str(id)) = key(Role::ItemId)
                && !items.contains(id)
            {
                items.insert(id.clone());
            }
            if let Some(Cell::Str(id)) = key(Role::UserId)
                && !users.contains(id)
            {
                users.insert(id.clone());
            }
            if let Some(Cell::Time(t)) = key(Role::Timestamp) {
                first = first.min(*t);
                last = last.max(*t);
            }
            Ok(())
        })
        .await?;
        let has = |role: Role| schema.position(role).is_some();
        datasets.push(DatasetStatus {
            type_: serde_json::to_value(dataset.type_)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            uri: dataset.uri.clone(),
            objects: objects.len() as i64,
            rows,
            skipped_rows: skipped.values().sum(),
            skipped_reasons: skipped,
            items: has(Role::ItemId).then_some(items.len() as i64),
            users: has(Role::UserId).then_some(users.len() as i64),
            start_time: (first <= last).then(|| rfc3339(first)).flatten(),
            end_time: (first <= last).then(|| rfc3339(last)).flatten(),
            digest: Some(dataset_digest(&objects)),
        });
        all_objects.extend(objects);
    }
    Ok(ValidationReport {
        digest: dataset_digest(&all_objects),
        total_rows: datasets.iter().map(|d| d.rows).sum(),
        datasets,
    })
}
