//! Decorators (Go kit's `middleware/`): each wraps any [`OrderService`](crate::OrderService), implements the same
//! trait, adds one concern and never changes a result.

mod logging;

pub use logging::LoggingService;
