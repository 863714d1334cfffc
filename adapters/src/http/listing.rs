//! `GET /orders`: the query string of a listing, and the page it answers with.

use application::OrderPage;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::OrderResponse;
use super::schemas::{OrderStatusSchema, PageLimitSchema, ReferenceSchema};
use crate::inbound::{CursorCodec, ListingRequest};

/// The query string of `GET /orders`; every parameter is optional, and unknown ones are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListOrdersQuery {
    /// Only this customer's orders.
    #[param(value_type = Option<ReferenceSchema>)]
    customer_id: Option<String>,
    /// Only orders at this restaurant.
    #[param(value_type = Option<ReferenceSchema>)]
    restaurant_id: Option<String>,
    /// Only orders in this status.
    #[param(value_type = Option<OrderStatusSchema>)]
    status: Option<String>,
    /// The most orders on the page (default 20).
    #[param(value_type = Option<PageLimitSchema>)]
    limit: Option<String>,
    /// Where the page starts: a `next_cursor` this service returned, passed back as it was. A cursor is signed; a
    /// changed one is refused (422).
    cursor: Option<String>,
}

impl ListOrdersQuery {
    /// The listing as every transport states it.
    pub(crate) fn into_request(self) -> ListingRequest {
        ListingRequest {
            customer_id: self.customer_id,
            restaurant_id: self.restaurant_id,
            status: self.status,
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

/// The body of `GET /orders`: `{"orders": [...], "next_cursor": "..." or null}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrderPage)]
pub(crate) struct OrderListResponse<'a> {
    /// Newest first; at most `limit`.
    #[schema(value_type = Vec<OrderResponse<'static>>)]
    orders: Vec<OrderResponse<'a>>,
    /// The `cursor` of the next page, or `null` on the last one.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

impl<'a> OrderListResponse<'a> {
    /// `page` on the wire, its next position signed by `cursors`.
    pub(crate) fn new(page: &'a OrderPage, cursors: &CursorCodec) -> Self {
        Self {
            orders: page.orders.iter().map(OrderResponse::from).collect(),
            next_cursor: page.next.map(|position| cursors.encode(position)),
        }
    }
}
