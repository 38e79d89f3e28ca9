//! Amazon Personalize: a dataset group with its schemas, datasets and import jobs becomes a
//! DatasetGroup; a solution becomes a Solution (with the group's filters); a campaign becomes
//! a Campaign.

use seer_api::{
    AttributeType, Campaign, CampaignSpec, Dataset, DatasetGroup, DatasetGroupSpec, DatasetSchema, DatasetType, Domain,
    EventFilter, Exploration, FilterSpec, LocalObjectReference, ModelReference, Recipe, RecipeParameters, RetrainSpec,
    SchemaAttribute, Solution, SolutionSpec,
};
use seer_models::recommend::Filter;
use serde_json::Value;

use super::fields::Fields;
use super::names::{arn_name, arn_segments, k8s_name, schedule};
use super::report::Report;
use super::{Converted, Input, Kind, Manifest, Options};
use crate::TrainerError;

const STATE: [&str; 5] = ["status", "creationDateTime", "lastUpdatedDateTime", "failureReason", "latestDatasetUpdate"];

fn skip_state(f: &Fields<'_>, report: &mut Report, subject: &str) {
    for key in STATE {
        if f.has(key) {
            report.state(f.file(), subject, &f.path_of(key));
        }
        f.skip(key);
    }
}

/// The one object a Personalize describe output wraps (`{"solution": {...}}`).
fn inner<'a>(input: &'a Input, key: &str) -> Result<Fields<'a>, TrainerError> {
    let root = Fields::root(&input.file, &input.value)?;
    root.object(key)?.ok_or_else(|| root.error(key, "expected an object"))
}

struct Group {
    file: String,
    name: String,
    arn: String,
    domain: Domain,
}

struct Schema {
    file: String,
    arn: String,
    attributes: Vec<SchemaAttribute>,
    epoch: bool,
}

struct PDataset {
    file: String,
    arn: String,
    group_arn: String,
    type_: DatasetType,
    schema_arn: Option<String>,
}

struct ImportJob {
    file: String,
    dataset_arn: String,
    location: Option<String>,
    time: f64,
}

struct PFilter {
    file: String,
    group_arn: String,
    filter: FilterSpec,
}

fn group(input: &Input, report: &mut Report) -> Result<Group, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "datasetGroup")?;
    let name = f.required_string("name")?.to_string();
    let arn = f.required_string("datasetGroupArn")?.to_string();
    let domain = match f.string("domain")? {
        None => Domain::Custom,
        Some("ECOMMERCE") => Domain::Ecommerce,
        Some("VIDEO_ON_DEMAND") => Domain::VideoOnDemand,
        Some(other) => {
            return Err(f.error("domain", format!("unknown value {other:?}; expected ECOMMERCE or VIDEO_ON_DEMAND")));
        }
    };
    for key in ["roleArn", "kmsKeyArn"] {
        if f.has(key) {
            report.unsupported(
                f.file(),
                subject,
                &f.path_of(key),
                "Seer keeps data and artifacts in your bucket: use the bucket's server-side encryption (SSE-KMS) instead",
            );
        }
        f.skip(key);
    }
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(Group { file: input.file.clone(), name, arn, domain })
}

/// An Avro field type (`"string"`, `["null", "string"]`) as a Seer attribute type.
fn avro_type(value: &Value) -> Option<AttributeType> {
    match value {
        Value::String(s) => match s.as_str() {
            "string" => Some(AttributeType::String),
            "int" | "long" => Some(AttributeType::Integer),
            "float" | "double" => Some(AttributeType::Float),
            "boolean" => Some(AttributeType::Boolean),
            _ => None,
        },
        Value::Array(union) => {
            let mut types = union.iter().filter(|t| t.as_str() != Some("null"));
            let one = types.next()?;
            if types.next().is_some() { None } else { avro_type(one) }
        }
        _ => None,
    }
}

fn schema(input: &Input, report: &mut Report) -> Result<Schema, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "schema")?;
    f.skip("name");
    let arn = f.required_string("schemaArn")?.to_string();
    if let Some(d) = f.string("domain")? {
        report.state(f.file(), subject, &format!("{} ({d}: the DatasetGroup's domain decides)", f.path_of("domain")));
    }
    let text = f.required_string("schema")?;
    let avro: Value =
        serde_json::from_str(text).map_err(|e| f.error("schema", format!("not a JSON Avro schema: {e}")))?;
    let avro_f =
        Fields::root(f.file(), &avro).map_err(|_| f.error("schema", "the Avro schema is not a JSON object"))?;
    let mut attributes = Vec::new();
    let mut epoch = false;
    for (i, field) in avro_f.objects("fields")?.into_iter().enumerate() {
        let at = |what: &str| format!("schema (Avro) fields[{i}]{what}");
        let name = field.required_string("name").map_err(|_| f.error(&at(".name"), "missing"))?.to_string();
        let raw = field.raw("type").ok_or_else(|| f.error(&at(".type"), "missing"))?;
        let type_ = avro_type(raw).ok_or_else(|| {
            f.error(
                &at(".type"),
                format!("{raw}: expected string, int, long, float, double or boolean (or a union with null)"),
            )
        })?;
        let categorical = field.boolean("categorical")?.unwrap_or(false);
        if field.boolean("textual")? == Some(true) {
            report.unsupported(
                f.file(),
                subject,
                &at(&format!(" ({name}).textual")),
                "Seer does not read unstructured text; the column is kept as a plain string",
            );
        }
        if matches!(name.as_str(), "TIMESTAMP" | "CREATION_TIMESTAMP") && type_ == AttributeType::Integer {
            epoch = true;
        }
        field.skip("doc");
        for key in field.keys() {
            if !["name", "type", "categorical", "textual", "doc"].contains(&key.as_str()) {
                report.unsupported(
                    f.file(),
                    subject,
                    &at(&format!(" ({name}).{key}")),
                    "an Avro field property Seer does not use",
                );
            }
            field.skip(key);
        }
        attributes.push(SchemaAttribute { name, type_, categorical });
    }
    for key in ["type", "name", "namespace", "version"] {
        avro_f.skip(key); // the Avro record's own name and version
    }
    avro_f.finish(report, subject);
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(Schema { file: input.file.clone(), arn, attributes, epoch })
}

fn dataset(input: &Input, report: &mut Report) -> Result<Option<PDataset>, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "dataset")?;
    f.skip("name");
    let arn = f.required_string("datasetArn")?.to_string();
    let group_arn = f.required_string("datasetGroupArn")?.to_string();
    let type_text = f.required_string("datasetType")?;
    let type_ = match type_text.to_ascii_uppercase().as_str() {
        "INTERACTIONS" => DatasetType::Interactions,
        "ITEMS" => DatasetType::Items,
        "USERS" => DatasetType::Users,
        "ACTIONS" | "ACTION_INTERACTIONS" => {
            report.unsupported(
                f.file(),
                subject,
                &f.path_of("datasetType"),
                format!("{type_text}: Seer has no next-best-action datasets; not converted"),
            );
            for key in f.keys() {
                f.skip(key);
            }
            return Ok(None);
        }
        _ => {
            return Err(
                f.error("datasetType", format!("unknown value {type_text:?}; expected Interactions, Items or Users"))
            );
        }
    };
    let schema_arn = f.string("schemaArn")?.map(String::from);
    if f.has("trackingId") {
        report.substituted(
            f.file(),
            subject,
            &f.path_of("trackingId"),
            "Seer has no event trackers: applications send events to the Campaign (POST /v1/events, or PutEvents at /events)",
        );
    }
    f.skip("trackingId");
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(Some(PDataset { file: input.file.clone(), arn, group_arn, type_, schema_arn }))
}

fn import_job(input: &Input, report: &mut Report) -> Result<ImportJob, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "datasetImportJob")?;
    f.skip("jobName");
    f.skip("datasetImportJobArn");
    let dataset_arn = f.required_string("datasetArn")?.to_string();
    let location = match f.object("dataSource")? {
        Some(s) => {
            let l = s.string("dataLocation")?.map(String::from);
            s.finish(report, subject);
            l
        }
        None => None,
    };
    if f.has("roleArn") {
        report.unsupported(
            f.file(),
            subject,
            &f.path_of("roleArn"),
            "Seer reads S3 with the DatasetGroup's spec.s3 credentials Secret or the operator's identity \
             (for IAM roles for service accounts, give that role to the trainer's ServiceAccount)",
        );
    }
    f.skip("roleArn");
    if let Some(mode) = f.string("importMode")?
        && mode != "FULL"
    {
        report.substituted(
            f.file(),
            subject,
            &f.path_of("importMode"),
            format!("{mode}: Seer reads the whole uri at every training; point it at a prefix (ending in /) that holds every increment"),
        );
    }
    if f.boolean("publishAttributionMetricsToS3")? == Some(true) {
        report.unsupported(
            f.file(),
            subject,
            &f.path_of("publishAttributionMetricsToS3"),
            "Seer has no metric attributions",
        );
    }
    let time = f.raw("lastUpdatedDateTime").or(f.raw("creationDateTime")).and_then(Value::as_f64).unwrap_or(f64::MIN);
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(ImportJob { file: input.file.clone(), dataset_arn, location, time })
}

fn filter(input: &Input, report: &mut Report) -> Result<Option<PFilter>, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "filter")?;
    let name = f.required_string("name")?;
    f.skip("filterArn");
    let group_arn = f.required_string("datasetGroupArn")?.to_string();
    let expression = f.required_string("filterExpression")?;
    skip_state(&f, report, subject);
    f.finish(report, subject);
    let valid_name = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_name {
        return Err(f.error("name", format!("{name:?}: a filter name holds letters, digits, _ and - (at most 63)")));
    }
    let expression = expression.to_string();
    if let Err(e) = Filter::parse(&expression) {
        report.unsupported(
            f.file(),
            subject,
            &f.path_of("filterExpression"),
            format!("{expression:?}: Seer's filters cannot apply it ({e}); not converted"),
        );
        return Ok(None);
    }
    Ok(Some(PFilter { file: input.file.clone(), group_arn, filter: FilterSpec { name: name.to_string(), expression } }))
}

/// `arn:aws:personalize:::recipe/aws-sims` -> the Seer recipe, and what to say about it.
fn recipe(arn: &str) -> Result<(Recipe, Option<String>), String> {
    let name = arn_segments(arn).last().copied().unwrap_or(arn);
    Ok(match name {
        "aws-user-personalization" | "aws-user-personalization-v2" => (Recipe::UserPersonalization, None),
        "aws-personalized-ranking" | "aws-personalized-ranking-v2" => (Recipe::PersonalizedRanking, None),
        "aws-similar-items" => (Recipe::SimilarItems, None),
        "aws-sims" => (Recipe::Sims, None),
        "aws-popularity-count" => (Recipe::PopularityCount, None),
        "aws-trending-now" => (Recipe::TrendingNow, None),
        "aws-hrnn" | "aws-hrnn-metadata" | "aws-hrnn-coldstart" => (
            Recipe::UserPersonalization,
            Some(format!("{name} (legacy) -> USER_PERSONALIZATION, which covers metadata and new items")),
        ),
        "aws-item-affinity" | "aws-item-attribute-affinity" => {
            return Err(format!("{name}: Seer has no user segmentation (batch segment jobs)"));
        }
        "aws-next-best-action" => return Err(format!("{name}: Seer has no next-best-action recipe")),
        other => return Err(format!("{other}: not a recipe Seer knows")),
    })
}

/// One hyperparameter of a recipe, into Seer's recipe parameters.
fn hyperparameter(recipe: Recipe, name: &str, value: &str, p: &mut RecipeParameters) -> Result<(), String> {
    let int = || value.trim().parse::<i32>().map_err(|_| format!("{value:?} is not a whole number"));
    let float = || value.trim().parse::<f64>().map_err(|_| format!("{value:?} is not a number"));
    let personal = matches!(recipe, Recipe::UserPersonalization | Recipe::PersonalizedRanking);
    let sims = matches!(recipe, Recipe::Sims | Recipe::SimilarItems);
    match name {
        "hidden_dimension" if personal => {
            let v = int()?;
            if !(8..=1024).contains(&v) {
                return Err(format!("{v} is outside Seer's 8 to 1024"));
            }
            p.hidden_dimension = Some(v);
        }
        "popularity_discount_factor" if sims => {
            let v = float()?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{v} is outside 0 to 1"));
            }
            p.popularity_discount_factor = Some(v);
        }
        "min_cointeraction_count" if sims => {
            let v = int()?;
            if v < 1 {
                return Err(format!("{v} is below 1"));
            }
            p.min_cointeraction_count = Some(v);
        }
        "bptt" | "recency_mask" => {
            return Err("Seer's model has no recurrent network; recipeParameters.recencyWeight sets how much a user's latest events count".into());
        }
        _ => return Err("no Seer equivalent".into()),
    }
    Ok(())
}

/// Trending-Now's `trend_discovery_frequency` (`30 min`, `1h`, `3h`, `1 day`) as a trend window.
fn trend_window(value: &str) -> Option<String> {
    let compact: String = value.split_whitespace().collect::<Vec<_>>().join("").to_ascii_lowercase();
    let digits: String = compact.chars().take_while(char::is_ascii_digit).collect();
    let n: u32 = digits.parse().ok().filter(|n| *n >= 1)?;
    let unit = match &compact[digits.len()..] {
        "min" | "mins" | "minute" | "minutes" | "m" => "m",
        "h" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        _ => return None,
    };
    Some(format!("{n}{unit}"))
}

struct SolutionOut {
    solution: Solution,
    group_arn: String,
    file: String,
}

fn solution(input: &Input, report: &mut Report) -> Result<Option<SolutionOut>, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "solution")?;
    let aws_name = f.required_string("name")?;
    f.skip("solutionArn");
    let name = k8s_name(aws_name);
    if name != aws_name {
        report.renamed(f.file(), subject, &f.path_of("name"), format!("{aws_name} -> {name}"));
    }
    let group_arn = f.required_string("datasetGroupArn")?.to_string();
    let group_name = arn_name(&group_arn)
        .ok_or_else(|| f.error("datasetGroupArn", format!("{group_arn:?} is not a dataset group ARN")))?;
    let auto_ml = f.boolean("performAutoML")?.unwrap_or(false);
    let best = match f.object("autoMLResult")? {
        Some(r) => {
            let b = r.string("bestRecipeArn")?.map(String::from);
            r.finish(report, subject);
            b
        }
        None => None,
    };
    let config = f.object("solutionConfig")?;
    let auto_list: Vec<String> = match config.as_ref().map(|c| c.object("autoMLConfig")).transpose()?.flatten() {
        Some(a) => {
            a.skip("metricName");
            let l = a.strings("recipeList")?.into_iter().map(String::from).collect();
            a.finish(report, subject);
            l
        }
        None => Vec::new(),
    };
    let recipe_arn = match (auto_ml, best, f.string("recipeArn")?) {
        (true, Some(b), _) => {
            report.substituted(
                f.file(),
                subject,
                &f.path_of("performAutoML"),
                format!("AutoML chose {b}; Seer trains that recipe"),
            );
            b
        }
        (true, None, _) if !auto_list.is_empty() => {
            report.substituted(
                f.file(),
                subject,
                &f.path_of("performAutoML"),
                format!("AutoML had not chosen yet; Seer trains the first recipe of the list, {}", auto_list[0]),
            );
            auto_list[0].clone()
        }
        (_, _, Some(r)) => r.to_string(),
        _ => return Err(f.error("recipeArn", "missing (and no AutoML result)")),
    };
    let (recipe, note) = match recipe(&recipe_arn) {
        Ok(r) => r,
        Err(why) => {
            report.unsupported(
                f.file(),
                subject,
                &f.path_of("recipeArn"),
                format!("{why}; the solution was not converted"),
            );
            for key in f.keys() {
                f.skip(key);
            }
            return Ok(None);
        }
    };
    if let Some(note) = note {
        report.substituted(f.file(), subject, &f.path_of("recipeArn"), note);
    }
    let mut params = RecipeParameters::default();
    let mut events = EventFilter::default();
    if let Some(t) = f.string("eventType")? {
        events.event_types.push(t.to_string());
    }
    let mut retrain = None;
    let auto_training = f.boolean("performAutoTraining")?;
    if f.boolean("performHPO")? == Some(true) {
        report.unsupported(
            f.file(),
            subject,
            &f.path_of("performHPO"),
            "Seer does not tune hyperparameters; the fixed ones in algorithmHyperParameters are carried over",
        );
    }
    if f.boolean("performIncrementalUpdate")? == Some(true) {
        report.substituted(
            f.file(),
            subject,
            &f.path_of("performIncrementalUpdate"),
            "a Campaign takes events live (POST /v1/events) and the next training includes them",
        );
    }
    if let Some(c) = &config {
        if let Some(t) = c.string("eventValueThreshold")? {
            let v = t
                .trim()
                .parse::<f64>()
                .map_err(|_| c.error("eventValueThreshold", format!("{t:?} is not a number")))?;
            events.event_value_threshold = Some(v);
        }
        if c.has("hpoConfig") {
            report.unsupported(f.file(), subject, &c.path_of("hpoConfig"), "Seer does not tune hyperparameters");
        }
        c.skip("hpoConfig");
        for (name, value) in c.string_map("algorithmHyperParameters")? {
            let field = format!("{}.{name}", c.path_of("algorithmHyperParameters"));
            if let Err(why) = hyperparameter(recipe, name, &value, &mut params) {
                report.unsupported(f.file(), subject, &field, format!("{value}: {why}"));
            }
        }
        for (name, value) in c.string_map("featureTransformationParameters")? {
            let field = format!("{}.{name}", c.path_of("featureTransformationParameters"));
            match (recipe, name, trend_window(&value)) {
                (Recipe::TrendingNow, "trend_discovery_frequency", Some(w)) => params.trend_window = Some(w),
                _ => report.unsupported(f.file(), subject, &field, format!("{value}: no Seer equivalent")),
            }
        }
        if let Some(e) = c.object("eventsConfig")? {
            let mut thresholds = Vec::new();
            for p in e.objects("eventParametersList")? {
                if let Some(t) = p.string("eventType")? {
                    events.event_types.push(t.to_string());
                }
                if let Some(v) = p.number("eventValueThreshold")? {
                    thresholds.push(v);
                }
                if let Some(w) = p.number("weight")? {
                    report.unsupported(
                        f.file(),
                        subject,
                        &p.path_of("weight"),
                        format!("{w}: Seer weighs every kept event alike"),
                    );
                }
                p.finish(report, subject);
            }
            thresholds.dedup();
            match thresholds.as_slice() {
                [] => {}
                [one] => events.event_value_threshold = Some(*one),
                many => {
                    let min = many.iter().copied().fold(f64::INFINITY, f64::min);
                    events.event_value_threshold = Some(min);
                    report.substituted(
                        f.file(),
                        subject,
                        &e.path_of("eventParametersList"),
                        format!("thresholds per event type -> one threshold for all, the lowest ({min})"),
                    );
                }
            }
            e.finish(report, subject);
        }
        for key in ["optimizationObjective", "trainingDataConfig"] {
            if c.has(key) {
                let why = if key == "optimizationObjective" {
                    "Seer optimises relevance only (no business-metric objective)"
                } else {
                    "Seer trains on every column of the schema; drop columns from the schema instead"
                };
                report.unsupported(f.file(), subject, &c.path_of(key), why);
            }
            c.skip(key);
        }
        if let Some(a) = c.object("autoTrainingConfig")? {
            if let Some(expr) = a.string("schedulingExpression")? {
                match schedule(expr) {
                    Some((cron, approximate)) => {
                        if approximate {
                            report.substituted(
                                f.file(),
                                subject,
                                &a.path_of("schedulingExpression"),
                                format!("{expr} -> {cron} (cron has no exact equivalent)"),
                            );
                        }
                        retrain = Some(cron);
                    }
                    None => report.unsupported(
                        f.file(),
                        subject,
                        &a.path_of("schedulingExpression"),
                        format!("{expr}: no five-field cron equivalent; set spec.retrain.schedule by hand"),
                    ),
                }
            }
            a.finish(report, subject);
        }
        c.finish(report, subject);
    }
    let retrain = match (auto_training, retrain) {
        (Some(false), _) => None,
        (Some(true), None) => Some("@weekly".to_string()), // AWS's default: rate(7 days)
        (_, r) => r,
    };
    for key in ["latestSolutionVersion", "latestSolutionUpdate"] {
        if f.has(key) {
            report.state(f.file(), subject, &f.path_of(key));
        }
        f.skip(key);
    }
    skip_state(&f, report, subject);
    f.finish(report, subject);
    events.event_types.dedup();
    let spec = SolutionSpec {
        dataset_group_ref: LocalObjectReference { name: k8s_name(group_name) },
        recipe,
        recipe_parameters: (params != RecipeParameters::default()).then_some(params),
        event_filter: (events != EventFilter::default()).then_some(events),
        filters: Vec::new(),
        retrain: retrain.map(|schedule| RetrainSpec { schedule, history_limit: 5, ..Default::default() }),
        artifacts: None,
        trainer: Default::default(),
        deletion_policy: Default::default(),
    };
    Ok(Some(SolutionOut { solution: Solution::new(&name, spec), group_arn, file: input.file.clone() }))
}

fn campaign(input: &Input, report: &mut Report) -> Result<Campaign, TrainerError> {
    let subject = input.kind.command();
    let f = inner(input, "campaign")?;
    let aws_name = f.required_string("name")?;
    f.skip("campaignArn");
    let name = k8s_name(aws_name);
    if name != aws_name {
        report.renamed(f.file(), subject, &f.path_of("name"), format!("{aws_name} -> {name}"));
    }
    let version_arn = f.required_string("solutionVersionArn")?;
    let segments = arn_segments(version_arn);
    let solution = segments
        .first()
        .ok_or_else(|| f.error("solutionVersionArn", format!("{version_arn:?} is not a solution version ARN")))?;
    if segments.len() > 1 {
        report.substituted(
            f.file(),
            subject,
            &f.path_of("solutionVersionArn"),
            "the Campaign serves the Solution's latest version (version: latest); to pin one, set version: vN with promotion.policy: Manual",
        );
    }
    let tps = f.integer("minProvisionedTPS")?.unwrap_or(1);
    if !(1..=100_000).contains(&tps) {
        return Err(f.error("minProvisionedTPS", format!("{tps} is not between 1 and 100000")));
    }
    let mut exploration = None;
    if let Some(c) = f.object("campaignConfig")? {
        let mut e = Exploration::default();
        let mut any = false;
        for (key, value) in c.string_map("itemExplorationConfig")? {
            let field = format!("{}.{key}", c.path_of("itemExplorationConfig"));
            match key {
                "exploration_weight" => {
                    let v: f64 = value.trim().parse().map_err(|_| {
                        c.error(&format!("itemExplorationConfig.{key}"), format!("{value:?} is not a number"))
                    })?;
                    if !(0.0..=1.0).contains(&v) {
                        return Err(
                            c.error(&format!("itemExplorationConfig.{key}"), format!("{v} is not between 0 and 1"))
                        );
                    }
                    e.exploration_weight = v;
                    any = true;
                }
                "exploration_item_age_cut_off" => {
                    let v: i32 = value.trim().parse().map_err(|_| {
                        c.error(
                            &format!("itemExplorationConfig.{key}"),
                            format!("{value:?} is not a whole number of days"),
                        )
                    })?;
                    if !(1..=3650).contains(&v) {
                        return Err(
                            c.error(&format!("itemExplorationConfig.{key}"), format!("{v} is not between 1 and 3650"))
                        );
                    }
                    e.item_age_cut_off_days = v;
                    any = true;
                }
                _ => report.unsupported(f.file(), subject, &field, format!("{value}: no Seer equivalent")),
            }
        }
        exploration = any.then_some(e);
        if c.boolean("enableMetadataWithRecommendations")? == Some(true) {
            report.substituted(
                f.file(),
                subject,
                &c.path_of("enableMetadataWithRecommendations"),
                "nothing to switch on: every Campaign returns the item metadata a request names in metadataColumns",
            );
        }
        if c.boolean("syncWithLatestSolutionVersion")? == Some(false) {
            report.substituted(f.file(), subject, &c.path_of("syncWithLatestSolutionVersion"), "false: AWS kept the deployed version; Seer's version: latest moves on, so pin with version: vN and promotion.policy: Manual");
        }
        if c.has("rankingInfluence") {
            report.unsupported(
                f.file(),
                subject,
                &c.path_of("rankingInfluence"),
                "Seer has no ranking influence (freshness, popularity boosts)",
            );
        }
        c.skip("rankingInfluence");
        c.finish(report, subject);
    }
    if f.has("latestCampaignUpdate") {
        report.state(f.file(), subject, &f.path_of("latestCampaignUpdate"));
    }
    f.skip("latestCampaignUpdate");
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(Campaign::new(
        &name,
        CampaignSpec {
            model_ref: ModelReference { kind: "Solution".into(), name: k8s_name(solution) },
            version: "latest".into(),
            promotion: None,
            min_provisioned_tps: tps,
            autoscaling: Default::default(),
            resources: None,
            placement: None,
            image: None,
            service_account_name: None,
            service: Default::default(),
            exploration,
            access: None,
            event_store: None,
        },
    ))
}

fn dataset_placeholder(group: &str, t: DatasetType) -> String {
    let file = match t {
        DatasetType::Items => "items",
        DatasetType::Users => "users",
        _ => "interactions",
    };
    format!("s3://REPLACE-ME/{group}/{file}/")
}

/// Everything Personalize: DatasetGroups, Solutions, Campaigns.
pub(super) fn convert(
    inputs: &[&Input],
    options: &Options,
    report: &mut Report,
) -> Result<Vec<Converted>, TrainerError> {
    let (mut groups, mut schemas, mut datasets, mut jobs, mut filters, mut solutions, mut campaigns) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for input in inputs {
        match input.kind {
            Kind::PersonalizeDatasetGroup => groups.push(group(input, report)?),
            Kind::PersonalizeSchema => schemas.push(schema(input, report)?),
            Kind::PersonalizeDataset => datasets.extend(dataset(input, report)?),
            Kind::PersonalizeImportJob => jobs.push(import_job(input, report)?),
            Kind::PersonalizeFilter => filters.extend(filter(input, report)?),
            Kind::PersonalizeSolution => solutions.extend(solution(input, report)?),
            Kind::PersonalizeCampaign => campaigns.push((campaign(input, report)?, input.file.clone())),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for g in &groups {
        let subject = Kind::PersonalizeDatasetGroup.command();
        let name = k8s_name(&g.name);
        if name != g.name {
            report.renamed(&g.file, subject, "datasetGroup.name", format!("{} -> {name}", g.name));
        }
        let mut sources = vec![g.file.clone()];
        let mut seer_datasets = Vec::new();
        for d in datasets.iter().filter(|d| d.group_arn == g.arn) {
            sources.push(d.file.clone());
            let schema = d.schema_arn.as_ref().and_then(|arn| schemas.iter().find(|s| &s.arn == arn));
            match (schema, &d.schema_arn) {
                (Some(s), _) => sources.push(s.file.clone()),
                (None, Some(arn)) => report.missing(
                    &d.file,
                    Kind::PersonalizeDataset.command(),
                    "dataset.schemaArn",
                    format!("{arn} is not among the inputs: the dataset gets the domain's default schema"),
                ),
                (None, None) => {}
            }
            let mut for_dataset: Vec<&ImportJob> = jobs.iter().filter(|j| j.dataset_arn == d.arn).collect();
            for_dataset.sort_by(|a, b| a.time.total_cmp(&b.time));
            let job = for_dataset.last().copied();
            if let Some(j) = job {
                sources.push(j.file.clone());
            }
            let uri = match job.and_then(|j| j.location.clone()) {
                Some(l) => l,
                None => {
                    report.missing(
                        &d.file,
                        Kind::PersonalizeDataset.command(),
                        "dataset.datasetArn",
                        format!("no describe-dataset-import-job output for {}: its uri is a placeholder, set it to where the data is", d.arn),
                    );
                    dataset_placeholder(&name, d.type_)
                }
            };
            seer_datasets.push(Dataset {
                type_: d.type_,
                uri,
                format: Default::default(),
                schema: schema.map(|s| DatasetSchema { attributes: s.attributes.clone() }),
                timestamp_format: schema.filter(|s| s.epoch).map(|_| "epoch".to_string()),
                time_zone: None,
                data_frequency: None,
            });
        }
        if !seer_datasets.iter().any(|d| d.type_ == DatasetType::Interactions) {
            return Err(TrainerError::Manifest {
                file: g.file.clone(),
                message: format!(
                    "dataset group {}: no Interactions dataset among the inputs (give its describe-dataset output)",
                    g.name
                ),
            });
        }
        let mut dg = DatasetGroup::new(&name, DatasetGroupSpec { domain: g.domain, datasets: seer_datasets, s3: None });
        dg.metadata.namespace = options.namespace.clone();
        out.push(Converted { manifest: Manifest::DatasetGroup(Box::new(dg)), sources });
    }
    for d in &datasets {
        if !groups.iter().any(|g| g.arn == d.group_arn) {
            report.missing(
                &d.file,
                Kind::PersonalizeDataset.command(),
                "dataset.datasetGroupArn",
                format!("{} is not among the inputs; the dataset was not converted", d.group_arn),
            );
        }
    }
    for j in &jobs {
        if !datasets.iter().any(|d| d.arn == j.dataset_arn) {
            report.missing(
                &j.file,
                Kind::PersonalizeImportJob.command(),
                "datasetImportJob.datasetArn",
                format!("{} is not among the inputs; this import job was not used", j.dataset_arn),
            );
        }
    }
    for s in &schemas {
        if !datasets.iter().any(|d| d.schema_arn.as_deref() == Some(s.arn.as_str())) {
            report.missing(
                &s.file,
                Kind::PersonalizeSchema.command(),
                "schema.schemaArn",
                "no dataset among the inputs uses this schema; it was not used",
            );
        }
    }
    for mut s in solutions {
        let mut sources = vec![s.file.clone()];
        if !groups.iter().any(|g| g.arn == s.group_arn) {
            report.missing(
                &s.file,
                Kind::PersonalizeSolution.command(),
                "solution.datasetGroupArn",
                format!(
                    "{} is not among the inputs (give its describe-dataset-group output to convert it)",
                    s.group_arn
                ),
            );
        }
        for f in filters.iter().filter(|f| f.group_arn == s.group_arn) {
            s.solution.spec.filters.push(f.filter.clone());
            sources.push(f.file.clone());
        }
        s.solution.metadata.namespace = options.namespace.clone();
        out.push(Converted { manifest: Manifest::Solution(Box::new(s.solution)), sources });
    }
    for f in &filters {
        let attached = out.iter().any(|c| {
            matches!(&c.manifest, Manifest::Solution(s) if s.spec.filters.iter().any(|x| x.name == f.filter.name))
                && c.sources.contains(&f.file)
        });
        if !attached {
            report.missing(
                &f.file,
                Kind::PersonalizeFilter.command(),
                "filter.datasetGroupArn",
                format!("no solution of {} among the inputs: Seer keeps filters on the Solution, so this one was not converted", f.group_arn),
            );
        }
    }
    for (mut c, file) in campaigns {
        let model = c.spec.model_ref.name.clone();
        if !out.iter().any(|o| matches!(&o.manifest, Manifest::Solution(_)) && o.manifest.name() == model) {
            report.missing(
                &file,
                Kind::PersonalizeCampaign.command(),
                "campaign.solutionVersionArn",
                format!("the solution {model} is not among the inputs (give its describe-solution output)"),
            );
        }
        c.metadata.namespace = options.namespace.clone();
        out.push(Converted { manifest: Manifest::Campaign(Box::new(c)), sources: vec![file] });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes() {
        assert_eq!(
            recipe("arn:aws:personalize:::recipe/aws-user-personalization-v2").unwrap().0,
            Recipe::UserPersonalization
        );
        assert_eq!(recipe("arn:aws:personalize:::recipe/aws-sims").unwrap().0, Recipe::Sims);
        assert_eq!(recipe("arn:aws:personalize:::recipe/aws-similar-items").unwrap().0, Recipe::SimilarItems);
        assert_eq!(recipe("arn:aws:personalize:::recipe/aws-popularity-count").unwrap().0, Recipe::PopularityCount);
        assert_eq!(recipe("arn:aws:personalize:::recipe/aws-trending-now").unwrap().0, Recipe::TrendingNow);
        assert_eq!(
            recipe("arn:aws:personalize:::recipe/aws-personalized-ranking").unwrap().0,
            Recipe::PersonalizedRanking
        );
        let (r, note) = recipe("arn:aws:personalize:::recipe/aws-hrnn").unwrap();
        assert_eq!(r, Recipe::UserPersonalization);
        assert!(note.unwrap().contains("legacy"));
        assert!(recipe("arn:aws:personalize:::recipe/aws-item-affinity").unwrap_err().contains("segmentation"));
    }

    #[test]
    fn avro_types_and_trend_windows() {
        assert_eq!(avro_type(&serde_json::json!("long")), Some(AttributeType::Integer));
        assert_eq!(avro_type(&serde_json::json!(["null", "string"])), Some(AttributeType::String));
        assert_eq!(avro_type(&serde_json::json!(["int", "string"])), None);
        assert_eq!(avro_type(&serde_json::json!("bytes")), None);
        assert_eq!(trend_window("30 min").as_deref(), Some("30m"));
        assert_eq!(trend_window("1 day").as_deref(), Some("1d"));
        assert_eq!(trend_window("3h").as_deref(), Some("3h"));
        assert_eq!(trend_window("soon"), None);
    }

    #[test]
    fn hyperparameters_map_by_recipe() {
        let mut p = RecipeParameters::default();
        hyperparameter(Recipe::UserPersonalization, "hidden_dimension", "55", &mut p).unwrap();
        assert_eq!(p.hidden_dimension, Some(55));
        assert!(hyperparameter(Recipe::Sims, "hidden_dimension", "55", &mut p).is_err(), "not a SIMS parameter");
        hyperparameter(Recipe::Sims, "popularity_discount_factor", "0.3", &mut p).unwrap();
        assert_eq!(p.popularity_discount_factor, Some(0.3));
        assert!(
            hyperparameter(Recipe::UserPersonalization, "bptt", "32", &mut p).unwrap_err().contains("recencyWeight")
        );
        assert!(
            hyperparameter(Recipe::UserPersonalization, "hidden_dimension", "4", &mut p)
                .unwrap_err()
                .contains("8 to 1024")
        );
    }
}
