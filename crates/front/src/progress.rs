//! Progress on long work: a bar on a terminal, a log line every tenth otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    /// (done, tenths already logged) when there is no bar.
    state: Mutex<(u64, u64)>,
}

impl Progress {
    /// A byte counter for `total` bytes.
    pub fn bytes(label: &str, total: u64) -> Self {
        Self::new(
            label,
            total,
            "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
    }

    /// A counter of `total` items.
    pub fn count(label: &str, total: u64) -> Self {
        Self::new(
            label,
            total,
            "{msg:>12} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
        )
    }

    fn new(label: &str, total: u64, template: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(label.to_string());
            bar
        });
        Progress {
            bar,
            label: label.to_string(),
            total,
            state: Mutex::new((0, 0)),
        }
    }

    /// Moves to `done` of the total.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        let current = self.state.lock().map(|s| s.0).unwrap_or(0);
        self.inc(done.saturating_sub(current));
    }

    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.0 += n;
        let tenth = state
            .0
            .saturating_mul(10)
            .checked_div(self.total)
            .unwrap_or(10);
        if tenth > state.1 {
            state.1 = tenth;
            tracing::info!(label = %self.label, done = state.0, total = self.total, "progress");
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
