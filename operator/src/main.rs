//! `seer-operator`: the controller binary. The reconcilers live in the library
//! (`seer_operator`); this file only starts them.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("seer-operator {}: the controllers are not built yet (see issue 7)", env!("CARGO_PKG_VERSION"));
    ExitCode::from(2)
}
