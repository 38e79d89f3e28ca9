//! Applying the Campaign decisions: the model's versions in, the chosen version's
//! Deployment, Service, HPA and PodDisruptionBudget out, the rollout's progress into status.

use std::{sync::Arc, time::Duration};

use k8s_openapi::api::{
    apps::v1::Deployment, autoscaling::v2::HorizontalPodAutoscaler, core::v1::Service, policy::v1::PodDisruptionBudget,
};
use kube::{
    Api, Resource,
    api::{Patch, PatchParams},
    runtime::{
        controller::Action,
        events::{Event, EventType},
    },
};
use seer_api::{
    Campaign, CampaignStatus, ConditionStatus, ModelVersion, Predictor, PromotionPolicy, Solution, StorageLocation,
    artifact::ArtifactKind, conditions::types,
};

use super::{
    children,
    decide::{self, Choice, Inputs, Rollout},
};
use crate::{
    conditions::{self, Observed, Summary},
    context::{Context, FIELD_MANAGER, namespace_and_name, now_rfc3339},
    error::{Error, Result},
    storage_access::ArtifactStorage,
};

/// The model a Campaign refers to, as far as serving needs it.
struct Model {
    versions: Vec<ModelVersion>,
    artifacts: Option<StorageLocation>,
    kind: ArtifactKind,
}

async fn model(ctx: &Context, namespace: &str, campaign: &Campaign) -> Result<Option<Model>> {
    let r = &campaign.spec.model_ref;
    Ok(match r.kind.as_str() {
        "Predictor" => {
            Api::<Predictor>::namespaced(ctx.client.clone(), namespace).get_opt(&r.name).await?.map(|p| Model {
                versions: p.status.map(|s| s.versions).unwrap_or_default(),
                artifacts: p.spec.artifacts,
                kind: ArtifactKind::Predictor,
            })
        }
        "Solution" => {
            Api::<Solution>::namespaced(ctx.client.clone(), namespace).get_opt(&r.name).await?.map(|s| Model {
                versions: s.status.map(|s| s.versions).unwrap_or_default(),
                artifacts: s.spec.artifacts,
                kind: ArtifactKind::Solution,
            })
        }
        other => {
            return Err(Error::InvalidSpec {
                reason: "InvalidModelKind",
                message: format!("modelRef.kind {other:?} must be Predictor or Solution"),
            });
        }
    })
}

/// Reconciles a Campaign.
pub async fn apply(obj: Arc<Campaign>, ctx: Arc<Context>) -> Result<Action> {
    let (namespace, name) = namespace_and_name(obj.as_ref())?;
    let old = obj.status.clone().unwrap_or_default();
    let generation = obj.meta().generation;
    let (status, summary, serving, requeue) = match act(&obj, &ctx, &namespace, &name, &old).await {
        Ok(done) => done,
        Err(e)
            if let Some((summary, serving, requeue)) = crate::error::shown(
                &e,
                types::SERVING,
                old.serving_version.is_some(),
                Duration::from_secs(ctx.config.resync_seconds),
            ) =>
        {
            (old.clone(), summary, serving, requeue)
        }
        Err(e) => {
            ctx.report_transient(obj.as_ref(), &old.conditions, &e).await;
            return Err(e);
        }
    };
    let mut status = status;
    let mut observed = conditions::from_summary(&summary);
    observed.push(serving);
    status.conditions = conditions::merge(&old.conditions, observed, generation, &now_rfc3339());
    status.observed_generation = generation;
    if status != old {
        ctx.apply_status(obj.as_ref(), &status).await?;
    }
    ctx.publish_transitions(obj.as_ref(), &old.conditions, &status.conditions).await;
    Ok(requeue.map(Action::requeue).unwrap_or_else(Action::await_change))
}

type Outcome = (CampaignStatus, Summary, Observed, Option<Duration>);

async fn act(obj: &Campaign, ctx: &Context, namespace: &str, name: &str, old: &CampaignStatus) -> Result<Outcome> {
    let resync = Duration::from_secs(ctx.config.resync_seconds);
    let model = model(ctx, namespace, obj).await?;
    let promotion = obj.spec.promotion.clone().unwrap_or_default();
    let choice = decide::choose(&Inputs {
        policy: promotion.policy,
        pinned: &obj.spec.version,
        metric: promotion.metric.as_deref(),
        min_improvement: promotion.min_improvement.unwrap_or(0.0),
        versions: model.as_ref().map(|m| m.versions.as_slice()),
        serving: old.serving_version.as_deref(),
    });
    let (version, note) = match choice {
        Choice::Wait(summary) => {
            let serving = Observed::new(
                types::SERVING,
                ConditionStatus::False,
                summary.reason(),
                match &summary {
                    Summary::Ready { message, .. }
                    | Summary::Progressing { message, .. }
                    | Summary::Stalled { message, .. } => message.clone(),
                },
            );
            let requeue = (!matches!(summary, Summary::Stalled { .. })).then_some(resync);
            return Ok((old.clone(), summary, serving, requeue));
        }
        Choice::Serve { version, note } => (version, note),
    };
    let Some(model) = model else { return Err(Error::Unnamed("model")) };
    let storage = ArtifactStorage::resolve(model.artifacts.as_ref(), &ctx.config)?;
    let location = storage.location(namespace, model.kind, &obj.spec.model_ref.name)?;
    let model_uri = model
        .versions
        .iter()
        .find(|v| v.name == version)
        .and_then(|v| v.artifact_uri.clone())
        .unwrap_or_else(|| location.version_uri(&version).to_string());

    let autoscaling = &obj.spec.autoscaling;
    let inputs = children::Inputs {
        campaign: obj,
        namespace,
        name,
        owner: obj.controller_owner_ref(&()).ok_or(Error::Unnamed("uid"))?,
        image: obj.spec.image.clone().unwrap_or_else(|| ctx.config.server_image.clone()),
        image_pull_policy: ctx.config.image_pull_policy.clone(),
        model_uri,
        version: version.clone(),
        storage: Some(&storage.connection),
        min_replicas: decide::min_replicas(
            autoscaling.min_replicas,
            obj.spec.min_provisioned_tps,
            ctx.config.tps_per_replica,
            autoscaling.max_replicas,
        ),
        ca_bundle: crate::pod::CaBundle::from_config(&ctx.config),
    };
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), namespace);
    let before = deployments.get_opt(name).await?;
    let was_running = before.as_ref().and_then(template_version);
    let deployment = deployments.patch(name, &params, &Patch::Apply(&children::deployment(&inputs)?)).await?;
    Api::<Service>::namespaced(ctx.client.clone(), namespace)
        .patch(name, &params, &Patch::Apply(&children::service(&inputs)))
        .await?;
    Api::<HorizontalPodAutoscaler>::namespaced(ctx.client.clone(), namespace)
        .patch(name, &params, &Patch::Apply(&children::hpa(&inputs)))
        .await?;
    Api::<PodDisruptionBudget>::namespaced(ctx.client.clone(), namespace)
        .patch(name, &params, &Patch::Apply(&children::pdb(&inputs)))
        .await?;
    if was_running.as_deref() != Some(version.as_str()) {
        let note = match (&was_running, &note) {
            (Some(from), Some(n)) => format!("rolling out {version} (from {from}): {n}"),
            (Some(from), None) => format!("rolling out {version} (from {from})"),
            (None, _) => format!("deploying {version}"),
        };
        let event = Event {
            type_: EventType::Normal,
            reason: "RollingOut".into(),
            note: Some(note),
            action: "Deploy".into(),
            secondary: None,
        };
        ctx.publish(&obj.object_ref(&()), event).await;
    }

    let rollout = rollout(&deployment);
    let mut status = old.clone();
    status.url = Some(children::url(namespace, name, obj));
    status.replicas = Some(rollout.replicas);
    status.ready_replicas = Some(rollout.ready);
    let complete = rollout.complete() && rollout.template_version.as_deref() == Some(version.as_str());
    if complete && old.serving_version.as_deref() != Some(version.as_str()) {
        status.previous_version = old.serving_version.clone();
        status.serving_version = Some(version.clone());
    }
    let policy_note = if promotion.policy == PromotionPolicy::IfBetter { note.clone() } else { None };
    let (summary, serving, requeue) = if complete {
        let message = match &policy_note {
            Some(n) => format!("serving {version} on {} ready replicas; {n}", rollout.ready),
            None => format!("serving {version} on {} ready replicas", rollout.ready),
        };
        (
            Summary::ready("Serving", message.clone()),
            Observed::new(types::SERVING, ConditionStatus::True, "RolledOut", message),
            // The model's new versions wake us through the watch; this is a safety net.
            Some(Duration::from_secs(300)),
        )
    } else {
        let message = format!(
            "rolling out {version}: {}/{} replicas updated, {} available",
            rollout.updated, rollout.replicas, rollout.available
        );
        (
            Summary::Progressing {
                reason: "RollingOut".into(),
                message: message.clone(),
                ready: status.serving_version.is_some(),
            },
            Observed::new(
                types::SERVING,
                if status.serving_version.is_some() { ConditionStatus::True } else { ConditionStatus::False },
                "RollingOut",
                message,
            ),
            Some(resync.min(Duration::from_secs(10))),
        )
    };
    Ok((status, summary, serving, requeue))
}

fn template_version(d: &Deployment) -> Option<String> {
    d.spec.as_ref()?.template.metadata.as_ref()?.annotations.as_ref()?.get(children::VERSION_ANNOTATION).cloned()
}

fn rollout(d: &Deployment) -> Rollout {
    let s = d.status.clone().unwrap_or_default();
    Rollout {
        observed: s.observed_generation.is_some() && s.observed_generation == d.metadata.generation,
        replicas: s.replicas.unwrap_or_default(),
        updated: s.updated_replicas.unwrap_or_default(),
        ready: s.ready_replicas.unwrap_or_default(),
        available: s.available_replicas.unwrap_or_default(),
        template_version: template_version(d),
    }
}
