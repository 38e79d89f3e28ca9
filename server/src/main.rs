//! `seer-server` binary: parse the flags, run, exit 0 after a graceful stop, 1 on failure.

use std::process::ExitCode;

use clap::Parser;
use seer_server::{config::Args, serve};

fn main() -> ExitCode {
    let args = Args::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.worker_threads.filter(|n| *n > 0) {
        builder.worker_threads(n);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("seer-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("seer-server: {message}");
            ExitCode::FAILURE
        }
    }
}
