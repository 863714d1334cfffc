//! What a transport serves with: the same instances for every transport, so a call reaches the same service (one
//! executor, wrapped once in its decorators), the same health, cursor key, metrics registry and rate limit (a
//! client has one budget whichever transport it calls).

use std::sync::Arc;

use super::{ClientRateLimit, CursorCodec, Health, ServiceExecutor};
use crate::metrics::PrometheusMetrics;

/// The shared instances a transport is built from; cheap to clone, every clone sharing them.
#[derive(Debug, Clone)]
pub struct ServingContext {
    pub(crate) executor: Arc<ServiceExecutor>,
    pub(crate) health: Arc<Health>,
    pub(crate) cursors: Arc<CursorCodec>,
    pub(crate) metrics: Option<Arc<PrometheusMetrics>>,
    pub(crate) rate_limit: Option<Arc<ClientRateLimit>>,
}

impl ServingContext {
    /// The order service (through the executor), the instance's health behind the probes, and the codec of
    /// listing cursors (with the key every instance shares); no metrics, no rate limit.
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
}
