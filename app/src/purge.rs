//! The background purge of expired idempotency keys: small batches on its own thread, so requests never wait on it.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use adapters::persistence::Database;
use adapters::system::SystemClock;
use domain::Clock;

/// How often the purge runs.
const INTERVAL: Duration = Duration::from_secs(60);

/// Keys deleted per statement: short statements that never hold locks for long.
const BATCH: i64 = 1_000;

/// Stops the purge thread when dropped.
#[derive(Debug)]
pub(crate) struct PurgeHandle {
    _stop: mpsc::Sender<()>,
}

/// Starts purging keys older than `retention` from `database` every minute, until the handle is dropped.
pub(crate) fn start(database: Database, retention: Duration) -> PurgeHandle {
    let (stop, stopped) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("idempotency-purge".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                purge_expired(&database, retention);
            }
        });
    if let Err(error) = spawned {
        log::error!(
            "cannot start the idempotency key purge; expired keys stay until restart: {error}"
        );
    }
    PurgeHandle { _stop: stop }
}

/// Deletes every key older than `retention`, a batch at a time.
fn purge_expired(database: &Database, retention: Duration) {
    let expired_before = SystemClock.now().minus(retention);
    let mut purged = 0;
    loop {
        match database.purge_idempotency_keys(expired_before, BATCH) {
            Ok(deleted) => {
                purged += deleted;
                if deleted < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                    break;
                }
            }
            Err(error) => {
                log::warn!(error:% = error; "idempotency key purge failed; it runs again in a minute");
                break;
            }
        }
    }
    if purged > 0 {
        log::debug!(purged; "expired idempotency keys purged");
    }
}
