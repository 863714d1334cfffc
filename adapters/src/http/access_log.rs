//! The access log: one `info` line per request, with target `access`, so it can be routed or silenced on its own.

use std::time::Instant;

use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, StatusCode};

use super::request_id::RequestId;

/// Routes whose successful requests are logged at `debug` only.
const QUIET_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// What the access log line needs from a request, taken before the request is handed on.
#[derive(Debug)]
pub(crate) struct AccessLog {
    started: Instant,
    method: Method,
    route: Option<String>,
    peer: Option<String>,
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
        }
    }

    /// Writes the line for a request answered with `status`. The time is until the response head was ready.
    pub(crate) fn finish(self, status: StatusCode, request_id: &RequestId) {
        let duration_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let route = self.route.as_deref().unwrap_or("-");
        // Probes and scrapes come every few seconds from machines; a successful one is not news.
        let level = if status.is_success() && QUIET_ROUTES.contains(&route) {
            log::Level::Debug
        } else {
            log::Level::Info
        };
        log::log!(
            target: "access",
            level,
            "method={} route={} status={} duration_ms={duration_ms:.3} request_id={request_id} peer={}",
            self.method,
            route,
            status.as_u16(),
            self.peer.as_deref().unwrap_or("-"),
        );
    }
}
