//! Evaluates every CEL rule of the committed CRDs (`crds/`) locally, with kube-cel, on the
//! admission cases of `tests/validation/cases.yaml`, and checks that every rule has a case
//! that it rejects (with the exact field path and message) and a case that reaches it and
//! accepts. The cluster tier replays the same cases against a real API server.

mod support;

use std::collections::BTreeSet;

use kube::core::cel::{ErrorKind, Validator, apply_defaults};
use serde_json::Value;
use support::{committed_crds, crd_schema, repo_root, validation_cases};

/// One place a rule is attached in a CRD schema.
#[derive(Debug, Clone)]
struct RuleSite {
    kind: String,
    /// Path of the schema node, `spec.datasets[*].uri`.
    path: String,
    /// Where errors are reported: `path` plus the rule's `fieldPath`.
    error_path: String,
    rule: String,
    transition: bool,
}

fn collect_rules(kind: &str, schema: &Value, path: &str, out: &mut Vec<RuleSite>) {
    for rule in schema.get("x-kubernetes-validations").and_then(Value::as_array).into_iter().flatten() {
        let text = rule["rule"].as_str().expect("rule text").to_string();
        let error_path = match rule.get("fieldPath").and_then(Value::as_str) {
            Some(fp) => format!("{path}{fp}"),
            None => path.to_string(),
        };
        out.push(RuleSite {
            kind: kind.to_string(),
            path: path.to_string(),
            error_path,
            transition: text.contains("oldSelf"),
            rule: text,
        });
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let p = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            collect_rules(kind, sub, &p, out);
        }
    }
    if let Some(items) = schema.get("items") {
        collect_rules(kind, items, &format!("{path}[*]"), out);
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        collect_rules(kind, values, &format!("{path}{{*}}"), out);
    }
}

/// `spec.datasets[3].uri` -> `spec.datasets[*].uri`.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether the object has a value at a schema path (any list item for `[*]`).
fn reaches(value: &Value, path: &str) -> bool {
    fn go(value: &Value, segs: &[&str]) -> bool {
        let Some((first, rest)) = segs.split_first() else { return !value.is_null() };
        let (field, any_items) = match first.strip_suffix("[*]") {
            Some(f) => (f, true),
            None => (*first, false),
        };
        let Some(next) = value.get(field) else { return false };
        if any_items { next.as_array().is_some_and(|items| items.iter().any(|i| go(i, rest))) } else { go(next, rest) }
    }
    let segs: Vec<&str> = path.split('.').collect();
    go(value, &segs)
}

#[test]
fn every_cel_rule_rejects_and_accepts_as_the_cases_say() {
    let root = repo_root();
    let crds = committed_crds();
    assert_eq!(crds.len(), 4, "crds/ holds the four CRDs");
    let mut sites = Vec::new();
    for (kind, crd) in &crds {
        collect_rules(kind, crd_schema(crd), "", &mut sites);
    }
    assert!(sites.len() >= 30, "found only {} rules; did the walk break?", sites.len());

    let cases = validation_cases::load(&root);
    let validator = Validator::new();
    let mut failures = Vec::new();
    let mut rejected: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut accepted: BTreeSet<(String, String, String)> = BTreeSet::new();

    for case in cases.iter().filter(|c| !c.server_only) {
        let Some((_, crd)) = crds.iter().find(|(k, _)| k == case.kind()) else {
            failures.push(format!("{}: no CRD for kind {:?}", case.name, case.kind()));
            continue;
        };
        let schema = crd_schema(crd);
        // The API server applies defaults before it validates; so do we.
        let object = apply_defaults(schema, &case.object);
        let old = case.old.as_ref().map(|o| apply_defaults(schema, o));
        let errors = match validator.validate(schema, &object, old.as_ref()) {
            Ok(()) => Vec::new(),
            Err(e) => e.into_vec(),
        };
        for e in &errors {
            if !matches!(e.kind, ErrorKind::ValidationFailure) {
                failures.push(format!("{}: rule {:?} could not be evaluated: {}", case.name, e.rule, e.message));
            }
        }
        match &case.reject {
            Some(want) => {
                let hit = errors.iter().find(|e| e.field_path == want.field && e.message == want.message);
                match hit {
                    Some(e) => {
                        rejected.insert((case.kind().to_string(), e.rule.clone(), normalize(&e.field_path)));
                    }
                    None => failures.push(format!(
                        "{}: expected rejection at {} with {:?}, got {:?}",
                        case.name,
                        want.field,
                        want.message,
                        errors.iter().map(|e| format!("{}: {}", e.field_path, e.message)).collect::<Vec<_>>()
                    )),
                }
                if errors.len() > 1 {
                    failures.push(format!(
                        "{}: expected one error, got {:?}",
                        case.name,
                        errors.iter().map(|e| format!("{}: {}", e.field_path, e.message)).collect::<Vec<_>>()
                    ));
                }
            }
            None => {
                if errors.is_empty() {
                    for site in sites.iter().filter(|s| s.kind == case.kind()) {
                        if reaches(&object, &site.path) && (!site.transition || old.is_some()) {
                            accepted.insert((site.kind.clone(), site.rule.clone(), site.error_path.clone()));
                        }
                    }
                } else {
                    failures.push(format!(
                        "{}: expected acceptance, got {:?}",
                        case.name,
                        errors.iter().map(|e| format!("{}: {}", e.field_path, e.message)).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }

    for site in &sites {
        let key = (site.kind.clone(), site.rule.clone(), site.error_path.clone());
        if !rejected.contains(&key) {
            failures.push(format!("{} {}: no case is rejected by rule {:?}", site.kind, site.error_path, site.rule));
        }
        if !accepted.contains(&key) {
            failures.push(format!("{} {}: no accepted case reaches rule {:?}", site.kind, site.error_path, site.rule));
        }
    }
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn normalize_and_reach_paths() {
    assert_eq!(normalize("spec.datasets[12].schema.attributes[0].name"), "spec.datasets[*].schema.attributes[*].name");
    let v = serde_json::json!({"spec": {"datasets": [{"uri": "s3://a"}, {}]}});
    assert!(reaches(&v, "spec.datasets[*].uri"));
    assert!(!reaches(&v, "spec.datasets[*].format"));
    assert!(reaches(&v, "spec"));
}
