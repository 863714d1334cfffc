//! The route table and the assembled actix `App`.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, Resource, web};
use application::OrderService;

use super::error::ApiError;
use super::handlers;
use super::health::{self, Health};
use super::middleware::request_context;
use super::scrape;
use crate::metrics::PrometheusMetrics;

/// What the HTTP transport serves with; cheap to clone, one clone per worker, all sharing the same instances.
#[derive(Clone)]
pub struct HttpContext {
    service: Arc<dyn OrderService>,
    health: Arc<Health>,
    metrics: Option<Arc<PrometheusMetrics>>,
}

impl HttpContext {
    /// The order service behind the API routes, and the instance's health behind the probes.
    pub fn new(service: Arc<dyn OrderService>, health: Arc<Health>) -> Self {
        Self {
            service,
            health,
            metrics: None,
        }
    }

    /// Counts every request in `metrics` and serves them at `GET /metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<PrometheusMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

/// The whole HTTP API: the order routes, the health probes, the request id and access log middleware, and problem
/// responses for unknown paths (404) and methods (405).
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
    let mut app = App::new()
        .app_data(web::Data::from(context.service))
        .app_data(web::Data::from(context.health));
    if let Some(metrics) = context.metrics {
        app = app.app_data(web::Data::from(metrics));
    }
    app.wrap(from_fn(request_context))
        .service(resource("/metrics", "GET").route(web::get().to(scrape::metrics)))
        .service(resource("/healthz", "GET").route(web::get().to(health::liveness)))
        .service(resource("/readyz", "GET").route(web::get().to(health::readiness)))
        // Before `/orders/{id}`, which would match `status` as an id.
        .service(resource("/orders/status", "POST").route(web::post().to(handlers::change_status)))
        .service(resource("/orders/{id}", "GET").route(web::get().to(handlers::find_order)))
        .service(resource("/orders", "POST").route(web::post().to(handlers::place_order)))
        .default_service(web::to(route_not_found))
}

/// A resource that answers any method it has no route for with a 405 naming the methods in `allow`.
fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || method_not_allowed(allow)))
}

/// The fallback for a path no route has.
async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::route_not_found())
}

async fn method_not_allowed(allow: &'static str) -> Result<HttpResponse, ApiError> {
    Err(ApiError::method_not_allowed(allow))
}
