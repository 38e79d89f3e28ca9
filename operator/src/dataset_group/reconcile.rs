//! Applying the DatasetGroup decisions.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use k8s_openapi::api::{
    batch::v1::Job,
    core::v1::{ConfigMap, Pod},
};
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy},
    runtime::controller::Action,
};
use seer_api::{ConditionStatus, DatasetGroup, DatasetGroupStatus, conditions::types};
use seer_storage::{StorageError, datasets};

use super::decide::{self, Decision, Inputs};
use crate::{
    conditions::{self, Observed, Summary},
    context::{Context, FIELD_MANAGER, namespace_and_name, now_rfc3339},
    error::{Error, Result},
    job_state, storage_access,
    trainer_job::{self, TrainerJob},
};

const KIND_LOWER: &str = "datasetgroup";

/// Reconciles a DatasetGroup; a transient failure is shown on it before the retry.
pub async fn apply(obj: Arc<DatasetGroup>, ctx: Arc<Context>) -> Result<Action> {
    match apply_inner(obj.clone(), ctx.clone()).await {
        Err(e) if !e.is_permanent() => {
            let old = obj.status.as_ref().map(|s| s.conditions.clone()).unwrap_or_default();
            ctx.report_transient(obj.as_ref(), &old, &e).await;
            Err(e)
        }
        other => other,
    }
}

async fn apply_inner(obj: Arc<DatasetGroup>, ctx: Arc<Context>) -> Result<Action> {
    let (namespace, name) = namespace_and_name(obj.as_ref())?;
    let generation = obj.meta().generation;
    let old = obj.status.clone().unwrap_or_default();
    let gen_label = generation.unwrap_or_default().to_string();
    let job_name = trainer_job::child_name(&[&name, "validate", &format!("g{gen_label}")]);
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), &namespace);

    let settled = old.observed_generation == generation
        && conditions::find(&old.conditions, types::DATA_VALID)
            .is_some_and(|c| c.status != ConditionStatus::Unknown && c.reason != "Validating");
    let mut inputs = Inputs { settled, missing_uri: None, job: None };
    if !settled {
        // Presence first, with the referenced Secret's credentials: a missing file is named
        // at once, not after a pod has been scheduled.
        let connection = storage_access::with_defaults(obj.spec.s3.as_ref(), &ctx.config);
        let store = match storage_access::connect(&ctx, &namespace, Some(&connection)).await {
            Ok(s) => s,
            Err(e @ Error::MissingReference { .. }) => {
                return finish(
                    &obj,
                    &ctx,
                    &old,
                    Summary::stalled(e.reason(), e.to_string()),
                    data_valid_false(e.reason(), &e.to_string()),
                    None,
                    Some(ctx.config.resync_seconds),
                )
                .await;
            }
            Err(e) => return Err(e),
        };
        for d in &obj.spec.datasets {
            match datasets::dataset_objects(&store, &d.uri).await {
                Ok(_) => {}
                Err(StorageError::NotFound { .. }) => {
                    inputs.missing_uri = Some(d.uri.clone());
                    break;
                }
                Err(e) if !e.is_transient() => {
                    let message = format!("{}: {e}", d.uri);
                    return finish(
                        &obj,
                        &ctx,
                        &old,
                        Summary::stalled("DatasetUnreadable", message.clone()),
                        data_valid_false("DatasetUnreadable", &message),
                        None,
                        Some(ctx.config.resync_seconds),
                    )
                    .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(job) = jobs.get_opt(&job_name).await? {
            if !trainer_job::owned_by(&job, obj.as_ref()) {
                // The Job of an earlier DatasetGroup of this name (deleted and created again):
                // its verdict was about that group's data. Remove it; validate once it is gone.
                match jobs.delete(&job_name, &DeleteParams::background()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(e.into()),
                }
                let message = format!("waiting for the validation Job {job_name} of an earlier DatasetGroup to go");
                let summary = Summary::progressing("Validating", message);
                let soon = ctx.config.resync_seconds.min(5);
                return finish(&obj, &ctx, &old, summary, validating(), None, Some(soon)).await;
            }
            let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
            let pods = pods.list(&ListParams::default().labels(&format!("job-name={job_name}"))).await?.items;
            inputs.job = Some(job_state::outcome(&job, &pods));
        }
    }

    match decide::decide(&inputs) {
        Decision::Nothing => Ok(Action::await_change()),
        Decision::Missing { summary } => {
            let message = match &summary {
                Summary::Stalled { message, .. } => message.clone(),
                _ => String::new(),
            };
            // Data may be uploaded later: look again now and then.
            finish(
                &obj,
                &ctx,
                &old,
                summary,
                data_valid_false("DatasetNotFound", &message),
                None,
                Some(ctx.config.resync_seconds),
            )
            .await
        }
        Decision::StartJob => {
            start_job(&obj, &ctx, &namespace, &name, &job_name).await?;
            remove_older_jobs(&ctx, &namespace, &name, &job_name).await?;
            let summary = Summary::progressing("Validating", format!("validation Job {job_name} started"));
            finish(&obj, &ctx, &old, summary, validating(), None, Some(ctx.config.resync_seconds)).await
        }
        Decision::Wait => {
            let summary = Summary::progressing("Validating", format!("validation Job {job_name} is running"));
            finish(&obj, &ctx, &old, summary, validating(), None, Some(ctx.config.resync_seconds)).await
        }
        Decision::Valid(report) => {
            let message = format!(
                "{} rows in {} datasets, digest {}",
                report.total_rows,
                report.datasets.len(),
                short(&report.digest)
            );
            let summary = Summary::ready("Validated", message.clone());
            let valid = Observed::new(types::DATA_VALID, ConditionStatus::True, "Validated", message);
            let mut status = old.clone();
            status.datasets = report.datasets.clone();
            status.total_rows = Some(report.total_rows);
            status.digest = Some(report.digest.clone());
            status.last_validated_time = Some(now_rfc3339());
            finish(&obj, &ctx, &old, summary, valid, Some(status), None).await
        }
        Decision::Invalid { reason, message } => {
            let summary = Summary::stalled(&reason, message.clone());
            finish(&obj, &ctx, &old, summary, data_valid_false(&reason, &message), None, None).await
        }
    }
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn validating() -> Observed {
    Observed::new(types::DATA_VALID, ConditionStatus::Unknown, "Validating", "the data is being validated")
}

fn data_valid_false(reason: &str, message: &str) -> Observed {
    Observed::new(types::DATA_VALID, ConditionStatus::False, reason, message)
}

async fn finish(
    obj: &DatasetGroup,
    ctx: &Context,
    old: &DatasetGroupStatus,
    summary: Summary,
    data_valid: Observed,
    status: Option<DatasetGroupStatus>,
    requeue_seconds: Option<u64>,
) -> Result<Action> {
    let generation = obj.meta().generation;
    let mut status = status.unwrap_or_else(|| old.clone());
    let mut observed = conditions::from_summary(&summary);
    observed.push(data_valid);
    status.conditions = conditions::merge(&old.conditions, observed, generation, &now_rfc3339());
    status.observed_generation = generation;
    if &status != old {
        ctx.apply_status(obj, &status).await?;
    }
    ctx.publish_transitions(obj, &old.conditions, &status.conditions).await;
    Ok(match requeue_seconds {
        Some(s) => Action::requeue(Duration::from_secs(s)),
        None => Action::await_change(),
    })
}

async fn start_job(obj: &DatasetGroup, ctx: &Context, namespace: &str, name: &str, job_name: &str) -> Result<()> {
    let owner = obj.controller_owner_ref(&()).ok_or(Error::Unnamed("uid"))?;
    let labels = BTreeMap::from([
        (trainer_job::MANAGED_BY.0.to_string(), trainer_job::MANAGED_BY.1.to_string()),
        ("app.kubernetes.io/name".to_string(), "seer-trainer".to_string()),
        (trainer_job::owner_label(KIND_LOWER), name.to_string()),
    ]);
    let yaml = {
        let mut v = serde_json::to_value(obj).map_err(|source| Error::Serialize { what: "DatasetGroup", source })?;
        if let Some(map) = v.as_object_mut() {
            map.remove("status");
            if let Some(meta) = map.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                meta.retain(|k, _| k == "name" || k == "namespace");
            }
        }
        serde_yaml::to_string(&v).map_err(|e| Error::Serialize {
            what: "DatasetGroup",
            source: serde_json::Error::io(std::io::Error::other(e)),
        })?
    };
    let connection = storage_access::with_defaults(obj.spec.s3.as_ref(), &ctx.config);
    let tj = TrainerJob {
        name: job_name.to_string(),
        namespace: namespace.to_string(),
        owner,
        labels,
        annotations: BTreeMap::new(),
        image: ctx.config.trainer_image.clone(),
        image_pull_policy: ctx.config.image_pull_policy.clone(),
        args: vec!["validate".into()],
        manifests_yaml: yaml,
        data_connection: obj.spec.s3.as_ref(),
        artifact_connection: Some(&connection),
        export_connection: None,
        resources: None,
        placement: None,
        service_account: None,
        active_deadline_seconds: 3600,
        backoff_limit: 0,
        shards: None,
        ca_bundle: crate::pod::CaBundle::from_config(&ctx.config),
    };
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), namespace);
    cms.patch(job_name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&tj.config_map())).await?;
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), namespace);
    match jobs.create(&Default::default(), &tj.job()?).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Validation Jobs of earlier generations (and their ConfigMaps) are not needed any more.
async fn remove_older_jobs(ctx: &Context, namespace: &str, name: &str, current: &str) -> Result<()> {
    let selector = format!("{}={name}", trainer_job::owner_label(KIND_LOWER));
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), namespace);
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), namespace);
    let dp = DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..Default::default() };
    for job in jobs.list(&ListParams::default().labels(&selector)).await?.items {
        let job_name = job.name_any();
        if job_name == current {
            continue;
        }
        for r in [jobs.delete(&job_name, &dp).await.map(|_| ()), cms.delete(&job_name, &dp).await.map(|_| ())] {
            match r {
                Ok(()) | Err(kube::Error::Api(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
