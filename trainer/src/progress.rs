//! Progress of long work (backtests, forecasts): a bar when standard error is a terminal,
//! plain lines otherwise — every tenth of the work or every few seconds, whichever comes
//! first — so that `kubectl logs` of a trainer Job shows `backtested 1200/5000 items`
//! instead of nothing for an hour, without the carriage returns of a bar.
//!
//! A [`Progress`] is shared by reference across rayon's threads; [`Progress::inc`] is cheap
//! (one atomic add; a line or a redraw only now and then).

use std::{
    io::IsTerminal,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// At most this long between two log lines while work goes on.
const LOG_EVERY: Duration = Duration::from_secs(5);

enum Sink {
    Bar(ProgressBar),
    Lines { last: Mutex<(Instant, u64)> },
    Quiet,
}

/// Whether `SEER_PROGRESS=off` asked for silence.
fn silenced() -> bool {
    std::env::var("SEER_PROGRESS").is_ok_and(|v| v.eq_ignore_ascii_case("off"))
}

/// One line about a step that has no count (what was read, what one model is fitted on),
/// on standard error beside the counts; `SEER_PROGRESS=off` silences it too.
pub fn note(line: &str) {
    if !silenced() {
        eprintln!("{line}");
    }
}

/// Counts done units of one piece of work and shows it.
pub struct Progress {
    verb: &'static str,
    noun: &'static str,
    total: u64,
    done: AtomicU64,
    sink: Sink,
}

impl Progress {
    /// Starts showing `verb done/total noun` (e.g. `backtested 10/200 items`) on standard
    /// error: a bar on a terminal, log lines otherwise. `SEER_PROGRESS=off` silences it.
    pub fn start(verb: &'static str, noun: &'static str, total: usize) -> Progress {
        let total = total as u64;
        let sink = if silenced() || total == 0 {
            Sink::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            // The template is a constant: a parse failure would be a bug, and then a bar
            // without a template is still a bar.
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {noun} {verb} (eta {{eta}})"
            )) {
                bar.set_style(style.progress_chars("=> "));
            }
            Sink::Bar(bar)
        } else {
            Sink::Lines { last: Mutex::new((Instant::now(), 0)) }
        };
        Progress { verb, noun, total, done: AtomicU64::new(0), sink }
    }

    /// A progress that shows nothing (tests, tiny work).
    pub fn quiet() -> Progress {
        Progress { verb: "", noun: "", total: 0, done: AtomicU64::new(0), sink: Sink::Quiet }
    }

    /// One more unit done.
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match &self.sink {
            Sink::Bar(bar) => bar.set_position(done),
            Sink::Lines { last } => {
                let tenth = (self.total / 10).max(1);
                let Ok(mut last) = last.try_lock() else { return }; // another thread is printing
                let (at, printed) = *last;
                let due = done / tenth > printed / tenth || at.elapsed() >= LOG_EVERY;
                if due && done > printed && done < self.total {
                    eprintln!("{} {done}/{} {}", self.verb, self.total, self.noun);
                    *last = (Instant::now(), done);
                }
            }
            Sink::Quiet => {}
        }
    }

    /// Units done so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Ends the display with the final count.
    pub fn finish(self) {
        let done = self.done();
        match self.sink {
            Sink::Bar(bar) => bar.finish_and_clear(),
            Sink::Lines { .. } => {}
            Sink::Quiet => return,
        }
        eprintln!("{} {done}/{} {}", self.verb, self.total, self.noun);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn counts_across_threads() {
        // Not a terminal under `cargo test`: the line sink, driven from many threads.
        let p = Progress::start("counted", "things", 1000);
        (0..1000).into_par_iter().for_each(|_| p.inc());
        assert_eq!(p.done(), 1000);
        p.finish();
        let q = Progress::quiet();
        q.inc();
        assert_eq!(q.done(), 1);
    }
}
