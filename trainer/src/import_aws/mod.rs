//! `seer-trainer import-aws`: the JSON that the AWS CLI prints for Amazon Forecast's and
//! Amazon Personalize's `describe-*` commands, turned into Seer manifests.
//!
//! Each input is recognised by its top-level keys ([`Kind::detect`]). The manifests are built
//! from the `seer-api` types and serialised, so they match the CRDs by construction. Every
//! field of an input is either mapped, or listed in the [`Report`] (printed on standard
//! error): settings without a Seer equivalent, substitutions, renamed resources, references
//! to resources the inputs do not describe, and the state fields (status, times) left behind.

mod fields;
mod forecast;
mod names;
mod personalize;
pub mod report;

use std::path::{Path, PathBuf};

use seer_api::{Campaign, DatasetGroup, Predictor, Solution};
use serde_json::Value;

use crate::TrainerError;
pub use report::{Note, NoteKind, Report};

/// What a `describe-*` output describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ForecastDatasetGroup,
    ForecastDataset,
    ForecastImportJob,
    ForecastAutoPredictor,
    ForecastPredictor,
    ForecastBacktestExportJob,
    PersonalizeDatasetGroup,
    PersonalizeSchema,
    PersonalizeDataset,
    PersonalizeImportJob,
    PersonalizeSolution,
    PersonalizeCampaign,
    PersonalizeFilter,
}

impl Kind {
    /// The command whose output this is.
    pub fn command(self) -> &'static str {
        match self {
            Kind::ForecastDatasetGroup => "forecast describe-dataset-group",
            Kind::ForecastDataset => "forecast describe-dataset",
            Kind::ForecastImportJob => "forecast describe-dataset-import-job",
            Kind::ForecastAutoPredictor => "forecast describe-auto-predictor",
            Kind::ForecastPredictor => "forecast describe-predictor",
            Kind::ForecastBacktestExportJob => "forecast describe-predictor-backtest-export-job",
            Kind::PersonalizeDatasetGroup => "personalize describe-dataset-group",
            Kind::PersonalizeSchema => "personalize describe-schema",
            Kind::PersonalizeDataset => "personalize describe-dataset",
            Kind::PersonalizeImportJob => "personalize describe-dataset-import-job",
            Kind::PersonalizeSolution => "personalize describe-solution",
            Kind::PersonalizeCampaign => "personalize describe-campaign",
            Kind::PersonalizeFilter => "personalize describe-filter",
        }
    }

    /// Recognises an output by its top-level keys: Personalize wraps the resource in one
    /// camelCase key (`{"solution": {...}}`); Forecast prints the PascalCase fields directly.
    pub fn detect(value: &Value) -> Option<Kind> {
        let map = value.as_object()?;
        let has = |k: &str| map.contains_key(k);
        if map.len() == 1 {
            let personalize = [
                ("datasetGroup", Kind::PersonalizeDatasetGroup),
                ("schema", Kind::PersonalizeSchema),
                ("dataset", Kind::PersonalizeDataset),
                ("datasetImportJob", Kind::PersonalizeImportJob),
                ("solution", Kind::PersonalizeSolution),
                ("campaign", Kind::PersonalizeCampaign),
                ("filter", Kind::PersonalizeFilter),
            ];
            if let Some((_, kind)) = personalize.iter().find(|(k, _)| has(k)) {
                return Some(*kind);
            }
        }
        if has("DatasetImportJobArn")
            || has("DatasetImportJobName")
            || (has("DatasetArn") && (has("DataSource") || has("FieldStatistics")))
        {
            Some(Kind::ForecastImportJob)
        } else if has("PredictorBacktestExportJobArn") || has("PredictorBacktestExportJobName") {
            // It names its Predictor too: checked before the Predictors.
            Some(Kind::ForecastBacktestExportJob)
        } else if has("PredictorArn") || has("PredictorName") {
            if has("DataConfig") || has("ForecastFrequency") {
                Some(Kind::ForecastAutoPredictor)
            } else {
                Some(Kind::ForecastPredictor)
            }
        } else if has("DatasetGroupName") && has("DatasetGroupArn") {
            Some(Kind::ForecastDatasetGroup)
        } else if has("DatasetArn") && has("DatasetType") {
            Some(Kind::ForecastDataset)
        } else {
            None
        }
    }

    fn is_forecast(self) -> bool {
        matches!(
            self,
            Kind::ForecastDatasetGroup
                | Kind::ForecastDataset
                | Kind::ForecastImportJob
                | Kind::ForecastAutoPredictor
                | Kind::ForecastPredictor
                | Kind::ForecastBacktestExportJob
        )
    }
}

/// One input file, parsed and recognised.
#[derive(Clone, Debug)]
pub struct Input {
    /// The file's path as given (errors and notes name it).
    pub file: String,
    pub kind: Kind,
    pub value: Value,
}

impl Input {
    /// Parses one file's text.
    pub fn parse(file: &str, text: &str) -> Result<Input, TrainerError> {
        let err = |message: String| TrainerError::Manifest { file: file.to_string(), message };
        let value: Value = serde_json::from_str(text)
            .map_err(|e| err(format!("not valid JSON at line {}, column {}: {e}", e.line(), e.column())))?;
        let kind = Kind::detect(&value).ok_or_else(|| {
            let keys: Vec<&str> = value.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
            err(format!(
                "not the output of a describe command import-aws knows (top-level keys: {}); expected forecast \
                 describe-dataset-group, describe-dataset, describe-dataset-import-job, describe-auto-predictor, \
                 describe-predictor, or personalize describe-dataset-group, describe-schema, describe-dataset, \
                 describe-dataset-import-job, describe-solution, describe-campaign, describe-filter",
                if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
            ))
        })?;
        Ok(Input { file: file.to_string(), kind, value })
    }
}

/// The files to read: the given files, and the `*.json` files of given folders (in name order).
pub fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, TrainerError> {
    let mut out = Vec::new();
    for path in paths {
        let err = |message: String| TrainerError::Manifest { file: path.display().to_string(), message };
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| err(format!("cannot read the folder: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect();
            if found.is_empty() {
                return Err(err("the folder holds no *.json files".into()));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Reads and recognises every input.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, TrainerError> {
    input_files(paths)?
        .iter()
        .map(|path| {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| TrainerError::Manifest { file: file.clone(), message: format!("cannot read: {e}") })?;
            Input::parse(&file, &text)
        })
        .collect()
}

/// One converted resource.
#[derive(Clone, Debug)]
pub enum Manifest {
    DatasetGroup(Box<DatasetGroup>),
    Predictor(Box<Predictor>),
    Solution(Box<Solution>),
    Campaign(Box<Campaign>),
}

impl Manifest {
    pub fn kind(&self) -> &'static str {
        match self {
            Manifest::DatasetGroup(_) => "DatasetGroup",
            Manifest::Predictor(_) => "Predictor",
            Manifest::Solution(_) => "Solution",
            Manifest::Campaign(_) => "Campaign",
        }
    }

    pub fn name(&self) -> &str {
        let meta = match self {
            Manifest::DatasetGroup(r) => &r.metadata,
            Manifest::Predictor(r) => &r.metadata,
            Manifest::Solution(r) => &r.metadata,
            Manifest::Campaign(r) => &r.metadata,
        };
        meta.name.as_deref().unwrap_or_default()
    }

    fn to_yaml(&self) -> Result<String, serde_yaml::Error> {
        match self {
            Manifest::DatasetGroup(r) => serde_yaml::to_string(r),
            Manifest::Predictor(r) => serde_yaml::to_string(r),
            Manifest::Solution(r) => serde_yaml::to_string(r),
            Manifest::Campaign(r) => serde_yaml::to_string(r),
        }
    }
}

/// A converted resource and the inputs it came from.
#[derive(Clone, Debug)]
pub struct Converted {
    pub manifest: Manifest,
    pub sources: Vec<String>,
}

impl Converted {
    /// The manifest as one YAML document, headed by a comment naming its sources.
    pub fn document(&self) -> Result<String, TrainerError> {
        let body = self.manifest.to_yaml().map_err(|e| TrainerError::Manifest {
            file: self.sources.join(", "),
            message: format!("cannot write the {} as YAML: {e}", self.manifest.kind()),
        })?;
        Ok(format!(
            "# {} converted by seer-trainer import-aws from {}\n{body}",
            self.manifest.kind(),
            self.sources.join(", ")
        ))
    }

    /// `predictor-electricitypredictor.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.manifest.kind().to_ascii_lowercase(), self.manifest.name())
    }
}

/// The result of a conversion.
#[derive(Debug, Default)]
pub struct Conversion {
    /// DatasetGroups first, then Predictors, Solutions and Campaigns (the order to apply them).
    pub resources: Vec<Converted>,
    pub report: Report,
}

impl Conversion {
    /// Every manifest as one multi-document YAML stream.
    pub fn yaml(&self) -> Result<String, TrainerError> {
        let docs: Vec<String> = self.resources.iter().map(Converted::document).collect::<Result<_, _>>()?;
        Ok(docs.join("---\n"))
    }
}

/// Options of a conversion.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `metadata.namespace` of every manifest; unset leaves it to `kubectl apply -n`.
    pub namespace: Option<String>,
}

/// Converts the inputs. Errors are malformed inputs (a field of the wrong type, an unknown
/// domain); everything that is merely not supported goes into the report.
pub fn convert(inputs: &[Input], options: &Options) -> Result<Conversion, TrainerError> {
    if let Some(ns) = &options.namespace
        && (ns.is_empty()
            || ns.len() > 63
            || !ns.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || ns.starts_with('-')
            || ns.ends_with('-'))
    {
        return Err(TrainerError::Manifest {
            file: "--namespace".into(),
            message: format!("{ns:?} is not a namespace name (lower-case letters, digits and -, at most 63)"),
        });
    }
    let mut report = Report::default();
    let forecast: Vec<&Input> = inputs.iter().filter(|i| i.kind.is_forecast()).collect();
    let personalize: Vec<&Input> = inputs.iter().filter(|i| !i.kind.is_forecast()).collect();
    let mut resources = forecast::convert(&forecast, options, &mut report)?;
    resources.extend(personalize::convert(&personalize, options, &mut report)?);
    let rank = |c: &Converted| match c.manifest {
        Manifest::DatasetGroup(_) => 0,
        Manifest::Predictor(_) => 1,
        Manifest::Solution(_) => 2,
        Manifest::Campaign(_) => 3,
    };
    resources.sort_by_key(rank); // stable: input order within a kind
    let mut seen = std::collections::BTreeSet::new();
    for r in &resources {
        if !seen.insert((r.manifest.kind(), r.manifest.name().to_string())) {
            return Err(TrainerError::Manifest {
                file: r.sources.join(", "),
                message: format!(
                    "two inputs become the {} named {}: convert them in separate runs or rename one",
                    r.manifest.kind(),
                    r.manifest.name()
                ),
            });
        }
    }
    Ok(Conversion { resources, report })
}

/// Writes one file per manifest into `dir` (created if needed); returns the paths written.
pub fn write_dir(conversion: &Conversion, dir: &Path) -> Result<Vec<PathBuf>, TrainerError> {
    let err = |path: &Path, e: std::io::Error| TrainerError::Manifest {
        file: path.display().to_string(),
        message: format!("cannot write: {e}"),
    };
    std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    let mut out = Vec::new();
    for r in &conversion.resources {
        let path = dir.join(r.file_name());
        std::fs::write(&path, r.document()?).map_err(|e| err(&path, e))?;
        out.push(path);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_kind_by_its_keys() {
        let cases = [
            (r#"{"DatasetGroupName":"g","DatasetGroupArn":"a","Domain":"RETAIL"}"#, Kind::ForecastDatasetGroup),
            (r#"{"DatasetArn":"a","DatasetType":"TARGET_TIME_SERIES"}"#, Kind::ForecastDataset),
            (r#"{"DatasetImportJobArn":"a","DatasetArn":"d"}"#, Kind::ForecastImportJob),
            (r#"{"DatasetArn":"d","Status":"ACTIVE","FieldStatistics":{}}"#, Kind::ForecastImportJob),
            (r#"{"PredictorArn":"a","DataConfig":{}}"#, Kind::ForecastAutoPredictor),
            (r#"{"PredictorArn":"a","AlgorithmArn":"x"}"#, Kind::ForecastPredictor),
            (r#"{"datasetGroup":{}}"#, Kind::PersonalizeDatasetGroup),
            (r#"{"schema":{}}"#, Kind::PersonalizeSchema),
            (r#"{"dataset":{}}"#, Kind::PersonalizeDataset),
            (r#"{"datasetImportJob":{}}"#, Kind::PersonalizeImportJob),
            (r#"{"solution":{}}"#, Kind::PersonalizeSolution),
            (r#"{"campaign":{}}"#, Kind::PersonalizeCampaign),
            (r#"{"filter":{}}"#, Kind::PersonalizeFilter),
        ];
        for (text, kind) in cases {
            assert_eq!(Input::parse("x.json", text).unwrap().kind, kind, "{text}");
        }
        let err = Input::parse("y.json", r#"{"Foo": 1}"#).unwrap_err().to_string();
        assert!(
            err.starts_with("y.json: not the output of a describe command import-aws knows (top-level keys: Foo)"),
            "{err}"
        );
        let err = convert(&[], &Options { namespace: Some("Team_A".into()) }).unwrap_err().to_string();
        assert!(err.starts_with("--namespace: \"Team_A\" is not a namespace name"), "{err}");
        let err = Input::parse("z.json", "{\n  \"a\": }").unwrap_err().to_string();
        assert!(err.starts_with("z.json: not valid JSON at line 2, column 8"), "{err}");
    }
}
