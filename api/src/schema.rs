//! Hand-written JSON schemas for the few fields whose Rust type cannot say what the
//! Kubernetes API server should check (int-or-string quantities, pass-through objects).

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// Schema for a free-form object the operator passes through to Kubernetes unchanged
/// (for example a pod `affinity`): the API server keeps every field.
pub fn preserve_unknown_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Schema of a Kubernetes resource quantity (`2`, `500m`, `1Gi`): an integer or a string.
pub fn quantity(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "x-kubernetes-int-or-string": true,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
    })
}

/// Schema of a map from resource name (`cpu`, `memory`, `nvidia.com/gpu`) to quantity.
pub fn quantity_map(generator: &mut SchemaGenerator) -> Schema {
    let value = quantity(generator);
    json_schema!({
        "type": "object",
        "additionalProperties": value,
    })
}

/// Marker type whose schema is [`preserve_unknown_object`]; lets a field say so in one place.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct FreeForm(pub serde_json::Map<String, serde_json::Value>);

impl JsonSchema for FreeForm {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FreeForm".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        preserve_unknown_object(generator)
    }
}
