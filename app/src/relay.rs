//! The event relay's thread: batches back to back while there is work, a short poll when there is none, backoff with
//! a ceiling while the broker or the database fails, and on shutdown, the batch in hand finished and then what the
//! last requests left, for a few seconds at most.
//! Orders are accepted and `/readyz` answers as before whatever the broker does: events wait in the outbox.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use application::{EventRelay, RelayedBatch};
use domain::{Clock, EventPublisher, Outbox};

/// How long the relay waits when the outbox was empty: the most an event waits before it is claimed.
const POLL: Duration = Duration::from_millis(100);

/// The backoff's first step after a failure.
const BACKOFF_FLOOR: Duration = Duration::from_millis(200);

/// The longest the relay waits between two attempts while the broker is unreachable.
pub const BACKOFF_CEILING: Duration = Duration::from_secs(5);

/// How often the backlog is read into the metrics.
const BACKLOG_EVERY: Duration = Duration::from_secs(1);

/// How often published events older than the retention are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// On shutdown, how long the relay keeps publishing what the last requests left in the outbox.
const DRAIN_FOR: Duration = Duration::from_secs(5);

/// Doubling waits from the floor up to the ceiling; back to none after a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    const fn new() -> Self {
        Self {
            next: BACKOFF_FLOOR,
        }
    }

    /// The wait after one more failure.
    fn fail(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(BACKOFF_CEILING);
        wait
    }

    fn reset(&mut self) {
        self.next = BACKOFF_FLOOR;
    }
}

/// Stops the relay: [`RelayHandle::stop`] lets it finish its batch and waits for it.
#[derive(Debug)]
pub(crate) struct RelayHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RelayHandle {
    /// Asks the relay to stop after its current batch, and waits until it has.
    pub(crate) fn stop(mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the event relay panicked while stopping");
        }
    }
}

/// Starts relaying on a thread of its own.
///
/// # Errors
/// When the thread cannot be started.
pub(crate) fn start<O, P, C>(relay: EventRelay<O, P, C>) -> std::io::Result<RelayHandle>
where
    O: Outbox + 'static,
    P: EventPublisher + 'static,
    C: Clock + 'static,
{
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("event-relay".into())
        .spawn(move || run(&relay, &stopped))?;
    Ok(RelayHandle {
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// What the relay tells the operator: a warning when events stop going out, one line when they flow again.
#[derive(Debug, Default)]
struct Reports {
    failing_since: Option<Instant>,
}

impl Reports {
    fn failed(&mut self, what: &str) {
        if self.failing_since.is_none() {
            self.failing_since = Some(Instant::now());
            log::warn!(
                "events are not being published ({what}); orders are still accepted and their events wait in the \
                 outbox, tried again with backoff up to {BACKOFF_CEILING:?}"
            );
        }
    }

    fn succeeded(&mut self, batch: RelayedBatch) {
        if let Some(since) = self.failing_since.take() {
            log::info!(
                published = batch.published;
                "events are being published again, after {:?}",
                since.elapsed()
            );
        }
    }
}

fn run<O: Outbox, P: EventPublisher, C: Clock>(
    relay: &EventRelay<O, P, C>,
    stopped: &mpsc::Receiver<()>,
) {
    let mut backoff = Backoff::new();
    let mut reports = Reports::default();
    let full_batch = usize::try_from(relay.settings().batch).unwrap_or(usize::MAX);
    let (mut next_backlog, mut next_purge) = (Instant::now(), Instant::now() + PURGE_EVERY);
    loop {
        let wait = match relay.relay_batch() {
            Ok(batch) if batch.failed > 0 => {
                reports.failed("the broker did not acknowledge them");
                backoff.fail()
            }
            Ok(batch) => {
                reports.succeeded(batch);
                backoff.reset();
                // A full batch: more are waiting. Otherwise a poll lets the next batch gather, so that under load
                // the outbox is read and marked in large batches rather than a few events at a time.
                if batch.claimed >= full_batch {
                    Duration::ZERO
                } else {
                    POLL
                }
            }
            Err(error) => {
                reports.failed(&application::error_chain(&error));
                backoff.fail()
            }
        };
        let now = Instant::now();
        if now >= next_backlog {
            next_backlog = now + BACKLOG_EVERY;
            if let Err(error) = relay.observe_backlog() {
                log::debug!(error:% = application::error_chain(&error); "cannot read the outbox backlog");
            }
        }
        if now >= next_purge {
            next_purge = now + PURGE_EVERY;
            match relay.purge_published() {
                Ok(0) => {}
                Ok(purged) => log::debug!(purged; "published events purged"),
                Err(error) => {
                    log::warn!(error:% = application::error_chain(&error); "purging published events failed; it runs again in a minute");
                }
            }
        }
        let stop = if wait.is_zero() {
            !matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Empty))
        } else {
            !matches!(stopped.recv_timeout(wait), Err(RecvTimeoutError::Timeout))
        };
        if stop {
            let drained = drain(relay);
            log::info!(published = drained; "event relay stopped");
            return;
        }
    }
}

/// The relay is stopped once both transports have: it publishes the outbox's events, batch after batch, until none is
/// left, one fails, or [`DRAIN_FOR`] has passed; what is left waits for the next start. Returns how many it published.
fn drain<O: Outbox, P: EventPublisher, C: Clock>(relay: &EventRelay<O, P, C>) -> usize {
    let deadline = Instant::now() + DRAIN_FOR;
    let mut published = 0;
    while Instant::now() < deadline {
        match relay.relay_batch() {
            Ok(batch) if batch.claimed > 0 && batch.failed == 0 => published += batch.published,
            _ => break,
        }
    }
    published
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling_and_starts_over_after_a_success() {
        let mut backoff = Backoff::new();
        let waits: Vec<Duration> = (0..8).map(|_| backoff.fail()).collect();
        assert_eq!(waits[0], BACKOFF_FLOOR);
        assert_eq!(waits[1], BACKOFF_FLOOR * 2);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(waits[7], BACKOFF_CEILING);
        backoff.reset();
        assert_eq!(backoff.fail(), BACKOFF_FLOOR);
    }
}
