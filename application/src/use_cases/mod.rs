//! The core order service: the use cases, written against the ports only (Go kit's `implementation/`), one file
//! per use case.

mod change_status;
mod find_order;
mod list_orders;
mod place_order;
mod purge_keys;
#[cfg(test)]
pub(crate) mod test_support;

use std::time::Duration;

use domain::{Clock, IdGenerator, Order, OrderId, OrderRepository};

pub use list_orders::PAGE_WEIGHT_LIMIT;
pub use purge_keys::ExpiredKeyPurge;

use crate::{
    Caller, ChangeStatus, ListOrders, OrderPage, OrderService, PlaceOrder, Placed, ServiceError,
};

/// How long an idempotency key is kept by default: a day, so a client retrying after any outage is covered.
pub const DEFAULT_IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The use cases over a repository, a clock and an id generator. Silent: logging and metrics are decorators.
#[derive(Debug, Clone)]
pub struct CoreOrderService<R, C, I> {
    repository: R,
    clock: C,
    ids: I,
    idempotency_retention: Duration,
    record_events: bool,
}

impl<R, C, I> CoreOrderService<R, C, I> {
    /// The service over its three ports, keeping idempotency keys for [`DEFAULT_IDEMPOTENCY_RETENTION`].
    pub const fn new(repository: R, clock: C, ids: I) -> Self {
        Self {
            repository,
            clock,
            ids,
            idempotency_retention: DEFAULT_IDEMPOTENCY_RETENTION,
            record_events: false,
        }
    }

    /// The same, recording an event for each change into the repository's outbox, in the change's transaction
    /// (for a relay to publish). Without it, no event is recorded.
    #[must_use]
    pub const fn recording_events(mut self) -> Self {
        self.record_events = true;
        self
    }

    /// The same, keeping idempotency keys for `retention`: a key older than that may be used again.
    #[must_use]
    pub const fn with_idempotency_retention(mut self, retention: Duration) -> Self {
        self.idempotency_retention = retention;
        self
    }
}

impl<R: OrderRepository, C: Clock, I: IdGenerator> OrderService for CoreOrderService<R, C, I> {
    fn place_order(&self, caller: &Caller, command: PlaceOrder) -> Result<Placed, ServiceError> {
        self.place(caller, command)
    }

    fn find_order(&self, caller: &Caller, id: &OrderId) -> Result<Order, ServiceError> {
        self.find(caller, id)
    }

    fn list_orders(&self, caller: &Caller, query: ListOrders) -> Result<OrderPage, ServiceError> {
        self.list(caller, query)
    }

    fn change_status(&self, caller: &Caller, command: ChangeStatus) -> Result<Order, ServiceError> {
        self.change(caller, command)
    }
}
