//! The OpenAPI 3.1 document of the HTTP API, generated from the code that serves it.
//!
//! Paths, parameters, bodies and success responses come from each handler's `#[utoipa::path]`, schemas from the
//! DTOs' `#[derive(ToSchema)]`, and the route list from [`endpoints`](super::route_table), the same table the actix `App` is built
//! from: a route cannot be served without being described, or described without being served. This module adds
//! what every operation shares: the `X-Request-ID` header both ways, and the problem responses the endpoint table
//! lists (plus `internal` everywhere and `rate_limited` where the rate limit applies).

mod headers;
mod problems;

use utoipa::OpenApi;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};

use super::dto::{ChangeStatusRequest, CreateOrderRequest, CreatedOrderResponse, OrderEnvelope};
use super::listing::OrderListResponse;
use super::probes::Status;
use super::problem::ProblemDocument;
use super::route_table::is_rate_limit_exempt;
use super::route_table::{DOCUMENTATION, Endpoint, OPERATIONS, ORDERS, endpoints};
use super::schemas::{
    IdempotencyKeySchema, IfMatchSchema, OrderIdSchema, OrderStatusSchema, PageLimitSchema,
    ReferenceSchema,
};
use crate::inbound::ErrorCode;

/// What the derive can say statically: the document's info, tags and component schemas. Paths are added at run
/// time from the endpoint table.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ordersvc",
        description = "Orders for food delivery: place an order at a restaurant, follow it through its lifecycle \
                       until it is delivered, rejected or cancelled. Errors are `application/problem+json` \
                       (RFC 9457) with a stable `code`; every response carries `X-Request-ID`. Money is a JSON \
                       number with at most two decimals, read and written exactly; times are Unix seconds. \
                       Every `GET` also answers `HEAD`: the same status and headers, without the body. A request \
                       that is refused changes nothing. The order operations need a bearer token (a JWT: \
                       `Authorization: Bearer <token>`) whose `role` claim is `customer`, `restaurant` or \
                       `operator` and whose `sub` is the caller's id; an instance that serves only loopback \
                       addresses without keys, or runs with `INSECURE_NO_AUTH`, reads no token."
    ),
    tags(
        (name = ORDERS, description = "Placing, reading, listing and moving orders."),
        (name = OPERATIONS, description = "Probes and metrics for the platform running the service."),
        (name = DOCUMENTATION, description = "This document and its reference page."),
    ),
    components(schemas(
        CreateOrderRequest, CreatedOrderResponse, OrderEnvelope, ChangeStatusRequest, OrderListResponse,
        Status, ProblemDocument, OrderIdSchema, ReferenceSchema, OrderStatusSchema, PageLimitSchema,
        IdempotencyKeySchema, IfMatchSchema,
    ))
)]
struct ApiDoc;

/// The name of the bearer security scheme.
const BEARER: &str = "bearer";

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    let components = document.components.get_or_insert_with(Default::default);
    headers::register(components);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "A JWT signed with the service's HS256 secret or a key of its JWKS (RS256, ES256, by `kid`), \
                     for its `iss` and `aud`, with `exp`, a `role` (`customer`, `restaurant`, `operator`) and a \
                     `sub` (the caller's id). `ordersvc token --role customer --sub customer-42` mints one.",
                ))
                .build(),
        ),
    );
    for endpoint in endpoints() {
        let operation = describe(&endpoint);
        document
            .paths
            .add_path_operation(&endpoint.path, endpoint.methods.clone(), operation);
    }
    document
}

/// `endpoint`'s operation as its attribute describes it, with the shared headers and its problem responses.
fn describe(endpoint: &Endpoint) -> Operation {
    let mut operation = (endpoint.operation)();
    operation.tags = Some(vec![endpoint.tag.to_owned()]);
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(headers::request_id_parameter());
    let mut problems = endpoint.problems.clone();
    if endpoint.tag == ORDERS {
        operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        problems.insert(0, ErrorCode::Unauthenticated);
    }
    problems.push(ErrorCode::Internal);
    if !is_rate_limit_exempt(&endpoint.path) {
        problems.push(ErrorCode::RateLimited);
    }
    for (status, response) in problems::responses(&problems) {
        operation
            .responses
            .responses
            .insert(status, RefOr::T(response));
    }
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            add_headers(response);
        }
    }
    operation
}

/// Marks the headers `response` always has as required, and adds `X-Request-ID`, which every response carries.
fn add_headers(response: &mut Response) {
    let described = std::mem::take(&mut response.headers);
    response.headers = described
        .into_iter()
        .map(|(name, header)| {
            let header = headers::mark_required(&name, header);
            (name, header)
        })
        .collect();
    let (name, header) = headers::request_id();
    response.headers.insert(name, header);
}
