//! The route table and the assembled actix `App`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, Resource, Route, web};
use application::OrderService;

use super::blocking::ServiceCalls;
use super::client_ip::TrustedProxies;
use super::cursor::CursorCodec;
use super::endpoints::{Endpoint, actix_method, endpoints};
use super::error::ApiError;
use super::health::Health;
use super::middleware::request_context;
use super::rate_limit::RateLimiter;
use super::throttle::{Throttle, throttle};
use crate::metrics::PrometheusMetrics;

/// What the HTTP transport serves with; cheap to clone, one clone per worker, all sharing the same instances.
#[derive(Clone)]
pub struct HttpContext {
    service: Arc<dyn OrderService>,
    queue_timeout: Option<Duration>,
    health: Arc<Health>,
    cursors: Arc<CursorCodec>,
    metrics: Option<Arc<PrometheusMetrics>>,
    throttle: Option<Arc<Throttle>>,
}

impl HttpContext {
    /// The order service behind the API routes, the instance's health behind the probes, and the codec of listing
    /// cursors (with the key every instance shares); no metrics, no rate limit.
    pub fn new(service: Arc<dyn OrderService>, health: Arc<Health>, cursors: CursorCodec) -> Self {
        Self {
            service,
            queue_timeout: None,
            health,
            cursors: Arc::new(cursors),
            metrics: None,
            throttle: None,
        }
    }

    /// The same, answering `503` to a call that waited longer than `timeout` for a free database connection (the
    /// binary passes the pool's check-out timeout). Without it, calls wait as long as it takes.
    #[must_use]
    pub fn with_queue_timeout(self, timeout: Duration) -> Self {
        Self {
            queue_timeout: Some(timeout),
            ..self
        }
    }

    /// Counts every request in `metrics` and serves them at `GET /metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<PrometheusMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The same, with every client limited by `limiter` (all workers share its buckets). A client is the peer's
    /// address, or, when the peer is one of `proxies`, the client it names in `X-Forwarded-For`.
    #[must_use]
    pub fn with_rate_limit(self, limiter: Arc<RateLimiter>, proxies: TrustedProxies) -> Self {
        Self {
            throttle: Some(Arc::new(Throttle { limiter, proxies })),
            ..self
        }
    }
}

/// The whole HTTP API: the routes of [`endpoints`] (orders, health probes, metrics, the API document and its
/// reference page), the request id and access log middleware, the rate limit (when the context has one), and
/// problem responses for unknown paths (404) and methods (405).
///
/// Build one per worker: `HttpServer::new(move || adapters::http::app(context.clone()))`. Every worker shares the
/// one service; its calls run on actix's blocking pool.
pub fn app(
    context: HttpContext,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limited = context.throttle.is_some();
    let mut app = App::new()
        .app_data(web::Data::new(ServiceCalls::new(
            context.service,
            context.queue_timeout,
        )))
        .app_data(web::Data::from(context.health))
        .app_data(web::Data::from(context.cursors));
    if let Some(metrics) = context.metrics {
        app = app.app_data(web::Data::from(metrics));
    }
    if let Some(limit) = context.throttle {
        app = app.app_data(web::Data::from(limit));
    }
    // The last `wrap` runs first: `request_context` sees the rate limit's refusals like any other answer. Without a
    // limit, `Condition` leaves one branch per request.
    let mut app = app
        .wrap(Condition::new(limited, from_fn(throttle)))
        .wrap(from_fn(request_context));
    for resource in resources(endpoints()) {
        app = app.service(resource);
    }
    app.default_service(web::to(route_not_found))
}

/// One actix resource per path of `endpoints`, in table order, each answering a method it has no route for with a
/// 405 whose `Allow` names the methods it has.
fn resources(endpoints: Vec<Endpoint>) -> Vec<Resource> {
    let mut paths: Vec<(String, Vec<String>, Vec<Route>)> = Vec::new();
    for endpoint in endpoints {
        let methods = endpoint.methods.iter().map(|m| actix_method(m).to_string());
        match paths.iter_mut().find(|(path, ..)| *path == endpoint.path) {
            Some((_, allow, routes)) => {
                allow.extend(methods);
                routes.push(endpoint.route);
            }
            None => paths.push((endpoint.path, methods.collect(), vec![endpoint.route])),
        }
    }
    paths
        .into_iter()
        .map(|(path, allow, routes)| {
            let allow = allow.join(", ");
            let resource = web::resource(path)
                .default_service(web::to(move || method_not_allowed(allow.clone())));
            routes.into_iter().fold(resource, Resource::route)
        })
        .collect()
}

/// The fallback for a path no route has.
async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::route_not_found())
}

async fn method_not_allowed(allow: String) -> Result<HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed(allow))
}
