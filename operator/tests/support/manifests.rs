//! Every Seer manifest a user may copy: the YAML files under `examples/`, and each fenced
//! ```yaml block of the Markdown under `docs/`, `README.md` and `charts/seer/README.md` that
//! holds a `seer.dev/` object. Two tests read the same list: `examples_typed` (the typed API,
//! unknown fields denied) and `crd_admission_cluster` (a real API server, as a dry run).
//! A Markdown snippet meant as a fragment leaves out `apiVersion:` and is not collected.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One document: where it comes from (file, and the line its block starts on for Markdown)
/// and its content. `parsed` is the YAML error when the document does not parse.
pub struct Manifest {
    pub source: String,
    pub parsed: Result<serde_yaml::Value, String>,
}

fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files(&path, exts, out);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&e)) {
            out.push(path);
        }
    }
}

fn documents(text: &str, source: &str, out: &mut Vec<Manifest>) {
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let parsed = serde_yaml::Value::deserialize(doc).map_err(|e| e.to_string());
        if matches!(parsed, Ok(serde_yaml::Value::Null)) {
            continue;
        }
        out.push(Manifest { source: format!("{source} (document {})", i + 1), parsed });
    }
}

/// The ```yaml blocks of a Markdown text holding a `seer.dev/` apiVersion, with the line
/// each starts on.
pub fn markdown_yaml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match current.as_mut() {
            None if trimmed.starts_with("```yaml") || trimmed.starts_with("```yml") => {
                current = Some((n + 1, String::new()));
            }
            None => {}
            Some(_) if trimmed.starts_with("```") => {
                if let Some((start, body)) = current.take()
                    && body.contains("apiVersion: seer.dev/")
                {
                    blocks.push((start, body));
                }
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}

/// Every manifest of the repository, examples first; only `seer.dev/` objects.
pub fn all(root: &Path) -> Vec<Manifest> {
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let mut out = Vec::new();
    let mut yaml = Vec::new();
    files(&root.join("examples"), &["yaml", "yml"], &mut yaml);
    yaml.sort();
    for path in &yaml {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        documents(&text, &rel(path), &mut out);
    }
    let mut md = vec![root.join("README.md"), root.join("charts/seer/README.md")];
    let mut docs = Vec::new();
    files(&root.join("docs"), &["md"], &mut docs);
    docs.sort();
    md.extend(docs);
    for path in &md {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        for (line, block) in markdown_yaml_blocks(&text) {
            documents(&block, &format!("{}:{line}", rel(path)), &mut out);
        }
    }
    out.retain(|m| match &m.parsed {
        Ok(v) => v.get("apiVersion").and_then(|a| a.as_str()).is_some_and(|a| a.starts_with("seer.dev/")),
        Err(_) => true,
    });
    out
}
