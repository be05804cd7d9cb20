//! Progress bars (indicatif) on stderr: drawn on a terminal, hidden in pipes and files.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing when disabled.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(enabled: bool, total: u64, message: &'static str, template: &str) -> Self {
        if !enabled {
            return Self(None);
        }
        // `stderr()` draws only when stderr is a terminal.
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if bar.is_hidden() {
            return Self(None);
        }
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(message);
        Self(Some(bar))
    }

    /// A byte-count bar.
    pub(crate) fn bytes(enabled: bool, total: u64, message: &'static str) -> Self {
        Self::new(
            enabled,
            total,
            message,
            "{msg:>8} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
    }

    /// An item-count bar.
    pub(crate) fn count(enabled: bool, total: u64, message: &'static str) -> Self {
        Self::new(
            enabled,
            total,
            message,
            "{msg:>8} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
        )
    }

    /// Set the position.
    pub(crate) fn set(&self, pos: u64) {
        if let Some(b) = &self.0 {
            b.set_position(pos);
        }
    }

    /// Advance the position.
    pub(crate) fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    /// Remove the bar.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
