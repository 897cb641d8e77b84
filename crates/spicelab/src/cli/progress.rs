//! Progress bars: on a terminal for long work, nothing on a pipe.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Files at least this big get a progress bar.
pub const PROGRESS_MIN_BYTES: u64 = 100_000_000;

/// A byte progress bar when stderr is a terminal and the work is big; hidden otherwise.
pub fn bytes_bar(total: u64, enabled: bool, what: &str) -> ProgressBar {
    if !enabled || total < PROGRESS_MIN_BYTES || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
