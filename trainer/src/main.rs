//! The `seer-trainer` command line. The work is in the library (`seer_trainer`); this file
//! parses arguments, prints results, and on failure writes a one-line reason to the
//! termination log the operator reads.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Parser, Subcommand};
use seer_api::Predictor;
use seer_storage::ObjectStore;
use seer_storage::artifacts::ShardId;
use seer_storage::{ObjectUri, artifacts::timestamp_version};
use seer_trainer::{
    TrainerError, connection,
    forecast_export::ExportTarget,
    import_aws,
    manifests::{Manifests, rebase_datasets},
    shard, sharded,
    train_forecast::{self, Destination},
    train_recommend, validate,
};

#[derive(Parser)]
#[command(
    name = "seer-trainer",
    version,
    about = "Seer's trainer: validate data, train models, write versioned artifacts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a DatasetGroup's data against its schema; print rows, items, time range and the
    /// dataset digest as JSON.
    Validate {
        /// YAML files with the DatasetGroup (as you would `kubectl apply` it).
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Read every `s3://BUCKET/KEY` dataset from `ROOT/KEY` instead (`file:///path` or
        /// `s3://bucket/prefix`): the example manifests against a local folder, e.g.
        /// `--data-root file://$PWD/examples`.
        #[arg(long, env = "SEER_DATA_ROOT")]
        data_root: Option<String>,
        /// Folder holding the S3 credentials Secret's keys as files (the operator mounts it).
        #[arg(long, env = "SEER_CREDENTIALS_DIR")]
        credentials_dir: Option<PathBuf>,
    },
    /// Train a version of the Predictor or Solution in the files on its DatasetGroup's data
    /// and write its artifact (model, metrics.json, forecasts/ for Predictors, manifest.json last).
    Train {
        /// YAML files with the DatasetGroup and the Predictor or Solution (as you would `kubectl apply` them).
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Artifact root (`s3://bucket/prefix` or `file:///path`); default: the Predictor's
        /// `spec.artifacts.uri`, then `$SEER_ARTIFACT_ROOT`.
        #[arg(long, env = "SEER_ARTIFACT_ROOT")]
        output: Option<String>,
        /// Version name (`v3`, as the operator names them); default: the UTC time, `20260101T120000Z`.
        #[arg(long, value_parser = parse_version)]
        version: Option<String>,
        /// Train only shard i of n (`0/4`): the items whose key hashes to i. In a Kubernetes
        /// Indexed Job, pass `--shard $(JOB_COMPLETION_INDEX)/n` (Kubernetes expands it in
        /// args). Writes `<version>/shards/i-of-n/`, not the version; `merge` joins the
        /// shards. Needs --version, the same in every shard.
        #[arg(long, value_parser = shard::parse_shard, requires = "version")]
        shard: Option<ShardId>,
        /// Read every `s3://BUCKET/KEY` dataset from `ROOT/KEY` instead (`file:///path` or
        /// `s3://bucket/prefix`): the example manifests against a local folder, e.g.
        /// `--data-root file://$PWD/examples`.
        #[arg(long, env = "SEER_DATA_ROOT")]
        data_root: Option<String>,
        /// Folder holding the S3 credentials Secret's keys as files (the operator mounts it).
        #[arg(long, env = "SEER_CREDENTIALS_DIR")]
        credentials_dir: Option<PathBuf>,
        /// Folder holding the keys of the Secret that `spec.export.destination.s3` names (the
        /// operator mounts it).
        #[arg(long, env = "SEER_EXPORT_CREDENTIALS_DIR")]
        export_credentials_dir: Option<PathBuf>,
    },
    /// Join the shards of a version trained with `train --shard i/n` into the version:
    /// forecasts, models and metrics of all items, manifest.json last, then `latest`.
    Merge {
        /// YAML files with the DatasetGroup and the Predictor (the same as the shards had).
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Artifact root, as for `train`.
        #[arg(long, env = "SEER_ARTIFACT_ROOT")]
        output: Option<String>,
        /// The version the shards wrote.
        #[arg(long, value_parser = parse_version)]
        version: String,
        /// How many shards there are (the n of `--shard i/n`).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        shards: u32,
        /// Read every `s3://BUCKET/KEY` dataset from `ROOT/KEY` instead (`file:///path` or
        /// `s3://bucket/prefix`): the example manifests against a local folder, e.g.
        /// `--data-root file://$PWD/examples`.
        #[arg(long, env = "SEER_DATA_ROOT")]
        data_root: Option<String>,
        /// Folder holding the S3 credentials Secret's keys as files (the operator mounts it).
        #[arg(long, env = "SEER_CREDENTIALS_DIR")]
        credentials_dir: Option<PathBuf>,
        /// Folder holding the keys of the Secret that `spec.export.destination.s3` names (the
        /// operator mounts it).
        #[arg(long, env = "SEER_EXPORT_CREDENTIALS_DIR")]
        export_credentials_dir: Option<PathBuf>,
    },
    /// Convert Amazon Forecast and Personalize resources into Seer manifests: give the JSON the
    /// AWS CLI prints for their describe-* commands (files, or folders of *.json files). Writes
    /// YAML to standard output (or -o); lists on standard error what has no Seer equivalent.
    #[command(name = "import-aws")]
    ImportAws {
        /// `forecast describe-dataset-group | describe-dataset | describe-dataset-import-job |
        /// describe-auto-predictor | describe-predictor` and `personalize describe-dataset-group |
        /// describe-schema | describe-dataset | describe-dataset-import-job | describe-solution |
        /// describe-campaign | describe-filter` outputs, each recognised by its fields.
        #[arg(required = true, value_name = "FILE_OR_DIR")]
        inputs: Vec<PathBuf>,
        /// Write the manifests here: a file (one YAML stream), or a folder (ending in `/`, or
        /// existing) that gets one file per resource. Default: standard output.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// metadata.namespace of every manifest; unset leaves it to `kubectl apply -n`.
        #[arg(short = 'n', long)]
        namespace: Option<String>,
    },
}

/// The resource a `train` or `merge` trains.
enum Trained {
    Predictor(Box<seer_api::Predictor>),
    Solution(Box<seer_api::Solution>),
}

/// What `train` and `merge` need from the files: the group, the Predictor or Solution, the
/// artifact root.
fn training_job(
    files: &[PathBuf],
    output: Option<String>,
    data_root: Option<&str>,
) -> Result<(seer_api::DatasetGroup, Trained, ObjectUri), TrainerError> {
    let manifests = Manifests::read(files)?;
    let missing = |what: &str| TrainerError::Manifest {
        file: files_label(files),
        message: format!("no {what} (apiVersion seer.dev/v1alpha1) in these files"),
    };
    let mut group = manifests.dataset_group.ok_or_else(|| missing("DatasetGroup"))?;
    if let Some(root) = data_root {
        rebase_datasets(&mut group, root)?;
    }
    let (trained, spec_root, kind) = match (manifests.predictor, manifests.solution) {
        (Some(_), Some(_)) => {
            return Err(TrainerError::Manifest {
                file: files_label(files),
                message: "both a Predictor and a Solution: give one of them per run".into(),
            });
        }
        (Some(p), None) => {
            let root = p.spec.artifacts.as_ref().map(|a| a.uri.clone());
            (Trained::Predictor(Box::new(p)), root, "Predictor")
        }
        (None, Some(s)) => {
            let root = s.spec.artifacts.as_ref().map(|a| a.uri.clone());
            (Trained::Solution(Box::new(s)), root, "Solution")
        }
        (None, None) => return Err(missing("Predictor or Solution")),
    };
    let root = output.or(spec_root).ok_or_else(|| TrainerError::Manifest {
        file: files_label(files),
        message: format!(
            "no artifact root: pass --output, set SEER_ARTIFACT_ROOT, or set the {kind}'s spec.artifacts.uri"
        ),
    })?;
    Ok((group, trained, ObjectUri::parse(&root)?))
}

/// Sharding is for forecasting's many independent series; a Solution trains as one.
fn sharding_needs_a_predictor(files: &[PathBuf], what: &str) -> TrainerError {
    TrainerError::Manifest {
        file: files_label(files),
        message: format!("{what} is for Predictors (forecast items train independently); a Solution trains in one run"),
    }
}

/// One document on standard output; a closed pipe (`| head`) is not worth a panic.
fn print_stdout(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn print_summary(manifest: &seer_api::artifact::ArtifactManifest) {
    let mut summary = serde_json::json!({
        "version": manifest.version,
        "algorithm": manifest.algorithm,
        "datasetDigest": manifest.dataset_digest,
        "metrics": manifest.properties.get("headlineMetrics"),
        "files": manifest.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
    });
    let shard = seer_storage::artifacts::SHARD_PROPERTY;
    if let (Some(value), Some(map)) = (manifest.properties.get(shard), summary.as_object_mut()) {
        map.insert(shard.to_string(), value.clone());
    }
    print_stdout(&format!("{summary:#}"));
}

fn files_label(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Where Kubernetes reads a container's termination message from.
fn termination_log() -> PathBuf {
    std::env::var_os("SEER_TERMINATION_LOG").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/dev/termination-log"))
}

async fn run(cli: Cli) -> Result<(), TrainerError> {
    match cli.command {
        Command::Validate { files, data_root, credentials_dir } => {
            let manifests = Manifests::read(&files)?;
            let mut group = manifests.dataset_group.ok_or_else(|| TrainerError::Manifest {
                file: files_label(&files),
                message: "no DatasetGroup (apiVersion seer.dev/v1alpha1) in these files".into(),
            })?;
            if let Some(root) = &data_root {
                rebase_datasets(&mut group, root)?;
            }
            let settings = connection::s3_settings(group.spec.s3.as_ref(), credentials_dir.as_deref())?;
            let store = ObjectStore::connect(&settings).await;
            let report = validate::validate(&store, &group).await?;
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| TrainerError::Manifest { file: "<stdout>".into(), message: e.to_string() })?;
            print_stdout(&json);
            // In a pod, the operator reads the report from the termination message (the
            // kubelet keeps 4 KiB of it), compact.
            let log = termination_log();
            if log.exists()
                && let Ok(compact) = serde_json::to_string(&report.compact(4000))
            {
                let _ = std::fs::write(&log, compact);
            }
            Ok(())
        }
        Command::Train { files, output, version, shard, data_root, credentials_dir, export_credentials_dir } => {
            let (group, trained, root) = training_job(&files, output, data_root.as_deref())?;
            // A shard writes no version, so it exports nothing.
            let export = match (&trained, shard) {
                (Trained::Predictor(p), None) => export_target(p, export_credentials_dir.as_deref()).await?,
                _ => None,
            };
            let destination = Destination { root, version: version.unwrap_or_else(timestamp_version), export };
            let settings = connection::s3_settings(group.spec.s3.as_ref(), credentials_dir.as_deref())?;
            let store = ObjectStore::connect(&settings).await;
            let manifest = match (trained, shard) {
                (Trained::Predictor(p), Some(shard)) => {
                    sharded::train_shard(&store, &group, &p, &destination, shard).await?
                }
                (Trained::Predictor(p), None) => train_forecast::train(&store, &group, &p, &destination).await?,
                (Trained::Solution(_), Some(_)) => return Err(sharding_needs_a_predictor(&files, "--shard")),
                (Trained::Solution(s), None) => train_recommend::train(&store, &group, &s, &destination).await?,
            };
            print_summary(&manifest);
            Ok(())
        }
        Command::ImportAws { inputs, output, namespace } => import_aws_command(&inputs, output, namespace),
        Command::Merge { files, output, version, shards, data_root, credentials_dir, export_credentials_dir } => {
            let (group, trained, root) = training_job(&files, output, data_root.as_deref())?;
            let Trained::Predictor(predictor) = trained else {
                return Err(sharding_needs_a_predictor(&files, "merge"));
            };
            let export = export_target(&predictor, export_credentials_dir.as_deref()).await?;
            let destination = Destination { root, version, export };
            let settings = connection::s3_settings(group.spec.s3.as_ref(), credentials_dir.as_deref())?;
            let store = ObjectStore::connect(&settings).await;
            let manifest = sharded::merge(&store, &predictor, &destination, shards).await?;
            print_summary(&manifest);
            Ok(())
        }
    }
}

/// The Predictor's `spec.export`, connected, if it has one.
async fn export_target(
    predictor: &Predictor,
    credentials_dir: Option<&Path>,
) -> Result<Option<ExportTarget>, TrainerError> {
    match &predictor.spec.export {
        Some(export) => Ok(Some(ExportTarget::connect(export, credentials_dir).await?)),
        None => Ok(None),
    }
}

/// `import-aws`: convert, write the manifests, list on standard error what was not carried over.
fn import_aws_command(
    inputs: &[PathBuf],
    output: Option<PathBuf>,
    namespace: Option<String>,
) -> Result<(), TrainerError> {
    let inputs = import_aws::read_inputs(inputs)?;
    let conversion = import_aws::convert(&inputs, &import_aws::Options { namespace })?;
    let written = match output {
        Some(dir) if dir.is_dir() || dir.to_string_lossy().ends_with('/') => {
            import_aws::write_dir(&conversion, &dir)?.iter().map(|p| p.display().to_string()).collect()
        }
        Some(file) => {
            std::fs::write(&file, conversion.yaml()?).map_err(|e| TrainerError::Manifest {
                file: file.display().to_string(),
                message: format!("cannot write: {e}"),
            })?;
            vec![file.display().to_string()]
        }
        None => {
            print_stdout(conversion.yaml()?.trim_end());
            Vec::new()
        }
    };
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", conversion.report.render());
    let kinds: Vec<String> =
        conversion.resources.iter().map(|r| format!("{} {}", r.manifest.kind(), r.manifest.name())).collect();
    let _ = writeln!(err, "seer-trainer import-aws: {} manifests: {}", kinds.len(), kinds.join(", "));
    for path in written {
        let _ = writeln!(err, "  wrote {path}");
    }
    Ok(())
}

/// `--version`: a name the artifact store accepts (`v3`, or a UTC timestamp such as
/// `20260101T120000Z`), checked before any data is read rather than after training.
fn parse_version(text: &str) -> Result<String, String> {
    match seer_storage::artifacts::version_order(text) {
        Some(_) => Ok(text.to_string()),
        None => Err(format!("{text:?}: version names are v1, v2, ... or UTC timestamps such as 20260101T120000Z")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let line = e.to_string().replace('\n', " ");
            eprintln!("seer-trainer: {line}");
            let log = termination_log();
            if log.exists() {
                // Kubernetes keeps the last 4 KiB; one line is all the operator shows.
                let _ = std::fs::write(&log, line.chars().take(4000).collect::<String>());
            }
            ExitCode::FAILURE
        }
    }
}
