//! The field reference of each resource's page under `docs/resources/`, rendered from the
//! CRD's `openAPIV3Schema` so that it lists every field and cannot drift from the Rust
//! types: `crdgen --docs DIR` writes it between the page's markers, and
//! `operator/tests/crds_up_to_date.rs` fails when a page holds something else.
//!
//! One row per field of `spec` and `status`, nested fields as dotted paths
//! (`spec.datasets[].schema.attributes[].name`, `[]` for the items of a list), with the
//! type and its bounds, whether it is required, its default and its description (the
//! Rust doc comment). Below the table, the CEL rules (`x-kubernetes-validations`).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

/// The line that opens the generated section of a page.
pub const BEGIN_MARKER: &str = "<!-- generated: fields -->";
/// The line that closes the generated section of a page.
pub const END_MARKER: &str = "<!-- end generated: fields -->";

/// Why a reference could not be rendered or put into its page.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("CRD {0} has no version with an openAPIV3Schema")]
    NoSchema(String),
    #[error(
        "no line `<!-- generated: fields -->` followed by a line `<!-- end generated: fields -->`; \
         add both where the field reference goes"
    )]
    MissingMarkers,
    #[error("more than one `<!-- generated: fields -->` section; keep one")]
    DuplicateMarkers,
}

/// The page a CRD's reference goes into: `<kind in lower case>.md`.
pub fn page_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}.md", crd.spec.names.kind.to_lowercase())
}

/// The generated section of a CRD's page: the field table and the validation rules of its
/// storage version (the first version if none is marked as storage).
pub fn render(crd: &CustomResourceDefinition) -> Result<String, ReferenceError> {
    let versions = &crd.spec.versions;
    let version = versions.iter().find(|v| v.storage).or(versions.first());
    let schema = version
        .and_then(|v| v.schema.as_ref())
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .ok_or_else(|| ReferenceError::NoSchema(crd.spec.names.kind.clone()))?;
    Ok(render_schema(schema))
}

/// The field table and validation rules of a resource's root schema (its `spec` and
/// `status`; `apiVersion`, `kind` and `metadata` are Kubernetes' own).
pub fn render_schema(root: &JSONSchemaProps) -> String {
    let mut rows = Vec::new();
    let mut rules = Vec::new();
    for (name, field) in root.properties.iter().flatten() {
        if matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        walk(name, field, is_required(root, name), &mut rows, &mut rules);
    }
    let mut out = String::from("| Field | Type | Required | Default | Description |\n|---|---|---|---|---|\n");
    for row in &rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            code(&row.path),
            row.type_,
            if row.required { "yes" } else { "no" },
            row.default,
            row.description
        ));
    }
    if !rules.is_empty() {
        out.push_str(
            "\nValidation rules (`x-kubernetes-validations`, CEL): the API server rejects an object \
             that breaks one, with its message. `self` is the field the rule is on; `oldSelf`, \
             its stored value on an update.\n\n| Field | Rule | Message |\n|---|---|---|\n",
        );
        for rule in &rules {
            out.push_str(&format!("| {} | {} | {} |\n", code(&rule.path), code(&rule.rule), text(&rule.message)));
        }
    }
    out
}

/// `page` with the text between its marker lines replaced by `generated` (a blank line
/// after the opening marker and before the closing one, so the Markdown around stays
/// separate). Errors when the markers are missing, out of order or repeated.
pub fn replace_section(page: &str, generated: &str) -> Result<String, ReferenceError> {
    let lines: Vec<&str> = page.split_inclusive('\n').collect();
    let is = |line: &str, marker: &str| line.trim() == marker;
    let begins: Vec<usize> = (0..lines.len()).filter(|&i| is(lines[i], BEGIN_MARKER)).collect();
    let ends: Vec<usize> = (0..lines.len()).filter(|&i| is(lines[i], END_MARKER)).collect();
    let (begin, end) = match (begins.as_slice(), ends.as_slice()) {
        ([b], [e]) if b < e => (*b, *e),
        ([], _) | (_, []) | ([_], [_]) => return Err(ReferenceError::MissingMarkers),
        _ => return Err(ReferenceError::DuplicateMarkers),
    };
    let mut out: String = lines[..=begin].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out.push_str(generated.trim_matches('\n'));
    out.push_str("\n\n");
    out.push_str(&lines[end..].concat());
    Ok(out)
}

struct Row {
    path: String,
    type_: String,
    required: bool,
    default: String,
    description: String,
}

struct Rule {
    path: String,
    rule: String,
    message: String,
}

fn is_required(parent: &JSONSchemaProps, name: &str) -> bool {
    parent.required.iter().flatten().any(|r| r == name)
}

fn items(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.items.as_ref()? {
        JSONSchemaPropsOrArray::Schema(s) => Some(s),
        JSONSchemaPropsOrArray::Schemas(v) => v.first(),
    }
}

fn map_values(schema: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match schema.additional_properties.as_ref()? {
        JSONSchemaPropsOrBool::Schema(s) => Some(s),
        JSONSchemaPropsOrBool::Bool(_) => None,
    }
}

/// One row for the field at `path`, then rows for what it holds: an object's fields, the
/// fields of a list's items (`path[]`) or of a map's values (`path.<key>`).
fn walk(path: &str, schema: &JSONSchemaProps, required: bool, rows: &mut Vec<Row>, rules: &mut Vec<Rule>) {
    let mut description =
        schema.description.clone().or_else(|| items(schema).and_then(|i| i.description.clone())).unwrap_or_default();
    // Scalar items or map values get no row of their own: their description joins the field's.
    for (what, inner) in [("Each item", items(schema)), ("Each value", map_values(schema))] {
        if let Some(inner) = inner.filter(|i| i.properties.is_none())
            && let Some(d) = inner.description.as_deref().filter(|d| !description.contains(*d))
        {
            description = format!("{description} {what}: {}", sentence_case_off(d)).trim().to_string();
        }
    }
    rows.push(Row {
        path: path.to_string(),
        type_: type_cell(schema),
        required,
        default: schema.default.as_ref().map(|d| code(&default_text(&d.0))).unwrap_or_default(),
        description: text(&description),
    });
    collect_rules(path, schema, rules);
    descend(path, schema, rows, rules);
}

fn descend(path: &str, schema: &JSONSchemaProps, rows: &mut Vec<Row>, rules: &mut Vec<Rule>) {
    for (name, field) in schema.properties.iter().flatten() {
        walk(&format!("{path}.{name}"), field, is_required(schema, name), rows, rules);
    }
    if let Some(item) = items(schema) {
        let path = format!("{path}[]");
        collect_rules(&path, item, rules);
        descend(&path, item, rows, rules);
    }
    if let Some(value) = map_values(schema) {
        let path = format!("{path}.<key>");
        collect_rules(&path, value, rules);
        descend(&path, value, rows, rules);
    }
}

fn collect_rules(path: &str, schema: &JSONSchemaProps, rules: &mut Vec<Rule>) {
    for rule in schema.x_kubernetes_validations.iter().flatten() {
        let message = rule
            .message
            .clone()
            .or_else(|| rule.message_expression.as_ref().map(|e| format!("(the value of `{e}`)")))
            .unwrap_or_else(|| format!("failed rule: {}", rule.rule));
        rules.push(Rule { path: path.to_string(), rule: rule.rule.clone(), message });
    }
}

/// The type in Kubernetes' words (`string`, `[]object`, `map[string]string`,
/// `int-or-string`), then its format and bounds.
fn type_cell(schema: &JSONSchemaProps) -> String {
    let mut cell = code(&type_name(schema));
    let facts = constraints(schema);
    if !facts.is_empty() {
        cell.push_str(", ");
        cell.push_str(&facts.join(", "));
    }
    cell
}

fn type_name(schema: &JSONSchemaProps) -> String {
    if schema.x_kubernetes_int_or_string == Some(true) {
        return "int-or-string".into();
    }
    match schema.type_.as_deref() {
        Some("array") => format!("[]{}", items(schema).map(type_name).unwrap_or_else(|| "any".into())),
        Some("object") => match map_values(schema) {
            Some(value) if schema.properties.as_ref().is_none_or(|p| p.is_empty()) => {
                format!("map[string]{}", type_name(value))
            }
            _ => "object".into(),
        },
        Some(other) => other.into(),
        None => "any".into(),
    }
}

/// Format, enum values and bounds of one schema, and those of its items or map values.
fn constraints(schema: &JSONSchemaProps) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(format) = &schema.format {
        out.push(format.clone());
    }
    let values: Vec<String> =
        schema.enum_.iter().flatten().filter(|v| !v.0.is_null()).map(|v| code(&default_text(&v.0))).collect();
    if !values.is_empty() {
        out.push(format!("one of {}", values.join(", ")));
    }
    if let Some(bounds) = bounds("", schema.minimum.map(number), schema.maximum.map(number)) {
        out.push(bounds);
    }
    if let Some(bounds) =
        bounds("length ", schema.min_length.map(|n| n.to_string()), schema.max_length.map(|n| n.to_string()))
    {
        out.push(bounds);
    }
    if let Some(bounds) =
        bounds("items ", schema.min_items.map(|n| n.to_string()), schema.max_items.map(|n| n.to_string()))
    {
        out.push(bounds);
    }
    // An int-or-string's pattern is the resource quantity grammar, which its description
    // says in words (`2`, `500m`, `4Gi`); a table cell cannot show that regex legibly.
    if let Some(pattern) = schema.pattern.as_ref().filter(|_| schema.x_kubernetes_int_or_string != Some(true)) {
        out.push(format!("pattern {}", code(pattern)));
    }
    if schema.x_kubernetes_list_type.as_deref() == Some("map") {
        let keys: Vec<String> = schema.x_kubernetes_list_map_keys.iter().flatten().map(|k| code(k)).collect();
        out.push(format!("a map list keyed by {}", keys.join(", ")));
    }
    if schema.x_kubernetes_preserve_unknown_fields == Some(true) && schema.properties.is_none() {
        out.push("any fields, kept as given".into());
    }
    if let Some(item) = items(schema) {
        let inner = constraints(item);
        if !inner.is_empty() {
            out.push(format!("each item: {}", inner.join(", ")));
        }
    }
    if let Some(value) = map_values(schema) {
        let inner = constraints(value);
        if !inner.is_empty() {
            out.push(format!("each value: {}", inner.join(", ")));
        }
    }
    out
}

/// `A quantity` as `a quantity`, to follow a colon; `ID of ...` and `` `x` `` stay as they are.
fn sentence_case_off(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => {
            first.to_lowercase().chain(s[first.len_utf8()..].chars()).collect()
        }
        _ => s.to_string(),
    }
}

/// `min 1`, `max 64`, `1 to 5` (with a prefix such as `length `), or nothing.
fn bounds(prefix: &str, min: Option<String>, max: Option<String>) -> Option<String> {
    match (min, max) {
        (Some(min), Some(max)) => Some(format!("{prefix}{min} to {max}")),
        (Some(min), None) => Some(format!("{prefix}min {min}")),
        (None, Some(max)) => Some(format!("{prefix}max {max}")),
        (None, None) => None,
    }
}

/// `1` for 1.0, `0.5` for 0.5: the schema stores every bound as a float.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// A default or enum value as a user writes it: strings bare, anything else as JSON.
fn default_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) if s.is_empty() => "\"\"".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Text for a table cell: one line, `|` escaped, and `<` outside code spans written as an
/// entity so that `<name>` is not read as an HTML tag.
fn text(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(one_line.len());
    let mut in_code = false;
    for c in one_line.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '<' if !in_code => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
    out
}

/// A code span for a table cell: a fence longer than any run of backticks inside, and `|`
/// escaped (GitHub Flavored Markdown splits cells before it reads code spans).
fn code(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(value: serde_json::Value) -> JSONSchemaProps {
        serde_json::from_value(value).expect("a valid JSONSchemaProps")
    }

    fn small() -> JSONSchemaProps {
        schema(serde_json::json!({
            "type": "object",
            "required": ["spec"],
            "properties": {
                "apiVersion": {"type": "string"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "description": "Spec of a Thing.",
                    "required": ["items"],
                    "x-kubernetes-validations": [{"rule": "self.a || self.b", "message": "a or b"}],
                    "properties": {
                        "items": {
                            "type": "array",
                            "description": "The items;\n\na | b.",
                            "maxItems": 6,
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "description": "One item.",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "description": "Name, `<name>` or <name>.", "minLength": 1, "maxLength": 63},
                                    "kind": {"type": "string", "description": "Kind.", "enum": ["A", "B", null], "nullable": true, "default": "A"}
                                },
                                "x-kubernetes-validations": [{"rule": "self.name != 'x'", "message": "not x"}]
                            }
                        },
                        "count": {"type": "integer", "format": "int32", "minimum": 1.0, "maximum": 100.0, "default": 5, "description": "How many."},
                        "tags": {"type": "array", "description": "Tags.", "items": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"}},
                        "limits": {"type": "object", "description": "Limits.", "additionalProperties": {"x-kubernetes-int-or-string": true, "anyOf": [{}, {}], "pattern": "^[0-9]+(m|Gi)?$", "description": "A quantity."}},
                        "free": {"type": "object", "description": "Free.", "x-kubernetes-preserve-unknown-fields": true},
                        "backtest": {"type": "object", "description": "Backtest.", "default": {"windows": 1}, "properties": {"windows": {"type": "integer", "description": "Windows."}}}
                    }
                },
                "status": {
                    "type": "object",
                    "description": "Status.",
                    "properties": {
                        "conditions": {
                            "type": "array", "description": "Conditions.",
                            "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"],
                            "items": {"type": "object", "properties": {"type": {"type": "string", "description": "Type."}}}
                        }
                    }
                }
            }
        }))
    }

    fn row<'a>(table: &'a str, path: &str) -> &'a str {
        let start = format!("| `{path}` |");
        table.lines().find(|l| l.starts_with(&start)).unwrap_or_else(|| panic!("no row for {path} in\n{table}"))
    }

    #[test]
    fn every_field_of_spec_and_status_gets_a_row_with_its_dotted_path() {
        let out = render_schema(&small());
        let paths: Vec<&str> = out
            .lines()
            .take_while(|l| !l.starts_with("Validation"))
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert_eq!(
            paths,
            [
                "spec",
                "spec.backtest",
                "spec.backtest.windows",
                "spec.count",
                "spec.free",
                "spec.items",
                "spec.items[].kind",
                "spec.items[].name",
                "spec.limits",
                "spec.tags",
                "status",
                "status.conditions",
                "status.conditions[].type",
            ]
        );
        assert!(!out.contains("apiVersion") && !out.contains("metadata"), "{out}");
    }

    #[test]
    fn types_bounds_required_defaults_and_descriptions() {
        let out = render_schema(&small());
        assert_eq!(row(&out, "spec"), "| `spec` | `object` | yes |  | Spec of a Thing. |");
        assert_eq!(row(&out, "spec.count"), "| `spec.count` | `integer`, int32, 1 to 100 | no | `5` | How many. |");
        assert_eq!(
            row(&out, "spec.items"),
            "| `spec.items` | `[]object`, items 1 to 6 | yes |  | The items; a \\| b. |"
        );
        assert_eq!(
            row(&out, "spec.items[].name"),
            "| `spec.items[].name` | `string`, length 1 to 63 | yes |  | Name, `<name>` or &lt;name>. |"
        );
        assert_eq!(
            row(&out, "spec.items[].kind"),
            "| `spec.items[].kind` | `string`, one of `A`, `B` | no | `A` | Kind. |"
        );
        assert_eq!(
            row(&out, "spec.tags"),
            "| `spec.tags` | `[]string`, each item: length max 5, pattern `^[a-z]+$` | no |  | Tags. |"
        );
        assert_eq!(
            row(&out, "spec.limits"),
            "| `spec.limits` | `map[string]int-or-string` | no |  | Limits. Each value: a quantity. |"
        );
        assert_eq!(row(&out, "spec.free"), "| `spec.free` | `object`, any fields, kept as given | no |  | Free. |");
        assert_eq!(row(&out, "spec.backtest"), "| `spec.backtest` | `object` | no | `{\"windows\":1}` | Backtest. |");
        assert_eq!(
            row(&out, "status.conditions"),
            "| `status.conditions` | `[]object`, a map list keyed by `type` | no |  | Conditions. |"
        );
    }

    #[test]
    fn rules_are_listed_under_the_table_with_where_they_apply() {
        let out = render_schema(&small());
        let (_, rules) = out.split_once("Validation rules").expect("a rules section");
        assert!(rules.contains("| `spec` | `self.a \\|\\| self.b` | a or b |"), "{rules}");
        assert!(rules.contains("| `spec.items[]` | `self.name != 'x'` | not x |"), "{rules}");
    }

    #[test]
    fn no_rules_no_rules_section() {
        let out = render_schema(&schema(serde_json::json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "description": "S.", "properties": {"a": {"type": "string"}}}}
        })));
        assert!(!out.contains("Validation rules"), "{out}");
        assert!(out.contains("| `spec.a` | `string` | no |  |  |"), "{out}");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x `y` z"), "``x `y` z``");
        assert_eq!(code("`y`"), "`` `y` ``");
    }

    #[test]
    fn the_section_between_the_markers_is_replaced_and_the_rest_kept() {
        let page = format!("# T\n\nintro\n\n{BEGIN_MARKER}\nold\n{END_MARKER}\n\nafter\n");
        let new = replace_section(&page, "| a |\n").expect("markers are there");
        assert_eq!(new, format!("# T\n\nintro\n\n{BEGIN_MARKER}\n\n| a |\n\n{END_MARKER}\n\nafter\n"));
        assert_eq!(replace_section(&new, "| a |\n").expect("again"), new, "idempotent");
    }

    #[test]
    fn missing_or_repeated_markers_are_errors() {
        assert!(matches!(replace_section("# T\n", "x"), Err(ReferenceError::MissingMarkers)));
        let reversed = format!("{END_MARKER}\n{BEGIN_MARKER}\n");
        assert!(matches!(replace_section(&reversed, "x"), Err(ReferenceError::MissingMarkers)));
        let twice = format!("{BEGIN_MARKER}\n{END_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n");
        assert!(matches!(replace_section(&twice, "x"), Err(ReferenceError::DuplicateMarkers)));
    }
}
