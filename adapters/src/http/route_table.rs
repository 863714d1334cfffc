//! The route table: every operation the API serves, in one list that both the actix `App` and the OpenAPI document
//! are built from, so neither can have a route the other lacks.
//!
//! An entry takes its path and method from the handler's `#[utoipa::path]` (the `__path_<handler>` type that
//! attribute generates), and lists the problems the handler can answer with; every operation may also fail with
//! `internal`, every one the rate limit applies to with `rate_limited`, and every order operation with
//! `unauthenticated` (it needs a bearer token). Entries are grouped by the document's
//! tags (utoipa keeps an attribute's `tag` where only its `OpenApi` derive can read it, so the table says it).
//!
//! Every `GET` route also answers `HEAD` (RFC 9110, section 9.3.2): the handler runs as for the `GET`, and actix
//! sends the status and headers (`Content-Length`, `ETag` included) without the body. The document lists only the
//! `GET`; its description says so.

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{FromRequest, Responder, Route, guard, web};
use utoipa::openapi::path::{HttpMethod, Operation};

use super::{api_docs, handlers, probes, scrape};
use crate::inbound::ErrorCode::{
    self, Forbidden, IdempotencyKeyReused, InvalidTransition, MalformedRequest, NotFound,
    OrderNotFound, PayloadTooLarge, RequestTimeout, Unavailable, UnsupportedMediaType,
    ValidationFailed, VersionMismatch,
};

/// The problems a request with a JSON body can meet before its handler runs: a body that is not JSON of its shape,
/// not `application/json` or content-encoded, over the limit, or that stops arriving.
const BODY_PROBLEMS: [ErrorCode; 4] = [
    MalformedRequest,
    UnsupportedMediaType,
    PayloadTooLarge,
    RequestTimeout,
];

/// One operation: where it is served, the actix route serving it, how the document describes it, and the problems
/// it may answer with (beyond `internal` and `rate_limited`, which apply to all).
pub(crate) struct Endpoint {
    /// The path template, in the syntax actix and OpenAPI share: `/orders/{id}`.
    pub(crate) path: String,
    /// The methods it is documented with (one for every route today).
    pub(crate) methods: Vec<HttpMethod>,
    /// The methods its route answers: those, and `HEAD` where they have `GET`.
    pub(crate) served: Vec<Method>,
    /// The handler, guarded by those methods.
    pub(crate) route: Route,
    /// The operation as its `#[utoipa::path]` describes it.
    pub(crate) operation: fn() -> Operation,
    /// The problems the handler can answer with.
    pub(crate) problems: Vec<ErrorCode>,
    /// The group the document lists it under.
    pub(crate) tag: &'static str,
}

/// The document's tag of the order operations.
pub(crate) const ORDERS: &str = "orders";
/// The document's tag of the probes and the scrape.
pub(crate) const OPERATIONS: &str = "operations";
/// The document's tag of the document itself and its page.
pub(crate) const DOCUMENTATION: &str = "documentation";

/// The route templates of the probes, the scrape, and the API document and its page: logged at `debug` when they
/// succeed (machines call them every few seconds; a page view fetches several assets). Of them, only
/// [`RATE_LIMIT_EXEMPT`] pass the rate limit untouched.
/// Exactly the endpoints not tagged [`ORDERS`]; a test holds the two together.
pub(crate) const OPERATIONAL_ROUTES: [&str; 6] = [
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/{file}",
];

/// The routes the platform calls, never rate limited: refusing a probe or a scrape would take a busy but healthy
/// instance out of rotation or blind its monitoring. The API document and its page are limited like the order API:
/// their assets are the heaviest responses the service sends.
pub(crate) const RATE_LIMIT_EXEMPT: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Whether the rate limit leaves `route` (a route template) alone: one of [`RATE_LIMIT_EXEMPT`].
pub(crate) fn is_rate_limit_exempt(route: &str) -> bool {
    RATE_LIMIT_EXEMPT.contains(&route)
}

/// Whether `route` (a route template, as actix's `match_pattern` gives it) is one of [`OPERATIONAL_ROUTES`].
pub(crate) fn is_operational(route: &str) -> bool {
    OPERATIONAL_ROUTES.contains(&route)
}

/// Every operation, in matching order: a path is tried against the routes in this order, so a literal path must
/// come before a template that would also match it.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    use api_docs::{openapi_json, reference_asset, reference_page};
    use handlers::{change_status, find_order, list_orders, place_order};
    use probes::{liveness, readiness};
    vec![
        endpoint::<probes::__path_liveness, _, _>(OPERATIONS, liveness, &[]),
        endpoint::<probes::__path_readiness, _, _>(OPERATIONS, readiness, &[Unavailable]),
        endpoint::<scrape::__path_metrics, _, _>(OPERATIONS, scrape::metrics, &[]),
        endpoint::<api_docs::__path_openapi_json, _, _>(DOCUMENTATION, openapi_json, &[]),
        endpoint::<api_docs::__path_reference_page, _, _>(DOCUMENTATION, reference_page, &[]),
        endpoint::<api_docs::__path_reference_asset, _, _>(
            DOCUMENTATION,
            reference_asset,
            &[NotFound],
        ),
        // Before `/orders/{id}`, which would match `status` as an id.
        endpoint::<handlers::__path_change_status, _, _>(ORDERS, change_status, &BODY_PROBLEMS)
            .also(&[
                ValidationFailed,
                Forbidden,
                OrderNotFound,
                InvalidTransition,
                VersionMismatch,
                Unavailable,
            ]),
        // A path that is not validly percent-encoded (`/orders/%ff`) is `malformed_request`.
        endpoint::<handlers::__path_find_order, _, _>(
            ORDERS,
            find_order,
            &[MalformedRequest, OrderNotFound, Unavailable],
        ),
        // So is a query string that is not (`status=%ff`), or that gives a parameter twice (`limit=1&limit=2`).
        endpoint::<handlers::__path_list_orders, _, _>(
            ORDERS,
            list_orders,
            &[MalformedRequest, ValidationFailed],
        )
        .also(&[Forbidden, Unavailable]),
        endpoint::<handlers::__path_place_order, _, _>(ORDERS, place_order, &BODY_PROBLEMS).also(
            &[
                ValidationFailed,
                Forbidden,
                IdempotencyKeyReused,
                Unavailable,
            ],
        ),
    ]
}

/// The endpoint of `handler`, served where its `#[utoipa::path]` (`P`) says and listed under `tag`.
fn endpoint<P, F, Args>(tag: &'static str, handler: F, problems: &[ErrorCode]) -> Endpoint
where
    P: utoipa::Path,
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let methods = P::methods();
    let mut served: Vec<Method> = methods.iter().map(actix_method).collect();
    if served.contains(&Method::GET) && !served.contains(&Method::HEAD) {
        served.push(Method::HEAD);
    }
    let allowed = served.clone();
    let route = web::route()
        .guard(guard::fn_guard(move |ctx| {
            allowed.contains(&ctx.head().method)
        }))
        .to(handler);
    Endpoint {
        path: P::path(),
        methods,
        served,
        route,
        operation: P::operation,
        problems: problems.to_vec(),
        tag,
    }
}

impl Endpoint {
    /// The same, with more problems it may answer with.
    fn also(mut self, problems: &[ErrorCode]) -> Self {
        self.problems.extend_from_slice(problems);
        self
    }
}

/// The actix method for a documented one.
pub(crate) fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_get_route_also_answers_head_and_no_other_does() {
        for endpoint in endpoints() {
            let has_get = endpoint.served.contains(&Method::GET);
            assert_eq!(
                endpoint.served.contains(&Method::HEAD),
                has_get,
                "{}",
                endpoint.path
            );
        }
    }

    #[test]
    fn the_operational_routes_are_exactly_the_endpoints_outside_the_order_api() {
        let mut outside: Vec<String> = endpoints()
            .into_iter()
            .filter(|e| e.tag != ORDERS)
            .map(|e| e.path)
            .collect();
        let mut listed: Vec<String> = OPERATIONAL_ROUTES.iter().map(|r| (*r).to_owned()).collect();
        outside.sort();
        listed.sort();
        assert_eq!(outside, listed);
    }
}
