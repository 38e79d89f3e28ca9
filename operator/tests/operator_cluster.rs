//! The controllers against a real control plane (etcd, kube-apiserver, and the
//! kube-controller-manager whose Job, Deployment and garbage-collector controllers act on
//! what the operator makes). No kubelet runs in this tier, so a test plays the kubelet: it
//! sets a trainer pod's status (terminated, with the termination message a trainer writes)
//! and the real Job controller turns that into the Job's success or failure.
//!
//! Needs `tests/cluster/up.sh --control-plane-only`, then
//! `cargo test -p seer-operator --test operator_cluster -- --ignored` (`make cluster-test`).

mod support;

use std::{collections::BTreeMap, process::Stdio, sync::Arc, time::Duration};

use k8s_openapi::api::{
    apps::v1::Deployment,
    autoscaling::v2::HorizontalPodAutoscaler,
    batch::v1::Job,
    core::v1::{ConfigMap, Pod, Service},
    events::v1::Event,
    policy::v1::PodDisruptionBudget,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams},
};
use seer_api::{
    Campaign, ConditionStatus, DatasetGroup, Predictor, VersionPhase, artifact::ArtifactKind, conditions::types,
};
use seer_operator::{config::OperatorConfig, context::Context, controller, metrics::Metrics};
use seer_storage::{
    ObjectStore, ObjectUri, S3Settings,
    artifacts::{ArtifactLocation, ArtifactWriter},
};
use seer_testkit::cluster::{TestNamespace, client, wait_for};
use support::install_crds;

const WAIT: Duration = Duration::from_secs(60);

/// Waits, with a bound, until `name` exists, and returns it.
async fn appears<K>(api: &Api<K>, name: &str, what: &str) -> K
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait_for(what, WAIT, || async move { api.get_opt(name).await.ok().flatten() }).await
}

/// Waits, with a bound, until `name` no longer exists.
async fn gone<K>(api: &Api<K>, name: &str, what: &str)
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    wait_for(what, WAIT, || async move { api.get_opt(name).await.ok().filter(Option::is_none).map(|_| ()) }).await
}

/// The operator's controllers in this process, watching one namespace; stopped on drop.
struct InProcessOperator {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl InProcessOperator {
    fn start(client: &Client, namespace: &str, artifact_root: &str) -> InProcessOperator {
        let mut config = OperatorConfig::for_tests(artifact_root);
        config.watch_namespace = Some(namespace.to_string());
        config.resync_seconds = 2;
        let ctx = Context::new(client.clone(), config, Metrics::new().expect("metrics"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = futures_shared(async move {
            let _ = rx.await;
        });
        let task = tokio::spawn(controller::run(ctx, shutdown));
        InProcessOperator { stop: Some(tx), task: Some(task) }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(20), task).await;
        }
    }
}

impl Drop for InProcessOperator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

type SharedStop = futures::future::Shared<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>>>;

fn futures_shared(f: impl std::future::Future<Output = ()> + Send + Sync + 'static) -> SharedStop {
    use futures::FutureExt;
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>> = Box::pin(f);
    boxed.shared()
}

async fn apply_yaml<K>(client: &Client, namespace: &str, yaml: &str) -> K
where
    K: kube::Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    let obj: K = serde_yaml::from_str(yaml).expect("test manifest");
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    api.patch(&obj.name_any(), &PatchParams::apply("seer-tests").force(), &Patch::Apply(&obj)).await.expect("apply")
}

/// Plays the kubelet for the Job's (newest) pod: it terminated with this exit code, reason
/// and termination message.
async fn finish_pod(client: &Client, namespace: &str, job: &str, exit_code: i32, reason: &str, message: Option<&str>) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = wait_for(&format!("a pod of Job {job}"), WAIT, || {
        let pods = pods.clone();
        async move {
            let list = pods.list(&ListParams::default().labels(&format!("job-name={job}"))).await.ok()?;
            list.items.into_iter().find(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending"))
        }
    })
    .await;
    let mut terminated = serde_json::json!({"exitCode": exit_code, "reason": reason,
        "startedAt": "2026-11-29T00:00:00Z", "finishedAt": "2026-11-29T00:00:01Z"});
    if let Some(m) = message {
        terminated["message"] = serde_json::json!(m);
    }
    let status = serde_json::json!({"status": {
        "phase": if exit_code == 0 { "Succeeded" } else { "Failed" },
        "containerStatuses": [{"name": "trainer", "image": "trainer", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"terminated": terminated}}]
    }});
    pods.patch_status(&pod.name_any(), &PatchParams::default(), &Patch::Merge(&status)).await.expect("pod status");
}

fn condition<'a>(conditions: &'a [seer_api::Condition], type_: &str) -> Option<&'a seer_api::Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

async fn events_for(client: &Client, namespace: &str, name: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(client.clone(), namespace);
    api.list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .collect()
}

/// A folder with a tiny target time series, and the artifact root, as file:// URIs.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).expect("data dir");
        std::fs::write(dir.path().join("data/ts.csv"), "item_id,timestamp,demand\na,2026-01-01,1\na,2026-01-02,2\n")
            .expect("write data");
        Files { dir }
    }
    fn data_uri(&self) -> String {
        format!("file://{}/data/ts.csv", self.dir.path().display())
    }
    fn root(&self) -> String {
        format!("file://{}/artifacts", self.dir.path().display())
    }
}

fn group_yaml(name: &str, uri: &str) -> String {
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: DatasetGroup\nmetadata: {{name: {name}}}\nspec:\n  domain: RETAIL\n  datasets:\n  - type: TARGET_TIME_SERIES\n    uri: {uri}\n    dataFrequency: D\n    schema:\n      attributes:\n      - {{name: item_id, type: string}}\n      - {{name: timestamp, type: timestamp}}\n      - {{name: demand, type: float}}\n"
    )
}

fn predictor_yaml(name: &str, group: &str, horizon: i32, extra: &str) -> String {
    format!(
        "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: {name}}}\nspec:\n  datasetGroupRef: {{name: {group}}}\n  forecastHorizon: {horizon}\n  forecastFrequency: D\n  trainer: {{backoffLimit: 0}}\n{extra}"
    )
}

const REPORT: &str = r#"{"digest":"d1","totalRows":2,"datasets":[{"type":"TARGET_TIME_SERIES","uri":"x","objects":1,"rows":2,"skippedRows":0,"items":1}]}"#;

/// Brings a DatasetGroup to Ready through its validation Job.
async fn valid_group(client: &Client, ns: &str, name: &str, uri: &str) {
    apply_yaml::<DatasetGroup>(client, ns, &group_yaml(name, uri)).await;
    let job = format!("{name}-validate-g1");
    finish_pod(client, ns, &job, 0, "Completed", Some(REPORT)).await;
    let groups: Api<DatasetGroup> = Api::namespaced(client.clone(), ns);
    wait_for(&format!("DatasetGroup {name} DataValid"), WAIT, || {
        let groups = groups.clone();
        async move {
            let g = groups.get(name).await.ok()?;
            let c = g.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
            (condition(&c, types::DATA_VALID)?.status == ConditionStatus::True).then_some(())
        }
    })
    .await;
}

/// Writes what a trainer writes for a version: files, metrics.json, manifest last.
async fn write_version(root: &str, namespace: &str, name: &str, version: &str, wql: f64) {
    let store = ObjectStore::connect(&S3Settings::default()).await;
    let location = ArtifactLocation {
        root: ObjectUri::parse(root).expect("root"),
        namespace: namespace.into(),
        kind: ArtifactKind::Predictor,
        name: name.into(),
    };
    let mut w = ArtifactWriter::create(&store, location, version).await.expect("writer");
    let metrics = seer_api::metrics::ForecastMetrics {
        optimization_metric: "AverageWeightedQuantileLoss".into(),
        algorithm: "ETS".into(),
        summary: seer_api::metrics::AccuracyMetrics {
            weighted_quantile_losses: vec![],
            average_weighted_quantile_loss: Some(wql),
            error_metrics: vec![seer_api::metrics::ErrorMetric {
                forecast_type: "mean".into(),
                wape: Some(0.3),
                rmse: None,
                mase: Some(0.9),
                mape: None,
            }],
        },
        predictor_evaluation_results: vec![],
        velocity_breakdown: vec![],
    };
    w.put_file("metrics.json", serde_json::to_vec(&metrics).expect("json")).await.expect("metrics");
    w.commit("ETS", "d1", BTreeMap::new()).await.expect("commit");
}

async fn predictor_where<F: Fn(&Predictor) -> bool>(
    client: &Client,
    ns: &str,
    name: &str,
    what: &str,
    f: F,
) -> Predictor {
    let api: Api<Predictor> = Api::namespaced(client.clone(), ns);
    let f = Arc::new(f);
    wait_for(what, WAIT, || {
        let api = api.clone();
        let f = f.clone();
        async move { api.get(name).await.ok().filter(|p| f(p)) }
    })
    .await
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn dataset_group_validation_job_success_failure_and_missing_data() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-op-dg").await;
    let files = Files::new();
    let op = InProcessOperator::start(&client, &ns.name, &files.root());

    // Valid data: a validation Job owned by the group, conditions from the first reconcile.
    apply_yaml::<DatasetGroup>(&client, &ns.name, &group_yaml("sales", &files.data_uri())).await;
    let groups: Api<DatasetGroup> = Api::namespaced(client.clone(), &ns.name);
    let g =
        wait_for("first status", WAIT, || {
            let groups = groups.clone();
            async move {
                groups.get("sales").await.ok().filter(|g| g.status.as_ref().is_some_and(|s| !s.conditions.is_empty()))
            }
        })
        .await;
    let status = g.status.clone().unwrap_or_default();
    assert_eq!(status.observed_generation, g.metadata.generation);
    assert_eq!(condition(&status.conditions, types::RECONCILING).map(|c| c.status), Some(ConditionStatus::True));
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns.name);
    // The Job is created before that status is written, unless a transient error was shown first.
    let job = appears(&jobs, "sales-validate-g1", "the validation Job").await;
    let owner = &job.metadata.owner_references.clone().unwrap_or_default()[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.controller), ("DatasetGroup", "sales", Some(true)));
    let pod = job.spec.as_ref().and_then(|s| s.template.spec.clone()).expect("pod spec");
    assert_eq!(pod.containers[0].args.as_ref().map(|a| a[0].as_str()), Some("validate"));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    let cm = cms.get("sales-validate-g1").await.expect("manifests ConfigMap");
    assert!(cm.data.unwrap_or_default().get("resources.yaml").is_some_and(|y| y.contains("kind: DatasetGroup")));

    finish_pod(&client, &ns.name, "sales-validate-g1", 0, "Completed", Some(REPORT)).await;
    let g = wait_for("DataValid True", WAIT, || {
        let groups = groups.clone();
        async move {
            let g = groups.get("sales").await.ok()?;
            let c = g.status.as_ref()?.conditions.clone();
            (condition(&c, types::DATA_VALID)?.status == ConditionStatus::True).then_some(g)
        }
    })
    .await;
    let status = g.status.unwrap_or_default();
    assert_eq!((status.digest.as_deref(), status.total_rows), (Some("d1"), Some(2)));
    assert_eq!(status.datasets[0].items, Some(1));
    assert_eq!(condition(&status.conditions, types::READY).map(|c| c.status), Some(ConditionStatus::True));
    let reasons: Vec<String> =
        events_for(&client, &ns.name, "sales").await.into_iter().filter_map(|e| e.reason).collect();
    assert!(reasons.contains(&"Validated".to_string()), "events: {reasons:?}");

    // Bad data: the trainer's message (file and line) becomes the condition's.
    apply_yaml::<DatasetGroup>(&client, &ns.name, &group_yaml("broken", &files.data_uri())).await;
    finish_pod(
        &client,
        &ns.name,
        "broken-validate-g1",
        1,
        "Error",
        Some("ts.csv line 3: demand: \"x\" is not a number"),
    )
    .await;
    let g = wait_for("DataValid False", WAIT, || {
        let groups = groups.clone();
        async move {
            let g = groups.get("broken").await.ok()?;
            let c = g.status.as_ref()?.conditions.clone();
            (condition(&c, types::DATA_VALID)?.status == ConditionStatus::False).then_some(g)
        }
    })
    .await;
    let c = g.status.unwrap_or_default().conditions;
    assert_eq!(condition(&c, types::STALLED).map(|c| c.status), Some(ConditionStatus::True));
    assert!(
        condition(&c, types::DATA_VALID).is_some_and(|d| d.reason == "InvalidData" && d.message.contains("line 3"))
    );

    // Deleted (its Job orphaned, as if the garbage collector had not got to it yet) and created
    // again: the new group's verdict comes from a Job of its own, not the old one's failure.
    groups.delete("broken", &DeleteParams::orphan()).await.expect("delete");
    gone(&groups, "broken", "the first broken group gone").await;
    assert!(jobs.get_opt("broken-validate-g1").await.expect("get").is_some(), "the old Job is orphaned");
    apply_yaml::<DatasetGroup>(&client, &ns.name, &group_yaml("broken", &files.data_uri())).await;
    let uid = groups.get("broken").await.expect("the new group").uid();
    wait_for("a validation Job of the new group", WAIT, || {
        let jobs = jobs.clone();
        let uid = uid.clone();
        async move {
            let job = jobs.get_opt("broken-validate-g1").await.ok().flatten()?;
            job.owner_references().iter().any(|o| Some(&o.uid) == uid.as_ref()).then_some(())
        }
    })
    .await;
    finish_pod(&client, &ns.name, "broken-validate-g1", 0, "Completed", Some(REPORT)).await;
    wait_for("the new group's DataValid True", WAIT, || {
        let groups = groups.clone();
        async move {
            let g = groups.get("broken").await.ok()?;
            let c = g.status.as_ref()?.conditions.clone();
            (condition(&c, types::DATA_VALID)?.status == ConditionStatus::True).then_some(())
        }
    })
    .await;

    // Missing data: stalled at once, naming the URI, and no Job.
    let missing = format!("file://{}/nothing-here.csv", files.dir.path().display());
    apply_yaml::<DatasetGroup>(&client, &ns.name, &group_yaml("empty", &missing)).await;
    let g = wait_for("DatasetNotFound", WAIT, || {
        let groups = groups.clone();
        async move {
            let g = groups.get("empty").await.ok()?;
            let c = g.status.as_ref()?.conditions.clone();
            (condition(&c, types::STALLED)?.reason == "DatasetNotFound").then_some(g)
        }
    })
    .await;
    assert!(
        condition(&g.status.unwrap_or_default().conditions, types::STALLED)
            .is_some_and(|c| c.message.contains("nothing-here.csv"))
    );
    assert!(jobs.get_opt("empty-validate-g1").await.expect("get").is_none());
    op.stop().await;
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn predictor_versions_follow_their_jobs_and_a_campaign_serves_them() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-op-pred").await;
    let files = Files::new();
    let op = InProcessOperator::start(&client, &ns.name, &files.root());
    valid_group(&client, &ns.name, "sales", &files.data_uri()).await;

    apply_yaml::<Predictor>(&client, &ns.name, &predictor_yaml("demand", "sales", 7, "")).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns.name);
    let job = appears(&jobs, "demand-predictor-v1", "the v1 trainer Job").await;
    let pod = job.spec.as_ref().and_then(|s| s.template.spec.clone()).expect("pod spec");
    assert_eq!(pod.automount_service_account_token, Some(false));
    let sc = pod.containers[0].security_context.clone().expect("security context");
    assert_eq!((sc.read_only_root_filesystem, sc.allow_privilege_escalation), (Some(true), Some(false)));
    assert_eq!(job.spec.as_ref().and_then(|s| s.backoff_limit), Some(0));
    let p = predictor_where(&client, &ns.name, "demand", "v1 Training", |p| {
        p.status.as_ref().is_some_and(|s| s.versions.first().is_some_and(|v| v.phase == VersionPhase::Training))
    })
    .await;
    assert!(
        condition(&p.status.unwrap_or_default().conditions, types::TRAINING)
            .is_some_and(|c| c.status == ConditionStatus::True)
    );

    // An operator restart mid-training makes no second Job.
    op.stop().await;
    let op = InProcessOperator::start(&client, &ns.name, &files.root());
    let selector = "seer.dev/predictor=demand";
    // Give the new operator a reconcile: wait until it has touched the status again (its
    // Training condition's observedGeneration is set on every reconcile; use the Job list).
    wait_for("the restarted operator's watch", WAIT, || {
        let jobs = jobs.clone();
        async move { jobs.list(&ListParams::default().labels(selector)).await.ok().map(|l| l.items.len()) }
    })
    .await;

    // Success: the trainer's metrics.json ends up in status and the printer column's field.
    write_version(&files.root(), &ns.name, "demand", "v1", 0.25).await;
    finish_pod(&client, &ns.name, "demand-predictor-v1", 0, "Completed", None).await;
    let p = predictor_where(&client, &ns.name, "demand", "v1 Succeeded", |p| {
        p.status.as_ref().is_some_and(|s| s.latest_version.as_deref() == Some("v1"))
    })
    .await;
    let status = p.status.clone().unwrap_or_default();
    assert_eq!(status.latest_metrics.get("AverageWeightedQuantileLoss"), Some(&0.25));
    assert_eq!(status.versions[0].algorithm.as_deref(), Some("ETS"));
    assert_eq!(status.versions[0].dataset_digest.as_deref(), Some("d1"));
    assert_eq!(condition(&status.conditions, types::READY).map(|c| c.status), Some(ConditionStatus::True));
    let all = jobs.list(&ListParams::default().labels(selector)).await.expect("jobs").items;
    assert_eq!(
        all.len(),
        1,
        "one Job for v1, restart or not: {:?}",
        all.iter().map(|j| j.name_any()).collect::<Vec<_>>()
    );
    let reasons: Vec<String> =
        events_for(&client, &ns.name, "demand").await.into_iter().filter_map(|e| e.reason).collect();
    for expected in ["TrainingStarted", "TrainingSucceeded", "Trained"] {
        assert!(reasons.contains(&expected.to_string()), "{expected} in {reasons:?}");
    }

    // A Solution on the same kind of path: its own Job, owned by it.
    let solution = "apiVersion: seer.dev/v1alpha1\nkind: Solution\nmetadata: {name: shop}\nspec:\n  datasetGroupRef: {name: sales}\n  recipe: POPULARITY_COUNT\n";
    apply_yaml::<seer_api::Solution>(&client, &ns.name, solution).await;
    let sjob = appears(&jobs, "shop-solution-v1", "the Solution's v1 Job").await;
    assert_eq!(sjob.metadata.owner_references.unwrap_or_default()[0].kind, "Solution");
    let solutions: Api<seer_api::Solution> = Api::namespaced(client.clone(), &ns.name);
    let s = wait_for("the Solution's Training condition", WAIT, || {
        let solutions = solutions.clone();
        async move {
            let s = solutions.get("shop").await.ok()?;
            let c = s.status.as_ref()?.conditions.clone();
            (condition(&c, types::TRAINING)?.status == ConditionStatus::True).then_some(s)
        }
    })
    .await;
    assert!(s.finalizers().iter().any(|f| f == "seer.dev/artifacts"));

    // A Campaign serves v1: Deployment (no replicas), Service, HPA, PDB, owned; status.url.
    let campaign_yaml = "apiVersion: seer.dev/v1alpha1\nkind: Campaign\nmetadata: {name: demand-api}\nspec:\n  modelRef: {kind: Predictor, name: demand}\n  minProvisionedTPS: 1200\n";
    apply_yaml::<Campaign>(&client, &ns.name, campaign_yaml).await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    let d = appears(&deployments, "demand-api", "the Campaign's Deployment").await;
    let spec = d.spec.clone().expect("deployment spec");
    assert_eq!(spec.replicas.or(None), d.spec.as_ref().and_then(|s| s.replicas));
    let args = spec.template.spec.as_ref().and_then(|p| p.containers[0].args.clone()).unwrap_or_default();
    assert!(args.iter().any(|a| a.ends_with(&format!("{}/predictor/demand/v1", ns.name))), "{args:?}");
    assert_eq!(d.metadata.owner_references.clone().unwrap_or_default()[0].kind, "Campaign");
    // The operator applies the children one after another: each is waited for, not read once.
    let services: Api<Service> = Api::namespaced(client.clone(), &ns.name);
    appears(&services, "demand-api", "the Campaign's Service").await;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &ns.name);
    let hpa = appears(&hpas, "demand-api", "the Campaign's HPA").await;
    assert_eq!(hpa.spec.and_then(|s| s.min_replicas), Some(3), "1200 TPS at 500 per replica");
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), &ns.name);
    appears(&pdbs, "demand-api", "the Campaign's PodDisruptionBudget").await;
    let campaigns: Api<Campaign> = Api::namespaced(client.clone(), &ns.name);
    let c =
        wait_for("the Campaign's url", WAIT, || {
            let campaigns = campaigns.clone();
            async move {
                campaigns.get("demand-api").await.ok().filter(|c| c.status.as_ref().is_some_and(|s| s.url.is_some()))
            }
        })
        .await;
    assert_eq!(c.status.and_then(|s| s.url), Some(format!("http://demand-api.{}.svc.cluster.local:80", ns.name)));

    // A spec change trains v2; its pod is OOM-killed without a message: the reason says so.
    apply_yaml::<Predictor>(&client, &ns.name, &predictor_yaml("demand", "sales", 14, "")).await;
    appears(&jobs, "demand-predictor-v2", "the v2 trainer Job").await;
    finish_pod(&client, &ns.name, "demand-predictor-v2", 137, "OOMKilled", None).await;
    let p = predictor_where(&client, &ns.name, "demand", "v2 Failed", |p| {
        p.status.as_ref().is_some_and(|s| s.versions.iter().any(|v| v.name == "v2" && v.phase == VersionPhase::Failed))
    })
    .await;
    let status = p.status.unwrap_or_default();
    let v2 = status.versions.iter().find(|v| v.name == "v2").expect("v2");
    assert_eq!(v2.reason.as_deref(), Some("OOMKilled"));
    assert_eq!(v2.trigger, seer_api::VersionTrigger::SpecChanged);
    assert!(
        condition(&status.conditions, types::STALLED)
            .is_some_and(|c| c.status == ConditionStatus::True && c.reason == "OOMKilled"),
        "{:#?}",
        status.conditions
    );
    assert_eq!(status.latest_version.as_deref(), Some("v1"), "the failed version does not replace v1");

    // Deleted in the foreground (`kubectl delete --cascade=foreground`): the Campaign lingers
    // while its children go, and the operator does not put them back.
    campaigns.delete("demand-api", &DeleteParams::foreground()).await.expect("delete");
    wait_for("the Campaign and its Deployment gone", WAIT, || {
        let (campaigns, deployments) = (campaigns.clone(), deployments.clone());
        async move {
            let campaign = campaigns.get_opt("demand-api").await.ok()?;
            let deployment = deployments.get_opt("demand-api").await.ok()?;
            (campaign.is_none() && deployment.is_none()).then_some(())
        }
    })
    .await;
    op.stop().await;
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn a_predictor_exporting_with_its_own_secret_waits_for_it_then_mounts_it() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-op-export").await;
    let files = Files::new();
    let _op = InProcessOperator::start(&client, &ns.name, &files.root());
    valid_group(&client, &ns.name, "sales", &files.data_uri()).await;

    let export = "  export:\n    format: PARQUET\n    destination:\n      uri: s3://exports/demand\n      s3: {endpoint: \"http://s3.example:9000\", credentialsSecretRef: {name: export-keys}}\n";
    apply_yaml::<Predictor>(&client, &ns.name, &predictor_yaml("exported", "sales", 7, export)).await;
    // No Secret yet: no trainer Job (its pod could not start), and the Predictor says why.
    let p = predictor_where(&client, &ns.name, "exported", "SecretNotFound on the Predictor", |p| {
        p.status.as_ref().is_some_and(|s| s.conditions.iter().any(|c| c.reason == "SecretNotFound"))
    })
    .await;
    let status = p.status.unwrap_or_default();
    let c = status.conditions.iter().find(|c| c.reason == "SecretNotFound").expect("condition");
    assert!(c.message.contains("export-keys"), "{}", c.message);
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns.name);
    assert!(jobs.get_opt("exported-predictor-v1").await.expect("get").is_none(), "no Job before the Secret");

    // The Secret appears: the next resync starts the Job with it mounted for the trainer.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), &ns.name);
    let secret = k8s_openapi::api::core::v1::Secret {
        metadata: kube::api::ObjectMeta { name: Some("export-keys".into()), ..Default::default() },
        string_data: Some(BTreeMap::from([
            ("AWS_ACCESS_KEY_ID".to_string(), "id".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "secret".to_string()),
        ])),
        ..Default::default()
    };
    secrets.create(&Default::default(), &secret).await.expect("create the Secret");
    let job = appears(&jobs, "exported-predictor-v1", "the v1 trainer Job").await;
    let pod = job.spec.and_then(|s| s.template.spec).expect("pod spec");
    let volume = pod
        .volumes
        .unwrap_or_default()
        .into_iter()
        .find(|v| v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) == Some("export-keys"))
        .expect("the export's Secret as a volume");
    let container = &pod.containers[0];
    let mount = container.volume_mounts.clone().unwrap_or_default();
    let mount = mount.iter().find(|m| m.name == volume.name).expect("mounted");
    let env = container.env.clone().unwrap_or_default();
    let dir = env.iter().find(|e| e.name == "SEER_EXPORT_CREDENTIALS_DIR").and_then(|e| e.value.clone());
    assert_eq!(dir.as_deref(), Some(mount.mount_path.as_str()), "the trainer is told where the keys are");
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn deleting_a_predictor_runs_its_finalizer_per_deletion_policy() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-op-del").await;
    let files = Files::new();
    let op = InProcessOperator::start(&client, &ns.name, &files.root());
    valid_group(&client, &ns.name, "sales", &files.data_uri()).await;
    apply_yaml::<Predictor>(&client, &ns.name, &predictor_yaml("gone", "sales", 7, "  deletionPolicy: Delete\n")).await;
    apply_yaml::<Predictor>(&client, &ns.name, &predictor_yaml("kept", "sales", 7, "")).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns.name);
    for name in ["gone", "kept"] {
        predictor_where(&client, &ns.name, name, "finalizer added", |p| {
            p.finalizers().iter().any(|f| f == "seer.dev/artifacts")
        })
        .await;
        // The trainer writes while its Job exists (written before, v1 would count as stored
        // and the Job would be v2's).
        appears(&jobs, &format!("{name}-predictor-v1"), &format!("the {name} Predictor's v1 Job")).await;
        write_version(&files.root(), &ns.name, name, "v1", 0.3).await;
    }
    let folder = |name: &str| files.dir.path().join(format!("artifacts/{}/predictor/{name}", ns.name));
    // A trainer still running (its pod held by a finalizer of this test, as a pod in its grace
    // period would be): the artifacts must outlive it, or it would write after they went.
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns.name);
    let trainer = wait_for("the gone Predictor's trainer pod", WAIT, || {
        let pods = pods.clone();
        async move {
            let list = pods.list(&ListParams::default().labels("job-name=gone-predictor-v1")).await.ok()?;
            list.items.into_iter().next()
        }
    })
    .await;
    const HOLD: &str = "test.seer.dev/hold";
    let finalizers = |pod: &Pod, hold: bool| {
        let mut f: Vec<String> = pod.finalizers().iter().filter(|f| *f != HOLD).cloned().collect();
        f.extend(hold.then(|| HOLD.to_string()));
        serde_json::json!({"metadata": {"finalizers": f}})
    };
    pods.patch(&trainer.name_any(), &PatchParams::default(), &Patch::Merge(&finalizers(&trainer, true)))
        .await
        .expect("hold the trainer pod");
    let api: Api<Predictor> = Api::namespaced(client.clone(), &ns.name);
    api.delete("gone", &DeleteParams::default()).await.expect("delete");
    wait_for("the operator to delete the trainer Job in the foreground", WAIT, || {
        let jobs = jobs.clone();
        async move { jobs.get_opt("gone-predictor-v1").await.ok().flatten()?.metadata.deletion_timestamp.map(|_| ()) }
    })
    .await;
    assert!(api.get_opt("gone").await.expect("get").is_some(), "the Predictor waits for its trainer");
    assert!(folder("gone").join("v1/manifest.json").exists(), "the artifacts wait for the trainer");
    let held = pods.get(&trainer.name_any()).await.expect("the held trainer pod");
    pods.patch(&trainer.name_any(), &PatchParams::default(), &Patch::Merge(&finalizers(&held, false)))
        .await
        .expect("let the trainer pod go");
    // Its v1 Job orphaned, as if the garbage collector had not got to it when the Predictor
    // is created again below.
    api.delete("kept", &DeleteParams::orphan()).await.expect("delete");
    for name in ["gone", "kept"] {
        gone(&api, name, &format!("Predictor {name} deleted")).await;
    }
    assert!(jobs.get_opt("gone-predictor-v1").await.expect("get").is_none(), "the trainer Job went first");
    assert!(!folder("gone").join("v1/manifest.json").exists(), "Delete removes the artifacts");
    assert!(folder("kept").join("v1/manifest.json").exists(), "Retain keeps them");

    // Created again over its retained artifacts, it goes on from them: v2, not a second v1
    // (versions are never overwritten).
    assert!(jobs.get_opt("kept-predictor-v1").await.expect("get").is_some(), "the old v1 Job is orphaned");
    apply_yaml::<Predictor>(&client, &ns.name, &predictor_yaml("kept", "sales", 7, "")).await;
    appears(&jobs, "kept-predictor-v2", "the re-created Predictor's v2 trainer Job").await;
    let p = predictor_where(&client, &ns.name, "kept", "v2 in status", |p| {
        p.status.as_ref().is_some_and(|s| s.versions.iter().any(|v| v.name == "v2"))
    })
    .await;
    let versions: Vec<String> = p.status.unwrap_or_default().versions.into_iter().map(|v| v.name).collect();
    assert_eq!(versions, ["v2"], "the old object's v1 Job is not a version of the new one");
    op.stop().await;
}

/// A `seer-operator` process with leader election.
struct OperatorProcess {
    child: std::process::Child,
    identity: String,
    /// Where its /metrics listen.
    port: u16,
}

impl OperatorProcess {
    fn start(namespace: &str, identity: &str, root: &str) -> OperatorProcess {
        // A port free a moment ago; the operator binds it at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let listen = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_seer-operator"))
            .env("KUBECONFIG", seer_testkit::cluster::kubeconfig_path())
            .args(["--lease-namespace", namespace, "--identity", identity, "--lease-seconds", "4"])
            .args(["--watch-namespace", namespace, "--listen", &listen, "--artifact-root", root])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start seer-operator");
        OperatorProcess { child, identity: identity.to_string(), port }
    }

    /// Its `seer_operator_leader` gauge as /metrics shows it; `None` while it does not answer
    /// or shows no such series.
    fn leader_gauge(&self) -> Option<i64> {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        conn.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
        let mut body = String::new();
        conn.read_to_string(&mut body).ok()?;
        let series = format!("seer_operator_leader{{identity=\"{}\"}} ", self.identity);
        body.lines().find_map(|l| l.strip_prefix(&series)).and_then(|v| v.trim().parse().ok())
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn a_standby_takes_over_when_the_leader_is_killed() {
    use k8s_openapi::api::coordination::v1::Lease;
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-op-lease").await;
    let files = Files::new();
    let mut a = OperatorProcess::start(&ns.name, "op-a", &files.root());
    let b = OperatorProcess::start(&ns.name, "op-b", &files.root());
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns.name);
    let holder =
        |leases: Api<Lease>| async move { leases.get_opt("seer-operator").await.ok().flatten()?.spec?.holder_identity };
    let first = wait_for("a leader", WAIT, || {
        let leases = leases.clone();
        async move { holder(leases).await }
    })
    .await;
    // The leader's gauge says 1, the standby's 0 (a series, not nothing, so alerts can sum).
    let mut b = b;
    let (leader_proc, standby_proc) = if first == "op-a" { (&a, &b) } else { (&b, &a) };
    wait_for("the leader's gauge at 1 and the standby's at 0", WAIT, || {
        let gauges = (leader_proc.leader_gauge(), standby_proc.leader_gauge());
        async move { (gauges == (Some(1), Some(0))).then_some(()) }
    })
    .await;
    // Kill the leader without a chance to release the Lease.
    let (leader, standby) = if first == "op-a" { (&mut a, "op-b") } else { (&mut b, "op-a") };
    leader.child.kill().expect("kill the leader");
    let _ = leader.child.wait();
    let killed_at = std::time::Instant::now();
    apply_yaml::<DatasetGroup>(&client, &ns.name, &group_yaml("after-kill", &files.data_uri())).await;
    let groups: Api<DatasetGroup> = Api::namespaced(client.clone(), &ns.name);
    wait_for("the standby to reconcile an object made after the kill", Duration::from_secs(30), || {
        let groups = groups.clone();
        async move { groups.get("after-kill").await.ok().filter(|g| g.status.is_some()).map(|_| ()) }
    })
    .await;
    let took = killed_at.elapsed();
    assert_eq!(holder(leases.clone()).await.as_deref(), Some(standby));
    eprintln!("takeover: an object created after the kill was reconciled {took:?} later (lease 4 s)");
    // The Lease can only be taken once it has expired (at most 4 s after the last renewal) and
    // the standby has looked again; then the controllers list and reconcile. The bound is the
    // operator's own (twice the lease), with a little slack for a loaded machine.
    let bound = seer_operator::leader::takeover_bound(4) + Duration::from_secs(3);
    assert!(took < bound, "took over in {took:?}, lease 4 s, bound {bound:?}");
}

#[tokio::test]
#[ignore = "needs the local cluster: tests/cluster/up.sh --control-plane-only"]
async fn a_sharded_predictor_trains_in_an_indexed_job_then_a_merge_job() {
    let client = client().await;
    install_crds(&client).await;
    let ns = TestNamespace::create(client.clone(), "seer-op-shard").await;
    let files = Files::new();
    let op = InProcessOperator::start(&client, &ns.name, &files.root());
    valid_group(&client, &ns.name, "sales", &files.data_uri()).await;
    let yaml = predictor_yaml("big", "sales", 7, "")
        .replace("trainer: {backoffLimit: 0}", "trainer: {backoffLimit: 0, shards: 2}");
    apply_yaml::<Predictor>(&client, &ns.name, &yaml).await;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns.name);
    let job = appears(&jobs, "big-predictor-v1", "the Indexed Job").await;
    let spec = job.spec.clone().expect("spec");
    assert_eq!((spec.completion_mode.as_deref(), spec.completions), (Some("Indexed"), Some(2)));
    // Both shards finish (the Job controller makes one pod per index).
    finish_pod(&client, &ns.name, "big-predictor-v1", 0, "Completed", None).await;
    finish_pod(&client, &ns.name, "big-predictor-v1", 0, "Completed", None).await;
    let merge = appears(&jobs, "big-predictor-v1-merge", "the merge Job").await;
    let args = merge
        .spec
        .and_then(|s| s.template.spec)
        .map(|p| p.containers[0].args.clone().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(args[..5], ["merge", "--version", "v1", "--shards", "2"].map(String::from));
    let p = predictor_where(&client, &ns.name, "big", "still Training while merging", |p| {
        p.status.as_ref().is_some_and(|s| s.versions.first().is_some_and(|v| v.phase == VersionPhase::Training))
    })
    .await;
    assert_eq!(p.status.and_then(|s| s.latest_version), None);
    write_version(&files.root(), &ns.name, "big", "v1", 0.2).await;
    finish_pod(&client, &ns.name, "big-predictor-v1-merge", 0, "Completed", None).await;
    predictor_where(&client, &ns.name, "big", "v1 Succeeded after the merge", |p| {
        p.status.as_ref().is_some_and(|s| s.latest_version.as_deref() == Some("v1"))
    })
    .await;
    op.stop().await;
}
