//! # domain: the innermost layer of ordersvc
//!
//! The `Order` aggregate, its value objects (ids, [`Money`], [`Quantity`], ...), the status lifecycle, validation,
//! and the driven ports ([`OrderRepository`], [`Clock`], [`IdGenerator`]) that adapters implement.
//!
//! **May depend on**: `thiserror`, `uuid`, `unicode-normalization` and `unicode-properties` (pure tables, for NFC
//! and the `Cf` category), and `mockall` behind the off-by-default `mocks` feature, which exports
//! `MockOrderRepository`, `MockClock` and `MockIdGenerator` to other crates' tests. **Must not** do IO or depend on
//! serde, diesel, actix, tokio or `log`: it builds and tests in seconds, with no database and no runtime.
//!
//! **Go kit counterpart**: `order.go` (the `Order` entity and the `Repository` interface), with the rules that
//! service left out: a real lifecycle, validation, and money that is not a float.

mod decimal;
mod events;
mod idempotency;
mod ids;
mod listing;
mod money;
mod order;
mod order_draft;
mod order_item;
mod order_status;
mod ports;
#[cfg(test)]
mod properties;
mod text;
mod time;
mod validation;

pub use events::{Backlog, EventId, OrderChange, OrderEvent};
pub use idempotency::{
    IdempotencyKey, IdempotencyRecord, Insertion, InvalidIdempotencyKey, KeyOwner,
    RequestFingerprint,
};
pub use ids::{CustomerId, OperatorId, OrderId, ParseOrderIdError, ProductCode, RestaurantId};
pub use listing::{InvalidPageSize, OrderFilter, OrderPosition, PageSize};
pub use money::{Money, ParseMoneyError};
pub use order::{
    InvalidItemCount, NewOrder, Order, OrderItems, StatusChange, StoredOrder, Version,
};
pub use order_draft::{OrderDraft, OrderItemDraft};
pub use order_item::{InvalidQuantity, InvalidUnitPrice, ItemName, OrderItem, Quantity, UnitPrice};
pub use order_status::{InvalidTransition, OrderStatus, ParseOrderStatusError};
pub use ports::{
    BoxError, Clock, EventPublisher, IdGenerator, OrderRepository, Outbox, PublishError,
    RepositoryError,
};
#[cfg(feature = "mocks")]
pub use ports::{MockClock, MockEventPublisher, MockIdGenerator, MockOrderRepository, MockOutbox};
pub use text::{InvalidText, is_refused_in_text};
pub use time::Timestamp;
pub use validation::{FieldError, ValidationErrors};
