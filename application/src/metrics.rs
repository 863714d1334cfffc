//! The metrics port: what the core and its decorators count, with no idea of how it is exported. The Prometheus
//! implementation is an adapter.

use std::time::Duration;

use domain::{OrderStatus, RepositoryError};

/// How a repository call ended, as metrics group it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// It succeeded.
    Ok,
    /// A compare-and-set lost, or an id was taken.
    Conflict,
    /// The store was unreachable or overloaded (a fast failure of an open breaker included).
    Unavailable,
    /// Anything else.
    Error,
}

impl CallOutcome {
    /// The outcome of `result`.
    pub fn of<T>(result: &Result<T, RepositoryError>) -> Self {
        match result {
            Ok(_) => Self::Ok,
            Err(RepositoryError::Conflict) => Self::Conflict,
            Err(RepositoryError::Unavailable(_)) => Self::Unavailable,
            Err(RepositoryError::Other(_)) => Self::Error,
        }
    }

    /// The outcome as a label value: `ok`, `conflict`, `unavailable`, `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::Error => "error",
        }
    }
}

/// The state of a circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Calls pass through.
    Closed,
    /// Calls fail fast without reaching the store.
    Open,
    /// One trial call is let through to see whether the store is back.
    HalfOpen,
}

impl BreakerState {
    /// The state as a number for a gauge: 0 closed, 1 open, 2 half-open.
    pub const fn as_gauge(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

/// Where the service's business and dependency metrics go.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Metrics: Send + Sync {
    /// A repository call (`insert`, `find`, `update_status`) ended with `outcome` after `elapsed`.
    fn repository_call(&self, operation: &'static str, outcome: CallOutcome, elapsed: Duration);

    /// A new order was stored.
    fn order_placed(&self);

    /// An order moved from `from` to `to`.
    fn status_changed(&self, from: OrderStatus, to: OrderStatus);

    /// The circuit breaker moved to `state`.
    fn breaker_state(&self, state: BreakerState);

    /// The broker acknowledged an event, `lag` after the change it tells of.
    fn event_published(&self, lag: Duration);

    /// An event could not be published (it is tried again).
    fn event_publish_failed(&self);

    /// `count` events wait in the outbox, the oldest for `oldest_age`.
    fn outbox_backlog(&self, count: u64, oldest_age: Duration);
}
