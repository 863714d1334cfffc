//! The assembled actix `App`: the route table's routes, the middleware, and the fallbacks.

use std::sync::{Arc, LazyLock};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, Resource, Route, web};

use super::api_docs::ApiDocument;
use super::error::ApiError;
use super::middleware::request_context;
use super::rate_limit::enforce_rate_limit;
use super::route_table::{Endpoint, endpoints};
use super::unread_body::BodyTimeout;
use crate::inbound::ServingContext;

/// The API document, built and serialized once for every worker.
static API_DOCUMENT: LazyLock<Arc<ApiDocument>> =
    LazyLock::new(|| Arc::new(ApiDocument::new(&super::openapi::document())));

/// The whole HTTP API: the routes of the route table (orders, health probes, metrics, the API document and its
/// reference page), the request id and access log middleware, the rate limit (when the context has one), and
/// problem responses for unknown paths (404) and methods (405).
///
/// Build one per worker: `HttpServer::new(move || adapters::http::app(context.clone()))`. Every worker shares the
/// one service; its calls run on the executor.
pub fn app(
    context: ServingContext,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limited = context.rate_limit.is_some();
    let mut app = App::new()
        .app_data(web::Data::from(context.executor))
        .app_data(web::Data::from(context.health))
        .app_data(web::Data::from(context.cursors))
        .app_data(web::Data::from(context.authenticator))
        .app_data(web::Data::from(Arc::clone(&API_DOCUMENT)))
        .app_data(BodyTimeout(context.body_timeout));
    if let Some(metrics) = context.metrics {
        app = app.app_data(web::Data::from(metrics));
    }
    if let Some(limit) = context.rate_limit {
        app = app.app_data(web::Data::from(limit));
    }
    // The last `wrap` runs first: `request_context` sees the rate limit's refusals like any other answer. Without a
    // limit, `Condition` leaves one branch per request.
    let mut app = app
        .wrap(Condition::new(limited, from_fn(enforce_rate_limit)))
        .wrap(from_fn(request_context));
    for resource in resources(endpoints()) {
        app = app.service(resource);
    }
    app.default_service(web::to(route_not_found))
}

/// One actix resource per path of `endpoints`, in table order, each answering a method it has no route for with a
/// 405 whose `Allow` names the methods it has (`HEAD` with every `GET`).
fn resources(endpoints: Vec<Endpoint>) -> Vec<Resource> {
    let mut paths: Vec<(String, Vec<String>, Vec<Route>)> = Vec::new();
    for endpoint in endpoints {
        let methods = endpoint.served.iter().map(ToString::to_string);
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
