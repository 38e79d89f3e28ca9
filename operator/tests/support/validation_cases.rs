//! Reads `tests/validation/cases.yaml`: admission cases shared by the local CEL tests and
//! the cluster tier's server-side dry runs.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// What the API server must answer for a rejected case.
#[derive(Debug, Clone, Deserialize)]
pub struct Rejection {
    /// Field path as the API server reports it, e.g. `spec.datasets[0].uri`.
    pub field: String,
    /// Exact CEL message (or, for `serverOnly` cases, a substring of the server's answer).
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    base: String,
    #[serde(default)]
    set: serde_json::Map<String, Value>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    old: Option<RawOld>,
    #[serde(default)]
    reject: Option<Rejection>,
    #[serde(default, rename = "serverOnly")]
    server_only: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOld {
    #[serde(default)]
    set: serde_json::Map<String, Value>,
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    cases: Vec<RawCase>,
}

/// One case, resolved into whole objects.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// The object sent to the API server.
    pub object: Value,
    /// For an update: the object that exists before.
    pub old: Option<Value>,
    /// `None` means the case must be accepted.
    pub reject: Option<Rejection>,
    /// Only the API server checks this (OpenAPI enum, bounds, sizes).
    pub server_only: bool,
}

impl Case {
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }
}

/// Loads every case, applying the edits to the example manifests.
pub fn load(repo_root: &Path) -> Vec<Case> {
    let path = repo_root.join("tests/validation/cases.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let file: CaseFile = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    file.cases
        .into_iter()
        .map(|raw| {
            let base_path = repo_root.join(&raw.base);
            let docs = super::yaml_documents(&base_path);
            assert_eq!(docs.len(), 1, "case {}: base {} must hold one document", raw.name, raw.base);
            let base = docs.into_iter().next().expect("one document");
            let object = edit(&base, &raw.set, &raw.remove).unwrap_or_else(|e| panic!("case {}: {e}", raw.name));
            let old = raw
                .old
                .map(|o| edit(&base, &o.set, &o.remove).unwrap_or_else(|e| panic!("case {} (old): {e}", raw.name)));
            Case { name: raw.name, object, old, reject: raw.reject, server_only: raw.server_only }
        })
        .collect()
}

fn edit(base: &Value, set: &serde_json::Map<String, Value>, remove: &[String]) -> Result<Value, String> {
    let mut out = base.clone();
    for pointer in remove {
        remove_at(&mut out, pointer)?;
    }
    for (pointer, value) in set {
        set_at(&mut out, pointer, value.clone())?;
    }
    Ok(out)
}

fn tokens(pointer: &str) -> Result<Vec<String>, String> {
    let rest = pointer.strip_prefix('/').ok_or_else(|| format!("pointer {pointer} must start with /"))?;
    Ok(rest.split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect())
}

fn set_at(root: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    let toks = tokens(pointer)?;
    let (last, parents) = toks.split_last().ok_or("empty pointer")?;
    let mut node = root;
    for t in parents {
        node = match node {
            Value::Object(map) => map.entry(t.clone()).or_insert_with(|| Value::Object(Default::default())),
            Value::Array(items) => {
                let i: usize = t.parse().map_err(|_| format!("{pointer}: {t} is not an index"))?;
                items.get_mut(i).ok_or_else(|| format!("{pointer}: no item {i}"))?
            }
            _ => return Err(format!("{pointer}: {t} is inside a scalar")),
        };
    }
    match node {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) if last == "-" => items.push(value),
        Value::Array(items) => {
            let i: usize = last.parse().map_err(|_| format!("{pointer}: {last} is not an index"))?;
            if i < items.len() {
                items[i] = value;
            } else if i == items.len() {
                items.push(value);
            } else {
                return Err(format!("{pointer}: index {i} past the end"));
            }
        }
        _ => return Err(format!("{pointer}: parent is a scalar")),
    }
    Ok(())
}

fn remove_at(root: &mut Value, pointer: &str) -> Result<(), String> {
    let toks = tokens(pointer)?;
    let (last, parents) = toks.split_last().ok_or("empty pointer")?;
    let mut node = root;
    for t in parents {
        node = match node {
            Value::Object(map) => map.get_mut(t).ok_or_else(|| format!("{pointer}: no {t}"))?,
            Value::Array(items) => {
                let i: usize = t.parse().map_err(|_| format!("{pointer}: {t} is not an index"))?;
                items.get_mut(i).ok_or_else(|| format!("{pointer}: no item {i}"))?
            }
            _ => return Err(format!("{pointer}: {t} is inside a scalar")),
        };
    }
    let removed = match node {
        Value::Object(map) => map.remove(last).is_some(),
        Value::Array(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    };
    if removed { Ok(()) } else { Err(format!("{pointer}: nothing to remove")) }
}
