//! The committed `crds/` must be exactly what `crdgen` writes, and so must the field
//! reference of each page under `docs/resources/`; every field of every CRD must have a
//! description (it is what `kubectl explain` prints, and the pages' reference).

mod support;

use serde_json::Value;
use support::{committed_crds, crd_schema, repo_root};

#[test]
fn committed_crds_match_crdgen() {
    let root = repo_root();
    let mut stale = Vec::new();
    for (file, crd) in seer_operator::crds::all() {
        let want = seer_operator::crds::to_yaml(&crd).expect("render CRD");
        for dir in ["crds", "charts/seer/crds"] {
            let path = root.join(dir).join(file);
            let have = std::fs::read_to_string(&path).unwrap_or_default();
            if have != want {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these CRDs differ from crdgen's output; run `make crds` and commit:\n{}",
        stale.join("\n")
    );
    for dir in ["crds", "charts/seer/crds"] {
        let count = std::fs::read_dir(root.join(dir)).expect("CRD folder").count();
        assert_eq!(count, 4, "{dir}/ must hold exactly the four CRDs");
    }
}

#[test]
fn resource_pages_field_reference_matches_crdgen() {
    let dir = repo_root().join("docs/resources");
    let mut stale = Vec::new();
    for (_, crd) in seer_operator::crds::all() {
        let path = dir.join(seer_operator::crd_reference::page_file_name(&crd));
        let generated = seer_operator::crd_reference::render(&crd).expect("render field reference");
        let page = match std::fs::read_to_string(&path) {
            Ok(p) => p,
            Err(e) => {
                stale.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        match seer_operator::crd_reference::replace_section(&page, &generated) {
            Ok(updated) if updated == page => {}
            Ok(_) => stale.push(format!("{}: the generated field reference differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "these pages' field reference is not what crdgen renders from the CRDs; run `make crds` and commit:\n{}",
        stale.join("\n")
    );
}

fn undescribed(schema: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let p = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            // apiVersion/kind/metadata are described by Kubernetes itself.
            let builtin = path.is_empty() && matches!(name.as_str(), "apiVersion" | "kind" | "metadata");
            let described = sub.get("description").and_then(Value::as_str).is_some_and(|d| !d.trim().is_empty());
            if !builtin && !described {
                out.push(p.clone());
            }
            undescribed(sub, &p, out);
        }
    }
    if let Some(items) = schema.get("items") {
        undescribed(items, &format!("{path}[]"), out);
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        undescribed(values, &format!("{path}{{}}"), out);
    }
}

#[test]
fn every_field_has_a_description() {
    let mut missing = Vec::new();
    for (kind, crd) in committed_crds() {
        let schema = crd_schema(&crd);
        let mut here = Vec::new();
        undescribed(schema, "", &mut here);
        missing.extend(here.into_iter().map(|p| format!("{kind}: {p}")));
        assert!(schema.get("description").is_some(), "{kind}: the root schema needs a description");
    }
    assert!(missing.is_empty(), "fields without a description:\n{}", missing.join("\n"));
}

#[test]
fn names_and_columns_are_as_users_expect() {
    let expected = [("DatasetGroup", "sdg"), ("Predictor", "spred"), ("Solution", "ssol"), ("Campaign", "scmp")];
    let crds = committed_crds();
    for (kind, short) in expected {
        let (_, crd) = crds.iter().find(|(k, _)| k == kind).unwrap_or_else(|| panic!("no CRD for {kind}"));
        assert_eq!(crd["spec"]["group"], "seer.dev");
        assert_eq!(crd["spec"]["scope"], "Namespaced");
        assert_eq!(crd["spec"]["names"]["shortNames"][0], short);
        assert_eq!(crd["spec"]["names"]["categories"][0], "seer");
        let version = &crd["spec"]["versions"][0];
        assert_eq!(version["name"], "v1alpha1");
        assert!(version["subresources"]["status"].is_object(), "{kind}: status subresource");
        let columns: Vec<&str> = version["additionalPrinterColumns"]
            .as_array()
            .expect("columns")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(columns.first(), Some(&"Ready"), "{kind}: Ready first");
        assert_eq!(columns.last(), Some(&"Age"), "{kind}: Age last");
        let conditions = &crd_schema(crd)["properties"]["status"]["properties"]["conditions"];
        assert_eq!(conditions["x-kubernetes-list-type"], "map", "{kind}: conditions are a map list");
        assert_eq!(conditions["x-kubernetes-list-map-keys"][0], "type");
    }
}
