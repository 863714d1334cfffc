//! `GET /orders`: the query string of a listing, and the page it answers with.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use application::OrderPage;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::dto::{OrderResponse, query_pairs};
use super::error::ApiError;
use super::schemas::{OrderStatusSchema, PageLimitSchema, ReferenceSchema};
use crate::inbound::{CursorCodec, ListingRequest};

/// The query string of `GET /orders`; every parameter is optional, and unknown ones are ignored. Read strictly: a
/// query string that is not validly percent-encoded UTF-8, or that gives a parameter twice, is malformed.
#[derive(Debug, Default, IntoParams)]
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
    /// The most orders on the page (default 20). A page of large orders may hold fewer: it stops after the order
    /// that takes it over 256 KiB, and its `next_cursor` continues from there.
    #[param(value_type = Option<PageLimitSchema>)]
    limit: Option<String>,
    /// Where the page starts: a `next_cursor` this service returned, passed back as it was. A cursor is signed; a
    /// changed one is refused (422).
    cursor: Option<String>,
}

impl FromRequest for ListOrdersQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

impl ListOrdersQuery {
    /// The listing `query` (a raw query string) asks for.
    ///
    /// # Errors
    /// `malformed_request` when the query is not validly percent-encoded UTF-8, or names a parameter twice.
    fn parse(query: &str) -> Result<Self, ApiError> {
        let mut parsed = Self::default();
        for (name, value) in query_pairs(query)? {
            let slot = match name.as_str() {
                "customer_id" => &mut parsed.customer_id,
                "restaurant_id" => &mut parsed.restaurant_id,
                "status" => &mut parsed.status,
                "limit" => &mut parsed.limit,
                "cursor" => &mut parsed.cursor,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(ApiError::malformed_field(
                    name,
                    "is given more than once; give it once",
                ));
            }
        }
        Ok(parsed)
    }

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
    /// Newest first; at most `limit`, and fewer when they weigh over 256 KiB (the page is then cut after the order
    /// that crossed it, and `next_cursor` is set). Only `next_cursor: null` means the last page.
    #[schema(value_type = Vec<OrderResponse<'static>>)]
    orders: Vec<OrderResponse<'a>>,
    /// The `cursor` of the next page, or `null` on the last one.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// The body is sent in chunks of about this many bytes: a few large orders, or a few dozen small ones.
const CHUNK_BYTES: usize = 16 * 1024;

impl OrderListResponse<'_> {
    /// `page` on the wire, its next position signed by `cursors`, as a stream of chunks encoded as they are sent:
    /// the page's orders are held once, as orders, and never also as one whole JSON document. The chunks together
    /// are exactly this struct serialized.
    ///
    /// # Errors
    /// When the page's shape cannot be serialized (it always can: strings and numbers).
    pub(crate) fn chunks(
        page: OrderPage,
        cursors: &CursorCodec,
    ) -> Result<impl Iterator<Item = Result<Bytes, serde_json::Error>> + use<>, serde_json::Error>
    {
        let shell = serde_json::to_string(&OrderListResponse {
            orders: Vec::new(),
            next_cursor: page.next.map(|position| cursors.encode(position)),
        })?;
        // `{"orders":[],"next_cursor":...}`: the orders go between the brackets.
        let split = shell.find("[]").map_or(shell.len(), |at| at + 1);
        let (head, tail) = shell.split_at(split);
        Ok(PageChunks {
            head: Some(Bytes::from(head.to_owned())),
            orders: page.orders.into_iter(),
            first: true,
            tail: Some(Bytes::from(tail.to_owned())),
        })
    }
}

/// The chunks of a page's body: its head, its orders a chunk at a time, its tail.
struct PageChunks {
    head: Option<Bytes>,
    orders: std::vec::IntoIter<domain::Order>,
    first: bool,
    tail: Option<Bytes>,
}

impl Iterator for PageChunks {
    type Item = Result<Bytes, serde_json::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(head) = self.head.take() {
            return Some(Ok(head));
        }
        let mut chunk = Vec::new();
        while chunk.len() < CHUNK_BYTES {
            let Some(order) = self.orders.next() else {
                break;
            };
            if !std::mem::take(&mut self.first) {
                chunk.push(b',');
            }
            if let Err(error) = serde_json::to_writer(&mut chunk, &OrderResponse::from(&order)) {
                return Some(Err(error));
            }
        }
        if chunk.is_empty() {
            return self.tail.take().map(Ok);
        }
        Some(Ok(Bytes::from(chunk)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_decoded_and_unknown_ones_ignored() {
        let query =
            ListOrdersQuery::parse("customer_id=c%201&status=Pending&limit=5&x=%41").unwrap();
        let request = query.into_request();
        assert_eq!(request.customer_id.as_deref(), Some("c 1"));
        assert_eq!(request.status.as_deref(), Some("Pending"));
        assert_eq!(request.limit.as_deref(), Some("5"));
        assert_eq!((request.restaurant_id, request.cursor), (None, None));
    }

    #[test]
    fn a_parameter_given_twice_is_malformed_and_named() {
        let error = ListOrdersQuery::parse("limit=1&status=Pending&limit=2").unwrap_err();
        assert_eq!(
            error.detail(),
            "limit: is given more than once; give it once"
        );
    }

    #[test]
    fn a_badly_encoded_parameter_is_malformed_even_when_unknown() {
        for query in ["status=%ff", "x=%zz", "limit=1&%", "%ff=1"] {
            assert!(ListOrdersQuery::parse(query).is_err(), "{query}");
        }
    }
}
