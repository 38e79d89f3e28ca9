//! `--model <uri>` to a resource location and, when the URI names one, a version.

use seer_api::artifact::ArtifactKind;
use seer_storage::{
    ObjectUri,
    artifacts::{ArtifactLocation, version_order},
};

/// Splits `<root>/<namespace>/<kind>/<name>[/<version>]`.
pub fn parse_model_uri(uri: &str) -> Result<(ArtifactLocation, Option<String>), String> {
    let trimmed = uri.trim_end_matches('/');
    let (rest, last) = split_last(trimmed, uri)?;
    let (resource, version) = match version_order(last) {
        Some(_) => (rest, Some(last.to_string())),
        None => (trimmed, None),
    };
    let (rest, name) = split_last(resource, uri)?;
    let (rest, kind) = split_last(rest, uri)?;
    let (root, namespace) = split_last(rest, uri)?;
    let kind = match kind {
        "predictor" => ArtifactKind::Predictor,
        "solution" => ArtifactKind::Solution,
        other => {
            return Err(format!(
                "{uri}: expected <root>/<namespace>/predictor|solution/<name>[/<version>], found {other:?} where the kind goes"
            ));
        }
    };
    // `file:///ns/kind/name` leaves the root `file://`, the file system's root.
    let root = if root == "file://" { "file:///" } else { root };
    let root = ObjectUri::parse(root).map_err(|e| format!("{uri}: {e}"))?;
    Ok((ArtifactLocation { root, namespace: namespace.to_string(), kind, name: name.to_string() }, version))
}

fn split_last<'a>(path: &'a str, uri: &str) -> Result<(&'a str, &'a str), String> {
    match path.rsplit_once('/') {
        Some((rest, last)) if !last.is_empty() && !rest.ends_with(':') && !rest.is_empty() => Ok((rest, last)),
        _ => Err(format!("{uri}: expected <root>/<namespace>/predictor|solution/<name>[/<version>]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_resource_folders() {
        let (loc, v) = parse_model_uri("s3://art/team-a/solution/shop/v3").expect("version folder");
        assert_eq!(loc.root.to_string(), "s3://art");
        assert_eq!((loc.namespace.as_str(), loc.kind, loc.name.as_str()), ("team-a", ArtifactKind::Solution, "shop"));
        assert_eq!(v.as_deref(), Some("v3"));
        let (loc, v) = parse_model_uri("file:///var/seer/default/predictor/demand/").expect("resource folder");
        assert_eq!(loc.root.to_string(), "file:///var/seer");
        assert_eq!(loc.kind, ArtifactKind::Predictor);
        assert_eq!(v, None);
        let (loc, _) = parse_model_uri("file:///ns/solution/x/20260101T120000Z").expect("at the root");
        assert_eq!(loc.version_uri("v1").to_string(), "file:///ns/solution/x/v1");
        assert!(parse_model_uri("s3://art/team-a/thing/shop").is_err_and(|e| e.contains("\"thing\"")));
        assert!(parse_model_uri("s3://art/shop").is_err());
        assert!(parse_model_uri("http://x/ns/solution/a").is_err());
    }
}
