//! Progress bars (indicatif) on stderr: drawn on a terminal, hidden in pipes and files.
//!
//! Shared by the file readers and writers of this crate and by the `sparsebridge` binary
//! (`convert`, `bench`). A disabled or hidden bar is `Progress(None)`: every method is a no-op.

use std::borrow::Cow;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar on stderr, or nothing when disabled or when stderr is not a terminal.
#[derive(Debug)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A progress that draws nothing.
    pub fn none() -> Self {
        Self(None)
    }

    fn new(
        enabled: bool,
        total: Option<u64>,
        message: impl Into<Cow<'static, str>>,
        template: &str,
    ) -> Self {
        if !enabled {
            return Self(None);
        }
        // `stderr()` draws only when stderr is a terminal.
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
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
    pub fn bytes(enabled: bool, total: u64, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            enabled,
            Some(total),
            message,
            "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
    }

    /// An item-count bar.
    pub fn count(enabled: bool, total: u64, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            enabled,
            Some(total),
            message,
            "{msg:>10} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})",
        )
    }

    /// A spinner with the elapsed time, for one step of unknown length (it ticks by itself).
    pub fn spinner(enabled: bool, message: impl Into<Cow<'static, str>>) -> Self {
        let p = Self::new(enabled, None, message, "{spinner} {msg} ({elapsed})");
        if let Some(b) = &p.0 {
            b.enable_steady_tick(Duration::from_millis(100));
        }
        p
    }

    /// Replace the message.
    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(b) = &self.0 {
            b.set_message(message);
        }
    }

    /// Set the position.
    pub fn set(&self, pos: u64) {
        if let Some(b) = &self.0 {
            b.set_position(pos);
        }
    }

    /// Advance the position.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    /// A bar left behind by an early return (an error) is cleared, not left half drawn.
    fn drop(&mut self) {
        if let Some(b) = &self.0
            && !b.is_finished()
        {
            b.finish_and_clear();
        }
    }
}
