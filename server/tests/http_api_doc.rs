//! `docs/http-api.md` against the server: its generated part is what
//! `seer_server::openapi_markdown::render` makes of `/openapi.json` today (`SEER_BLESS=1`
//! rewrites it), it has a section for every operation and schema, and its links resolve.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use seer_server::{
    openapi,
    openapi_markdown::{self, BLESS_COMMAND, DOC_PATH},
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn page() -> String {
    let path = repo_root().join(DOC_PATH);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_generated_part_is_what_the_openapi_document_renders() {
    let rendered = openapi_markdown::render(&openapi::document());
    let path = repo_root().join(DOC_PATH);
    let mut text = page();
    if std::env::var_os("SEER_BLESS").is_some() {
        text = openapi_markdown::splice(&text, &rendered).unwrap_or_else(|e| panic!("{DOC_PATH}: {e}"));
        // Written aside and renamed over the page: the other test reads it meanwhile.
        let aside = path.with_extension("md.blessing");
        std::fs::write(&aside, &text).unwrap_or_else(|e| panic!("{}: {e}", aside.display()));
        std::fs::rename(&aside, &path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let current = openapi_markdown::generated_part(&text).unwrap_or_else(|e| panic!("{DOC_PATH}: {e}"));
    if current != rendered {
        let line = current
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(rendered.lines().count()));
        panic!(
            "{DOC_PATH}: the generated part (between `{}` and `{}`) differs from what the server's /openapi.json \
             renders now, from line {}:\n  in the file: {:?}\n  rendered:    {:?}\nRegenerate it with `{BLESS_COMMAND}`.",
            openapi_markdown::BEGIN,
            openapi_markdown::END,
            // The file's line: those up to the marker line, then the marker line itself.
            text[..text.find(openapi_markdown::BEGIN).unwrap_or(0)].lines().count() + 1 + line + 1,
            current.lines().nth(line).unwrap_or("(end)"),
            rendered.lines().nth(line).unwrap_or("(end)"),
        );
    }
}

/// The anchors of the page's headings, as GitHub makes them (a repeated one gets `-1`, ...).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let base = openapi_markdown::anchor(line.trim_start_matches('#').trim());
        let mut anchor = base.clone();
        let mut n = 0;
        while out.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        out.insert(anchor);
    }
    out
}

/// Every Markdown link target `](target)` outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        for (i, _) in line.match_indices("](") {
            if let Some(len) = line[i + 2..].find(')') {
                out.push(line[i + 2..i + 2 + len].to_string());
            }
        }
    }
    out
}

#[test]
fn every_operation_and_schema_has_a_section_and_every_link_resolves() {
    let doc = openapi::document();
    // The page as it is once its generated part is current (the test above holds the file to
    // that), so this test does not race the other one's rewrite under SEER_BLESS=1.
    let text = openapi_markdown::splice(&page(), &openapi_markdown::render(&doc))
        .unwrap_or_else(|e| panic!("{DOC_PATH}: {e}"));
    let anchors = anchors(&text);
    for (method, path) in seer_server::app::served_routes() {
        let anchor = openapi_markdown::anchor(&format!("{method} {path}"));
        assert!(anchors.contains(&anchor), "{DOC_PATH}: no section for {method} {path} (#{anchor})");
    }
    for name in doc["components"]["schemas"].as_object().expect("schemas").keys() {
        assert!(anchors.contains(&openapi_markdown::anchor(name)), "{DOC_PATH}: no section for schema {name}");
    }
    let dir = repo_root().join(DOC_PATH).parent().map(Path::to_path_buf).expect("docs/");
    let links = links(&text);
    assert!(links.len() > 20, "{links:?}");
    for link in links {
        if link.starts_with("http://") || link.starts_with("https://") {
            continue;
        }
        let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
        if file.is_empty() {
            assert!(anchors.contains(anchor), "{DOC_PATH}: no heading for the link #{anchor}");
        } else {
            let target = dir.join(file);
            assert!(target.exists(), "{DOC_PATH}: the link {link} names {}, which does not exist", target.display());
        }
    }
}
