//! The background purge of expired idempotency keys: small batches on its own thread, so requests never wait on it.
//! It runs the application's purge use case, so it passes the same circuit breaker and metrics as every request.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use application::ExpiredKeyPurge;

/// How often the purge runs.
const INTERVAL: Duration = Duration::from_secs(60);

/// Keys deleted per statement: short statements that never hold locks for long.
const BATCH: u32 = 1_000;

/// Stops the purge thread when dropped.
#[derive(Debug)]
pub(crate) struct PurgeHandle {
    _stop: mpsc::Sender<()>,
}

/// Starts purging expired keys through `purge` every minute, until the handle is dropped.
pub(crate) fn start(purge: Arc<dyn ExpiredKeyPurge>) -> PurgeHandle {
    let (stop, stopped) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("idempotency-purge".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                purge_expired(purge.as_ref());
            }
        });
    if let Err(error) = spawned {
        log::error!(
            "cannot start the idempotency key purge; expired keys stay until restart: {error}"
        );
    }
    PurgeHandle { _stop: stop }
}

/// Deletes every expired key, a batch at a time.
fn purge_expired(purge: &dyn ExpiredKeyPurge) {
    let mut purged = 0;
    loop {
        match purge.purge_expired_keys(BATCH) {
            Ok(deleted) => {
                purged += deleted;
                if deleted < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                    break;
                }
            }
            Err(error) => {
                log::warn!(error:% = application::error_chain(&error); "idempotency key purge failed; it runs again in a minute");
                break;
            }
        }
    }
    if purged > 0 {
        log::debug!(purged; "expired idempotency keys purged");
    }
}
