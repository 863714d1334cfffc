//! `GET /orders`: the query string of a listing, and the page it answers with.

use application::{ListOrders, OrderPage};
use domain::{CustomerId, OrderFilter, OrderStatus, PageSize, RestaurantId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::cursor::CursorCodec;
use super::dto::OrderResponse;
use super::error::ApiError;
use super::openapi::{OrderStatusSchema, PageLimitSchema, ReferenceSchema};

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
    /// The application's query, with every bad parameter named at once.
    ///
    /// # Errors
    /// `validation_failed` naming each parameter that is not valid (a cursor included).
    pub(crate) fn into_query(self, cursors: &CursorCodec) -> Result<ListOrders, ApiError> {
        let mut errors = ValidationErrors::default();
        let customer_id = self
            .customer_id
            .and_then(|c| errors.check("customer_id", CustomerId::new(&c)));
        let restaurant_id = self
            .restaurant_id
            .and_then(|r| errors.check("restaurant_id", RestaurantId::new(&r)));
        let status = self
            .status
            .and_then(|s| errors.check("status", s.parse::<OrderStatus>()));
        let limit = match self.limit {
            Some(limit) => errors.check("limit", limit.parse::<PageSize>()),
            None => Some(PageSize::DEFAULT),
        };
        let after = self
            .cursor
            .and_then(|c| errors.check("cursor", cursors.decode(&c)));
        match limit {
            Some(limit) if errors.is_empty() => Ok(ListOrders {
                filter: OrderFilter {
                    customer_id,
                    restaurant_id,
                    status,
                },
                limit,
                after,
            }),
            _ => Err(errors.into()),
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
