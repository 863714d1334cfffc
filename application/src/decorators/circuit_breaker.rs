//! A circuit breaker around the repository (Go kit's `circuitbreaker` middleware): when the store stops answering,
//! fail fast for a while instead of queueing every request on a dead connection pool, then let one trial call find
//! out whether the store is back.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use domain::{
    IdempotencyRecord, Insertion, Order, OrderEvent, OrderFilter, OrderId, OrderPosition,
    OrderRepository, RepositoryError, StatusChange, Timestamp,
};
use thiserror::Error;

use crate::{BreakerState, Metrics};

/// When a [`CircuitBreaker`] opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// How many consecutive [`RepositoryError::Unavailable`] results open the breaker; 0 behaves as 1.
    pub failure_threshold: u32,
    /// How long an open breaker fails fast before it lets one trial call through to the store.
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    /// Five consecutive failures open it for five seconds.
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(5),
        }
    }
}

/// Why an open breaker refused a call without asking the store: the source of the
/// [`RepositoryError::Unavailable`] it answers with, so callers treat it as any other outage (503, retry later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the circuit breaker is open")]
pub struct BreakerOpen;

/// The monotonic time source; tests replace it to move time without sleeping.
type Now = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Wraps a repository and stops calling it while it keeps failing to answer.
///
/// Only [`RepositoryError::Unavailable`] counts as a failure: `Ok`, `Conflict` and `Other` mean the store answered,
/// and reset the count. After [`BreakerSettings::failure_threshold`] consecutive failures the breaker opens: calls
/// fail fast with `Unavailable(`[`BreakerOpen`]`)` and never reach the store. After
/// [`BreakerSettings::open_for`] the next call is the single half-open trial (concurrent calls still fail fast); its
/// success closes the breaker, its failure opens it for another `open_for`. Every state change, and `Closed` at
/// construction, goes to [`Metrics::breaker_state`].
///
/// A short lock guards the state; it is never held while the store is called.
pub struct CircuitBreaker<R> {
    next: R,
    settings: BreakerSettings,
    metrics: Arc<dyn Metrics>,
    now: Now,
    state: Mutex<State>,
}

/// The breaker's state; `generation` changes with every transition, so a call admitted in an earlier phase cannot
/// sway a later one when it finally returns.
#[derive(Debug)]
struct State {
    phase: Phase,
    generation: u64,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Closed { failures: u32 },
    Open { since: Instant },
    HalfOpen,
}

impl Phase {
    const fn reported(self) -> BreakerState {
        match self {
            Self::Closed { .. } => BreakerState::Closed,
            Self::Open { .. } => BreakerState::Open,
            Self::HalfOpen => BreakerState::HalfOpen,
        }
    }
}

/// What a call admitted by the breaker told it about the store.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    /// The store answered (`Ok`, `Conflict` or `Other`).
    Answered,
    /// The store did not answer (`Unavailable`).
    Unavailable,
    /// The call unwound before it returned: nothing is known about the store.
    Unwound,
}

impl<R> CircuitBreaker<R> {
    /// Wraps `next`, closed, reporting its state to `metrics`.
    pub fn new(next: R, settings: BreakerSettings, metrics: Arc<dyn Metrics>) -> Self {
        let phase = Phase::Closed { failures: 0 };
        metrics.breaker_state(phase.reported());
        Self {
            next,
            settings,
            metrics,
            now: Arc::new(Instant::now),
            state: Mutex::new(State {
                phase,
                generation: 0,
            }),
        }
    }

    /// Reads the time from `now` instead of [`Instant::now`]; it must never go backwards.
    #[must_use]
    pub fn with_clock(mut self, now: Arc<dyn Fn() -> Instant + Send + Sync>) -> Self {
        self.now = now;
        self
    }

    fn call<T>(
        &self,
        operation: impl FnOnce(&R) -> Result<T, RepositoryError>,
    ) -> Result<T, RepositoryError> {
        let permit = self
            .admit()
            .ok_or_else(|| RepositoryError::Unavailable(Box::new(BreakerOpen)))?;
        let result = operation(&self.next);
        permit.settle(match result {
            Err(RepositoryError::Unavailable(_)) => Verdict::Unavailable,
            Ok(_) | Err(RepositoryError::Conflict | RepositoryError::Other(_)) => Verdict::Answered,
        });
        result
    }

    /// Lets a call through (the trial, when an open breaker's time is up), or `None` to fail fast.
    fn admit(&self) -> Option<Permit<'_, R>> {
        let mut state = self.lock();
        match state.phase {
            Phase::Closed { .. } => {}
            Phase::Open { since }
                if (self.now)().saturating_duration_since(since) >= self.settings.open_for =>
            {
                self.transition(&mut state, Phase::HalfOpen);
            }
            Phase::Open { .. } | Phase::HalfOpen => return None,
        }
        Some(Permit {
            breaker: self,
            generation: state.generation,
            settled: false,
        })
    }

    /// Applies what a call admitted in `generation` found out.
    fn record(&self, generation: u64, verdict: Verdict) {
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        match (state.phase, verdict) {
            (Phase::Closed { .. }, Verdict::Answered) => {
                state.phase = Phase::Closed { failures: 0 };
            }
            (Phase::Closed { failures }, Verdict::Unavailable) => {
                let failures = failures.saturating_add(1);
                if failures >= self.settings.failure_threshold {
                    self.open(&mut state);
                } else {
                    state.phase = Phase::Closed { failures };
                }
            }
            // A panic is a bug, not an outage: one bad order must not open the breaker for all of them.
            (Phase::Closed { .. }, Verdict::Unwound) => {}
            (Phase::HalfOpen, Verdict::Answered) => {
                self.transition(&mut state, Phase::Closed { failures: 0 });
            }
            // An unwound trial must still free the trial slot; reopening is the cautious way to do it.
            (Phase::HalfOpen, Verdict::Unavailable | Verdict::Unwound) => self.open(&mut state),
            // Nothing is admitted while open, and leaving open starts a new generation.
            (Phase::Open { .. }, _) => {}
        }
    }

    fn open(&self, state: &mut State) {
        let since = (self.now)();
        self.transition(state, Phase::Open { since });
    }

    /// Moves to `phase` and reports it; under the lock, so the reported states follow the real order.
    fn transition(&self, state: &mut State, phase: Phase) {
        state.phase = phase;
        state.generation = state.generation.wrapping_add(1);
        self.metrics.breaker_state(phase.reported());
    }

    /// The state is consistent at every point where a panic could poison the lock (only a panicking
    /// [`Metrics`] could), so a poisoned lock is used as is rather than failing every later request.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A call the breaker let through. Dropping it unsettled (the store call unwound) still tells the breaker, so a
/// panicking trial cannot leave it half-open, refusing everything, forever.
struct Permit<'a, R> {
    breaker: &'a CircuitBreaker<R>,
    generation: u64,
    settled: bool,
}

impl<R> Permit<'_, R> {
    fn settle(mut self, verdict: Verdict) {
        self.settled = true;
        self.breaker.record(self.generation, verdict);
    }
}

impl<R> Drop for Permit<'_, R> {
    fn drop(&mut self) {
        if !self.settled {
            self.breaker.record(self.generation, Verdict::Unwound);
        }
    }
}

impl<R: OrderRepository> OrderRepository for CircuitBreaker<R> {
    fn insert(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
        event: Option<&OrderEvent>,
    ) -> Result<Insertion, RepositoryError> {
        self.call(|next| next.insert(order, idempotency, event))
    }

    fn find(&self, id: &OrderId) -> Result<Option<Order>, RepositoryError> {
        self.call(|next| next.find(id))
    }

    fn list(
        &self,
        filter: &OrderFilter,
        after: Option<OrderPosition>,
        limit: u32,
        max_weight: usize,
    ) -> Result<Vec<Order>, RepositoryError> {
        self.call(|next| next.list(filter, after, limit, max_weight))
    }

    fn update_status(
        &self,
        change: &StatusChange,
        event: Option<&OrderEvent>,
    ) -> Result<(), RepositoryError> {
        self.call(|next| next.update_status(change, event))
    }

    fn purge_idempotency_keys(
        &self,
        expired_before: Timestamp,
        limit: u32,
    ) -> Result<usize, RepositoryError> {
        self.call(|next| next.purge_idempotency_keys(expired_before, limit))
    }
}

#[cfg(test)]
mod tests;
