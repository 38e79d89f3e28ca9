//! `crdgen [DIR...] [--docs DIR]`: writes the four CRDs as YAML files into each DIR (default
//! `crds/`; `make crds` also writes the Helm chart's `charts/seer/crds/`), or with `--stdout`
//! prints them as one multi-document stream (for `kubectl apply -f -`).
//!
//! `--docs DIR` renders each CRD's field reference (`seer_operator::crd_reference`) into
//! `DIR/<kind>.md`, between the page's `<!-- generated: fields -->` and
//! `<!-- end generated: fields -->` lines; a page without them is an error. With `--docs`
//! and no other DIR, no CRD files are written.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use seer_operator::crd_reference;

const USAGE: &str = "usage: crdgen [--stdout | DIR...] [--docs DIR]   (DIR defaults to crds/ unless --docs is given)";

struct Args {
    stdout: bool,
    dirs: Vec<PathBuf>,
    docs: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args { stdout: false, dirs: Vec::new(), docs: None };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--stdout" => parsed.stdout = true,
            "--docs" => {
                let dir = rest.next().ok_or("--docs needs a folder, e.g. --docs docs/resources")?;
                parsed.docs = Some(PathBuf::from(dir));
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            dir => parsed.dirs.push(PathBuf::from(dir)),
        }
    }
    if parsed.dirs.is_empty() && parsed.docs.is_none() {
        parsed.dirs.push(PathBuf::from("crds"));
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("crdgen: {e}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    for (file, crd) in seer_operator::crds::all() {
        let result = write_crd(file, &crd, &args).and_then(|()| match &args.docs {
            Some(dir) => write_page(dir, &crd),
            None => Ok(()),
        });
        if let Err(e) = result {
            eprintln!("crdgen: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn write_crd(file: &str, crd: &CustomResourceDefinition, args: &Args) -> Result<(), String> {
    let yaml = seer_operator::crds::to_yaml(crd).map_err(|e| format!("cannot render {file}: {e}"))?;
    if args.stdout {
        print!("---\n{yaml}");
        return Ok(());
    }
    for dir in &args.dirs {
        let path = dir.join(file);
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, &yaml))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Puts the CRD's field reference into its page; the page is only rewritten when that
/// changes it.
fn write_page(dir: &Path, crd: &CustomResourceDefinition) -> Result<(), String> {
    let path = dir.join(crd_reference::page_file_name(crd));
    let page = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let generated = crd_reference::render(crd).map_err(|e| format!("{}: {e}", path.display()))?;
    let updated = crd_reference::replace_section(&page, &generated).map_err(|e| format!("{}: {e}", path.display()))?;
    if updated == page {
        eprintln!("unchanged {}", path.display());
        return Ok(());
    }
    std::fs::write(&path, updated).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
