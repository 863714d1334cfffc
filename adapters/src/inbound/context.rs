//! The request context: what every transport knows about a call before it reaches the service, and what follows
//! the call onto the executor's threads: the request id, the client's deadline, the authenticated caller and the
//! trace context (the call's SERVER span, when tracing is on).

use std::time::{Duration, Instant};

use application::Caller;

use super::request_id::RequestId;

/// One call's context. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RequestContext {
    request_id: RequestId,
    deadline: Option<Instant>,
    caller: Caller,
    trace: Option<opentelemetry::Context>,
}

impl RequestContext {
    /// A call known by `request_id`, with no deadline, from [`Caller::Anyone`]. When tracing is on, the call belongs
    /// to the trace context current where it is made: the transport makes its SERVER span current before it reads
    /// the call.
    pub fn new(request_id: RequestId) -> Self {
        Self {
            request_id,
            deadline: None,
            caller: Caller::Anyone,
            trace: crate::telemetry::is_on().then(opentelemetry::Context::current),
        }
    }

    /// The trace context the call's work runs in, when tracing is on.
    pub const fn trace(&self) -> Option<&opentelemetry::Context> {
        self.trace.as_ref()
    }

    /// The same call, made by `caller` (as its credentials say).
    #[must_use]
    pub fn with_caller(self, caller: Caller) -> Self {
        Self { caller, ..self }
    }

    /// Who makes the call.
    pub const fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The same call, which the client stops waiting for after `timeout` from now (gRPC's `grpc-timeout`).
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self {
            deadline: Instant::now().checked_add(timeout),
            ..self
        }
    }

    /// The request id.
    pub const fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// When the client stops waiting, if it said.
    pub const fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_expired(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }
}
