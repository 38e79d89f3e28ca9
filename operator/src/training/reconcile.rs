//! Applying the training decisions: observe (Jobs, the DatasetGroup, storage), decide
//! (`decide.rs`, pure), act (ConfigMap + Job, pruning, status, events).

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use k8s_openapi::api::{
    batch::v1::Job,
    core::v1::{ConfigMap, Pod},
};
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy},
    runtime::{
        controller::Action,
        events::{Event, EventType},
    },
};
use seer_api::{
    Campaign, ConditionStatus, DatasetGroup, DatasetGroupStatus, ModelVersion, SkippedTick, TrainedModelStatus,
    VersionPhase, VersionTrigger,
    artifact::METRICS_FILE,
    conditions::types,
    metrics::{ForecastMetrics, RecommendationMetrics},
};
use seer_storage::{ObjectStore, StorageError, artifacts, artifacts::ArtifactLocation, datasets, digest};

use super::{
    Trainable,
    decide::{self, GroupState, Inputs},
    schedule::Schedule,
};
use crate::{
    conditions::{self, Summary},
    context::{Context, FIELD_MANAGER, namespace_and_name, now_rfc3339},
    error::{Error, Result},
    job_state::{self, JobOutcome},
    storage_access::{self, ArtifactStorage},
    trainer_job::{self, TrainerJob, annotations},
};

/// Skipped ticks kept in status.
const SKIPPED_TICKS_KEPT: usize = 10;
/// Versions kept when the resource has no `retrain.historyLimit`.
const DEFAULT_HISTORY: usize = 5;

/// The finalizer of Predictors and Solutions.
pub const FINALIZER: &str = "seer.dev/artifacts";

/// Reconciles a Predictor or Solution that is not being deleted.
pub async fn apply<K: Trainable>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action> {
    let (namespace, name) = namespace_and_name(obj.as_ref())?;
    let old_status = obj.model_status().cloned().unwrap_or_default();
    let generation = obj.meta().generation;
    let now = Utc::now();
    let outcome = observe_and_act(&obj, &ctx, &namespace, &name, &old_status, now).await;
    let (mut status, summary, training, requeue) = match outcome {
        Ok(done) => done,
        Err(e)
            if let Some((summary, training, requeue)) = crate::error::shown(
                &e,
                types::TRAINING,
                old_status.latest_version.is_some(),
                Duration::from_secs(ctx.config.resync_seconds),
            ) =>
        {
            (old_status.clone(), summary, training, requeue)
        }
        Err(e) => {
            ctx.report_transient(obj.as_ref(), &old_status.conditions, &e).await;
            return Err(e);
        }
    };
    let mut observed = conditions::from_summary(&summary);
    observed.push(training);
    status.conditions = conditions::merge(&old_status.conditions, observed, generation, &now_rfc3339());
    status.observed_generation = generation;
    if status != old_status {
        ctx.apply_status(obj.as_ref(), &status).await?;
    }
    ctx.publish_transitions(obj.as_ref(), &old_status.conditions, &status.conditions).await;
    Ok(match requeue {
        Some(after) => Action::requeue(after),
        None => Action::await_change(),
    })
}

type Outcome = (TrainedModelStatus, Summary, conditions::Observed, Option<Duration>);

async fn observe_and_act<K: Trainable>(
    obj: &Arc<K>,
    ctx: &Arc<Context>,
    namespace: &str,
    name: &str,
    old: &TrainedModelStatus,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let client = ctx.client.clone();
    let jobs_api: Api<Job> = Api::namespaced(client.clone(), namespace);
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let (jobs, foreign) = trainer_jobs(&jobs_api, obj.as_ref(), name).await?;
    // The Jobs of an earlier object of this name are not versions, but their version names
    // still count when numbering the next version.
    let foreign_versions = foreign.iter().filter_map(|j| j.annotations().get(annotations::VERSION).cloned());

    let storage = ArtifactStorage::resolve(obj.artifacts(), &ctx.config)?;
    let location = storage.location(namespace, K::ARTIFACT_KIND, name)?;
    let mut store: Option<ObjectStore> = None;

    // Versions from status, plus any Job status does not know (a restart after creating a
    // Job and before writing status), brought up to date from their Jobs.
    let mut versions = old.versions.clone();
    for job in &jobs {
        let Some(version) = job.annotations().get(annotations::VERSION) else { continue };
        if job.annotations().get(annotations::ROLE).is_some_and(|r| r == "merge") {
            continue;
        }
        if !versions.iter().any(|v| &v.name == version) {
            versions.push(version_from_job(job, version, &location));
        }
    }
    versions.sort_by_key(|v| artifacts::version_order(&v.name));
    let mut finished: Vec<(String, VersionPhase)> = Vec::new();
    for v in versions.iter_mut().filter(|v| matches!(v.phase, VersionPhase::Pending | VersionPhase::Training)) {
        let job = v.job_name.as_ref().and_then(|j| jobs.iter().find(|job| job.name_any() == *j));
        let Some(job) = job else {
            v.phase = VersionPhase::Failed;
            v.reason = Some("JobDeleted".into());
            v.message = Some("the trainer Job was deleted before it finished".into());
            v.completion_time = Some(now_rfc3339());
            finished.push((v.name.clone(), v.phase));
            continue;
        };
        let pods = pods_api.list(&ListParams::default().labels(&format!("job-name={}", job.name_any()))).await?.items;
        let mut outcome = job_state::outcome(job, &pods);
        // A sharded version is done when its merge Job is: start that once the shards are.
        let shards = job.annotations().get(annotations::SHARDS).and_then(|n| n.parse::<i32>().ok());
        if let (JobOutcome::Succeeded { .. }, Some(n)) = (&outcome, shards) {
            let merge_name = trainer_job::child_name(&[&job.name_any(), "merge"]);
            match jobs.iter().find(|j| j.name_any() == merge_name) {
                None => {
                    let merge = trainer_job::merge_job(job, &merge_name, &v.name, n, &storage.root);
                    match jobs_api.create(&Default::default(), &merge).await {
                        Ok(_) => {}
                        Err(kube::Error::Api(s)) if s.code == 409 => {}
                        Err(e) => return Err(e.into()),
                    }
                    outcome = JobOutcome::Running;
                }
                Some(merge) => {
                    let selector = format!("job-name={merge_name}");
                    let merge_pods = pods_api.list(&ListParams::default().labels(&selector)).await?.items;
                    outcome = job_state::outcome(merge, &merge_pods);
                }
            }
        }
        match outcome {
            JobOutcome::Running => v.phase = VersionPhase::Training,
            JobOutcome::Succeeded { .. } => {
                if store.is_none() {
                    store = Some(storage_access::connect(ctx, namespace, Some(&storage.connection)).await?);
                }
                let s = store.as_ref().ok_or(Error::Unnamed("store"))?;
                read_results::<K>(s, &location, v).await?;
                v.phase = VersionPhase::Succeeded;
                v.completion_time = Some(job_completion(job).unwrap_or_else(now_rfc3339));
                finished.push((v.name.clone(), v.phase));
            }
            JobOutcome::Failed { reason, message } => {
                v.phase = VersionPhase::Failed;
                v.reason = Some(reason);
                v.message = Some(conditions::truncate(&message, 4000));
                v.completion_time = Some(job_completion(job).unwrap_or_else(now_rfc3339));
                finished.push((v.name.clone(), v.phase));
            }
        }
    }

    // The DatasetGroup.
    let groups: Api<DatasetGroup> = Api::namespaced(client.clone(), namespace);
    let group = groups.get_opt(obj.group_ref()).await?;
    let group_state = match &group {
        None => GroupState::Missing,
        Some(g) => group_state(g),
    };
    let group_spec = group.as_ref().map(|g| serde_json::to_value(&g.spec).unwrap_or_default());
    let spec_digest = digest::sha256_hex(
        serde_json::json!({"spec": obj.training_spec(), "datasetGroup": group_spec}).to_string().as_bytes(),
    );

    // The schedule.
    let schedule = obj.retrain().map(Schedule::parse).transpose()?;
    let since = old
        .last_schedule_time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            obj.meta()
                .creation_timestamp
                .as_ref()
                .map(|t| DateTime::<Utc>::from_timestamp_nanos(t.0.as_nanosecond() as i64))
        })
        .unwrap_or(now);
    let due = schedule.as_ref().map(|s| s.due(since, now, obj.retrain().and_then(|r| r.starting_deadline_seconds)));
    let training_now = versions.iter().any(|v| matches!(v.phase, VersionPhase::Pending | VersionPhase::Training));
    let fresh_digest = match (&due, obj.retrain(), &group) {
        (Some(d), Some(r), Some(g))
            if d.tick.is_some() && r.only_if_data_changed && !training_now && !d.missed_deadline =>
        {
            Some(data_digest(ctx, namespace, g).await?)
        }
        _ => None,
    };

    let decision = decide::decide(&Inputs {
        spec_digest: &spec_digest,
        versions: &versions,
        group: group_state,
        retrain: obj.retrain(),
        due: due.clone(),
        fresh_data_digest: fresh_digest.as_deref(),
    });

    let mut status = old.clone();
    if let Some(trigger) = decision.start
        && let Some(group) = &group
    {
        let mut names: Vec<String> = versions
            .iter()
            .map(|v| v.name.clone())
            .chain(jobs.iter().filter_map(|j| j.annotations().get(annotations::VERSION).cloned()))
            .chain(foreign_versions)
            .collect();
        // A resource created again over retained artifacts continues their numbering: a
        // version is never overwritten, so reusing `v1` would fail.
        names.extend(stored_versions(ctx, namespace, &storage, &location).await?);
        let version = decide::next_version(names.iter().map(String::as_str));
        let v = start_version(obj.as_ref(), ctx, group, &storage, &location, &version, trigger, &spec_digest).await?;
        ctx.metrics.versions.with_label_values(&[K::KIND_LOWER, "Started"]).inc();
        publish(
            ctx,
            obj.as_ref(),
            EventType::Normal,
            "TrainingStarted",
            format!("training version {version} ({trigger:?})"),
        )
        .await;
        versions.push(v);
    }
    for (version, phase) in &finished {
        let result = if *phase == VersionPhase::Succeeded { "Succeeded" } else { "Failed" };
        ctx.metrics.versions.with_label_values(&[K::KIND_LOWER, result]).inc();
        let v = versions.iter().find(|v| &v.name == version);
        let (kind, note) = match v {
            Some(v) if *phase == VersionPhase::Failed => (
                EventType::Warning,
                format!(
                    "version {version} failed ({}): {}",
                    v.reason.clone().unwrap_or_default(),
                    v.message.clone().unwrap_or_default()
                ),
            ),
            _ => (EventType::Normal, format!("version {version} is trained")),
        };
        publish(ctx, obj.as_ref(), kind, &format!("Training{result}"), note).await;
    }

    // History: the oldest versions beyond the limit go, with their Jobs and artifacts,
    // never one a Campaign serves.
    let limit = obj.retrain().map(|r| r.history_limit.max(1) as usize).unwrap_or(DEFAULT_HISTORY);
    if versions.len() > limit {
        let protected = served_versions(ctx, namespace, K::KIND_LOWER, name).await?;
        let doomed = decide::prune(&versions, limit, &protected);
        if !doomed.is_empty() {
            if store.is_none() {
                store = Some(storage_access::connect(ctx, namespace, Some(&storage.connection)).await?);
            }
            let s = store.as_ref().ok_or(Error::Unnamed("store"))?;
            for version in &doomed {
                remove_version(ctx, namespace, s, &location, versions.iter().find(|v| &v.name == version)).await?;
            }
            versions.retain(|v| !doomed.contains(&v.name));
        }
    }

    let latest_ok = versions.iter().rev().find(|v| v.phase == VersionPhase::Succeeded);
    status.latest_version = latest_ok.map(|v| v.name.clone());
    status.latest_metrics = latest_ok.map(|v| v.metrics.clone()).unwrap_or_default();
    status.versions = versions;
    if let Some(tick) = decision.acted_tick {
        status.last_schedule_time = Some(tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        if let Some(reason) = decision.skipped {
            status.skipped_ticks.push(SkippedTick {
                time: tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                reason: reason.into(),
            });
            let excess = status.skipped_ticks.len().saturating_sub(SKIPPED_TICKS_KEPT);
            status.skipped_ticks.drain(..excess);
            publish(
                ctx,
                obj.as_ref(),
                EventType::Normal,
                "TickSkipped",
                format!("schedule tick {tick} skipped: {reason}"),
            )
            .await;
        }
    }
    status.next_schedule_time =
        due.as_ref().and_then(|d| d.next).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));

    // Come back while a Job runs (its changes also wake us through the watch), at the next
    // tick, and now and then to notice an external change (a Secret created).
    let mut requeue = Duration::from_secs(300);
    if status.versions.iter().any(|v| matches!(v.phase, VersionPhase::Pending | VersionPhase::Training)) {
        requeue = Duration::from_secs(ctx.config.resync_seconds);
    }
    if let Some(next) = due.as_ref().and_then(|d| d.next) {
        let until = (next - now).to_std().unwrap_or_default() + Duration::from_secs(1);
        requeue = requeue.min(until);
    }
    Ok((status, decision.summary, decision.training, Some(requeue)))
}

/// The Jobs labelled for the resource `name`: those `obj` owns, and those of an earlier object
/// of the same name (deleted and created again; a new uid) that the garbage collector has yet
/// to remove.
async fn trainer_jobs<K: Trainable>(jobs_api: &Api<Job>, obj: &K, name: &str) -> Result<(Vec<Job>, Vec<Job>)> {
    let selector = format!("{}={name}", trainer_job::owner_label(K::KIND_LOWER));
    let all = jobs_api.list(&ListParams::default().labels(&selector)).await?.items;
    Ok(all.into_iter().partition(|j| trainer_job::owned_by(j, obj)))
}

/// A DatasetGroup's state as training sees it.
fn group_state(g: &DatasetGroup) -> GroupState {
    let status: DatasetGroupStatus = g.status.clone().unwrap_or_default();
    let current = status.observed_generation == g.metadata.generation;
    match conditions::find(&status.conditions, types::DATA_VALID) {
        Some(c) if c.status == ConditionStatus::True && current => GroupState::Ready,
        Some(c) if c.status == ConditionStatus::False && current && c.reason != "Validating" => {
            GroupState::Invalid(c.message.clone())
        }
        _ => GroupState::Validating,
    }
}

/// The data digest now, from a listing of every dataset (what `seer-trainer validate` prints).
async fn data_digest(ctx: &Context, namespace: &str, group: &DatasetGroup) -> Result<String> {
    let connection = storage_access::with_defaults(group.spec.s3.as_ref(), &ctx.config);
    let store = storage_access::connect(ctx, namespace, Some(&connection)).await?;
    let mut objects = Vec::new();
    for d in &group.spec.datasets {
        objects.extend(datasets::dataset_objects(&store, &d.uri).await?);
    }
    Ok(digest::dataset_digest(&objects))
}

/// The names of the version folders under the resource's storage (complete or not).
async fn stored_versions(
    ctx: &Context,
    namespace: &str,
    storage: &ArtifactStorage,
    location: &ArtifactLocation,
) -> Result<Vec<String>> {
    let store = storage_access::connect(ctx, namespace, Some(&storage.connection)).await?;
    Ok(artifacts::version_folders(&store, location).await?)
}

/// The versions Campaigns in the namespace serve or pin for this model.
async fn served_versions(ctx: &Context, namespace: &str, kind_lower: &str, name: &str) -> Result<Vec<String>> {
    let campaigns: Api<Campaign> = Api::namespaced(ctx.client.clone(), namespace);
    let mut out = Vec::new();
    for c in campaigns.list(&ListParams::default()).await?.items {
        if c.spec.model_ref.kind.to_lowercase() != kind_lower || c.spec.model_ref.name != name {
            continue;
        }
        if c.spec.version != "latest" {
            out.push(c.spec.version.clone());
        }
        if let Some(s) = &c.status {
            out.extend(s.serving_version.clone());
            out.extend(s.previous_version.clone());
        }
    }
    Ok(out)
}

/// Reads a finished version's manifest and metrics into its status entry.
async fn read_results<K: Trainable>(
    store: &ObjectStore,
    location: &ArtifactLocation,
    v: &mut ModelVersion,
) -> Result<()> {
    let manifest = artifacts::read_manifest(store, location, &v.name).await?;
    let bytes = artifacts::read_file(store, location, &manifest, METRICS_FILE).await?;
    let invalid = |e: serde_json::Error| StorageError::Invalid {
        uri: location.version_uri(&v.name).join(METRICS_FILE).to_string(),
        what: "metrics",
        message: e.to_string(),
    };
    v.metrics = match K::ARTIFACT_KIND {
        seer_api::artifact::ArtifactKind::Predictor => {
            serde_json::from_slice::<ForecastMetrics>(&bytes).map_err(invalid)?.headline()
        }
        seer_api::artifact::ArtifactKind::Solution => {
            serde_json::from_slice::<RecommendationMetrics>(&bytes).map_err(invalid)?.headline()
        }
    };
    // NaN and infinities are not JSON; a metric that is undefined is left out.
    v.metrics.retain(|_, x| x.is_finite());
    v.algorithm = Some(manifest.algorithm.clone());
    v.dataset_digest = Some(manifest.dataset_digest.clone());
    Ok(())
}

fn job_completion(job: &Job) -> Option<String> {
    let status = job.status.as_ref()?;
    let t = status.completion_time.as_ref().map(|t| t.0).or_else(|| {
        status.conditions.as_ref()?.iter().filter_map(|c| c.last_transition_time.as_ref().map(|t| t.0)).max()
    })?;
    Some(
        DateTime::<Utc>::from_timestamp_nanos(t.as_nanosecond() as i64)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// A status entry rebuilt from a Job's annotations (after a restart lost the status write).
fn version_from_job(job: &Job, version: &str, location: &ArtifactLocation) -> ModelVersion {
    let a = job.annotations();
    let trigger = match a.get(annotations::TRIGGER).map(String::as_str) {
        Some("Schedule") => VersionTrigger::Schedule,
        Some("SpecChanged") => VersionTrigger::SpecChanged,
        _ => VersionTrigger::Created,
    };
    ModelVersion {
        name: version.to_string(),
        phase: VersionPhase::Training,
        trigger,
        generation: a.get(annotations::GENERATION).and_then(|g| g.parse().ok()),
        job_name: Some(job.name_any()),
        dataset_digest: None,
        spec_digest: a.get(annotations::SPEC_DIGEST).cloned(),
        algorithm: None,
        artifact_uri: Some(location.version_uri(version).to_string()),
        start_time: job.metadata.creation_timestamp.as_ref().map(|t| {
            DateTime::<Utc>::from_timestamp_nanos(t.0.as_nanosecond() as i64)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        }),
        completion_time: None,
        metrics: BTreeMap::new(),
        reason: None,
        message: None,
    }
}

/// The resources a trainer reads, as YAML: the DatasetGroup and the resource, with only
/// what `kubectl apply` would send (no status, no server-set metadata).
pub fn manifests_yaml<K: Resource<DynamicType = ()> + serde::Serialize>(
    group: &DatasetGroup,
    obj: &K,
) -> Result<String> {
    fn clean(value: serde_json::Value) -> serde_json::Value {
        let mut value = value;
        if let Some(map) = value.as_object_mut() {
            map.remove("status");
            if let Some(meta) = map.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                meta.retain(|k, _| k == "name" || k == "namespace" || k == "labels");
            }
        }
        value
    }
    let ser = |v: serde_json::Value| -> Result<String> {
        serde_yaml::to_string(&clean(v)).map_err(|e| Error::Serialize {
            what: "manifests",
            source: serde_json::Error::io(std::io::Error::other(e)),
        })
    };
    let group = serde_json::to_value(group).map_err(|source| Error::Serialize { what: "DatasetGroup", source })?;
    let resource = serde_json::to_value(obj).map_err(|source| Error::Serialize { what: "resource", source })?;
    Ok(format!("{}---\n{}", ser(group)?, ser(resource)?))
}

#[allow(clippy::too_many_arguments)]
async fn start_version<K: Trainable>(
    obj: &K,
    ctx: &Context,
    group: &DatasetGroup,
    storage: &ArtifactStorage,
    location: &ArtifactLocation,
    version: &str,
    trigger: VersionTrigger,
    spec_digest: &str,
) -> Result<ModelVersion> {
    let (namespace, name) = namespace_and_name(obj)?;
    let owner = obj.controller_owner_ref(&()).ok_or(Error::Unnamed("uid"))?;
    let job_name = trainer_job::child_name(&[&name, K::KIND_LOWER, version]);
    let labels = BTreeMap::from([
        (trainer_job::MANAGED_BY.0.to_string(), trainer_job::MANAGED_BY.1.to_string()),
        ("app.kubernetes.io/name".to_string(), "seer-trainer".to_string()),
        (trainer_job::owner_label(K::KIND_LOWER), name.clone()),
        ("seer.dev/version".to_string(), version.to_string()),
    ]);
    let generation = obj.meta().generation.unwrap_or_default();
    let annotations = BTreeMap::from([
        (annotations::VERSION.to_string(), version.to_string()),
        (annotations::GENERATION.to_string(), generation.to_string()),
        (annotations::SPEC_DIGEST.to_string(), spec_digest.to_string()),
        (annotations::TRIGGER.to_string(), format!("{trigger:?}")),
    ]);
    let mut annotations = annotations;
    if let Some(n) = obj.trainer().shards.filter(|n| *n > 1) {
        annotations.insert(annotations::SHARDS.to_string(), n.to_string());
    }
    // The export's Secret is mounted into the pod: a missing one would hold the pod in
    // ContainerCreating until its deadline, so it is looked up now (SecretNotFound).
    let export_connection = obj.export_destination().and_then(|d| d.s3.as_ref());
    if let Some(c) = export_connection.filter(|c| c.credentials_secret_ref.is_some()) {
        storage_access::connect(ctx, &namespace, Some(c)).await?;
    }
    let trainer = obj.trainer();
    let tj = TrainerJob {
        name: job_name.clone(),
        namespace: namespace.clone(),
        owner,
        labels,
        annotations,
        image: trainer.image.clone().unwrap_or_else(|| ctx.config.trainer_image.clone()),
        image_pull_policy: ctx.config.image_pull_policy.clone(),
        args: vec!["train".into(), "--version".into(), version.into(), "--output".into(), storage.root.clone()],
        manifests_yaml: manifests_yaml(group, obj)?,
        data_connection: group.spec.s3.as_ref(),
        artifact_connection: Some(&storage.connection),
        export_connection,
        resources: trainer.resources.as_ref(),
        placement: trainer.placement.as_ref(),
        service_account: trainer.service_account_name.as_deref(),
        active_deadline_seconds: trainer.active_deadline_seconds,
        backoff_limit: trainer.backoff_limit,
        shards: trainer.shards.filter(|n| *n > 1),
        ca_bundle: crate::pod::CaBundle::from_config(&ctx.config),
    };
    if tj.shards.is_some() && K::ARTIFACT_KIND != seer_api::artifact::ArtifactKind::Predictor {
        return Err(Error::InvalidSpec {
            reason: "ShardingNotSupported",
            message:
                "trainer.shards is for Predictors (forecast series train independently); a Solution trains in one pod"
                    .into(),
        });
    }
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &namespace);
    cms.patch(&job_name, &params, &Patch::Apply(&tj.config_map())).await?;
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), &namespace);
    // Create, not apply: a Job that exists (a restart raced the status write) is that
    // version's Job already, and a Job's pod template is immutable anyway.
    match jobs.create(&Default::default(), &tj.job()?).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => return Err(e.into()),
    }
    Ok(ModelVersion {
        name: version.to_string(),
        phase: VersionPhase::Training,
        trigger,
        generation: Some(generation),
        job_name: Some(job_name),
        dataset_digest: None,
        spec_digest: Some(spec_digest.to_string()),
        algorithm: None,
        artifact_uri: Some(location.version_uri(version).to_string()),
        start_time: Some(now_rfc3339()),
        completion_time: None,
        metrics: BTreeMap::new(),
        reason: None,
        message: None,
    })
}

/// Removes a pruned version: its Job (and pods), its ConfigMap and its artifacts.
async fn remove_version(
    ctx: &Context,
    namespace: &str,
    store: &ObjectStore,
    location: &ArtifactLocation,
    version: Option<&ModelVersion>,
) -> Result<()> {
    let Some(v) = version else { return Ok(()) };
    if let Some(job) = &v.job_name {
        let dp = DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..Default::default() };
        ignore_not_found(Api::<Job>::namespaced(ctx.client.clone(), namespace).delete(job, &dp).await.map(|_| ()))?;
        ignore_not_found(
            Api::<ConfigMap>::namespaced(ctx.client.clone(), namespace).delete(job, &dp).await.map(|_| ()),
        )?;
    }
    match artifacts::delete_version(store, location, &v.name).await {
        Ok(()) | Err(StorageError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn ignore_not_found(r: Result<(), kube::Error>) -> Result<()> {
    match r {
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        other => Ok(other?),
    }
}

async fn publish<K: Resource<DynamicType = ()>>(ctx: &Context, obj: &K, type_: EventType, reason: &str, note: String) {
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(conditions::truncate(&note, 1000)),
        action: "Train".into(),
        secondary: None,
    };
    ctx.publish(&obj.object_ref(&()), event).await;
}

/// What a deleted resource's finalizer removes: with `deletionPolicy: Delete`, the whole
/// `<root>/<namespace>/<kind>/<name>/` prefix of its storage and, for a Solution, the event
/// log its Campaigns wrote (`<root>/<namespace>/events/<name>/`); with `Retain`, or when it has
/// no storage at all (so nothing was ever written), nothing.
fn artifacts_to_delete<K: Trainable>(
    obj: &K,
    config: &crate::config::OperatorConfig,
    namespace: &str,
    name: &str,
) -> Result<Option<(ArtifactStorage, Vec<seer_storage::ObjectUri>)>> {
    if obj.deletion_policy() != seer_api::DeletionPolicy::Delete {
        return Ok(None);
    }
    let storage = match ArtifactStorage::resolve(obj.artifacts(), config) {
        Ok(s) => s,
        Err(e) if e.is_permanent() => return Ok(None),
        Err(e) => return Err(e),
    };
    let location = storage.location(namespace, K::ARTIFACT_KIND, name)?;
    let mut prefixes = vec![seer_storage::ObjectUri::parse(&format!("{}/", location.resource_uri()))?];
    if K::ARTIFACT_KIND == seer_api::artifact::ArtifactKind::Solution {
        let log = seer_storage::events::event_log_uri(&location.root, namespace, name);
        prefixes.push(seer_storage::ObjectUri::parse(&format!("{log}/"))?);
    }
    Ok(Some((storage, prefixes)))
}

/// How long a deleted resource waits for its trainer Jobs to stop before its artifacts go
/// anyway (a pod stuck terminating on a lost node must not block the deletion for ever).
const TRAINER_STOP_WAIT: Duration = Duration::from_secs(300);

/// Cleanup on deletion: with `deletionPolicy: Delete`, every artifact of the resource goes;
/// with `Retain` nothing in storage is touched. Jobs and ConfigMaps go with their owner.
///
/// A trainer still running would go on writing after the delete and leave a half-written
/// version behind, so with `Delete` the resource's Jobs are deleted first (in the foreground:
/// a Job goes once its pods have) and the artifacts only once none is left, or after
/// `TRAINER_STOP_WAIT` (five minutes).
pub async fn cleanup<K: Trainable>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action> {
    let (namespace, name) = namespace_and_name(obj.as_ref())?;
    let Some((storage, prefixes)) = artifacts_to_delete::<K>(obj.as_ref(), &ctx.config, &namespace, &name)? else {
        return Ok(Action::await_change());
    };
    let jobs_api: Api<Job> = Api::namespaced(ctx.client.clone(), &namespace);
    let (own, _) = trainer_jobs(&jobs_api, obj.as_ref(), &name).await?;
    if !own.is_empty() {
        let names = own.iter().map(|j| j.name_any()).collect::<Vec<_>>().join(", ");
        let deleting_since = obj.meta().deletion_timestamp.as_ref().map(|t| t.0.as_second()).unwrap_or_default();
        let waited = Duration::from_secs(Utc::now().timestamp().saturating_sub(deleting_since).max(0) as u64);
        if waited < TRAINER_STOP_WAIT {
            for job in own.iter().filter(|j| j.meta().deletion_timestamp.is_none()) {
                match jobs_api.delete(&job.name_any(), &DeleteParams::foreground()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(e.into()),
                }
            }
            return Err(Error::Waiting(format!(
                "waiting for the trainer Jobs {names} to stop before deleting the artifacts"
            )));
        }
        publish(
            &ctx,
            obj.as_ref(),
            EventType::Warning,
            "TrainersStillRunning",
            format!(
                "the trainer Jobs {names} did not stop within {} s; deleting the artifacts anyway (a pod stuck terminating may still write some)",
                TRAINER_STOP_WAIT.as_secs()
            ),
        )
        .await;
    }
    let location = storage.location(&namespace, K::ARTIFACT_KIND, &name)?;
    let store = storage_access::connect(&ctx, &namespace, Some(&storage.connection)).await?;
    let mut removed = 0;
    for prefix in &prefixes {
        removed += store.delete_prefix(prefix).await?;
    }
    publish(
        &ctx,
        obj.as_ref(),
        EventType::Normal,
        "ArtifactsDeleted",
        format!("deleted {removed} objects under {}", location.resource_uri()),
    )
    .await;
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::batch::v1::Job;
    use seer_api::Predictor;
    use seer_storage::{ObjectStore, ObjectUri, S3Settings, artifacts::ArtifactWriter};

    use super::*;
    use crate::config::OperatorConfig;

    fn predictor(extra: &str) -> Predictor {
        serde_yaml::from_str(&format!(
            "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {{name: demand, namespace: ns}}\nspec:\n  datasetGroupRef: {{name: g}}\n  forecastHorizon: 7\n  forecastFrequency: D\n{extra}"
        ))
        .expect("predictor")
    }

    fn location(root: &str) -> ArtifactLocation {
        ArtifactLocation {
            root: ObjectUri::parse(root).expect("root"),
            namespace: "ns".into(),
            kind: seer_api::artifact::ArtifactKind::Predictor,
            name: "demand".into(),
        }
    }

    #[test]
    fn a_job_status_does_not_know_becomes_its_version_again() {
        let job: Job = serde_yaml::from_str(
            "metadata:\n  name: demand-predictor-v3\n  annotations:\n    seer.dev/version: v3\n    seer.dev/generation: '4'\n    seer.dev/spec-digest: abc\n    seer.dev/trigger: Schedule\n",
        )
        .expect("job");
        let v = version_from_job(&job, "v3", &location("s3://b"));
        assert_eq!((v.name.as_str(), v.phase, v.trigger), ("v3", VersionPhase::Training, VersionTrigger::Schedule));
        assert_eq!((v.generation, v.spec_digest.as_deref()), (Some(4), Some("abc")));
        assert_eq!(v.job_name.as_deref(), Some("demand-predictor-v3"));
        assert_eq!(v.artifact_uri.as_deref(), Some("s3://b/ns/predictor/demand/v3"));
    }

    #[tokio::test]
    async fn a_finished_version_gets_its_headline_metrics_algorithm_and_digest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = format!("file://{}", dir.path().display());
        let store = ObjectStore::connect(&S3Settings::default()).await;
        let mut w = ArtifactWriter::create(&store, location(&root), "v1").await.expect("writer");
        let metrics = seer_api::metrics::ForecastMetrics {
            optimization_metric: "AverageWeightedQuantileLoss".into(),
            algorithm: "AUTO".into(),
            summary: seer_api::metrics::AccuracyMetrics {
                weighted_quantile_losses: vec![],
                average_weighted_quantile_loss: Some(0.125),
                error_metrics: vec![seer_api::metrics::ErrorMetric {
                    forecast_type: "mean".into(),
                    wape: Some(0.2),
                    rmse: Some(f64::NAN),
                    mase: Some(0.8),
                    mape: None,
                }],
            },
            predictor_evaluation_results: vec![],
            velocity_breakdown: vec![],
        };
        w.put_file(METRICS_FILE, serde_json::to_vec(&metrics).expect("json")).await.expect("put");
        w.commit("AUTO", "digest-1", BTreeMap::new()).await.expect("commit");
        let mut v = version_from_job(&Job::default(), "v1", &location(&root));
        read_results::<Predictor>(&store, &location(&root), &mut v).await.expect("results");
        assert_eq!(v.metrics.get("AverageWeightedQuantileLoss"), Some(&0.125));
        assert_eq!(v.metrics.get("MASE"), Some(&0.8));
        assert!(!v.metrics.contains_key("RMSE"), "NaN is left out, JSON has no NaN");
        assert_eq!((v.algorithm.as_deref(), v.dataset_digest.as_deref()), (Some("AUTO"), Some("digest-1")));

        // A version without a manifest does not exist: an error, not empty metrics.
        let mut missing = version_from_job(&Job::default(), "v2", &location(&root));
        assert!(read_results::<Predictor>(&store, &location(&root), &mut missing).await.is_err());
    }

    #[test]
    fn deletion_policy_decides_what_the_finalizer_removes() {
        let config = OperatorConfig::for_tests("s3://artifacts/prefix");
        let retained = predictor("");
        assert!(artifacts_to_delete(&retained, &config, "ns", "demand").expect("ok").is_none());
        let deleted = predictor("  deletionPolicy: Delete\n");
        let (_, prefixes) = artifacts_to_delete(&deleted, &config, "ns", "demand").expect("ok").expect("some");
        let prefixes: Vec<String> = prefixes.iter().map(ToString::to_string).collect();
        assert_eq!(prefixes, ["s3://artifacts/prefix/ns/predictor/demand/"]);
        let solution: seer_api::Solution = serde_yaml::from_str(
            "apiVersion: seer.dev/v1alpha1\nkind: Solution\nmetadata: {name: shop, namespace: ns}\nspec:\n  datasetGroupRef: {name: g}\n  recipe: USER_PERSONALIZATION\n  deletionPolicy: Delete\n",
        )
        .expect("solution");
        let (_, prefixes) = artifacts_to_delete(&solution, &config, "ns", "shop").expect("ok").expect("some");
        let prefixes: Vec<String> = prefixes.iter().map(ToString::to_string).collect();
        assert_eq!(prefixes, ["s3://artifacts/prefix/ns/solution/shop/", "s3://artifacts/prefix/ns/events/shop/"]);
        let mut nowhere = OperatorConfig::for_tests("s3://x");
        nowhere.artifact_root = None;
        assert!(artifacts_to_delete(&deleted, &nowhere, "ns", "demand").expect("ok").is_none(), "never written");
    }
}
