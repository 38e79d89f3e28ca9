//! `crdgen [DIR...]`: writes the four CRDs as YAML files into each DIR (default `crds/`;
//! `make crds` also writes the Helm chart's `charts/seer/crds/`), or with `--stdout` prints
//! them as one multi-document stream (for `kubectl apply -f -`).

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: crdgen [--stdout | DIR...]   (DIR defaults to crds/)");
        return ExitCode::SUCCESS;
    }
    let stdout = args.iter().any(|a| a == "--stdout");
    let mut dirs: Vec<PathBuf> = args.iter().filter(|a| !a.starts_with("--")).map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from("crds"));
    }
    for (file, crd) in seer_operator::crds::all() {
        let yaml = match seer_operator::crds::to_yaml(&crd) {
            Ok(y) => y,
            Err(e) => {
                eprintln!("crdgen: cannot render {file}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if stdout {
            print!("---\n{yaml}");
            continue;
        }
        for dir in &dirs {
            let path = dir.join(file);
            if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, &yaml)) {
                eprintln!("crdgen: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            eprintln!("wrote {}", path.display());
        }
    }
    ExitCode::SUCCESS
}
