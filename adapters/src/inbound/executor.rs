//! The executor: runs the blocking service calls of every transport on a fixed set of threads, off the transports'
//! async workers (the service blocks on its database, and an async worker must never wait on it).
//!
//! It is owned by the composition root, which sizes it like the database pool: a call then never waits inside the
//! pool, where a thread that just arrived can take a returned connection before one that has waited, but here, in
//! one first-come, first-served queue. Under overload it sheds load instead of answering late: a call that waited
//! longer than the queue timeout is answered `unavailable` without running. A call whose client's deadline passed,
//! or whose client stopped waiting, while it was queued never runs either.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use application::{Caller, OrderService, ServiceError};
use thiserror::Error;
use tokio::sync::oneshot;

use super::context::RequestContext;
use super::failure::Failure;
use super::request_id;

/// A queued piece of work.
type Job = Box<dyn FnOnce() + Send>;

/// The executor stopped before it could run the work (the process is shutting down), or the work panicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the executor did not finish the work: it stopped, or the work panicked")]
pub struct NotRun;

/// The order service as every transport calls it: on the executor's threads, with the call's context.
pub struct ServiceExecutor {
    service: Arc<dyn OrderService>,
    queue_timeout: Option<Duration>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ServiceExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceExecutor")
            .field("queue_timeout", &self.queue_timeout)
            .field("queued", &self.shared.lock().jobs.len())
            .finish_non_exhaustive()
    }
}

/// The queue, and the signal that it has work or was closed.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

impl ServiceExecutor {
    /// Starts `threads` threads running calls of `service`. With a `queue_timeout`, a call that waited longer than
    /// that for a thread is answered `unavailable` without running.
    ///
    /// # Errors
    /// When the operating system refuses a thread.
    pub fn start(
        service: Arc<dyn OrderService>,
        threads: NonZeroUsize,
        queue_timeout: Option<Duration>,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        for index in 0..threads.get() {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("service-{index}"))
                .spawn(move || shared.work())?;
        }
        Ok(Self {
            service,
            queue_timeout,
            shared,
        })
    }

    /// Runs `call` on the service for the context's caller, with the context's request id as the thread's current
    /// one (see [`current_request_id`](super::current_request_id)), so the service's log lines carry it, and with
    /// its trace context as the thread's current one, so the spans beneath belong to the call.
    ///
    /// # Errors
    /// The service's error as a [`Failure`]; `unavailable` when the call waited longer than the queue timeout or
    /// the executor stopped; `deadline_exceeded` when the context's deadline passed first; `internal` when the
    /// call panicked (the executor keeps serving).
    pub async fn run<T, F>(&self, context: &RequestContext, call: F) -> Result<T, Failure>
    where
        F: FnOnce(&dyn OrderService, &Caller) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let (service, queued) = (Arc::clone(&self.service), Instant::now());
        let (queue_timeout, call_context) = (self.queue_timeout, context.clone());
        let work = move || {
            if call_context.is_expired() {
                return Err(Failure::deadline_exceeded());
            }
            let waited = queued.elapsed();
            if queue_timeout.is_some_and(|timeout| waited > timeout) {
                return Err(Failure::unavailable(format!(
                    "waited {waited:?} for a free database connection"
                )));
            }
            let _current = request_id::enter(call_context.request_id().clone());
            // The trace context does not follow the closure onto this thread by itself.
            let _trace = call_context
                .trace()
                .cloned()
                .map(opentelemetry::Context::attach);
            call(service.as_ref(), call_context.caller()).map_err(Failure::from)
        };
        let outcome = match context.deadline() {
            None => self.spawn(work).await,
            Some(deadline) => tokio::time::timeout_at(deadline.into(), self.spawn(work))
                .await
                .unwrap_or_else(|_| Ok(Err(Failure::deadline_exceeded()))),
        };
        outcome.unwrap_or_else(|not_run| Err(Failure::internal(not_run)))
    }

    /// Runs `work` on the executor's threads, after the calls queued before it; it is dropped unrun if the caller
    /// stops waiting first.
    ///
    /// # Errors
    /// [`NotRun`] when the executor stopped first or `work` panicked.
    pub async fn spawn<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, NotRun> {
        let (sender, receiver) = oneshot::channel();
        let job: Job = Box::new(move || {
            if sender.is_closed() {
                return;
            }
            if let Ok(result) = catch_unwind(AssertUnwindSafe(work)) {
                let _gone = sender.send(result);
            }
        });
        {
            let mut queue = self.shared.lock();
            if queue.closed {
                return Err(NotRun);
            }
            queue.jobs.push_back(job);
        }
        self.shared.changed.notify_one();
        receiver.await.map_err(|_| NotRun)
    }
}

impl Drop for ServiceExecutor {
    /// Lets the threads finish what is queued, then stop.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A job runs outside the lock, so the queue is consistent even after a panic elsewhere.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A thread's life: the next job, until the queue is closed and empty.
    fn work(&self) {
        loop {
            let job = {
                let mut queue = self.lock();
                loop {
                    if let Some(job) = queue.jobs.pop_front() {
                        break job;
                    }
                    if queue.closed {
                        return;
                    }
                    queue = self
                        .changed
                        .wait(queue)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            };
            job();
        }
    }
}

#[cfg(test)]
mod tests {
    use application::MockOrderService;
    use domain::{Order, OrderId};

    use super::*;
    use crate::inbound::{ErrorCode, RequestId, current_request_id};

    const ID: OrderId = OrderId::from_bytes([7; 16]);

    fn executor(service: MockOrderService, queue_timeout: Option<Duration>) -> ServiceExecutor {
        ServiceExecutor::start(Arc::new(service), NonZeroUsize::MIN, queue_timeout).unwrap()
    }

    fn context() -> RequestContext {
        RequestContext::new(RequestId::generate())
    }

    #[tokio::test]
    async fn a_call_that_waited_past_the_queue_timeout_is_unavailable_and_never_runs() {
        let mut service = MockOrderService::new();
        service.expect_find_order().times(0);
        let executor = executor(service, Some(Duration::ZERO));
        let result: Result<Order, Failure> = executor
            .run(&context(), |service, caller| {
                service.find_order(caller, &ID)
            })
            .await;
        assert!(matches!(result, Err(e) if e.code() == ErrorCode::Unavailable));
    }

    #[tokio::test]
    async fn a_call_within_the_queue_timeout_runs_with_its_request_id() {
        let mut service = MockOrderService::new();
        service.expect_find_order().times(1).returning(|_, id| {
            assert!(current_request_id().is_some());
            Err(ServiceError::NotFound(*id))
        });
        let executor = executor(service, Some(Duration::from_secs(60)));
        let result = executor
            .run(&context(), |service, caller| {
                service.find_order(caller, &ID)
            })
            .await;
        assert!(matches!(result, Err(e) if e.code() == ErrorCode::OrderNotFound));
    }

    #[tokio::test]
    async fn a_call_whose_deadline_passed_never_runs() {
        let mut service = MockOrderService::new();
        service.expect_find_order().times(0);
        let executor = executor(service, None);
        let expired = context().with_timeout(Duration::ZERO);
        let result = executor
            .run(&expired, |service, caller| service.find_order(caller, &ID))
            .await;
        assert!(matches!(result, Err(e) if e.code() == ErrorCode::DeadlineExceeded));
    }

    #[tokio::test]
    async fn a_panicking_call_is_internal_and_the_executor_keeps_serving() {
        let executor = executor(MockOrderService::new(), None);
        let panicked: Result<(), Failure> = executor
            .run(&context(), |_, _| -> Result<(), ServiceError> {
                panic!("a bug in the service")
            })
            .await;
        assert!(matches!(panicked, Err(e) if e.code() == ErrorCode::Internal));
        assert_eq!(executor.spawn(|| 42).await, Ok(42));
    }
}
