//! Runs service calls on actix's blocking thread pool: the service blocks on its database, and an actix worker
//! must never wait on it.

use actix_web::web;
use application::ServiceError;

use super::error::ApiError;
use super::request_id::{self, RequestId};

/// Runs `call` on the blocking pool with `request_id` as the thread's current request id (see
/// [`current_request_id`](super::current_request_id)), so the service's log lines carry it.
///
/// # Errors
/// The service's error as an [`ApiError`]; `unavailable` when the pool cannot run the call (shutting down, or the
/// call panicked).
pub(crate) async fn run<T, F>(request_id: &RequestId, call: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    let request_id = request_id.clone();
    let result = web::block(move || {
        let _current = request_id::enter(request_id);
        call()
    })
    .await?;
    Ok(result?)
}
