//! The metrics adapter: the application's `Metrics` port and the transports' request and call metrics, kept in one
//! Prometheus registry and served as text at `GET /metrics`.

use std::time::Duration;

use application::{BreakerState, CallOutcome, Metrics};
use domain::OrderStatus;
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Latency buckets, in seconds: from half a millisecond (a cached read) to five seconds (a statement timeout).
const LATENCY_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Relay lag buckets, in seconds: from a relay that keeps up (tens of milliseconds) to one that waited out a broker
/// outage.
const LAG_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0,
];

/// Connections of the database pool, read when metrics are scraped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Checked out by a request.
    pub in_use: u32,
    /// Open and waiting in the pool.
    pub idle: u32,
}

/// Reads the pool's usage at scrape time.
pub type PoolUsageSource = Box<dyn Fn() -> PoolUsage + Send + Sync>;

/// Every metric of the service, in one registry.
pub struct PrometheusMetrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    grpc_calls: IntCounterVec,
    grpc_duration: HistogramVec,
    repository_duration: HistogramVec,
    orders_placed: IntCounter,
    status_transitions: IntCounterVec,
    breaker_state: IntGauge,
    pool_connections: IntGaugeVec,
    pool_usage: Option<PoolUsageSource>,
    events_published: IntCounter,
    event_publish_errors: IntCounter,
    relay_lag: Histogram,
    outbox_backlog: IntGauge,
    outbox_oldest_age: Gauge,
}

impl std::fmt::Debug for PrometheusMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusMetrics").finish_non_exhaustive()
    }
}

impl PrometheusMetrics {
    /// A registry with every metric at zero.
    ///
    /// # Errors
    /// A `prometheus::Error` when a metric is defined twice or badly (a bug caught at start-up).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("ordersvc".into()), None)?;
        let latency = |name: &str, help: &str| {
            HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec())
        };
        let metrics = Self {
            http_requests: IntCounterVec::new(
                Opts::new(
                    "http_requests_total",
                    "HTTP requests by method, route template and status",
                ),
                &["method", "route", "status"],
            )?,
            http_duration: HistogramVec::new(
                latency(
                    "http_request_duration_seconds",
                    "HTTP request latency by route template",
                ),
                &["route"],
            )?,
            grpc_calls: IntCounterVec::new(
                Opts::new("grpc_calls_total", "gRPC calls by method and status code"),
                &["method", "code"],
            )?,
            grpc_duration: HistogramVec::new(
                latency("grpc_call_duration_seconds", "gRPC call latency by method"),
                &["method"],
            )?,
            repository_duration: HistogramVec::new(
                latency(
                    "repository_call_duration_seconds",
                    "Repository call latency by operation and outcome",
                ),
                &["operation", "outcome"],
            )?,
            orders_placed: IntCounter::new("orders_placed_total", "Orders stored")?,
            status_transitions: IntCounterVec::new(
                Opts::new(
                    "order_status_transitions_total",
                    "Status changes applied, by from and to",
                ),
                &["from", "to"],
            )?,
            breaker_state: IntGauge::new(
                "circuit_breaker_state",
                "The repository circuit breaker: 0 closed, 1 open, 2 half-open",
            )?,
            pool_connections: IntGaugeVec::new(
                Opts::new(
                    "db_pool_connections",
                    "Database pool connections by state (in_use, idle)",
                ),
                &["state"],
            )?,
            pool_usage: None,
            events_published: IntCounter::new(
                "events_published_total",
                "Order events the broker acknowledged",
            )?,
            event_publish_errors: IntCounter::new(
                "event_publish_errors_total",
                "Order events the broker did not take (each is published again)",
            )?,
            relay_lag: Histogram::with_opts(
                HistogramOpts::new(
                    "events_relay_lag_seconds",
                    "From an order's change to the broker's acknowledgement of its event",
                )
                .buckets(LAG_BUCKETS.to_vec()),
            )?,
            outbox_backlog: IntGauge::new(
                "outbox_backlog_events",
                "Order events waiting in the outbox to be published",
            )?,
            outbox_oldest_age: Gauge::new(
                "outbox_oldest_event_age_seconds",
                "How long the oldest unpublished order event has waited (0 when none waits)",
            )?,
            registry,
        };
        metrics.register()?;
        Ok(metrics)
    }

    fn register(&self) -> Result<(), prometheus::Error> {
        self.registry
            .register(Box::new(self.http_requests.clone()))?;
        self.registry
            .register(Box::new(self.http_duration.clone()))?;
        self.registry.register(Box::new(self.grpc_calls.clone()))?;
        self.registry
            .register(Box::new(self.grpc_duration.clone()))?;
        self.registry
            .register(Box::new(self.repository_duration.clone()))?;
        self.registry
            .register(Box::new(self.orders_placed.clone()))?;
        self.registry
            .register(Box::new(self.status_transitions.clone()))?;
        self.registry
            .register(Box::new(self.breaker_state.clone()))?;
        self.registry
            .register(Box::new(self.pool_connections.clone()))?;
        self.registry
            .register(Box::new(self.events_published.clone()))?;
        self.registry
            .register(Box::new(self.event_publish_errors.clone()))?;
        self.registry.register(Box::new(self.relay_lag.clone()))?;
        self.registry
            .register(Box::new(self.outbox_backlog.clone()))?;
        self.registry
            .register(Box::new(self.outbox_oldest_age.clone()))
    }

    /// Reports the pool's connections through `source` at each scrape.
    #[must_use]
    pub fn with_pool_usage(mut self, source: PoolUsageSource) -> Self {
        self.pool_usage = Some(source);
        self
    }

    /// Counts one HTTP request: `route` is the matched template (`/orders/{id}`), never the raw path, so the number
    /// of series stays bounded.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.http_requests
            .with_label_values(&[method, route, &status])
            .inc();
        self.http_duration
            .with_label_values(&[route])
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one gRPC call: `method` is a known full method name (`/orders.v1.OrderService/GetOrder`) or `other`,
    /// `code` the status code's name (`NOT_FOUND`).
    pub fn observe_grpc_call(&self, method: &str, code: &str, elapsed: Duration) {
        self.grpc_calls.with_label_values(&[method, code]).inc();
        self.grpc_duration
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    /// Every metric in the Prometheus text format.
    ///
    /// # Errors
    /// A `prometheus::Error` when encoding fails.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        if let Some(usage) = &self.pool_usage {
            let PoolUsage { in_use, idle } = usage();
            self.pool_connections
                .with_label_values(&["in_use"])
                .set(i64::from(in_use));
            self.pool_connections
                .with_label_values(&["idle"])
                .set(i64::from(idle));
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        String::from_utf8(text).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

impl Metrics for PrometheusMetrics {
    fn repository_call(&self, operation: &'static str, outcome: CallOutcome, elapsed: Duration) {
        self.repository_duration
            .with_label_values(&[operation, outcome.as_str()])
            .observe(elapsed.as_secs_f64());
    }

    fn order_placed(&self) {
        self.orders_placed.inc();
    }

    fn status_changed(&self, from: OrderStatus, to: OrderStatus) {
        self.status_transitions
            .with_label_values(&[from.as_str(), to.as_str()])
            .inc();
    }

    fn breaker_state(&self, state: BreakerState) {
        self.breaker_state.set(state.as_gauge());
    }

    fn event_published(&self, lag: Duration) {
        self.events_published.inc();
        self.relay_lag.observe(lag.as_secs_f64());
    }

    fn event_publish_failed(&self) {
        self.event_publish_errors.inc();
    }

    fn outbox_backlog(&self, count: u64, oldest_age: Duration) {
        self.outbox_backlog
            .set(i64::try_from(count).unwrap_or(i64::MAX));
        self.outbox_oldest_age.set(oldest_age.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_events_render_as_prometheus_text() {
        let metrics = PrometheusMetrics::new()
            .unwrap()
            .with_pool_usage(Box::new(|| PoolUsage { in_use: 2, idle: 3 }));
        metrics.order_placed();
        metrics.status_changed(OrderStatus::Pending, OrderStatus::Accepted);
        metrics.breaker_state(BreakerState::Open);
        metrics.event_published(Duration::from_millis(30));
        metrics.event_publish_failed();
        metrics.outbox_backlog(4, Duration::from_millis(1500));
        metrics.repository_call("find", CallOutcome::Unavailable, Duration::from_millis(3));
        metrics.observe_request("GET", "/orders/{id}", 404, Duration::from_millis(1));
        metrics.observe_grpc_call(
            "/orders.v1.OrderService/GetOrder",
            "NOT_FOUND",
            Duration::from_millis(1),
        );
        let text = metrics.render().unwrap();
        for line in [
            "ordersvc_orders_placed_total 1",
            r#"ordersvc_order_status_transitions_total{from="Pending",to="Accepted"} 1"#,
            "ordersvc_circuit_breaker_state 1",
            r#"ordersvc_repository_call_duration_seconds_count{operation="find",outcome="unavailable"} 1"#,
            r#"ordersvc_http_requests_total{method="GET",route="/orders/{id}",status="404"} 1"#,
            r#"ordersvc_http_request_duration_seconds_bucket{route="/orders/{id}",le="0.0025"} 1"#,
            r#"ordersvc_grpc_calls_total{code="NOT_FOUND",method="/orders.v1.OrderService/GetOrder"} 1"#,
            r#"ordersvc_db_pool_connections{state="in_use"} 2"#,
            r#"ordersvc_db_pool_connections{state="idle"} 3"#,
            "ordersvc_events_published_total 1",
            "ordersvc_event_publish_errors_total 1",
            r#"ordersvc_events_relay_lag_seconds_bucket{le="0.05"} 1"#,
            "ordersvc_outbox_backlog_events 4",
            "ordersvc_outbox_oldest_event_age_seconds 1.5",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
