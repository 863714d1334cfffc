//! What a transport serves with: the same instances for every transport, so a call reaches the same service (one
//! executor, wrapped once in its decorators), the same health, cursor key, metrics registry and rate limit (a
//! client has one budget whichever transport it calls).

use std::sync::Arc;
use std::time::Duration;

use super::{Authenticator, ClientRateLimit, CursorCodec, Health, ServiceExecutor};
use crate::metrics::PrometheusMetrics;

/// How long a client may take to send a request's body (HTTP) or a call's message (gRPC), unless configured.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The shared instances a transport is built from; cheap to clone, every clone sharing them.
#[derive(Debug, Clone)]
pub struct ServingContext {
    pub(crate) executor: Arc<ServiceExecutor>,
    pub(crate) health: Arc<Health>,
    pub(crate) cursors: Arc<CursorCodec>,
    pub(crate) metrics: Option<Arc<PrometheusMetrics>>,
    pub(crate) rate_limit: Option<Arc<ClientRateLimit>>,
    /// Who a call is from: the same verdict on either transport.
    pub(crate) authenticator: Arc<Authenticator>,
    /// How long a client may take to send a request's body or a call's message, from the first read.
    pub(crate) body_timeout: Duration,
}

impl ServingContext {
    /// The order service (through the executor), the instance's health behind the probes, and the codec of
    /// listing cursors (with the key every instance shares); no metrics, no rate limit, no authentication, the
    /// default body timeout.
    pub fn new(
        executor: Arc<ServiceExecutor>,
        health: Arc<Health>,
        cursors: Arc<CursorCodec>,
    ) -> Self {
        Self {
            executor,
            health,
            cursors,
            metrics: None,
            rate_limit: None,
            authenticator: Arc::new(Authenticator::off()),
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }

    /// Counts every request and call in `metrics`, which `GET /metrics` serves.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<PrometheusMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Limits every client by `limit`.
    #[must_use]
    pub fn with_rate_limit(mut self, limit: Arc<ClientRateLimit>) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Authenticates every order call with `authenticator` (the probes, metrics and API documents stay open).
    #[must_use]
    pub fn with_authenticator(mut self, authenticator: Arc<Authenticator>) -> Self {
        self.authenticator = authenticator;
        self
    }

    /// Cuts off a request whose body (a call whose message) has not fully arrived `timeout` after it began to be
    /// read: a stalled client does not hold its connection forever.
    #[must_use]
    pub const fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }
}
