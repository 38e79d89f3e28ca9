//! `seer-trainer import-aws` on the documented `describe-*` outputs of Amazon Forecast and
//! Personalize (`tests/fixtures/aws/`, see its README): the manifests it writes (checked
//! against `expected/`, which the admission cases send to the API server), the mapping field
//! by field, what it lists on standard error, bad input named by file and field, and the
//! converted Predictor and Solution trained with `seer-trainer train` on small local files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use seer_api::{
    Aggregation, AttributeType, Campaign, DatasetGroup, DatasetType, Domain, FillMethod, ForecastAlgorithm,
    OptimizationMetric, Predictor, Recipe, Solution,
};
use seer_trainer::import_aws::{self, Conversion, Manifest, NoteKind, Options};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws")
}

fn trainer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seer-trainer")).args(args).output().expect("run seer-trainer")
}

/// Runs in the fixtures folder, so that the sources the manifests name are relative paths.
fn trainer_in_fixtures(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seer-trainer"))
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("run seer-trainer")
}

fn convert(service: &str) -> Conversion {
    let inputs = import_aws::read_inputs(&[fixtures().join(service)]).expect("fixtures read");
    import_aws::convert(&inputs, &Options::default()).expect("fixtures convert")
}

fn groups(c: &Conversion) -> Vec<&DatasetGroup> {
    c.resources
        .iter()
        .filter_map(|r| if let Manifest::DatasetGroup(g) = &r.manifest { Some(&**g) } else { None })
        .collect()
}
fn predictors(c: &Conversion) -> Vec<&Predictor> {
    c.resources
        .iter()
        .filter_map(|r| if let Manifest::Predictor(p) = &r.manifest { Some(&**p) } else { None })
        .collect()
}
fn solutions(c: &Conversion) -> Vec<&Solution> {
    c.resources.iter().filter_map(|r| if let Manifest::Solution(s) = &r.manifest { Some(&**s) } else { None }).collect()
}
fn campaigns(c: &Conversion) -> Vec<&Campaign> {
    c.resources.iter().filter_map(|r| if let Manifest::Campaign(s) = &r.manifest { Some(&**s) } else { None }).collect()
}

/// The notes of one kind about a field (`field` is a substring of the note's field path).
fn notes<'a>(c: &'a Conversion, kind: NoteKind, file: &str, field: &str) -> Vec<&'a str> {
    c.report
        .notes()
        .iter()
        .filter(|n| n.kind == kind && n.file.ends_with(file) && n.field.contains(field))
        .map(|n| n.message.as_str())
        .collect()
}

#[test]
fn writes_the_expected_manifests_and_lists_what_it_left_out() {
    for service in ["forecast", "personalize"] {
        let dir = tempfile::tempdir().expect("tmp");
        let out_dir = format!("{}/", dir.path().display());
        let out = trainer_in_fixtures(&["import-aws", service, "-o", &out_dir]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let expected_dir = fixtures().join("expected").join(service);
        let mut written: Vec<String> = std::fs::read_dir(dir.path())
            .expect("output")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        if std::env::var_os("SEER_BLESS").is_some() {
            let _ = std::fs::remove_dir_all(&expected_dir);
            std::fs::create_dir_all(&expected_dir).expect("expected dir");
            for name in &written {
                std::fs::copy(dir.path().join(name), expected_dir.join(name)).expect("bless");
            }
        }
        let mut expected: Vec<String> = std::fs::read_dir(&expected_dir)
            .expect("expected/ (SEER_BLESS=1 writes it)")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        expected.sort();
        assert_eq!(written, expected, "{service}: the same files");
        for name in &written {
            let got = std::fs::read_to_string(dir.path().join(name)).expect("written");
            let want = std::fs::read_to_string(expected_dir.join(name)).expect("expected");
            assert_eq!(got, want, "{service}/{name} differs from expected/ (SEER_BLESS=1 rewrites it)");
        }
        // What was left out is on standard error, per input file.
        assert!(stderr.contains("seer-trainer import-aws: "), "{stderr}");
        assert!(stderr.contains("not carried over (AWS resource state)"), "{stderr}");
    }

    // To standard output: one stream, every document headed by its sources; the namespace set.
    let out = trainer(&["import-aws", fixtures().join("forecast").to_str().expect("utf-8"), "--namespace", "team-a"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("\n---\n").count(), 2, "three documents: {stdout}");
    assert!(stdout.starts_with("# DatasetGroup converted by seer-trainer import-aws from "), "{stdout}");
    assert_eq!(stdout.matches("namespace: team-a").count(), 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("substituted: AlgorithmArn: Deep_AR_Plus -> BOOSTED_TREES"), "{stderr}");
    assert!(stderr.contains("not supported: DataConfig.AdditionalDatasets[0]: Holiday"), "{stderr}");
}

#[test]
fn forecast_fields_map_one_by_one() {
    let c = convert("forecast");
    let [g] = groups(&c)[..] else { panic!("one DatasetGroup") };
    assert_eq!(g.metadata.name.as_deref(), Some("electricity-ds-group"));
    assert_eq!(g.metadata.namespace, None);
    assert_eq!(g.spec.domain, Domain::Custom);
    let [d] = &g.spec.datasets[..] else { panic!("one dataset") };
    assert_eq!(d.type_, DatasetType::TargetTimeSeries);
    assert_eq!(d.uri, "s3://bucket/electricityusagedata.csv", "DataSource.S3Config.Path");
    assert_eq!(d.data_frequency.as_deref(), Some("H"), "DataFrequency");
    assert_eq!(d.timestamp_format.as_deref(), Some("yyyy-MM-dd HH:mm:ss"), "TimestampFormat");
    let attrs: Vec<(&str, AttributeType)> =
        d.schema.as_ref().expect("schema").attributes.iter().map(|a| (a.name.as_str(), a.type_)).collect();
    assert_eq!(
        attrs,
        [
            ("timestamp", AttributeType::Timestamp),
            ("target_value", AttributeType::Float),
            ("item_id", AttributeType::String)
        ]
    );

    let [auto, legacy] = predictors(&c)[..] else { panic!("two Predictors") };
    // The legacy DeepAR+ predictor of the getting-started guide.
    assert_eq!(legacy.metadata.name.as_deref(), Some("electricitypredictor"));
    assert_eq!(legacy.spec.dataset_group_ref.name, "electricity-ds-group");
    assert_eq!(legacy.spec.forecast_horizon, 20);
    assert_eq!(legacy.spec.forecast_frequency, "H");
    assert_eq!(legacy.spec.forecast_types, ["0.1", "0.5", "0.9"], "AWS's default types are Seer's");
    assert_eq!(legacy.spec.algorithm, ForecastAlgorithm::BoostedTrees, "DeepAR+: Seer's global model");
    assert_eq!((legacy.spec.backtest.windows, legacy.spec.backtest.offset), (1, Some(20)));
    assert_eq!(legacy.spec.featurization.aggregation, Aggregation::Sum);
    let [fill] = &legacy.spec.featurization.attributes[..] else { panic!("one filling") };
    assert_eq!(fill.attribute_name, "target_value");
    assert_eq!(fill.frontfill.as_deref(), Some("none"));
    assert_eq!(
        (fill.middlefill, fill.backfill, fill.futurefill),
        (Some(FillMethod::Zero), Some(FillMethod::Zero), None)
    );
    let [note] = notes(&c, NoteKind::Substituted, "describe-predictor.json", "AlgorithmArn")[..] else {
        panic!("one note on AlgorithmArn")
    };
    assert!(note.starts_with("Deep_AR_Plus -> BOOSTED_TREES: Seer's global model"), "{note}");
    // The AutoPredictor.
    assert_eq!(auto.metadata.name.as_deref(), Some("electricity-auto-predictor"));
    assert_eq!(auto.spec.forecast_horizon, 24);
    assert_eq!(auto.spec.forecast_types, ["0.1", "0.5", "0.9", "mean"]);
    assert_eq!(auto.spec.optimization_metric, OptimizationMetric::WAPE);
    assert_eq!(auto.spec.featurization.aggregation, Aggregation::Avg);
    let [fill] = &auto.spec.featurization.attributes[..] else { panic!("one filling") };
    assert_eq!((fill.middlefill, fill.middlefill_value), (Some(FillMethod::Value), Some(0.5)));
    assert_eq!(fill.backfill, Some(FillMethod::Zero));
    // Its backtest export job turns on the backtest export; the legacy predictor has none.
    assert!(auto.spec.backtest.export && !legacy.spec.backtest.export);
    let job = "describe-predictor-backtest-export-job.json";
    let [note] = notes(&c, NoteKind::Substituted, job, "Destination.S3Config.Path")[..] else {
        panic!("one note on the destination")
    };
    assert!(note.starts_with("s3://bucket/backtests/: every version writes its backtest export"), "{note}");
    assert_eq!(notes(&c, NoteKind::Unsupported, job, "Destination.S3Config.RoleArn").len(), 1);

    // Nothing dropped silently.
    let unsupported = |file, field| notes(&c, NoteKind::Unsupported, file, field).len();
    assert_eq!(unsupported("describe-dataset-import-job.json", "RoleArn"), 1);
    for field in ["AdditionalDatasets[0]", "EncryptionConfig", "ExplainabilityInfo", "MonitorInfo"] {
        assert_eq!(unsupported("describe-auto-predictor.json", field), 1, "{field}");
    }
    assert_eq!(
        notes(&c, NoteKind::Renamed, "describe-dataset-group.json", "DatasetGroupName"),
        ["electricity_ds_group -> electricity-ds-group"]
    );
    assert_eq!(notes(&c, NoteKind::State, "describe-dataset-import-job.json", "DataSize").len(), 1);
    // The guide's group lists its own ARN as its dataset: taken as its dataset, and said so.
    assert_eq!(notes(&c, NoteKind::Substituted, "describe-dataset.json", "DatasetArn").len(), 1);
}

#[test]
fn a_backtest_export_job_without_its_predictor_is_reported() {
    let job = fixtures().join("forecast/describe-predictor-backtest-export-job.json");
    let inputs = import_aws::read_inputs(&[job]).expect("read");
    let c = import_aws::convert(&inputs, &Options::default()).expect("convert");
    assert!(c.resources.is_empty());
    let [note] = notes(&c, NoteKind::Missing, "describe-predictor-backtest-export-job.json", "PredictorArn")[..] else {
        panic!("one note on PredictorArn: {:?}", c.report.notes())
    };
    assert!(note.contains("predictor/electricity_auto_predictor is not among the inputs"), "{note}");
    assert!(note.contains("spec.backtest.export: true"), "{note}");
}

#[test]
fn personalize_fields_map_one_by_one() {
    let c = convert("personalize");
    let [g] = groups(&c)[..] else { panic!("one DatasetGroup") };
    assert_eq!(g.metadata.name.as_deref(), Some("movieratingdatasetgroup"));
    assert_eq!(g.spec.domain, Domain::Custom, "a group without a domain");
    let [d] = &g.spec.datasets[..] else { panic!("one dataset") };
    assert_eq!(d.type_, DatasetType::Interactions);
    assert_eq!(d.uri, "s3://<bucketname>/ratings.csv", "dataSource.dataLocation");
    assert_eq!(d.timestamp_format.as_deref(), Some("epoch"), "TIMESTAMP is a long: unix seconds");
    let attrs: Vec<(&str, AttributeType)> =
        d.schema.as_ref().expect("schema").attributes.iter().map(|a| (a.name.as_str(), a.type_)).collect();
    assert_eq!(
        attrs,
        [("USER_ID", AttributeType::String), ("ITEM_ID", AttributeType::String), ("TIMESTAMP", AttributeType::Integer)]
    );

    let by_name = |n: &str| {
        *solutions(&c).iter().find(|s| s.metadata.name.as_deref() == Some(n)).unwrap_or_else(|| panic!("Solution {n}"))
    };
    let movie = by_name("moviesolution");
    assert_eq!(movie.spec.recipe, Recipe::UserPersonalization);
    assert_eq!(movie.spec.dataset_group_ref.name, "movieratingdatasetgroup");
    assert_eq!(
        (movie.spec.recipe_parameters.clone(), movie.spec.event_filter.clone(), movie.spec.retrain.clone()),
        (None, None, None)
    );
    let filters: Vec<(&str, &str)> =
        movie.spec.filters.iter().map(|f| (f.name.as_str(), f.expression.as_str())).collect();
    assert_eq!(
        filters,
        [
            (
                "luxury-watches-adults",
                r#"INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.DESCRIPTION IN ("luxury") IF CurrentUser.AGE > 18"#
            ),
            ("not-watched", r#"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")"#),
        ]
    );
    assert_eq!(
        notes(&c, NoteKind::Unsupported, "describe-filter-users.json", "filterExpression").len(),
        1,
        "user filters"
    );

    let hpo = by_name("hpo-coonfig-solution");
    assert_eq!(hpo.spec.recipe_parameters.as_ref().and_then(|p| p.hidden_dimension), Some(55));
    assert_eq!(hpo.spec.event_filter.as_ref().map(|e| e.event_types.clone()), Some(vec!["click".to_string()]));
    assert_eq!(hpo.spec.dataset_group_ref.name, "datasetgroupname");
    assert_eq!(notes(&c, NoteKind::Unsupported, "describe-solution-hpo.json", "hpoConfig").len(), 1);
    assert_eq!(notes(&c, NoteKind::Missing, "describe-solution-hpo.json", "datasetGroupArn").len(), 1);

    let sims = by_name("movie-sims");
    assert_eq!(sims.spec.recipe, Recipe::Sims);
    let p = sims.spec.recipe_parameters.as_ref().expect("params");
    assert_eq!((p.popularity_discount_factor, p.min_cointeraction_count), (Some(0.5), Some(3)));
    let e = sims.spec.event_filter.as_ref().expect("events");
    assert_eq!(
        (e.event_types.clone(), e.event_value_threshold),
        (vec!["watch".to_string(), "rate".to_string()], Some(0.5))
    );
    assert_eq!(sims.spec.retrain.as_ref().map(|r| r.schedule.as_str()), Some("@weekly"), "rate(7 days)");
    assert_eq!(notes(&c, NoteKind::Unsupported, "describe-solution-sims.json", "weight").len(), 2);
    assert_eq!(
        notes(&c, NoteKind::Unsupported, "describe-solution-sims.json", "max_user_history_length_percentile").len(),
        1
    );

    let trending = by_name("trending-movies");
    assert_eq!(trending.spec.recipe, Recipe::TrendingNow);
    assert_eq!(trending.spec.recipe_parameters.as_ref().and_then(|p| p.trend_window.clone()).as_deref(), Some("1d"));
    assert_eq!(trending.spec.retrain, None, "performAutoTraining false");
    assert_eq!(
        notes(&c, NoteKind::Unsupported, "describe-solution-trending-now.json", "optimizationObjective").len(),
        1
    );

    let campaign = |n: &str| {
        *campaigns(&c).iter().find(|s| s.metadata.name.as_deref() == Some(n)).unwrap_or_else(|| panic!("Campaign {n}"))
    };
    let (plain, explore) = (campaign("movierecommendationcampaign"), campaign("movie-sims-campaign"));
    assert_eq!(plain.metadata.name.as_deref(), Some("movierecommendationcampaign"));
    assert_eq!((plain.spec.model_ref.kind.as_str(), plain.spec.model_ref.name.as_str()), ("Solution", "moviesolution"));
    assert_eq!(plain.spec.min_provisioned_tps, 1, "the guide's \"1\" as a string");
    assert_eq!(plain.spec.version, "latest");
    assert_eq!(explore.spec.min_provisioned_tps, 20);
    assert_eq!(explore.spec.model_ref.name, "movie-sims");
    let x = explore.spec.exploration.as_ref().expect("exploration");
    assert_eq!((x.exploration_weight, x.item_age_cut_off_days), (0.1, 7));
    assert_eq!(
        notes(&c, NoteKind::Substituted, "describe-campaign-exploration.json", "enableMetadataWithRecommendations")
            .len(),
        1
    );
    assert_eq!(
        notes(&c, NoteKind::Substituted, "describe-campaign-exploration.json", "syncWithLatestSolutionVersion").len(),
        1
    );
}

#[test]
fn bad_input_is_refused_naming_the_file_and_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = [
        ("broken.json", "{\"DatasetGroupName\": ", "broken.json: not valid JSON at line 1"),
        (
            "other.json",
            "{\"Buckets\": []}",
            "other.json: not the output of a describe command import-aws knows (top-level keys: Buckets)",
        ),
        (
            "horizon.json",
            r#"{"PredictorName": "p", "ForecastHorizon": "twenty", "ForecastFrequency": "D", "DataConfig": {"DatasetGroupArn": "arn:aws:forecast:r:a:dataset-group/g"}}"#,
            "horizon.json: ForecastHorizon: expected a number, found a string",
        ),
        (
            "domain.json",
            r#"{"DatasetGroupName": "g", "DatasetGroupArn": "arn:aws:forecast:r:a:dataset-group/g", "Domain": "FOOD"}"#,
            "domain.json: Domain: unknown value \"FOOD\"; expected one of RETAIL",
        ),
        (
            "frequency.json",
            r#"{"PredictorName": "p", "ForecastHorizon": 7, "ForecastFrequency": "daily", "DataConfig": {"DatasetGroupArn": "arn:aws:forecast:r:a:dataset-group/g"}}"#,
            "frequency.json: ForecastFrequency: \"daily\" is not a frequency",
        ),
        (
            "schema.json",
            r#"{"schema": {"name": "s", "schemaArn": "arn:aws:personalize:r:a:schema/s", "schema": "{\"fields\": [{\"name\": \"X\", \"type\": \"bytes\"}]}"}}"#,
            "schema.json: schema.schema (Avro) fields[0].type: \"bytes\": expected string, int, long",
        ),
        (
            "solution.json",
            r#"{"solution": {"name": "s", "datasetGroupArn": "arn:aws:personalize:r:a:dataset-group/g"}}"#,
            "solution.json: solution.recipeArn: missing",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let out = trainer(&["import-aws", path.to_str().expect("utf-8")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(stderr.contains(want), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: nothing written");
    }
    let empty = tempfile::tempdir().expect("tmp");
    let out = trainer(&["import-aws", empty.path().to_str().expect("utf-8")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the folder holds no *.json files"));
}

/// Writes a manifest file of the converted resources with the first dataset's uri replaced.
fn manifest_file(dir: &Path, group: &DatasetGroup, model: &str, data_uri: &str) -> PathBuf {
    let mut group = group.clone();
    group.spec.datasets[0].uri = data_uri.to_string();
    let text = format!("{}---\n{model}", serde_yaml::to_string(&group).expect("yaml"));
    let path = dir.join("converted.yaml");
    std::fs::write(&path, text).expect("manifest");
    path
}

#[test]
fn the_converted_predictor_trains() {
    let c = convert("forecast");
    let dir = tempfile::tempdir().expect("tmp");
    // The guide's electricity data, in small: hourly usage of three clients over ten days, in
    // the column order of the dataset's schema and the import job's timestamp format.
    let mut csv = String::from("timestamp,target_value,item_id\n");
    let start = chrono::NaiveDate::from_ymd_opt(2014, 1, 1).expect("date").and_hms_opt(1, 0, 0).expect("time");
    for hour in 0..240i64 {
        let t = start + chrono::Duration::hours(hour);
        let daily = [2.0, 1.5, 1.0, 1.0, 1.5, 3.0, 6.0, 8.0, 9.0, 9.0, 8.5, 8.0][(hour % 12) as usize];
        for (client, scale) in [("client_0", 1.0), ("client_1", 10.0), ("client_2", 3.0)] {
            csv.push_str(&format!("{},{},{client}\n", t.format("%Y-%m-%d %H:%M:%S"), daily * scale));
        }
    }
    std::fs::write(dir.path().join("electricityusagedata.csv"), csv).expect("data");
    let data_uri = format!("file://{}/electricityusagedata.csv", dir.path().display());
    let root = format!("file://{}/artifacts", dir.path().display());
    for p in predictors(&c) {
        let name = p.metadata.name.clone().expect("name");
        let manifest = manifest_file(dir.path(), groups(&c)[0], &serde_yaml::to_string(p).expect("yaml"), &data_uri);
        let out = trainer(&["train", "-f", manifest.to_str().expect("utf-8"), "--output", &root, "--version", "v1"]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary");
        assert_eq!(summary["version"], "v1");
        let algorithm = if name == "electricitypredictor" { "BOOSTED_TREES" } else { "AUTO" };
        assert_eq!(summary["algorithm"], algorithm, "{name}: the legacy DeepAR+ predictor trains the global model");
        assert!(summary["metrics"]["AverageWeightedQuantileLoss"].as_f64().is_some(), "{name}: {summary}");
        let forecasts = dir.path().join(format!("artifacts/default/predictor/{name}/v1/forecasts/forecasts.csv"));
        let text = std::fs::read_to_string(&forecasts).expect("forecast export");
        assert_eq!(text.lines().count() - 1, 3 * p.spec.forecast_horizon as usize, "{name}: every client, every hour");
    }
}

#[test]
fn the_converted_solution_trains() {
    let c = convert("personalize");
    let dir = tempfile::tempdir().expect("tmp");
    // Ratings in the guide's three columns: 80 users in two taste groups over 40 movies.
    let mut csv = String::from("USER_ID,ITEM_ID,TIMESTAMP\n");
    for u in 0..80 {
        let base = if u % 2 == 0 { 0 } else { 20 };
        for k in 0..12 {
            csv.push_str(&format!("{u},{},{}\n", base + (u * 7 + k * 3) % 20, 1_542_000_000 + u * 1000 + k * 60));
        }
    }
    std::fs::write(dir.path().join("ratings.csv"), csv).expect("data");
    let data_uri = format!("file://{}/ratings.csv", dir.path().display());
    let root = format!("file://{}/artifacts", dir.path().display());
    let solution =
        solutions(&c).into_iter().find(|s| s.metadata.name.as_deref() == Some("moviesolution")).expect("moviesolution");
    let manifest = manifest_file(dir.path(), groups(&c)[0], &serde_yaml::to_string(solution).expect("yaml"), &data_uri);
    let out = trainer(&["train", "-f", manifest.to_str().expect("utf-8"), "--output", &root, "--version", "v1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary");
    assert_eq!(summary["algorithm"], "USER_PERSONALIZATION");
    assert!(summary["metrics"]["normalized_discounted_cumulative_gain_at_10"].as_f64().is_some(), "{summary}");
    // The converted filters travel with the version, for the Campaign to apply.
    let filters = std::fs::read_dir(dir.path().join("artifacts/default/solution/moviesolution/v1"))
        .expect("version folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert!(filters.iter().any(|f| f.contains("filter")), "{filters:?}");
}
