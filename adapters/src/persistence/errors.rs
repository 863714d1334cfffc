//! Where driver errors become the port's [`RepositoryError`], and nowhere else.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::RepositoryError;

/// Classifies a diesel error by what the caller can do about it.
pub(crate) fn from_diesel(error: DieselError) -> RepositoryError {
    match &error {
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UniqueViolation => RepositoryError::Conflict,
            DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::ReadOnlyTransaction => {
                RepositoryError::Unavailable(Box::new(error))
            }
            _ if is_transient(info.message()) => RepositoryError::Unavailable(Box::new(error)),
            _ => RepositoryError::Other(Box::new(error)),
        },
        DieselError::BrokenTransactionManager => RepositoryError::Unavailable(Box::new(error)),
        _ => RepositoryError::Other(Box::new(error)),
    }
}

/// Errors diesel reports as `Unknown` that are load or timing, not bugs: PostgreSQL's statement timeout and lost
/// connections, SQLite's lock timeout.
fn is_transient(message: &str) -> bool {
    const TRANSIENT: [&str; 5] = [
        "canceling statement due to statement timeout",
        "database is locked",
        "database table is locked",
        "server closed the connection unexpectedly",
        "terminating connection",
    ];
    TRANSIENT.iter().any(|t| message.contains(t))
}

/// Whether a transaction failed only because a concurrent one won (PostgreSQL's `40001`): safe to run again.
pub(crate) fn is_serialization_failure(error: &DieselError) -> bool {
    matches!(
        error,
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)
    )
}

/// No pooled connection within the check-out timeout, or none can be opened: transient by nature.
pub(crate) fn from_pool(error: r2d2::Error) -> RepositoryError {
    RepositoryError::Unavailable(Box::new(error))
}
