//! References from one resource to another object in the same namespace.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A reference to an object by name in the same namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// Name of the object, in the namespace of the resource that refers to it.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// One key of a Secret in the same namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeySelector {
    /// Name of the Secret, in the namespace of the resource that refers to it.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key within the Secret's `data` whose value is used.
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}
