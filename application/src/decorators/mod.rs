//! Decorators (Go kit's `middleware/`): each wraps any [`OrderService`](crate::OrderService) or
//! [`OrderRepository`](domain::OrderRepository), implements the same trait, adds one concern and never changes a
//! result (the [`CircuitBreaker`] changes one on purpose: while open, it answers `Unavailable` without asking the store).

mod circuit_breaker;
mod logging;
mod metrics;

pub use circuit_breaker::{BreakerOpen, BreakerSettings, CircuitBreaker};
pub use logging::LoggingService;
pub use metrics::MetricsRepository;
