//! The request handlers: each decodes, runs one service call on the executor, and encodes (Go kit's endpoint and its
//! HTTP decode and encode functions, in one function).
//!
//! Each carries its `#[utoipa::path]`: where it is served, its parameters, body and success response. That
//! attribute is the route's only definition: the route table (`route_table.rs`) mounts the handler from it, and the
//! API document describes it from it, together with the problems the endpoint table lists for it.

use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, LOCATION};
use actix_web::{HttpResponse, web};
use domain::Order;
use serde::Serialize;

use super::body::JsonBody;
use super::dto::{
    ChangeStatusRequest, CreateOrderRequest, CreatedOrderResponse, OrderEnvelope, OrderIdPath,
};
use super::error::ApiError;
use super::etag::{IfMatch, etag};
use super::idempotency::{IDEMPOTENT_REPLAYED, IdempotencyKeyHeader};
use super::listing::{ListOrdersQuery, OrderListResponse};
use super::schemas::{IdempotencyKeySchema, IfMatchSchema, OrderIdSchema};
use crate::inbound::{CursorCodec, RequestContext, ServiceExecutor};

/// The service as the handlers share it: one executor for every worker, never behind a lock.
pub(crate) type Executor = web::Data<ServiceExecutor>;

/// Place an order
///
/// Validates the order (every broken rule is reported at once) and stores it as `Pending`. With an
/// `Idempotency-Key` that an earlier request with the same content used, nothing is created: the first answer is
/// sent again, marked `Idempotent-Replayed: true`.
#[utoipa::path(
    post,
    path = "/orders",
    params(("Idempotency-Key" = Option<IdempotencyKeySchema>, Header, nullable = false,
        description = "Makes a retry safe: the same key with the same content answers as the first time and creates \
                       nothing. Kept a day (`IDEMPOTENCY_RETENTION_SECS`).")),
    request_body(content = CreateOrderRequest, example = json!({
        "customer_id": "customer-42",
        "restaurant_id": "restaurant-7",
        "order_items": [
            {"product_code": "pizza-margherita", "name": "Margherita", "unit_price": 9.99, "quantity": 2},
            {"product_code": "soda", "name": "Soda", "unit_price": 0.50, "quantity": 1}
        ]
    })),
    responses((status = 201, description = "The order was placed, or this is the first answer to its key again.",
        body = CreatedOrderResponse,
        headers(
            ("Location" = String, description = "The new order: `/orders/{id}`."),
            ("Idempotent-Replayed" = String, description = "`true` when this answer repeats an earlier one.")
        ),
        links(
            ("find_order" = (operation_id = "find_order", parameters(("id" = "$response.body#/id")),
                description = "Read the order just placed.")),
            ("change_status" = (operation_id = "change_status",
                request_body = json!({"id": "$response.body#/id", "status": "Accepted"}),
                description = "Accept the order just placed."))
        ),
        example = json!({"id": "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01"}),
    ))
)]
pub(crate) async fn place_order(
    executor: Executor,
    context: RequestContext,
    key: IdempotencyKeyHeader,
    JsonBody(request): JsonBody<CreateOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let command = request.into_command(key.into_key()?);
    let placed = executor
        .run(&context, move |service, caller| {
            service.place_order(caller, command)
        })
        .await?;
    let mut response = HttpResponse::Created();
    response.insert_header((LOCATION, format!("/orders/{}", placed.id)));
    if placed.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    json(response, &CreatedOrderResponse::from(placed.id))
}

/// Read an order
///
/// The order, with its version as `ETag`. An id that is not a UUID names no order; one that is not validly
/// percent-encoded is malformed.
#[utoipa::path(
    get,
    path = "/orders/{id}",
    params(("id" = OrderIdSchema, Path, description = "The order's id.")),
    responses((status = 200, description = "The order.", body = OrderEnvelope,
        headers(("ETag" = String, description = "The order's version, quoted (`\"2\"`): send it as `If-Match`.")),
    ))
)]
pub(crate) async fn find_order(
    executor: Executor,
    context: RequestContext,
    OrderIdPath(id): OrderIdPath,
) -> Result<HttpResponse, ApiError> {
    let order = executor
        .run(&context, move |service, caller| {
            service.find_order(caller, &id)
        })
        .await?;
    order_response(&order)
}

/// List orders
///
/// One page of orders, newest first, with the cursor of the next page. Pages never repeat or skip an order, also
/// while orders are being created. A page is at most `limit` orders and about 256 KiB: a page of large orders may be
/// shorter than `limit` and still have a `next_cursor`; a query string that is not validly percent-encoded, or names
/// a parameter twice, is `malformed_request`.
#[utoipa::path(
    get,
    path = "/orders",
    params(ListOrdersQuery),
    responses((status = 200, description = "A page of orders.", body = OrderListResponse))
)]
pub(crate) async fn list_orders(
    executor: Executor,
    cursors: web::Data<CursorCodec>,
    context: RequestContext,
    query: ListOrdersQuery,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_request().into_query(&cursors)?;
    let page = executor
        .run(&context, move |service, caller| {
            service.list_orders(caller, query)
        })
        .await?;
    let chunks = OrderListResponse::chunks(page, &cursors).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(futures_util::stream::iter(chunks)))
}

/// Change an order's status
///
/// Moves the order along its lifecycle, only from the `If-Match` version when one is given. Asking for the status
/// the order already has succeeds and changes nothing, so a retry is harmless.
#[utoipa::path(
    post,
    path = "/orders/status",
    params(("If-Match" = Option<IfMatchSchema>, Header, nullable = false,
        description = "Change the order only if it is still at this version (its `ETag`); `*` means any.")),
    request_body(content = ChangeStatusRequest, example = json!({
        "id": "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01",
        "status": "Accepted"
    })),
    responses((status = 200, description = "The order as it is now.", body = OrderEnvelope,
        headers(("ETag" = String, description = "The order's version after the change, quoted.")),
    ))
)]
pub(crate) async fn change_status(
    executor: Executor,
    context: RequestContext,
    IfMatch(expected_version): IfMatch,
    JsonBody(request): JsonBody<ChangeStatusRequest>,
) -> Result<HttpResponse, ApiError> {
    let command = request.into_request(expected_version).into_command()?;
    let order = executor
        .run(&context, move |service, caller| {
            service.change_status(caller, command)
        })
        .await?;
    order_response(&order)
}

/// `200` with `{"order": ...}` and the order's `ETag`.
fn order_response(order: &Order) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::build(StatusCode::OK);
    response.insert_header((ETAG, etag(order.version())));
    json(response, &OrderEnvelope::from(order))
}

/// Finishes `response` with `body` as JSON; a body that cannot be written is a server fault, not a panic.
fn json(
    mut response: actix_web::HttpResponseBuilder,
    body: &impl Serialize,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(response.content_type("application/json").body(body))
}
