//! # application: the use cases of ordersvc
//!
//! The driving port [`OrderService`] (Go kit's `Service` interface), its core implementation [`CoreOrderService`]
//! (Go kit's `implementation/`), the service's typed errors, and decorators (Go kit's `middleware/`) that wrap any
//! `OrderService` and add one concern each, such as [`LoggingService`].
//!
//! **May depend on**: `domain`, `thiserror`, `sha2` (the idempotency fingerprint) and the `log` facade (never a
//! logger implementation). **Must not**
//! depend on diesel, actix, tokio, r2d2 or serde: the use cases are tested with `mockall` mocks of the ports, with no
//! database and no runtime. The `mocks` feature exports `MockOrderService` for transports' tests.
//!
//! Wiring reads like Go kit's: `LoggingService::new(CoreOrderService::new(repository, clock, ids))`.

mod caller;
pub mod decorators;
mod error;
mod fingerprint;
mod metrics;
pub mod policy;
mod relay;
mod service;
mod use_cases;

pub use caller::{Caller, Role};
pub use decorators::{
    BreakerOpen, BreakerSettings, CircuitBreaker, LoggingService, MetricsRepository,
};
pub use error::{ServiceError, error_chain};
#[cfg(any(test, feature = "mocks"))]
pub use metrics::MockMetrics;
pub use metrics::{BreakerState, CallOutcome, Metrics};
pub use policy::Forbidden;
pub use relay::{EventRelay, RelaySettings, RelayedBatch};
#[cfg(any(test, feature = "mocks"))]
pub use service::MockOrderService;
pub use service::{ChangeStatus, ListOrders, OrderPage, OrderService, PlaceOrder, Placed};
pub use use_cases::{
    CoreOrderService, DEFAULT_IDEMPOTENCY_RETENTION, ExpiredKeyPurge, PAGE_WEIGHT_LIMIT,
};
