//! Ctrl-C (SIGINT) sets a cancel token. Feature `ctrlc`.

use crate::context::CancelToken;

/// The handler could not be installed (one is already installed in this
/// process: `ctrlc` allows one per process).
#[derive(Debug, thiserror::Error)]
#[error("cannot install the Ctrl-C handler: {0}")]
pub struct CtrlcError(#[from] ctrlc::Error);

/// Installs a process-wide Ctrl-C handler that sets `token` (pass
/// [`crate::Pool::cancel_handle`]). The first press stops the batch: no new
/// job starts, running commands are ended within their grace period and the
/// pool returns. Later presses only log; the process is not killed, so the
/// pool still gets to end the process groups of its commands (which do not
/// see the terminal's SIGINT themselves: they run in their own groups).
///
/// A binary that has its own handler should not call this and call
/// [`CancelToken::cancel`] from that handler instead.
pub fn cancel_on_ctrlc(token: &CancelToken) -> Result<(), CtrlcError> {
    let token = token.clone();
    ctrlc::set_handler(move || {
        if token.is_cancelled() {
            tracing::warn!("interrupted again: still ending running jobs");
        } else {
            tracing::warn!("interrupted: no new jobs; ending running ones");
            token.cancel();
        }
    })?;
    Ok(())
}
