//! The request handlers: each decodes, runs one service call on the blocking pool, and encodes (Go kit's endpoint
//! and its HTTP decode and encode functions, in one function).

use actix_web::http::StatusCode;
use actix_web::http::header::{ETAG, LOCATION};
use actix_web::{HttpResponse, web};
use application::OrderService;
use domain::{Order, OrderId};
use serde::Serialize;

use super::blocking;
use super::body::JsonBody;
use super::cursor::CursorCodec;
use super::dto::{ChangeStatusRequest, CreateOrderRequest, CreatedOrderResponse, OrderEnvelope};
use super::error::ApiError;
use super::etag::{IfMatch, etag};
use super::idempotency::{IDEMPOTENT_REPLAYED, IdempotencyKeyHeader};
use super::listing::{ListOrdersQuery, OrderListResponse};
use super::request_id::RequestId;

/// The service as the handlers share it: one instance for every worker, never behind a lock.
pub(crate) type SharedService = web::Data<dyn OrderService>;

/// `POST /orders`: places an order; `201` with its `Location` and `{"id": ...}`. With an `Idempotency-Key` that an
/// earlier request with the same content used, the same answer again, marked `Idempotent-Replayed: true`.
pub(crate) async fn place_order(
    service: SharedService,
    request_id: RequestId,
    key: IdempotencyKeyHeader,
    JsonBody(request): JsonBody<CreateOrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let command = request.into_command(key.into_key()?)?;
    let placed = blocking::run(&request_id, move || service.place_order(command)).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((LOCATION, format!("/orders/{}", placed.id)));
    if placed.replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    json(response, &CreatedOrderResponse::from(placed.id))
}

/// `GET /orders/{id}`: the order, with its version as `ETag`. An id that is not a UUID is an unknown order.
pub(crate) async fn find_order(
    service: SharedService,
    request_id: RequestId,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: OrderId = id.parse()?;
    let order = blocking::run(&request_id, move || service.find_order(&id)).await?;
    order_response(&order)
}

/// `GET /orders`: one page of orders, newest first, with the cursor of the next page.
pub(crate) async fn list_orders(
    service: SharedService,
    cursors: web::Data<CursorCodec>,
    request_id: RequestId,
    query: web::Query<ListOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner().into_query(&cursors)?;
    let page = blocking::run(&request_id, move || service.list_orders(query)).await?;
    json(HttpResponse::Ok(), &OrderListResponse::new(&page, &cursors))
}

/// `POST /orders/status`: moves an order to another status, at the `If-Match` version when one is given; the order
/// as changed.
pub(crate) async fn change_status(
    service: SharedService,
    request_id: RequestId,
    IfMatch(expected_version): IfMatch,
    JsonBody(request): JsonBody<ChangeStatusRequest>,
) -> Result<HttpResponse, ApiError> {
    let command = request.into_command(expected_version)?;
    let order = blocking::run(&request_id, move || service.change_status(command)).await?;
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
