//! `seer-trainer train` for a Solution: read the interactions (and items, users and the
//! inference servers' event log), evaluate the recipe offline the way Personalize does, fit it
//! again on every event, and write the versioned artifact — the model files, `metrics.json`,
//! and `manifest.json` last.

use std::collections::BTreeMap;

use seer_api::{
    DatasetGroup, Recipe, RecipeParameters, Solution,
    artifact::{ArtifactKind, ArtifactManifest, CATALOG_FILE, FILTERS_FILE, METRICS_FILE, SolutionCatalog},
};
use seer_models::recommend::{
    AnnParams, Attributes, Dataset, IdMap, RecipeModel, RecipeParams, TrainedModel, evaluate_offline,
};
use seer_storage::{
    ObjectStore,
    artifacts::{ArtifactLocation, ArtifactWriter},
    events::event_log_uri,
};

use crate::{TrainerError, recommend_data, train_forecast::Destination};

/// Seed of the held-out split, fixed so that versions trained on the same data compare fairly.
const SPLIT_SEED: u64 = 42;

fn manifest_error(solution: &Solution, message: impl Into<String>) -> TrainerError {
    TrainerError::Manifest {
        file: format!("Solution {}", solution.metadata.name.as_deref().unwrap_or("?")),
        message: message.into(),
    }
}

/// `30m`, `1h`, `7d` in seconds.
fn parse_window(text: &str) -> Result<i64, String> {
    let unit = match text.chars().last() {
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        _ => return Err(format!("trendWindow {text:?} must end in m, h or d (e.g. 30m, 1h, 7d)")),
    };
    let n: i64 = text[..text.len() - 1]
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("trendWindow {text:?} must be a positive whole number and a unit, e.g. 7d"))?;
    n.checked_mul(unit).ok_or_else(|| format!("trendWindow {text:?} is too long"))
}

/// The Solution's recipe parameters as the models take them. Unset fields keep the models'
/// defaults (chosen on the benchmark sets).
pub fn recipe_params(spec: Option<&RecipeParameters>) -> Result<RecipeParams, String> {
    let mut params = RecipeParams::default();
    let Some(p) = spec else { return Ok(params) };
    let positive = |name: &str, v: i32| usize::try_from(v).ok().filter(|v| *v > 0).ok_or(format!("{name} must be ≥ 1"));
    let als = &mut params.personalization.als;
    if let Some(v) = p.hidden_dimension {
        als.factors = positive("hiddenDimension", v)?;
    }
    if let Some(v) = p.iterations {
        als.iterations = positive("iterations", v)?;
    }
    if let Some(v) = p.regularization {
        als.regularization = v as f32;
    }
    if let Some(v) = p.alpha {
        als.alpha = v as f32;
    }
    if let Some(w) = p.recency_weight {
        if !(0.0..=1.0).contains(&w) {
            return Err(format!("recencyWeight {w} is not between 0 and 1"));
        }
        // The user's own items count with a half-life in events: weight 1 leaves only the
        // newest events, weight 0 weighs the last 40 nearly alike.
        params.personalization.recency_half_life = (1.0 + 39.0 * (1.0 - w)) as f32;
    }
    if let Some(b) = p.popularity_discount_factor {
        if !(0.0..=1.0).contains(&b) {
            return Err(format!("popularityDiscountFactor {b} is not between 0 and 1"));
        }
        params.sims.popularity_damping = b as f32;
    }
    if let Some(m) = p.metadata_weight {
        if !(0.0..=1.0).contains(&m) {
            return Err(format!("metadataWeight {m} is not between 0 and 1"));
        }
        params.sims.metadata_prior_events = metadata_prior(m);
    }
    if let Some(c) = p.min_cointeraction_count {
        params.sims.min_cointeraction_users =
            u32::try_from(c).ok().filter(|c| *c >= 1).ok_or(format!("minCointeractionCount {c} must be ≥ 1"))?;
    }
    if let Some(w) = &p.trend_window {
        params.trend_window = parse_window(w)?;
        params.personalization.trend_window = params.trend_window;
    }
    params.personalization.sims = params.sims.clone();
    Ok(params)
}

/// metadataWeight w ∈ [0, 1] as the number of events at which an item's behaviour and its
/// metadata weigh the same: 0.5 gives the default 5 events, 0 next to none, 1 very many.
fn metadata_prior(w: f64) -> f32 {
    (5.0 * w / (1.0 - w).max(1e-6)).clamp(1e-6, 1e6) as f32
}

/// Trains one version and writes its artifact.
pub async fn train(
    store: &ObjectStore,
    group: &DatasetGroup,
    solution: &Solution,
    destination: &Destination,
) -> Result<ArtifactManifest, TrainerError> {
    let spec = &solution.spec;
    let mut params = recipe_params(spec.recipe_parameters.as_ref()).map_err(|m| manifest_error(solution, m))?;
    if spec.recipe == Recipe::Sims {
        // SIMS is co-occurrence only: metadata never outweighs behaviour.
        params.sims.metadata_prior_events = metadata_prior(0.0);
    }
    let namespace = solution.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let name = solution.metadata.name.clone().unwrap_or_else(|| "solution".into());
    let log = event_log_uri(&destination.root, &namespace, &name);
    let data = recommend_data::load(store, group, spec.event_filter.as_ref(), Some(&log)).await?;
    let ds = &data.dataset;
    tracing_line(&format!(
        "read {} interactions ({} from the event log), kept {}; {} users, {} items",
        data.counts.interactions + data.counts.logged_events,
        data.counts.logged_events,
        data.counts.kept,
        ds.n_users(),
        ds.n_items()
    ));

    let recipe = spec.recipe;
    let mut metrics =
        evaluate_offline(recipe, ds, &params, SPLIT_SEED).map_err(|e| manifest_error(solution, e.to_string()))?;
    metrics.extra.insert("recipe".into(), serde_json::json!(recipe_name(recipe)));
    metrics.extra.insert("ingest".into(), serde_json::json!(data.counts));
    tracing_line(&format!(
        "offline evaluation: NDCG@10 {:.4}, precision@10 {:.4}, coverage {:.4}",
        metrics.normalized_discounted_cumulative_gain_at_10, metrics.precision_at_10, metrics.coverage
    ));
    let model = RecipeModel::fit(recipe, ds, &params).map_err(|e| manifest_error(solution, e.to_string()))?;
    tracing_line("fitted on every event");

    let location = ArtifactLocation { root: destination.root.clone(), namespace, kind: ArtifactKind::Solution, name };
    let mut writer = ArtifactWriter::create(store, location, &destination.version).await?;
    let mut trained = TrainedModel::new(recipe, model, ds).map_err(|e| manifest_error(solution, e.to_string()))?;
    // The item index (large catalogs only) is built once here and saved with the model, so that
    // every inference server loading this version skips the k-means.
    let started = std::time::Instant::now();
    trained.index_items(&AnnParams::default());
    if let Some(lists) = trained.item_index_lists() {
        tracing_line(&format!(
            "indexed {} items in {lists} lists for approximate candidates in {:.1} s",
            ds.n_items(),
            started.elapsed().as_secs_f64()
        ));
    }
    let files = trained.save().map_err(|e| manifest_error(solution, format!("cannot save the model: {e}")))?;
    for (file, bytes) in files {
        writer.put_file(&file, bytes).await?;
    }
    writer.put_file(FILTERS_FILE, json(solution, &spec.filters)?).await?;
    writer.put_file(CATALOG_FILE, json(solution, &catalog(ds))?).await?;
    writer.put_file(METRICS_FILE, json(solution, &metrics)?).await?;
    let properties = BTreeMap::from([
        ("recipe".to_string(), serde_json::json!(recipe_name(recipe))),
        ("users".to_string(), serde_json::json!(ds.n_users())),
        ("items".to_string(), serde_json::json!(ds.n_items())),
        ("interactions".to_string(), serde_json::json!(ds.events().len())),
        ("headlineMetrics".to_string(), serde_json::json!(metrics.headline())),
    ]);
    // The one dataset digest over the group's datasets, as `validate` prints it (the event log
    // grows between ticks by design and is not part of it).
    let digest = seer_storage::digest::dataset_digest(&crate::validate::group_objects(store, group).await?);
    Ok(writer.commit(recipe_name(recipe), &digest, properties).await?)
}

/// What filters look up at serving time: every item's and user's attributes.
fn catalog(ds: &Dataset) -> SolutionCatalog {
    let table = |ids: &IdMap, attributes: &Attributes| {
        let columns: Vec<&str> = attributes.columns().collect();
        (0..ids.len() as u32)
            .filter_map(|row| {
                let values: BTreeMap<String, String> = columns
                    .iter()
                    .enumerate()
                    .filter_map(|(c, name)| Some((name.to_string(), attributes.get_by_index(row, c)?.to_string())))
                    .collect();
                Some((ids.name(row)?.to_string(), values)).filter(|(_, v)| !v.is_empty())
            })
            .collect()
    };
    SolutionCatalog { items: table(ds.items(), &ds.item_attributes), users: table(ds.users(), &ds.user_attributes) }
}

fn json<T: serde::Serialize>(solution: &Solution, value: &T) -> Result<Vec<u8>, TrainerError> {
    serde_json::to_vec_pretty(value).map_err(|e| manifest_error(solution, format!("cannot encode: {e}")))
}

fn recipe_name(recipe: Recipe) -> &'static str {
    match recipe {
        Recipe::UserPersonalization => "USER_PERSONALIZATION",
        Recipe::PersonalizedRanking => "PERSONALIZED_RANKING",
        Recipe::SimilarItems => "SIMILAR_ITEMS",
        Recipe::Sims => "SIMS",
        Recipe::PopularityCount => "POPULARITY_COUNT",
        Recipe::TrendingNow => "TRENDING_NOW",
    }
}

fn tracing_line(message: &str) {
    eprintln!("seer-trainer: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse() {
        assert_eq!(parse_window("30m"), Ok(1800));
        assert_eq!(parse_window("7d"), Ok(7 * 86_400));
        assert!(parse_window("0d").is_err());
        assert!(parse_window("1w").is_err());
        assert!(parse_window("d").is_err());
    }

    #[test]
    fn parameters_map_and_range_errors_name_the_field() {
        let p = RecipeParameters {
            hidden_dimension: Some(32),
            iterations: Some(5),
            metadata_weight: Some(0.5),
            trend_window: Some("1d".into()),
            ..RecipeParameters::default()
        };
        let params = recipe_params(Some(&p)).expect("valid");
        assert_eq!(params.personalization.als.factors, 32);
        assert_eq!(params.personalization.als.iterations, 5);
        assert!((params.sims.metadata_prior_events - 5.0).abs() < 1e-4);
        assert_eq!(params.trend_window, 86_400);
        let bad = RecipeParameters { recency_weight: Some(1.5), ..RecipeParameters::default() };
        assert!(recipe_params(Some(&bad)).is_err_and(|m| m.contains("recencyWeight")));
    }
}
