//! Runs service calls on actix's blocking thread pool: the service blocks on its database, and an actix worker
//! must never wait on it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use application::{OrderService, ServiceError};

use super::error::ApiError;
use super::request_id::{self, RequestId};

/// The order service as the handlers call it: on the blocking pool, which holds no more threads than the database
/// pool has connections, so calls queue there, first come, first served. A call that waited longer than the queue
/// timeout, when there is one, is answered `503` without running: under overload the service sheds load instead of
/// answering late.
pub(crate) struct ServiceCalls {
    service: Arc<dyn OrderService>,
    queue_timeout: Option<Duration>,
}

impl ServiceCalls {
    pub(crate) fn new(service: Arc<dyn OrderService>, queue_timeout: Option<Duration>) -> Self {
        Self {
            service,
            queue_timeout,
        }
    }

    /// Runs `call` on the blocking pool with `request_id` as the thread's current request id (see
    /// [`current_request_id`](super::current_request_id)), so the service's log lines carry it.
    ///
    /// # Errors
    /// The service's error as an [`ApiError`]; `unavailable` when the call waited too long for a thread, or the
    /// pool cannot run it (shutting down, or the call panicked).
    pub(crate) async fn run<T, F>(&self, request_id: &RequestId, call: F) -> Result<T, ApiError>
    where
        F: FnOnce(&dyn OrderService) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let (request_id, service, queued) = (
            request_id.clone(),
            Arc::clone(&self.service),
            Instant::now(),
        );
        let queue_timeout = self.queue_timeout;
        web::block(move || {
            let waited = queued.elapsed();
            if queue_timeout.is_some_and(|timeout| waited > timeout) {
                return Err(ApiError::unavailable(format!(
                    "waited {waited:?} for a free database connection"
                )));
            }
            let _current = request_id::enter(request_id);
            call(service.as_ref()).map_err(ApiError::from)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use application::MockOrderService;
    use domain::{Order, OrderId};

    use super::*;
    use crate::http::problem::ProblemCode;

    const ID: OrderId = OrderId::from_bytes([7; 16]);

    #[actix_web::test]
    async fn a_call_that_waited_past_the_queue_timeout_is_unavailable_and_never_runs() {
        let mut service = MockOrderService::new();
        service.expect_find_order().times(0);
        let calls = ServiceCalls::new(Arc::new(service), Some(Duration::ZERO));
        let result: Result<Order, ApiError> = calls
            .run(&RequestId::generate(), |service| service.find_order(&ID))
            .await;
        assert!(matches!(result, Err(e) if e.code() == ProblemCode::Unavailable));
    }

    #[actix_web::test]
    async fn a_call_within_the_queue_timeout_runs() {
        let mut service = MockOrderService::new();
        service
            .expect_find_order()
            .times(1)
            .returning(|id| Err(ServiceError::NotFound(*id)));
        let calls = ServiceCalls::new(Arc::new(service), Some(Duration::from_secs(60)));
        let result = calls
            .run(&RequestId::generate(), |service| service.find_order(&ID))
            .await;
        assert!(matches!(result, Err(e) if e.code() == ProblemCode::OrderNotFound));
    }
}
