//! The access log and the request metrics: one `info` line per request, with target `access` so it can be routed or
//! silenced on its own, and the same facts (method, route, status, duration) counted in Prometheus.

use std::time::Instant;

use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, StatusCode};
use actix_web::web;
use application::Caller;

use super::route_table::is_operational;
use crate::inbound::RequestId;
use crate::metrics::PrometheusMetrics;

/// What the access log line needs from a request, taken before the request is handed on.
#[derive(Debug)]
pub(crate) struct AccessLog {
    started: Instant,
    method: Method,
    route: Option<String>,
    peer: Option<String>,
    metrics: Option<web::Data<PrometheusMetrics>>,
}

impl AccessLog {
    /// Starts timing `req`. The route is the matched template (`/orders/{id}`), never the path: it keeps ids out of
    /// the log's cardinality and is what a dashboard groups by.
    pub(crate) fn start(req: &ServiceRequest) -> Self {
        Self {
            started: Instant::now(),
            method: req.method().clone(),
            route: req.match_pattern(),
            peer: req.peer_addr().map(|peer| peer.to_string()),
            metrics: req.app_data::<web::Data<PrometheusMetrics>>().cloned(),
        }
    }

    /// Writes the line for a request answered with `status`, made by `caller` when it was authenticated (`-` for
    /// routes that take no credentials, and for a request refused before). The time is until the response head was
    /// ready. The credentials themselves are never logged.
    pub(crate) fn finish(
        self,
        status: StatusCode,
        request_id: &RequestId,
        caller: Option<&Caller>,
    ) {
        let elapsed = self.started.elapsed();
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        let route = self.route.as_deref().unwrap_or("-");
        if let Some(metrics) = &self.metrics {
            metrics.observe_request(method_label(&self.method), route, status.as_u16(), elapsed);
        }
        // Probes and scrapes come every few seconds from machines, documentation in bursts; a success is not news.
        let level = if status.is_success() && is_operational(route) {
            log::Level::Debug
        } else {
            log::Level::Info
        };
        // Structured fields, so a JSON log has them as members; rounded to microseconds.
        let duration_ms = (duration_ms * 1000.0).round() / 1000.0;
        log::log!(
            target: "access",
            level,
            method = self.method.as_str(),
            route = route,
            status = status.as_u16(),
            duration_ms = duration_ms,
            request_id = request_id.as_str(),
            caller:% = caller.map_or_else(|| "-".to_owned(), ToString::to_string),
            peer = self.peer.as_deref().unwrap_or("-");
            ""
        );
    }
}

/// The method as a metric label: the standard ones by name, anything else as `other`, so a client cannot create
/// series at will.
pub(crate) fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
        Method::CONNECT,
        Method::TRACE,
    ];
    STANDARD
        .iter()
        .find(|m| *m == method)
        .map_or("other", Method::as_str)
}
