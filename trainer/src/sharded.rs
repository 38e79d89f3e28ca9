//! `train --shard i/n` and `merge --shards n`: one version trained by `n` pods of a
//! Kubernetes Indexed Job, then joined by one more step.
//!
//! Layout, under the version's folder `<root>/<ns>/predictor/<name>/<version>/`:
//! - `shards/<i>-of-<n>/shard.bin` — the shard's items ([`crate::shard::ShardFile`]);
//! - `shards/<i>-of-<n>/manifest.json` — written last, with the shard's size and checksum,
//!   the dataset digest it read and a `shard` property `{index, count}`.
//!
//! A shard never writes the version's `manifest.json` or `latest`. The merge checks that
//! all `n` shards are there and agree (count, format, algorithm, Predictor settings,
//! dataset digest, calendar), rebuilds the backtest report of all items in the order an
//! unsharded run has, chooses and scores exactly as [`crate::train_forecast::train`] does,
//! combines the stored candidate forecasts, writes the version (manifest last, then
//! `latest`) and removes `shards/`.
//!
//! A global candidate (`BOOSTED_TREES`, alone or in AUTO) learns across the items of its
//! shard, with their related time series and metadata: its backtests and its forecasts are
//! stored like any candidate's. A shard's model sees only that shard's items, so with a
//! global candidate the merged version is close to, not the same as, an unsharded one; for
//! the local candidates it is the same bit for bit.

use std::collections::BTreeMap;

use rayon::prelude::*;
use seer_api::{DatasetGroup, Predictor, artifact::ArtifactManifest};
use seer_models::forecast::{Algorithm, Forecast};
use seer_storage::{
    ObjectStore, ObjectUri, StorageError,
    artifacts::{self, ArtifactWriter, ShardId},
};

use crate::{
    TrainerError,
    featurize::ItemSeries,
    frequency::Grid,
    progress::Progress,
    shard::{SHARD_FILE, SHARD_FORMAT, ShardFile, ShardItem, shard_of},
    train_forecast::{
        Destination, Plan, Target, assemble, backtest_global, backtest_items, covariates_for, global_forecasts,
        item_label, location_of, score, target_series, write_version,
    },
};

/// Trains shard `shard` of a version: the items whose key hashes to it, every candidate
/// backtested and forecast; writes `shards/<i>-of-<n>/` (manifest last).
pub async fn train_shard(
    store: &ObjectStore,
    group: &DatasetGroup,
    predictor: &Predictor,
    destination: &Destination,
    shard: ShardId,
) -> Result<ArtifactManifest, TrainerError> {
    let plan = Plan::from_predictor(predictor)?;
    let location = location_of(predictor, &destination.root);
    let target =
        target_series(store, group, predictor, plan.frequency, &|k| shard_of(k, shard.count) == shard.index).await?;
    let covariates = covariates_for(store, group, predictor, &plan, &target).await?;
    let mut writer = ArtifactWriter::create_shard(store, location, &destination.version, shard).await?;

    let progress = Progress::start("backtested", "items", target.items.len());
    let mut backtests = backtest_items(&target.items, &plan, &progress)?;
    progress.finish();
    // The global candidate across this shard's items: its backtests, and its forecasts
    // after the data (whether an ensemble takes them is decided at the merge).
    let global = match &covariates {
        Some(covariates) => {
            backtest_global(&mut backtests, &target.items, &plan, covariates, predictor)?;
            global_forecasts(&target.items, &plan, covariates, predictor)?
        }
        None => Vec::new(),
    };
    // Every candidate's forecast after the data: which ones the item's ensemble takes is
    // decided at the merge, with all items in view.
    let candidate = |i: usize, item: &ItemSeries, a: Algorithm| -> Result<Forecast, String> {
        if a.is_global() {
            let f = global.get(i).cloned().flatten();
            f.ok_or_else(|| format!("{}: no forecast (the history has no observed value)", a.name()))
        } else {
            a.forecast(&item.series.values, &plan.spec).map_err(|e| format!("{}: {e}", a.name()))
        }
    };
    let progress = Progress::start("forecast", "items", target.items.len());
    let candidates: Vec<Vec<Result<Forecast, String>>> = target
        .items
        .par_iter()
        .enumerate()
        .map(|(i, item)| {
            let out = plan.algorithms.iter().map(|a| candidate(i, item, *a)).collect();
            progress.inc();
            out
        })
        .collect();
    progress.finish();

    let digest = seer_storage::digest::dataset_digest(&crate::validate::group_objects(store, group).await?);
    let backtested = backtests.iter().filter(|b| b.is_some()).count();
    let items: Vec<ShardItem> = target
        .items
        .into_iter()
        .zip(backtests)
        .zip(candidates)
        .map(|((item, backtest), candidates)| ShardItem {
            item_id: item.key.item_id,
            dimensions: item.key.dimensions,
            start: item.series.start,
            values: item.series.values,
            filled: item.series.filled,
            backtest,
            candidates,
        })
        .collect();
    let count = items.len();
    let file = ShardFile {
        format: SHARD_FORMAT,
        shard: (shard.index, shard.count),
        plan: Plan::fingerprint(predictor),
        dataset_digest: digest.clone(),
        algorithms: plan.algorithms.iter().map(|a| a.name().to_string()).collect(),
        anchor: target.anchor,
        end: target.end,
        items,
    };
    let bytes = file.encode().map_err(|m| TrainerError::data(format!("shard {shard}"), m))?;
    if let Err(e) = writer.put_file(SHARD_FILE, bytes).await {
        let _ = writer.abort().await;
        return Err(e.into());
    }
    let properties = BTreeMap::from([
        ("items".to_string(), serde_json::json!(count)),
        ("backtestedItems".to_string(), serde_json::json!(backtested)),
        ("format".to_string(), serde_json::json!(SHARD_FORMAT)),
    ]);
    Ok(writer.commit(&plan.algorithm_name, &digest, properties).await?)
}

fn shard_error(uri: &ObjectUri, message: impl Into<String>) -> TrainerError {
    TrainerError::data(uri.to_string(), message)
}

/// Joins the `count` shards of a version into the version, then removes them.
pub async fn merge(
    store: &ObjectStore,
    predictor: &Predictor,
    destination: &Destination,
    count: u32,
) -> Result<ArtifactManifest, TrainerError> {
    let plan = Plan::from_predictor(predictor)?;
    let fingerprint = Plan::fingerprint(predictor);
    let version = &destination.version;
    let location = location_of(predictor, &destination.root);
    let writer = ArtifactWriter::create(store, location.clone(), version).await?;
    let shards_uri = location.shards_uri(version);

    // Every shard present, and no other cut of the items beside them.
    let mut expected = Vec::new();
    for i in 0..count {
        expected.push(ShardId::new(i, count).map_err(|m| shard_error(&shards_uri, format!("--shards: {m}")))?);
    }
    let listed = store.list(&ObjectUri::parse(&format!("{shards_uri}/"))?).await?;
    let prefix = format!("{shards_uri}/");
    let mut strangers: Vec<String> = listed
        .iter()
        .filter_map(|o| o.uri.to_string().strip_prefix(&prefix).and_then(|r| r.split('/').next()).map(str::to_string))
        .filter(|folder| !expected.iter().any(|s| s.folder() == *folder))
        .collect();
    strangers.dedup();
    if !strangers.is_empty() {
        return Err(shard_error(
            &shards_uri,
            format!(
                "holds {} beside the {count} shards expected ({}-of-{count}): were the shards run with another \
                 count than --shards {count}?",
                strangers.join(", "),
                if count == 1 { "0".to_string() } else { format!("0..{}", count - 1) }
            ),
        ));
    }
    let mut manifests = Vec::new();
    let mut missing = Vec::new();
    for &shard in &expected {
        match artifacts::read_shard_manifest(store, &location, version, shard).await {
            Ok(m) => manifests.push((shard, m)),
            Err(StorageError::NotFound { .. }) => {
                missing.push(format!("{shard} ({}/manifest.json)", location.shard_uri(version, shard)))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !missing.is_empty() {
        return Err(shard_error(
            &shards_uri,
            format!(
                "{} of {count} shard(s) missing or unfinished: {}; run `seer-trainer train --shard i/{count} --version \
                 {version}` for each",
                missing.len(),
                missing.join(", ")
            ),
        ));
    }

    // Read and check every shard; the first one's digest and calendar are every other's.
    let mut first: Option<(ShardId, String, i64, i64)> = None;
    let mut all: Vec<(u32, ShardItem)> = Vec::new();
    let algorithm_names: Vec<String> = plan.algorithms.iter().map(|a| a.name().to_string()).collect();
    for (shard, manifest) in &manifests {
        let shard_uri = location.shard_uri(version, *shard);
        let bytes = artifacts::read_shard_file(store, &location, manifest, *shard, SHARD_FILE).await?;
        let file = ShardFile::decode(&bytes).map_err(|m| shard_error(&shard_uri.join(SHARD_FILE), m))?;
        let disagree = |what: &str, theirs: &str, ours: &str| {
            shard_error(&shard_uri, format!("shard {shard} disagrees on {what}: it has {theirs}, expected {ours}"))
        };
        if file.format != SHARD_FORMAT {
            return Err(disagree("the shard format", &file.format.to_string(), &SHARD_FORMAT.to_string()));
        }
        if file.shard != (shard.index, shard.count) {
            return Err(disagree("its index", &format!("{}/{}", file.shard.0, file.shard.1), &shard.to_string()));
        }
        if manifest.algorithm != plan.algorithm_name || file.algorithms != algorithm_names {
            return Err(disagree("the algorithm", &manifest.algorithm, &plan.algorithm_name));
        }
        if file.plan != fingerprint {
            return Err(disagree("the Predictor's settings", &file.plan, &fingerprint));
        }
        if manifest.dataset_digest != file.dataset_digest {
            return Err(disagree("the dataset digest of its manifest", &manifest.dataset_digest, &file.dataset_digest));
        }
        match &first {
            Some((s0, digest, anchor, end)) => {
                if file.dataset_digest != *digest {
                    return Err(disagree(
                        "the dataset digest (the data changed between shards)",
                        &file.dataset_digest,
                        &format!("{digest} (shard {s0})"),
                    ));
                }
                if (file.anchor, file.end) != (*anchor, *end) {
                    return Err(disagree(
                        "the dataset's time range",
                        &format!("{}..{}", file.anchor, file.end),
                        &format!("{anchor}..{end} (shard {s0})"),
                    ));
                }
            }
            None => first = Some((*shard, file.dataset_digest.clone(), file.anchor, file.end)),
        }
        for item in &file.items {
            let key = item.series().key;
            let home = shard_of(&key, count);
            if home != shard.index {
                return Err(shard_error(
                    &shard_uri,
                    format!(
                        "{} belongs to shard {home}/{count}, not {shard}: the shards were cut differently",
                        item_label(&key)
                    ),
                ));
            }
        }
        all.extend(file.items.into_iter().map(|i| (shard.index, i)));
    }
    let Some((_, digest, anchor, end)) = first else {
        return Err(shard_error(&shards_uri, "no shards (--shards must be at least 1)"));
    };

    // All items in the order an unsharded run has (by key), each once.
    all.sort_by(|a, b| (&a.1.item_id, &a.1.dimensions).cmp(&(&b.1.item_id, &b.1.dimensions)));
    for pair in all.windows(2) {
        if (&pair[0].1.item_id, &pair[0].1.dimensions) == (&pair[1].1.item_id, &pair[1].1.dimensions) {
            return Err(shard_error(
                &shards_uri,
                format!("{} is in shards {} and {}", item_label(&pair[0].1.series().key), pair[0].0, pair[1].0),
            ));
        }
    }
    let mut items: Vec<ItemSeries> = Vec::with_capacity(all.len());
    let mut backtests = Vec::with_capacity(all.len());
    let mut candidates: Vec<Vec<Result<Forecast, String>>> = Vec::with_capacity(all.len());
    for (i, (_, item)) in all.into_iter().enumerate() {
        items.push(item.series());
        backtests.push(item.backtest.map(|mut b| {
            b.item = i;
            b
        }));
        candidates.push(item.candidates);
    }
    let target = Target { grid: Grid::new(plan.frequency, anchor), anchor, end, items };
    let report = assemble(&plan, backtests, &target.items);
    let scored = score(&plan, predictor, &report, &target)?;

    // Each item's ensemble from the candidates its shard forecast.
    let mut forecasts = Vec::with_capacity(target.items.len());
    for (i, (item, cands)) in target.items.iter().zip(&candidates).enumerate() {
        let member = |a| plan.algorithms.iter().position(|x| *x == a).and_then(|k| cands[k].as_ref().ok());
        match scored.model.combine(i, member) {
            Some(f) => forecasts.push(f),
            None => {
                let why = scored
                    .model
                    .weights
                    .get(i)
                    .into_iter()
                    .flatten()
                    .filter_map(|(a, _)| plan.algorithms.iter().position(|x| x == a))
                    .find_map(|k| cands[k].as_ref().err().cloned())
                    .unwrap_or_else(|| "no candidate forecast".to_string());
                return Err(TrainerError::data(item_label(&item.key), format!("cannot forecast: {why}")));
            }
        }
    }

    let export = destination.export.as_ref().map(|e| (e, version.as_str()));
    let manifest = write_version(writer, predictor, &plan, &target, &forecasts, &scored, &digest, export).await?;
    // The version exists now; the shards are only a cost. A failure to remove them is
    // reported, not fatal.
    if let Err(e) = artifacts::delete_shards(store, &location, version).await {
        eprintln!("seer-trainer: warning: the version is complete, but its shards were not all removed: {e}");
    }
    Ok(manifest)
}
