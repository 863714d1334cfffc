//! `GET /orders`: the query string of a listing, and the page it answers with.

use application::{ListOrders, OrderPage};
use domain::{CustomerId, OrderFilter, OrderStatus, PageSize, RestaurantId, ValidationErrors};
use serde::{Deserialize, Serialize};

use super::cursor::CursorCodec;
use super::dto::OrderResponse;
use super::error::ApiError;

/// The query string of `GET /orders`; every parameter is optional, and unknown ones are ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListOrdersQuery {
    customer_id: Option<String>,
    restaurant_id: Option<String>,
    status: Option<String>,
    limit: Option<String>,
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
#[derive(Debug, Serialize)]
pub(crate) struct OrderListResponse<'a> {
    orders: Vec<OrderResponse<'a>>,
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
