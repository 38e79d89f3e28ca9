//! Amazon Forecast: dataset groups, datasets and their import jobs become a DatasetGroup;
//! an AutoPredictor or a legacy predictor becomes a Predictor.

use std::collections::BTreeMap;

use seer_api::{
    AttributeFilling, AttributeType, BacktestSpec, DataFormat, Dataset, DatasetGroup, DatasetGroupSpec, DatasetSchema,
    DatasetType, Domain, Featurization, FillMethod, ForecastAlgorithm, LocalObjectReference, OptimizationMetric,
    Predictor, PredictorSpec, SchemaAttribute,
};
use serde::de::DeserializeOwned;

use super::fields::Fields;
use super::names::{arn_name, arn_segments, is_seer_frequency, k8s_name};
use super::report::Report;
use super::{Converted, Input, Kind, Manifest, Options};
use crate::TrainerError;

/// An AWS enum value as the Seer enum of the same spelling.
pub(super) fn enum_value<T: DeserializeOwned>(
    f: &Fields<'_>,
    key: &str,
    text: &str,
    expected: &str,
) -> Result<T, TrainerError> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| f.error(key, format!("unknown value {text:?}; expected one of {expected}")))
}

struct Group {
    file: String,
    name: String,
    arn: String,
    domain: Domain,
    dataset_arns: Vec<String>,
}

struct ForecastDataset {
    file: String,
    arn: String,
    domain: Option<Domain>,
    type_: DatasetType,
    frequency: Option<String>,
    schema: Option<DatasetSchema>,
}

struct ImportJob {
    file: String,
    dataset_arn: String,
    path: Option<String>,
    timestamp_format: Option<String>,
    time_zone: Option<String>,
    format: DataFormat,
    time: f64,
}

const STATE: [&str; 6] =
    ["Status", "Message", "CreationTime", "LastModificationTime", "EstimatedTimeRemainingInMinutes", "DataSize"];

fn skip_state(f: &Fields<'_>, report: &mut Report, subject: &str) {
    for key in STATE {
        if f.has(key) {
            report.state(f.file(), subject, key);
        }
        f.skip(key);
    }
}

fn encryption(f: &Fields<'_>, report: &mut Report, subject: &str) -> Result<(), TrainerError> {
    if let Some(e) = f.object("EncryptionConfig")? {
        if e.has("KMSKeyArn") || e.has("RoleArn") {
            report.unsupported(
                f.file(),
                subject,
                &f.path_of("EncryptionConfig"),
                "Seer keeps data and artifacts in your bucket: use the bucket's server-side encryption (SSE-KMS) instead",
            );
        }
        e.skip("KMSKeyArn");
        e.skip("RoleArn");
        e.finish(report, subject);
    }
    Ok(())
}

fn group(input: &Input, report: &mut Report) -> Result<Group, TrainerError> {
    let subject = input.kind.command();
    let f = Fields::root(&input.file, &input.value)?;
    let name = f.required_string("DatasetGroupName")?.to_string();
    let arn = f.required_string("DatasetGroupArn")?.to_string();
    let domain_text = f.required_string("Domain")?;
    let domain = enum_value(&f, "Domain", domain_text, FORECAST_DOMAINS)?;
    let dataset_arns = f.strings("DatasetArns")?.into_iter().map(String::from).collect();
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(Group { file: input.file.clone(), name, arn, domain, dataset_arns })
}

const FORECAST_DOMAINS: &str = "RETAIL, CUSTOM, INVENTORY_PLANNING, EC2_CAPACITY, WORK_FORCE, WEB_TRAFFIC, METRICS";

fn attribute_type(f: &Fields<'_>, key: &str, text: &str) -> Result<AttributeType, TrainerError> {
    enum_value(f, key, text, "string, integer, float, timestamp, geolocation")
}

fn dataset(input: &Input, report: &mut Report) -> Result<ForecastDataset, TrainerError> {
    let subject = input.kind.command();
    let f = Fields::root(&input.file, &input.value)?;
    let arn = f.required_string("DatasetArn")?.to_string();
    f.skip("DatasetName"); // the DatasetGroup is named after the dataset group; datasets are not named in Seer
    let domain = match f.string("Domain")? {
        Some(d) => Some(enum_value(&f, "Domain", d, FORECAST_DOMAINS)?),
        None => None,
    };
    let type_text = f.required_string("DatasetType")?;
    let type_ = match type_text {
        "TARGET_TIME_SERIES" => DatasetType::TargetTimeSeries,
        "RELATED_TIME_SERIES" => DatasetType::RelatedTimeSeries,
        "ITEM_METADATA" => DatasetType::ItemMetadata,
        other => {
            return Err(f.error(
                "DatasetType",
                format!("unknown value {other:?}; expected TARGET_TIME_SERIES, RELATED_TIME_SERIES or ITEM_METADATA"),
            ));
        }
    };
    let frequency = match f.string("DataFrequency")? {
        Some(freq) if is_seer_frequency(freq) => Some(freq.to_string()),
        Some(freq) => {
            return Err(
                f.error("DataFrequency", format!("{freq:?} is not a frequency such as 15min, H, D, W, M, Q or Y"))
            );
        }
        None => None,
    };
    let schema = match f.object("Schema")? {
        None => None,
        Some(s) => {
            let mut attributes = Vec::new();
            for a in s.objects("Attributes")? {
                let name = a.required_string("AttributeName")?.to_string();
                let type_ = attribute_type(&a, "AttributeType", a.required_string("AttributeType")?)?;
                // Amazon Forecast reads every string of item metadata as a category.
                let categorical = type_ == AttributeType::String && dataset_is_metadata(type_text) && name != "item_id";
                a.finish(report, subject);
                attributes.push(SchemaAttribute { name, type_, categorical });
            }
            s.finish(report, subject);
            Some(DatasetSchema { attributes })
        }
    };
    encryption(&f, report, subject)?;
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(ForecastDataset { file: input.file.clone(), arn, domain, type_, frequency, schema })
}

/// A predictor backtest export job: what it asks for is `spec.backtest.export` on its Predictor.
struct BacktestExportJob {
    file: String,
    predictor_arn: String,
}

fn backtest_export_job(input: &Input, report: &mut Report) -> Result<BacktestExportJob, TrainerError> {
    let subject = input.kind.command();
    let f = Fields::root(&input.file, &input.value)?;
    f.skip("PredictorBacktestExportJobName");
    f.skip("PredictorBacktestExportJobArn");
    let predictor_arn = f.required_string("PredictorArn")?.to_string();
    if let Some(destination) = f.object("Destination")? {
        if let Some(s3) = destination.object("S3Config")? {
            if let Some(path) = s3.string("Path")? {
                report.substituted(
                    f.file(),
                    subject,
                    &s3.path_of("Path"),
                    format!(
                        "{path}: every version writes its backtest export to backtest/ in its own folder, under the \
                         Predictor's artifact storage"
                    ),
                );
            }
            for key in ["RoleArn", "KMSKeyArn"] {
                if s3.has(key) {
                    report.unsupported(
                        f.file(),
                        subject,
                        &s3.path_of(key),
                        "written with the trainer's storage credentials",
                    );
                }
                s3.skip(key);
            }
            s3.finish(report, subject);
        }
        destination.finish(report, subject);
    }
    if let Some(format) = f.string("Format")?
        && !format.eq_ignore_ascii_case("CSV")
    {
        report.substituted(f.file(), subject, "Format", format!("{format}: the backtest export is CSV"));
    }
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(BacktestExportJob { file: input.file.clone(), predictor_arn })
}

fn dataset_is_metadata(type_text: &str) -> bool {
    type_text == "ITEM_METADATA"
}

fn import_job(input: &Input, report: &mut Report) -> Result<ImportJob, TrainerError> {
    let subject = input.kind.command();
    let f = Fields::root(&input.file, &input.value)?;
    f.skip("DatasetImportJobName");
    f.skip("DatasetImportJobArn");
    let dataset_arn = f.required_string("DatasetArn")?.to_string();
    let mut path = None;
    if let Some(source) = f.object("DataSource")? {
        if let Some(s3) = source.object("S3Config")? {
            path = s3.string("Path")?.map(String::from);
            if s3.has("RoleArn") {
                report.unsupported(
                    f.file(),
                    subject,
                    &s3.path_of("RoleArn"),
                    "Seer reads S3 with the DatasetGroup's spec.s3 credentials Secret or the operator's identity \
                     (for IAM roles for service accounts, give that role to the trainer's ServiceAccount)",
                );
            }
            s3.skip("RoleArn");
            if s3.has("KMSKeyArn") {
                report.unsupported(f.file(), subject, &s3.path_of("KMSKeyArn"), "objects encrypted with SSE-KMS are read transparently by S3 when the reader may use the key; Seer has no setting for it");
            }
            s3.skip("KMSKeyArn");
            s3.finish(report, subject);
        }
        source.finish(report, subject);
    }
    let timestamp_format = f.string("TimestampFormat")?.map(String::from);
    let time_zone = f.string("TimeZone")?.map(String::from);
    for key in ["UseGeolocationForTimeZone", "GeolocationFormat"] {
        if f.has(key) && f.raw(key).and_then(|v| v.as_bool()) != Some(false) {
            report.unsupported(
                f.file(),
                subject,
                key,
                "Seer does not derive time zones from geolocation: set the dataset's timeZone",
            );
        }
        f.skip(key);
    }
    let format = match f.string("Format")? {
        None => DataFormat::Csv,
        Some(text) => enum_value(&f, "Format", &text.to_ascii_uppercase(), "CSV, PARQUET")?,
    };
    if let Some(mode) = f.string("ImportMode")?
        && mode != "FULL"
    {
        report.substituted(
            f.file(),
            subject,
            "ImportMode",
            format!("{mode}: Seer reads the whole uri at every training; point it at a prefix (ending in /) that holds every increment"),
        );
    }
    let time = f.raw("LastModificationTime").or(f.raw("CreationTime")).and_then(|v| v.as_f64()).unwrap_or(f64::MIN);
    if f.has("FieldStatistics") {
        report.state(f.file(), subject, "FieldStatistics");
    }
    f.skip("FieldStatistics");
    skip_state(&f, report, subject);
    f.finish(report, subject);
    Ok(ImportJob { file: input.file.clone(), dataset_arn, path, timestamp_format, time_zone, format, time })
}

/// Everything Forecast: the DatasetGroups, then the Predictors.
pub(super) fn convert(
    inputs: &[&Input],
    options: &Options,
    report: &mut Report,
) -> Result<Vec<Converted>, TrainerError> {
    let mut groups = Vec::new();
    let mut datasets = Vec::new();
    let mut jobs = Vec::new();
    let mut exports = Vec::new();
    for input in inputs {
        match input.kind {
            Kind::ForecastDatasetGroup => groups.push(group(input, report)?),
            Kind::ForecastDataset => datasets.push(dataset(input, report)?),
            Kind::ForecastImportJob => jobs.push(import_job(input, report)?),
            Kind::ForecastBacktestExportJob => exports.push(backtest_export_job(input, report)?),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut used_datasets = vec![false; datasets.len()];
    let mut target_fields: BTreeMap<String, &'static str> = BTreeMap::new();
    for g in &groups {
        let subject = Kind::ForecastDatasetGroup.command();
        let name = k8s_name(&g.name);
        if name != g.name {
            report.renamed(&g.file, subject, "DatasetGroupName", format!("{} -> {name}", g.name));
        }
        let mut sources = vec![g.file.clone()];
        let mut seer_datasets = Vec::new();
        for (i, d) in datasets.iter().enumerate() {
            let listed = g.dataset_arns.contains(&d.arn);
            // The dataset group's own describe output in AWS's getting-started guide lists the
            // group's ARN instead of the dataset's: with one group, its datasets are the ones given.
            if !(listed || groups.len() == 1) {
                continue;
            }
            if !listed {
                report.substituted(
                    &d.file,
                    Kind::ForecastDataset.command(),
                    "DatasetArn",
                    format!(
                        "not in DatasetArns of {}; taken as its dataset since it is the only dataset group given",
                        g.name
                    ),
                );
            }
            used_datasets[i] = true;
            if let Some(domain) = d.domain
                && domain != g.domain
            {
                return Err(TrainerError::Manifest {
                    file: d.file.clone(),
                    message: format!("Domain: {domain:?} differs from the dataset group's {:?} ({})", g.domain, g.file),
                });
            }
            sources.push(d.file.clone());
            let mut for_dataset: Vec<&ImportJob> = jobs.iter().filter(|j| j.dataset_arn == d.arn).collect();
            for_dataset.sort_by(|a, b| a.time.total_cmp(&b.time));
            let job = for_dataset.last().copied();
            for older in for_dataset.iter().rev().skip(1) {
                report.substituted(
                    &older.file,
                    Kind::ForecastImportJob.command(),
                    "DataSource.S3Config.Path",
                    "a newer import job of the same dataset was given; its path is the dataset's uri",
                );
            }
            let uri = match job.and_then(|j| j.path.clone()) {
                Some(p) => p,
                None => {
                    report.missing(
                        &d.file,
                        Kind::ForecastDataset.command(),
                        "DatasetArn",
                        format!(
                            "no describe-dataset-import-job output for {}: its uri is a placeholder, set it to where the data is",
                            d.arn
                        ),
                    );
                    format!("s3://REPLACE-ME/{name}/{}/", dataset_folder(d.type_))
                }
            };
            if let Some(j) = job {
                sources.push(j.file.clone());
            }
            seer_datasets.push(Dataset {
                type_: d.type_,
                uri,
                format: job.map(|j| j.format).unwrap_or_default(),
                schema: d.schema.clone(),
                timestamp_format: job.and_then(|j| j.timestamp_format.clone()),
                time_zone: job.and_then(|j| j.time_zone.clone()),
                data_frequency: d.frequency.clone(),
            });
        }
        for arn in &g.dataset_arns {
            if !datasets.iter().any(|d| &d.arn == arn) && arn != &g.arn {
                report.missing(
                    &g.file,
                    subject,
                    "DatasetArns",
                    format!("{arn} is not among the inputs (give its describe-dataset output to convert it)"),
                );
            }
        }
        if !seer_datasets.iter().any(|d| d.type_ == DatasetType::TargetTimeSeries) {
            return Err(TrainerError::Manifest {
                file: g.file.clone(),
                message: format!(
                    "dataset group {}: no TARGET_TIME_SERIES dataset among the inputs (give its describe-dataset output)",
                    g.name
                ),
            });
        }
        target_fields.insert(g.arn.clone(), g.domain.target_field());
        let mut dg = DatasetGroup::new(&name, DatasetGroupSpec { domain: g.domain, datasets: seer_datasets, s3: None });
        dg.metadata.namespace = options.namespace.clone();
        out.push(Converted { manifest: Manifest::DatasetGroup(Box::new(dg)), sources });
    }
    for (d, used) in datasets.iter().zip(&used_datasets) {
        if !used {
            report.missing(
                &d.file,
                Kind::ForecastDataset.command(),
                "DatasetArn",
                "no dataset group among the inputs lists this dataset; it was not converted",
            );
        }
    }
    for j in &jobs {
        if !datasets.iter().any(|d| d.arn == j.dataset_arn) {
            report.missing(
                &j.file,
                Kind::ForecastImportJob.command(),
                "DatasetArn",
                format!("{} is not among the inputs; this import job was not used", j.dataset_arn),
            );
        }
    }
    for input in inputs {
        let predictor = match input.kind {
            Kind::ForecastAutoPredictor => auto_predictor(input, &target_fields, report)?,
            Kind::ForecastPredictor => legacy_predictor(input, &target_fields, report)?,
            _ => continue,
        };
        let mut p = predictor;
        p.metadata.namespace = options.namespace.clone();
        let mut sources = vec![input.file.clone()];
        let arn = input.value.get("PredictorArn").and_then(|v| v.as_str());
        for e in exports.iter().filter(|e| Some(e.predictor_arn.as_str()) == arn) {
            p.spec.backtest.export = true;
            sources.push(e.file.clone());
        }
        out.push(Converted { manifest: Manifest::Predictor(Box::new(p)), sources });
    }
    for e in &exports {
        let converted = inputs.iter().any(|i| {
            matches!(i.kind, Kind::ForecastAutoPredictor | Kind::ForecastPredictor)
                && i.value.get("PredictorArn").and_then(|v| v.as_str()) == Some(e.predictor_arn.as_str())
        });
        if !converted {
            report.missing(
                &e.file,
                Kind::ForecastBacktestExportJob.command(),
                "PredictorArn",
                format!(
                    "{} is not among the inputs; give its describe-auto-predictor output, or set \
                     spec.backtest.export: true on the Predictor",
                    e.predictor_arn
                ),
            );
        }
    }
    Ok(out)
}

fn dataset_folder(t: DatasetType) -> &'static str {
    match t {
        DatasetType::TargetTimeSeries => "target_time_series",
        DatasetType::RelatedTimeSeries => "related_time_series",
        DatasetType::ItemMetadata => "item_metadata",
        DatasetType::Interactions => "interactions",
        DatasetType::Items => "items",
        DatasetType::Users => "users",
    }
}

/// The names of the target field in every forecasting domain (when the group is not given).
const TARGET_FIELDS: [&str; 6] =
    ["demand", "number_of_instances", "workforce_demand", "value", "metric_value", "target_value"];

/// Predictor fields both describe outputs share.
struct Common {
    name: String,
    group: String,
    target_field: Option<&'static str>,
    horizon: i32,
    types: Option<Vec<String>>,
    metric: OptimizationMetric,
}

fn common(
    f: &Fields<'_>,
    group_arn: &str,
    group_key: &str,
    targets: &BTreeMap<String, &'static str>,
    report: &mut Report,
    subject: &str,
) -> Result<Common, TrainerError> {
    let aws_name = f.required_string("PredictorName")?;
    f.skip("PredictorArn");
    let name = k8s_name(aws_name);
    if name != aws_name {
        report.renamed(f.file(), subject, "PredictorName", format!("{aws_name} -> {name}"));
    }
    let group_name =
        arn_name(group_arn).ok_or_else(|| f.error(group_key, format!("{group_arn:?} is not a dataset group ARN")))?;
    if !targets.contains_key(group_arn) {
        report.missing(
            f.file(),
            subject,
            group_key,
            format!("the dataset group {group_name} is not among the inputs (give its describe-dataset-group output to convert it)"),
        );
    }
    let horizon = f.integer("ForecastHorizon")?.ok_or_else(|| f.error("ForecastHorizon", "missing"))?;
    if !(1..=500).contains(&horizon) {
        return Err(f.error("ForecastHorizon", format!("{horizon} is not between 1 and 500")));
    }
    let types = if f.has("ForecastTypes") {
        let types: Vec<String> = f.strings("ForecastTypes")?.into_iter().map(String::from).collect();
        for t in &types {
            let quantile = t.strip_prefix("0.").is_some_and(|d| {
                (1..=3).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()) && d.chars().any(|c| c != '0')
            });
            if !(quantile || t == "mean") {
                return Err(f.error("ForecastTypes", format!("{t:?} is not a quantile such as \"0.1\" or mean")));
            }
        }
        Some(types)
    } else {
        None
    };
    let metric = match f.string("OptimizationMetric")? {
        Some(m) => enum_value(f, "OptimizationMetric", m, "WAPE, RMSE, AverageWeightedQuantileLoss, MASE, MAPE")?,
        None => OptimizationMetric::default(),
    };
    f.skip("DatasetImportJobArns");
    if f.has("DatasetImportJobArns") {
        report.state(f.file(), subject, "DatasetImportJobArns");
    }
    encryption(f, report, subject)?;
    skip_state(f, report, subject);
    Ok(Common {
        name,
        group: k8s_name(group_name),
        target_field: targets.get(group_arn).copied(),
        horizon,
        types,
        metric,
    })
}

fn is_target(attribute: &str, target_field: Option<&str>) -> bool {
    match target_field {
        Some(t) => attribute == t,
        None => TARGET_FIELDS.contains(&attribute),
    }
}

fn fill_method(f: &Fields<'_>, key: &str, text: &str) -> Result<FillMethod, TrainerError> {
    enum_value(f, key, text, "zero, nan, value, mean, median, min, max")
}

/// One attribute's filling and aggregation (`FeaturizationMethodParameters` of a legacy
/// predictor, `Transformations` of an AutoPredictor: the same keys).
fn filling(
    f: &Fields<'_>,
    key: &str,
    attribute: &str,
    target: bool,
    featurization: &mut Featurization,
    report: &mut Report,
    subject: &str,
) -> Result<Option<AttributeFilling>, TrainerError> {
    let mut fill = AttributeFilling {
        attribute_name: attribute.to_string(),
        frontfill: None,
        middlefill: None,
        middlefill_value: None,
        backfill: None,
        backfill_value: None,
        futurefill: None,
        futurefill_value: None,
    };
    let path = f.path_of(key);
    let number = |name: &str, text: &str| -> Result<f64, TrainerError> {
        text.trim().parse::<f64>().map_err(|_| f.error(&format!("{key}.{name}"), format!("{text:?} is not a number")))
    };
    for (name, value) in f.string_map(key)? {
        let v = value.as_str();
        match name {
            "aggregation" if target => {
                featurization.aggregation =
                    enum_value(f, &format!("{key}.aggregation"), v, "sum, avg, first, min, max")?;
            }
            "aggregation" => {
                if v != "sum" {
                    report.unsupported(
                        f.file(),
                        subject,
                        &format!("{path}.aggregation"),
                        format!("{v} for {attribute}: Seer aggregates only the target (featurization.aggregation)"),
                    );
                }
            }
            "frontfill" if v == "none" => fill.frontfill = Some("none".into()),
            "frontfill" => {
                return Err(f.error(&format!("{key}.frontfill"), format!("{v:?}: only none is supported (as in AWS)")));
            }
            "middlefill" => fill.middlefill = Some(fill_method(f, &format!("{key}.middlefill"), v)?),
            "backfill" => fill.backfill = Some(fill_method(f, &format!("{key}.backfill"), v)?),
            "futurefill" => fill.futurefill = Some(fill_method(f, &format!("{key}.futurefill"), v)?),
            "middlefill_value" => fill.middlefill_value = Some(number(name, v)?),
            "backfill_value" => fill.backfill_value = Some(number(name, v)?),
            "futurefill_value" => fill.futurefill_value = Some(number(name, v)?),
            other => report.unsupported(
                f.file(),
                subject,
                &format!("{path}.{other}"),
                format!("{v}: not a Seer filling setting"),
            ),
        }
    }
    let only_aggregation = fill.frontfill.is_none()
        && fill.middlefill.is_none()
        && fill.backfill.is_none()
        && fill.futurefill.is_none()
        && fill.middlefill_value.is_none()
        && fill.backfill_value.is_none()
        && fill.futurefill_value.is_none();
    Ok(if only_aggregation { None } else { Some(fill) })
}

fn frequency(f: &Fields<'_>, key: &str) -> Result<Option<String>, TrainerError> {
    match f.string(key)? {
        Some(freq) if is_seer_frequency(freq) => Ok(Some(freq.to_string())),
        Some(freq) => Err(f.error(key, format!("{freq:?} is not a frequency such as 15min, H, D, W, M, Q or Y"))),
        None => Ok(None),
    }
}

fn predictor(
    c: Common,
    frequency: String,
    dimensions: Vec<String>,
    algorithm: ForecastAlgorithm,
    backtest: BacktestSpec,
    featurization: Featurization,
) -> Predictor {
    Predictor::new(
        &c.name,
        PredictorSpec {
            dataset_group_ref: LocalObjectReference { name: c.group },
            forecast_horizon: c.horizon,
            forecast_frequency: frequency,
            forecast_types: c.types.unwrap_or_else(|| vec!["0.1".into(), "0.5".into(), "0.9".into()]),
            forecast_dimensions: dimensions,
            algorithm,
            algorithm_parameters: BTreeMap::new(),
            backtest,
            featurization,
            optimization_metric: c.metric,
            retrain: None,
            export: None,
            artifacts: None,
            trainer: Default::default(),
            deletion_policy: Default::default(),
        },
    )
}

fn auto_predictor(
    input: &Input,
    targets: &BTreeMap<String, &'static str>,
    report: &mut Report,
) -> Result<Predictor, TrainerError> {
    let subject = input.kind.command();
    let f = Fields::root(&input.file, &input.value)?;
    let data = f.object("DataConfig")?.ok_or_else(|| f.error("DataConfig", "missing"))?;
    let group_arn = data.required_string("DatasetGroupArn")?;
    let c = common(&f, group_arn, &data.path_of("DatasetGroupArn"), targets, report, subject)?;
    let freq = frequency(&f, "ForecastFrequency")?.ok_or_else(|| f.error("ForecastFrequency", "missing"))?;
    let dimensions = f.strings("ForecastDimensions")?.into_iter().map(String::from).collect();
    let mut featurization = Featurization::default();
    for a in data.objects("AttributeConfigs")? {
        let attribute = a.required_string("AttributeName")?;
        if let Some(fill) = filling(
            &a,
            "Transformations",
            attribute,
            is_target(attribute, c.target_field),
            &mut featurization,
            report,
            subject,
        )? {
            featurization.attributes.push(fill);
        }
        a.finish(report, subject);
    }
    for (i, d) in data.objects("AdditionalDatasets")?.into_iter().enumerate() {
        let name = d.string("Name")?.unwrap_or("?");
        d.skip("Configuration");
        report.unsupported(
            f.file(),
            subject,
            &format!("DataConfig.AdditionalDatasets[{i}]"),
            format!(
                "{name}: Seer has no built-in holiday or weather data; add it as columns of the related time series"
            ),
        );
        d.finish(report, subject);
    }
    data.finish(report, subject);
    report.substituted(
        f.file(),
        subject,
        "(AutoPredictor)",
        "AutoPredictor -> algorithm AUTO: Seer backtests its statistical models and its global model \
         (BOOSTED_TREES) per item and ensembles the best (AWS's AutoPredictor also tried CNN-QR, DeepAR+ and \
         Prophet)",
    );
    for (key, why) in [
        (
            "ReferencePredictorSummary",
            "Seer versions a Predictor itself (status.versions); there is no reference predictor",
        ),
        ("ExplainabilityInfo", "Seer has no predictor explainability (impact scores)"),
        ("MonitorInfo", "Seer has no predictor monitoring; compare versions' metrics in status.versions"),
        (
            "TimeAlignmentBoundary",
            "Seer aligns periods to calendar boundaries (months to the 1st, quarters to Jan/Apr/Jul/Oct, weeks to the first day of data)",
        ),
    ] {
        if f.has(key) {
            report.unsupported(f.file(), subject, key, why);
        }
        f.skip(key);
    }
    f.finish(report, subject);
    Ok(predictor(c, freq, dimensions, ForecastAlgorithm::Auto, BacktestSpec::default(), featurization))
}

/// A legacy predictor's algorithm, and what to say about the choice.
fn algorithm(arn: &str) -> (ForecastAlgorithm, Option<String>) {
    let name = arn_segments(arn).last().copied().unwrap_or(arn);
    let global = || {
        format!(
            "{name} -> BOOSTED_TREES: Seer's global model, which like {name} learns across all items and also reads \
             the related time series and item metadata (gradient-boosted quantile trees, not a neural network)"
        )
    };
    match name {
        "ARIMA" => (ForecastAlgorithm::Arima, None),
        "ETS" => (ForecastAlgorithm::Ets, None),
        "NPTS" => (ForecastAlgorithm::Npts, None),
        "Deep_AR_Plus" | "CNN-QR" => (ForecastAlgorithm::BoostedTrees, Some(global())),
        "Prophet" => (ForecastAlgorithm::Auto, Some("Prophet -> AUTO: Seer has no Prophet; AUTO picks among ETS, ARIMA, THETA, NPTS, CROSTON, seasonal naive and BOOSTED_TREES per item".into())),
        other => (ForecastAlgorithm::Auto, Some(format!("{other} -> AUTO: not an algorithm Seer knows"))),
    }
}

fn legacy_predictor(
    input: &Input,
    targets: &BTreeMap<String, &'static str>,
    report: &mut Report,
) -> Result<Predictor, TrainerError> {
    let subject = input.kind.command();
    let f = Fields::root(&input.file, &input.value)?;
    let data = f.object("InputDataConfig")?.ok_or_else(|| f.error("InputDataConfig", "missing"))?;
    let group_arn = data.required_string("DatasetGroupArn")?;
    let c = common(&f, group_arn, &data.path_of("DatasetGroupArn"), targets, report, subject)?;
    for (i, s) in data.objects("SupplementaryFeatures")?.into_iter().enumerate() {
        let name = s.string("Name")?.unwrap_or("?");
        let value = s.string("Value")?.unwrap_or("?");
        report.unsupported(
            f.file(),
            subject,
            &format!("InputDataConfig.SupplementaryFeatures[{i}]"),
            format!("{name}={value}: Seer has no built-in holiday or weather data; add it as columns of the related time series"),
        );
        s.finish(report, subject);
    }
    data.finish(report, subject);

    let auto_ml = f.boolean("PerformAutoML")?.unwrap_or(false);
    let algorithm = match (auto_ml, f.string("AlgorithmArn")?) {
        (true, _) => {
            report.substituted(
                f.file(),
                subject,
                "PerformAutoML",
                "AutoML -> algorithm AUTO (Seer's candidates are its statistical models and BOOSTED_TREES)",
            );
            ForecastAlgorithm::Auto
        }
        (false, Some(arn)) => {
            let (a, note) = algorithm(arn);
            if let Some(note) = note {
                report.substituted(f.file(), subject, "AlgorithmArn", note);
            }
            a
        }
        (false, None) => return Err(f.error("AlgorithmArn", "missing (and PerformAutoML is not true)")),
    };
    if f.has("AutoMLAlgorithmArns") {
        report.state(f.file(), subject, "AutoMLAlgorithmArns");
    }
    f.skip("AutoMLAlgorithmArns");
    if let Some(s) = f.string("AutoMLOverrideStrategy")? {
        report.unsupported(
            f.file(),
            subject,
            "AutoMLOverrideStrategy",
            format!("{s}: Seer's AUTO has one strategy (accuracy)"),
        );
    }
    if f.boolean("PerformHPO")? == Some(true) || f.has("HPOConfig") {
        report.unsupported(
            f.file(),
            subject,
            "PerformHPO",
            "Seer does not tune hyperparameters; each model fits its own parameters per item",
        );
    }
    f.skip("HPOConfig");
    for (name, value) in f.string_map("TrainingParameters")? {
        report.unsupported(
            f.file(),
            subject,
            &format!("TrainingParameters.{name}"),
            format!("{value}: not a Seer algorithm parameter"),
        );
    }
    let mut backtest = BacktestSpec::default();
    if let Some(e) = f.object("EvaluationParameters")? {
        if let Some(w) = e.integer("NumberOfBacktestWindows")? {
            if !(1..=5).contains(&w) {
                return Err(e.error("NumberOfBacktestWindows", format!("{w} is not between 1 and 5")));
            }
            backtest.windows = w;
        }
        backtest.offset = e.integer("BackTestWindowOffset")?;
        e.finish(report, subject);
    }
    let config = f.object("FeaturizationConfig")?.ok_or_else(|| f.error("FeaturizationConfig", "missing"))?;
    let freq = frequency(&config, "ForecastFrequency")?.ok_or_else(|| config.error("ForecastFrequency", "missing"))?;
    let dimensions = config.strings("ForecastDimensions")?.into_iter().map(String::from).collect();
    let mut featurization = Featurization::default();
    for feat in config.objects("Featurizations")? {
        let attribute = feat.required_string("AttributeName")?;
        for method in feat.objects("FeaturizationPipeline")? {
            let name = method.string("FeaturizationMethodName")?.unwrap_or("filling");
            if name != "filling" {
                return Err(method.error("FeaturizationMethodName", format!("{name:?}: only filling exists")));
            }
            if let Some(fill) = filling(
                &method,
                "FeaturizationMethodParameters",
                attribute,
                is_target(attribute, c.target_field),
                &mut featurization,
                report,
                subject,
            )? {
                featurization.attributes.push(fill);
            }
            method.finish(report, subject);
        }
        feat.finish(report, subject);
    }
    config.finish(report, subject);
    for key in ["PredictorExecutionDetails", "IsAutoPredictor"] {
        if f.has(key) {
            report.state(f.file(), subject, key);
        }
        f.skip(key);
    }
    f.finish(report, subject);
    Ok(predictor(c, freq, dimensions, algorithm, backtest, featurization))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_algorithms_map_to_seers() {
        assert_eq!(algorithm("arn:aws:forecast:::algorithm/ETS"), (ForecastAlgorithm::Ets, None));
        for (arn, name) in [
            ("arn:aws:forecast:::algorithm/Deep_AR_Plus", "Deep_AR_Plus"),
            ("arn:aws:forecast:::algorithm/CNN-QR", "CNN-QR"),
        ] {
            let (a, note) = algorithm(arn);
            assert_eq!(a, ForecastAlgorithm::BoostedTrees, "{arn}");
            let note = note.expect("a substitution note");
            assert!(note.starts_with(&format!("{name} -> BOOSTED_TREES: Seer's global model")), "{note}");
            assert!(note.contains("related time series and item metadata"), "{note}");
        }
        assert_eq!(algorithm("arn:aws:forecast:::algorithm/Prophet").0, ForecastAlgorithm::Auto);
    }
}
