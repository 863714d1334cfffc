//! The driving port: what the order service offers its transports (Go kit's `Service` interface).

use std::sync::Arc;

use domain::{
    IdempotencyKey, Order, OrderDraft, OrderFilter, OrderId, OrderPosition, OrderStatus, PageSize,
    Version,
};

use crate::{Caller, ServiceError};

/// A request to place an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    /// The order as the client sent it.
    pub draft: OrderDraft,
    /// With a key, a retry of the same request returns the first attempt's order instead of making another; the
    /// same key with another order is refused. The service fingerprints the validated order to tell them apart.
    pub idempotency_key: Option<IdempotencyKey>,
}

/// A placed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Its id.
    pub id: OrderId,
    /// Whether an earlier request with the same idempotency key placed it (nothing new was stored).
    pub replayed: bool,
}

/// A request to move an order to another status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeStatus {
    /// The order.
    pub id: OrderId,
    /// The status it should have.
    pub status: OrderStatus,
    /// When set, change only an order at this version (an HTTP `If-Match`).
    pub expected_version: Option<Version>,
}

/// A request for one page of orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOrders {
    /// Which orders.
    pub filter: OrderFilter,
    /// How many at most.
    pub limit: PageSize,
    /// Start after this position (from the previous page's `next`); the newest orders when `None`.
    pub after: Option<OrderPosition>,
}

/// One page of orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    /// The orders, newest first.
    pub orders: Vec<Order>,
    /// Where the next page starts, or `None` when this page is the last.
    pub next: Option<OrderPosition>,
}

/// The order service's use cases. Implemented by the core service and by each decorator that wraps one.
///
/// Methods are synchronous and block (the repository does IO); transports call them on a blocking thread pool.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait OrderService: Send + Sync {
    /// Validates the draft and stores it as a new `Pending` order; returns its id. With an idempotency key held by an
    /// earlier request of the same caller with the same content, returns that request's order and stores nothing.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] when the [policy](crate::policy) does not let `caller` place it;
    /// [`ServiceError::Invalid`] naming every broken rule; `IdempotencyKeyReused` when the caller used the key for a
    /// request with other content; `Unavailable` or `Internal` when storage fails.
    fn place_order(&self, caller: &Caller, command: PlaceOrder) -> Result<Placed, ServiceError>;

    /// The order with this id.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], also when `caller` may not see the order; `Unavailable` or `Internal` when storage
    /// fails.
    fn find_order(&self, caller: &Caller, id: &OrderId) -> Result<Order, ServiceError>;

    /// One page of the orders matching the query's filter, newest first, among those `caller` may see.
    ///
    /// # Errors
    /// `Forbidden` when the filter names another customer or restaurant than the caller; `Unavailable` or
    /// `Internal` when storage fails.
    fn list_orders(&self, caller: &Caller, query: ListOrders) -> Result<OrderPage, ServiceError>;

    /// Moves an order along its lifecycle and returns it as stored afterwards. Asking for the status the order has
    /// already succeeds and changes nothing, so a client can retry safely.
    ///
    /// # Errors
    /// `NotFound`, also when `caller` may not see the order; `Forbidden` when the caller may not ask for this step;
    /// `InvalidTransition` when the lifecycle forbids it; `VersionMismatch` when
    /// `expected_version` is stale; `Unavailable` or `Internal` when storage fails.
    fn change_status(&self, caller: &Caller, command: ChangeStatus) -> Result<Order, ServiceError>;
}

/// A shared service is a service: the composition root keeps one `Arc` of the core for the background purge and
/// wraps another in the decorators.
impl<S: OrderService + ?Sized> OrderService for Arc<S> {
    fn place_order(&self, caller: &Caller, command: PlaceOrder) -> Result<Placed, ServiceError> {
        (**self).place_order(caller, command)
    }

    fn find_order(&self, caller: &Caller, id: &OrderId) -> Result<Order, ServiceError> {
        (**self).find_order(caller, id)
    }

    fn list_orders(&self, caller: &Caller, query: ListOrders) -> Result<OrderPage, ServiceError> {
        (**self).list_orders(caller, query)
    }

    fn change_status(&self, caller: &Caller, command: ChangeStatus) -> Result<Order, ServiceError> {
        (**self).change_status(caller, command)
    }
}
