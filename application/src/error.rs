//! The errors of the order service: one exhaustive enum, so a new case breaks every transport's mapping at compile
//! time instead of falling through to a generic failure.

use crate::policy::Forbidden;
use domain::{InvalidTransition, OrderId, RepositoryError, ValidationErrors, Version};
use thiserror::Error;

/// Why a use case did not succeed.
#[derive(Debug, Error)]
pub enum ServiceError {
    /// No order has this id.
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// The input broke one or more rules; each is named.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The lifecycle does not allow the requested status from the current one.
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    /// The caller decided on a version of the order that is no longer current.
    #[error("the order is at version {actual}, not {expected}")]
    VersionMismatch {
        /// The version the caller expected.
        expected: Version,
        /// The version the order has.
        actual: Version,
    },
    /// The caller may not do this (it may see the order, or there is no order involved).
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// The idempotency key belongs to an earlier request with other content.
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    /// A dependency is down or overloaded; the same request may succeed later.
    #[error("the order service is unavailable")]
    Unavailable(#[source] RepositoryError),
    /// A bug or corrupt data; retrying will not help.
    #[error("the order service failed")]
    Internal(#[source] RepositoryError),
}

impl From<RepositoryError> for ServiceError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable(_) => Self::Unavailable(error),
            RepositoryError::Conflict | RepositoryError::Other(_) => Self::Internal(error),
        }
    }
}

/// `error` and its sources, outermost first, joined as `a: b: c`: the one way ordersvc renders a cause for a log line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
