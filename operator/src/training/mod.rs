//! The training controller, shared by Predictor and Solution: a trainer Job per version,
//! the version's metrics read back into status, scheduled retraining, history pruning, and
//! a finalizer that removes the artifacts when the deletion policy says so.

pub mod decide;
pub mod reconcile;
pub mod schedule;

use kube::{Resource, core::NamespaceResourceScope};
use seer_api::{
    DeletionPolicy, Predictor, RetrainSpec, Solution, StorageLocation, TrainedModelStatus, TrainerSpec,
    artifact::ArtifactKind,
};
use serde::{Serialize, de::DeserializeOwned};

/// What the training controller needs from a Predictor or a Solution.
pub trait Trainable:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Serialize
    + DeserializeOwned
    + std::fmt::Debug
    + Send
    + Sync
    + 'static
{
    /// `predictor` or `solution`: labels, Job names, storage paths.
    const KIND_LOWER: &'static str;
    /// The storage kind of its artifacts.
    const ARTIFACT_KIND: ArtifactKind;
    fn group_ref(&self) -> &str;
    fn retrain(&self) -> Option<&RetrainSpec>;
    fn trainer(&self) -> &TrainerSpec;
    fn artifacts(&self) -> Option<&StorageLocation>;
    fn deletion_policy(&self) -> DeletionPolicy;
    fn model_status(&self) -> Option<&TrainedModelStatus>;
    /// Where the versions' forecasts are also copied (a Predictor's `spec.export`).
    fn export_destination(&self) -> Option<&StorageLocation> {
        None
    }
    /// The spec as JSON without the fields that do not change what is trained (the
    /// schedule, the deletion policy, the trainer pod's sizing and placement).
    fn training_spec(&self) -> serde_json::Value;
}

fn strip_non_training(spec: serde_json::Value) -> serde_json::Value {
    let mut spec = spec;
    if let Some(map) = spec.as_object_mut() {
        map.remove("retrain");
        map.remove("deletionPolicy");
        let image = map.get("trainer").and_then(|t| t.get("image")).cloned();
        map.remove("trainer");
        if let Some(image) = image {
            map.insert("trainerImage".into(), image);
        }
    }
    spec
}

/// Predictor and Solution have the same fields for training; one implementation for both.
macro_rules! trainable {
    ($kind:ty, $lower:literal, $artifact:expr $(, $export:ident)?) => {
        impl Trainable for $kind {
            const KIND_LOWER: &'static str = $lower;
            const ARTIFACT_KIND: ArtifactKind = $artifact;
            fn group_ref(&self) -> &str {
                &self.spec.dataset_group_ref.name
            }
            fn retrain(&self) -> Option<&RetrainSpec> {
                self.spec.retrain.as_ref()
            }
            fn trainer(&self) -> &TrainerSpec {
                &self.spec.trainer
            }
            fn artifacts(&self) -> Option<&StorageLocation> {
                self.spec.artifacts.as_ref()
            }
            fn deletion_policy(&self) -> DeletionPolicy {
                self.spec.deletion_policy
            }
            fn model_status(&self) -> Option<&TrainedModelStatus> {
                self.status.as_ref()
            }
            fn training_spec(&self) -> serde_json::Value {
                strip_non_training(serde_json::to_value(&self.spec).unwrap_or_default())
            }
            $(
                fn export_destination(&self) -> Option<&StorageLocation> {
                    self.spec.$export.as_ref().map(|e| &e.destination)
                }
            )?
        }
    };
}

trainable!(Predictor, "predictor", ArtifactKind::Predictor, export);
trainable!(Solution, "solution", ArtifactKind::Solution);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_and_trainer_sizing_do_not_change_the_training_spec() {
        let base: Predictor = serde_yaml::from_str(
            "apiVersion: seer.dev/v1alpha1\nkind: Predictor\nmetadata: {name: p, namespace: n}\nspec:\n  datasetGroupRef: {name: g}\n  forecastHorizon: 7\n  forecastFrequency: D\n",
        )
        .expect("predictor");
        let mut other = base.clone();
        other.spec.retrain = Some(RetrainSpec { schedule: "@daily".into(), ..Default::default() });
        other.spec.trainer.backoff_limit = 3;
        assert_eq!(base.training_spec(), other.training_spec());
        other.spec.forecast_horizon = 14;
        assert_ne!(base.training_spec(), other.training_spec());
        other.spec.forecast_horizon = 7;
        other.spec.trainer.image = Some("trainer:2".into());
        assert_ne!(base.training_spec(), other.training_spec(), "a new trainer image is a new model");
    }
}
