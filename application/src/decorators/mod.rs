//! Decorators (Go kit's `middleware/`): each wraps any [`OrderService`](crate::OrderService) or
//! [`OrderRepository`](domain::OrderRepository), implements the same trait, adds one concern and never changes a
//! result.

mod logging;
mod metrics;

pub use logging::LoggingService;
pub use metrics::MetricsRepository;
