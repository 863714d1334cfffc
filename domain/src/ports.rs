//! Driven ports: what the core needs from the outside world, as traits that adapters implement.
//!
//! They are synchronous on purpose: the database driver blocks, and plain traits keep the core free of any async
//! runtime. Transports call the core on a blocking thread pool.

use std::error::Error as StdError;

use thiserror::Error;

use crate::{
    Backlog, EventId, IdempotencyRecord, Insertion, Order, OrderEvent, OrderFilter, OrderId,
    OrderPosition, StatusChange, Timestamp,
};

/// A driver's error, kept as the source of a port error so logs show the whole chain.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in a repository, phrased as what the caller can do about it.
#[derive(Debug, Error)]
pub enum RepositoryError {
    /// The stored state is not the one the write was decided on (a compare-and-set lost, or the id is taken):
    /// re-read and decide again.
    #[error("the stored order changed concurrently")]
    Conflict,
    /// The store cannot be reached or is overloaded right now (no connection, pool exhausted, timeout): retry
    /// later.
    #[error("the order store is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or corrupt data. Retrying will not help.
    #[error("the order store failed")]
    Other(#[source] BoxError),
}

/// Where orders are kept (Go kit's `Repository`).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait OrderRepository: Send + Sync {
    /// Stores a newly placed order with all its items and, when given, its idempotency record and its event (into
    /// the outbox), atomically. When the record's key is held by an unexpired earlier request, stores nothing and
    /// says which order that request made.
    ///
    /// # Errors
    /// [`RepositoryError::Conflict`] when the id exists already; `Unavailable` or `Other` when the store fails.
    #[allow(clippy::needless_lifetimes)] // mockall's generated mock needs the lifetimes named
    fn insert<'a, 'e>(
        &self,
        order: &Order,
        idempotency: Option<&'a IdempotencyRecord>,
        event: Option<&'e OrderEvent>,
    ) -> Result<Insertion, RepositoryError>;

    /// Reads an order with its items; `None` when there is no order with that id.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails.
    fn find(&self, id: &OrderId) -> Result<Option<Order>, RepositoryError>;

    /// Up to `limit` orders matching `filter`, newest first (by creation time, then id, descending), starting after
    /// `after` when given; each with its items. It stops early, so that a listing's memory is bounded, once the
    /// orders read weigh more than `max_weight` together ([`Order::weight`]): the order that went over is the last
    /// one returned, so the caller sees that the page was cut.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails.
    fn list(
        &self,
        filter: &OrderFilter,
        after: Option<OrderPosition>,
        limit: u32,
        max_weight: usize,
    ) -> Result<Vec<Order>, RepositoryError>;

    /// Applies `change` only if the stored order still has `change.from` at `change.from_version`, in one atomic
    /// step: sets the status, `updated_on` and the next version, and stores `event` (when given) into the outbox.
    ///
    /// # Errors
    /// [`RepositoryError::Conflict`] when the stored order moved on (or does not exist); `Unavailable` or `Other`
    /// when the store fails.
    #[allow(clippy::needless_lifetimes)] // mockall's generated mock needs the lifetime named
    fn update_status<'e>(
        &self,
        change: &StatusChange,
        event: Option<&'e OrderEvent>,
    ) -> Result<(), RepositoryError>;

    /// Forgets up to `limit` idempotency records made before `expired_before` (their keys may then be used again);
    /// returns how many it forgot, so a caller purges in short batches until fewer come back.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails.
    fn purge_idempotency_keys(
        &self,
        expired_before: Timestamp,
        limit: u32,
    ) -> Result<usize, RepositoryError>;
}

/// The time, from outside: the domain never reads the system clock, so tests control it.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// Where new order ids come from.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh, never used id.
    fn next_id(&self) -> OrderId;

    /// A fresh, never used event id.
    fn next_event_id(&self) -> EventId;
}

/// Where events wait until they are published: the outbox that [`OrderRepository`] fills with each change. Several
/// relays (one per instance) may share one outbox.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` unpublished events for this relay until `lease_until` (no other relay takes them until
    /// then), oldest first. Of each order it claims only the earliest unpublished event, and none while an earlier
    /// one is claimed elsewhere, so an order's events go out in version order whichever relay takes them. An event
    /// whose lease ran out (its relay died) is claimed again. A store that only one relay ever uses (SQLite, one
    /// process) may take no lease: its relay settles every batch before it claims the next.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails.
    fn claim(
        &self,
        limit: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<OrderEvent>, RepositoryError>;

    /// Marks `published` as published at `at` when `keep` (for [`Outbox::purge_published`] to forget them after a
    /// retention), or forgets them at once; releases `failed` at once for the next claim.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails; the events then stay claimed until their lease runs out.
    fn settle(
        &self,
        published: &[EventId],
        failed: &[EventId],
        at: Timestamp,
        keep: bool,
    ) -> Result<(), RepositoryError>;

    /// Forgets up to `limit` events published before `published_before`; returns how many.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails.
    fn purge_published(
        &self,
        published_before: Timestamp,
        limit: u32,
    ) -> Result<usize, RepositoryError>;

    /// How many events wait, and since when.
    ///
    /// # Errors
    /// `Unavailable` or `Other` when the store fails.
    fn backlog(&self) -> Result<Backlog, RepositoryError>;
}

/// The broker refused an event or could not be reached; the driver's reason is the source.
#[derive(Debug, Error)]
#[error("the event was not published")]
pub struct PublishError(#[source] pub BoxError);

/// Where events are published (a message broker).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait EventPublisher: Send + Sync {
    /// Publishes every event and waits until the broker has kept each; the result for each event, in order. An
    /// event is published again when this fails after all, so the broker must drop a repeated event id.
    fn publish(&self, events: &[OrderEvent]) -> Vec<Result<(), PublishError>>;
}
