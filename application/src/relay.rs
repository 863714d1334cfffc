//! Relay events: take what the outbox holds, publish it, and mark what the broker kept. A maintenance use case
//! that each instance runs in the background; several may share one outbox, and an event is published again (never
//! lost) when anything fails before it is marked, so the broker must drop a repeated event id.

use std::sync::Arc;
use std::time::Duration;

use domain::{Clock, EventPublisher, Outbox};

use crate::{Metrics, ServiceError};

/// How the relay works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelaySettings {
    /// Events claimed and published at once.
    pub batch: u32,
    /// How long a claim holds: another relay takes the events again after that, if this one died. Longer than a
    /// publish can take (the broker's ack timeout), shorter than the broker's duplicate window.
    pub lease: Duration,
    /// How long published events are kept before they are purged; zero forgets each as soon as it is published.
    pub retention: Duration,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayedBatch {
    /// Events claimed.
    pub claimed: usize,
    /// Of those, published and marked.
    pub published: usize,
    /// Of those, not published: released for the next batch.
    pub failed: usize,
}

/// Events deleted per purge statement: short statements that never hold locks for long.
const PURGE_BATCH: u32 = 1_000;

/// The relay over an outbox, a publisher and a clock.
pub struct EventRelay<O, P, C> {
    outbox: O,
    publisher: P,
    clock: C,
    metrics: Arc<dyn Metrics>,
    settings: RelaySettings,
}

impl<O, P, C> std::fmt::Debug for EventRelay<O, P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRelay")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<O: Outbox, P: EventPublisher, C: Clock> EventRelay<O, P, C> {
    /// The relay, reporting to `metrics`.
    pub fn new(
        outbox: O,
        publisher: P,
        clock: C,
        metrics: Arc<dyn Metrics>,
        settings: RelaySettings,
    ) -> Self {
        Self {
            outbox,
            publisher,
            clock,
            metrics,
            settings,
        }
    }

    /// The settings it runs with.
    pub const fn settings(&self) -> &RelaySettings {
        &self.settings
    }

    /// Claims a batch, publishes it and marks what the broker kept; what it did not keep is released at once.
    ///
    /// # Errors
    /// `Unavailable` or `Internal` when the outbox fails (claimed events are then taken again once their lease
    /// runs out).
    pub fn relay_batch(&self) -> Result<RelayedBatch, ServiceError> {
        let now = self.clock.now();
        let events = self
            .outbox
            .claim(self.settings.batch, now, now.plus(self.settings.lease))?;
        if events.is_empty() {
            return Ok(RelayedBatch::default());
        }
        let results = self.publisher.publish(&events);
        let at = self.clock.now();
        let (mut published, mut failed) = (Vec::new(), Vec::new());
        // An event the publisher said nothing about counts as failed: it is published again, never lost.
        for (n, event) in events.iter().enumerate() {
            if matches!(results.get(n), Some(Ok(()))) {
                self.metrics.event_published(at.since(event.occurred_on()));
                published.push(event.id());
            } else {
                self.metrics.event_publish_failed();
                failed.push(event.id());
            }
        }
        if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
            log::debug!(error:% = crate::error_chain(error); "events not published; they are tried again");
        }
        self.outbox
            .settle(&published, &failed, at, !self.settings.retention.is_zero())?;
        Ok(RelayedBatch {
            claimed: events.len(),
            published: published.len(),
            failed: failed.len(),
        })
    }

    /// Reads the backlog into the metrics; returns how many events wait.
    ///
    /// # Errors
    /// `Unavailable` or `Internal` when the outbox fails.
    pub fn observe_backlog(&self) -> Result<u64, ServiceError> {
        let backlog = self.outbox.backlog()?;
        let age = backlog
            .oldest
            .map_or(Duration::ZERO, |oldest| self.clock.now().since(oldest));
        self.metrics.outbox_backlog(backlog.count, age);
        Ok(backlog.count)
    }

    /// Forgets every event published longer than the retention ago, a short batch at a time; returns how many.
    ///
    /// # Errors
    /// `Unavailable` or `Internal` when the outbox fails.
    pub fn purge_published(&self) -> Result<usize, ServiceError> {
        if self.settings.retention.is_zero() {
            return Ok(0);
        }
        let before = self.clock.now().minus(self.settings.retention);
        let mut purged = 0;
        loop {
            let deleted = self.outbox.purge_published(before, PURGE_BATCH)?;
            purged += deleted;
            if deleted < usize::try_from(PURGE_BATCH).unwrap_or(usize::MAX) {
                return Ok(purged);
            }
        }
    }
}

#[cfg(test)]
mod tests;
