//! Starting the four controllers: watches, owned children, the finalizer dispatch of
//! Predictor and Solution, error handling with backoff, metrics around every reconcile, and a
//! graceful stop.

use std::{future::Future, sync::Arc, time::Instant};

use futures::StreamExt;
use k8s_openapi::api::{
    apps::v1::Deployment, autoscaling::v2::HorizontalPodAutoscaler, batch::v1::Job, core::v1::Service,
};
use kube::{
    Api, ResourceExt,
    runtime::{
        Controller,
        controller::Action,
        finalizer::{Event as Finalizer, finalizer},
        reflector::ObjectRef,
        watcher,
    },
};
use seer_api::{Campaign, DatasetGroup, Predictor, Solution};

use crate::{
    campaign,
    context::Context,
    dataset_group,
    error::{Error, Result},
    training::{self, Trainable},
};

/// Checks that the CRDs are installed, so a missing install fails at once with a hint
/// instead of as endless watch errors.
pub async fn check_crds(client: &kube::Client) -> std::result::Result<(), String> {
    let probes: [(&str, Result<(), kube::Error>); 4] = [
        (
            "datasetgroups.seer.dev",
            Api::<DatasetGroup>::all(client.clone()).list(&Default::default()).await.map(|_| ()),
        ),
        ("predictors.seer.dev", Api::<Predictor>::all(client.clone()).list(&Default::default()).await.map(|_| ())),
        ("solutions.seer.dev", Api::<Solution>::all(client.clone()).list(&Default::default()).await.map(|_| ())),
        ("campaigns.seer.dev", Api::<Campaign>::all(client.clone()).list(&Default::default()).await.map(|_| ())),
    ];
    for (crd, result) in probes {
        match result {
            Ok(()) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {
                return Err(format!(
                    "the CustomResourceDefinition {crd} is not installed: install the chart (`helm install seer charts/seer`) or `kubectl apply -f crds/`"
                ));
            }
            Err(e) => return Err(format!("cannot list {crd}: {e}")),
        }
    }
    Ok(())
}

fn error_policy<K: ResourceExt>(kind: &'static str) -> impl Fn(Arc<K>, &Error, Arc<Context>) -> Action {
    move |obj, error, ctx| {
        if let Error::Waiting(_) = error {
            // Also woken by the change it waits for (its owned Jobs are watched).
            return Action::requeue(std::time::Duration::from_secs(5));
        }
        ctx.metrics.errors.with_label_values(&[kind, error.reason()]).inc();
        let key = format!("{kind}/{}/{}", obj.namespace().unwrap_or_default(), obj.name_any());
        eprintln!("seer-operator: {key}: {error}");
        if error.is_permanent() { Action::await_change() } else { Action::requeue(ctx.backoff(key)) }
    }
}

async fn timed<F: Future<Output = Result<Action>>>(ctx: &Context, kind: &str, key: String, f: F) -> Result<Action> {
    let start = Instant::now();
    ctx.metrics.reconciles.with_label_values(&[kind]).inc();
    let out = f.await;
    ctx.metrics.duration.with_label_values(&[kind]).observe(start.elapsed().as_secs_f64());
    if out.is_ok() {
        ctx.succeeded(&key);
    }
    out
}

/// A DatasetGroup or Campaign being deleted (it lingers while the garbage collector orphans or,
/// in foreground deletion, removes its children) is left alone: a reconcile now would start a
/// validation Job or re-create children for an object on its way out. (Predictors and Solutions
/// go through their finalizer instead.)
fn being_deleted<K: ResourceExt>(obj: &K) -> bool {
    obj.meta().deletion_timestamp.is_some()
}

fn key_of<K: ResourceExt>(kind: &str, obj: &K) -> String {
    format!("{kind}/{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

async fn reconcile_trained<K: Trainable>(obj: Arc<K>, ctx: Arc<Context>) -> Result<Action> {
    let namespace = obj.namespace().ok_or(Error::Unnamed("namespace"))?;
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let kind = K::KIND_LOWER;
    let key = key_of(kind, obj.as_ref());
    timed(&ctx, kind, key, async {
        finalizer(&api, training::reconcile::FINALIZER, obj, |event| async {
            match event {
                Finalizer::Apply(o) => training::reconcile::apply(o, ctx.clone()).await,
                Finalizer::Cleanup(o) => training::reconcile::cleanup(o, ctx.clone()).await,
            }
        })
        .await
        .map_err(|e| match e {
            kube::runtime::finalizer::Error::ApplyFailed(e) | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
            other => Error::Finalizer(other.to_string()),
        })
    })
    .await
}

/// Runs every controller until `shutdown` resolves (or a controller stream ends).
pub async fn run(ctx: Arc<Context>, shutdown: impl Future<Output = ()> + Send + Sync + Clone + 'static) {
    let client = ctx.client.clone();
    let wc = watcher::Config::default().any_semantic();
    let namespace = ctx.config.watch_namespace.clone();
    // Every watch in one namespace, or in all.
    fn api<K>(client: &kube::Client, namespace: &Option<String>) -> Api<K>
    where
        K: kube::Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>,
    {
        match namespace {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }

    let groups = Controller::new(api::<DatasetGroup>(&client, &namespace), wc.clone())
        .owns(
            api::<Job>(&client, &namespace),
            watcher::Config::default().labels("app.kubernetes.io/managed-by=seer-operator"),
        )
        .graceful_shutdown_on(shutdown.clone())
        .run(
            |o, c| async move {
                if being_deleted(o.as_ref()) {
                    return Ok(Action::await_change());
                }
                let key = key_of("datasetgroup", o.as_ref());
                timed(&c.clone(), "datasetgroup", key, dataset_group::reconcile::apply(o, c)).await
            },
            error_policy::<DatasetGroup>("datasetgroup"),
            ctx.clone(),
        )
        .for_each(|_| async {});

    // A DatasetGroup that becomes valid wakes the Predictors and Solutions that use it.
    let predictors_ctl = Controller::new(api::<Predictor>(&client, &namespace), wc.clone());
    let predictor_store = predictors_ctl.store();
    let predictors = predictors_ctl
        .owns(
            api::<Job>(&client, &namespace),
            watcher::Config::default().labels("app.kubernetes.io/managed-by=seer-operator"),
        )
        .watches(api::<DatasetGroup>(&client, &namespace), wc.clone(), move |g| {
            users_of_group(&predictor_store.state(), &g, |p: &Predictor| p.spec.dataset_group_ref.name.clone())
        })
        .graceful_shutdown_on(shutdown.clone())
        .run(reconcile_trained::<Predictor>, error_policy::<Predictor>("predictor"), ctx.clone())
        .for_each(|_| async {});

    let solutions_ctl = Controller::new(api::<Solution>(&client, &namespace), wc.clone());
    let solution_store = solutions_ctl.store();
    let solutions = solutions_ctl
        .owns(
            api::<Job>(&client, &namespace),
            watcher::Config::default().labels("app.kubernetes.io/managed-by=seer-operator"),
        )
        .watches(api::<DatasetGroup>(&client, &namespace), wc.clone(), move |g| {
            users_of_group(&solution_store.state(), &g, |s: &Solution| s.spec.dataset_group_ref.name.clone())
        })
        .graceful_shutdown_on(shutdown.clone())
        .run(reconcile_trained::<Solution>, error_policy::<Solution>("solution"), ctx.clone())
        .for_each(|_| async {});

    // A model's new version wakes the Campaigns that serve it.
    let campaigns_ctl = Controller::new(api::<Campaign>(&client, &namespace), wc.clone());
    let (store_p, store_s) = (campaigns_ctl.store(), campaigns_ctl.store());
    let campaigns = campaigns_ctl
        .owns(
            api::<Deployment>(&client, &namespace),
            watcher::Config::default().labels("app.kubernetes.io/managed-by=seer-operator"),
        )
        .owns(
            api::<Service>(&client, &namespace),
            watcher::Config::default().labels("app.kubernetes.io/managed-by=seer-operator"),
        )
        .owns(
            api::<HorizontalPodAutoscaler>(&client, &namespace),
            watcher::Config::default().labels("app.kubernetes.io/managed-by=seer-operator"),
        )
        .watches(api::<Predictor>(&client, &namespace), wc.clone(), move |p| {
            campaigns_of(&store_p.state(), "Predictor", &p)
        })
        .watches(api::<Solution>(&client, &namespace), wc.clone(), move |s| {
            campaigns_of(&store_s.state(), "Solution", &s)
        })
        .graceful_shutdown_on(shutdown)
        .run(
            |o, c| async move {
                if being_deleted(o.as_ref()) {
                    return Ok(Action::await_change());
                }
                let key = key_of("campaign", o.as_ref());
                timed(&c.clone(), "campaign", key, campaign::reconcile::apply(o, c)).await
            },
            error_policy::<Campaign>("campaign"),
            ctx.clone(),
        )
        .for_each(|_| async {});

    tokio::join!(groups, predictors, solutions, campaigns);
}

fn users_of_group<K: kube::Resource<DynamicType = ()> + ResourceExt>(
    users: &[Arc<K>],
    group: &DatasetGroup,
    group_of: impl Fn(&K) -> String,
) -> Vec<ObjectRef<K>> {
    users
        .iter()
        .filter(|u| u.namespace() == group.namespace() && group_of(u) == group.name_any())
        .map(|u| ObjectRef::from_obj(u.as_ref()))
        .collect()
}

fn campaigns_of<M: ResourceExt>(campaigns: &[Arc<Campaign>], kind: &str, model: &M) -> Vec<ObjectRef<Campaign>> {
    campaigns
        .iter()
        .filter(|c| {
            c.namespace() == model.namespace()
                && c.spec.model_ref.kind == kind
                && c.spec.model_ref.name == model.name_any()
        })
        .map(|c| ObjectRef::from_obj(c.as_ref()))
        .collect()
}
