//! The rules for turning what a client sent into the application's commands, the same for every transport: each
//! transport only says which text arrived for which field (`None` when it sent none), and these decide what is
//! missing, what is malformed and what names no order. Field paths are the HTTP API's names, which the gRPC
//! messages share.

use application::{ChangeStatus, ListOrders};
use domain::{
    CustomerId, IdempotencyKey, OrderFilter, OrderId, OrderStatus, PageSize, RestaurantId,
    ValidationErrors, Version,
};

use super::cursor::CursorCodec;
use super::failure::Failure;

const REQUIRED: &str = "is required";

/// The largest request accepted, in bytes (64 KiB): an HTTP body, a gRPC message. Far above any real order of 100
/// items.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The header (HTTP) and metadata key (gRPC) that makes a create safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A listing as received: each parameter's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingRequest {
    /// Only this customer's orders.
    pub customer_id: Option<String>,
    /// Only orders at this restaurant.
    pub restaurant_id: Option<String>,
    /// Only orders in this status (its name: `Accepted`).
    pub status: Option<String>,
    /// The most orders on the page, as decimal text (default 20).
    pub limit: Option<String>,
    /// Where the page starts: a `next_cursor` from either transport.
    pub cursor: Option<String>,
}

impl ListingRequest {
    /// The application's query, with every bad parameter named at once.
    ///
    /// # Errors
    /// `validation_failed` naming each parameter that is not valid (a cursor included).
    pub fn into_query(self, cursors: &CursorCodec) -> Result<ListOrders, Failure> {
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

/// A status change as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusChangeRequest {
    /// The order's id.
    pub id: Option<String>,
    /// The status's name (`Accepted`).
    pub status: Option<String>,
    /// Change the order only at this version (HTTP's `If-Match`, gRPC's `expected_version`).
    pub expected_version: Option<Version>,
}

impl StatusChangeRequest {
    /// The command.
    ///
    /// # Errors
    /// `validation_failed` naming a missing `id` and a missing or unknown `status` together; `order_not_found` when
    /// the fields are there but the id is not a UUID.
    pub fn into_command(self) -> Result<ChangeStatus, Failure> {
        let mut errors = ValidationErrors::default();
        if self.id.is_none() {
            errors.add("id", REQUIRED);
        }
        let status = match self.status {
            None => {
                errors.add("status", REQUIRED);
                None
            }
            Some(name) => errors.check("status", name.parse::<OrderStatus>()),
        };
        match (self.id, status) {
            (Some(id), Some(status)) if errors.is_empty() => Ok(ChangeStatus {
                id: id.parse::<OrderId>()?,
                status,
                expected_version: self.expected_version,
            }),
            _ => Err(errors.into()),
        }
    }
}

/// The idempotency key among the `values` a client sent under [`IDEMPOTENCY_KEY`], if it sent one.
///
/// # Errors
/// `malformed_request` when the value is not 1 to 255 visible ASCII characters, or there are several.
pub fn idempotency_key<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<IdempotencyKey>, Failure> {
    let mut values = values.into_iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => std::str::from_utf8(value)
            .ok()
            .and_then(|text| IdempotencyKey::new(text).ok())
            .map(Some)
            .ok_or_else(|| {
                Failure::malformed("Idempotency-Key must be 1 to 255 visible ASCII characters")
            }),
        (Some(_), Some(_)) => Err(Failure::malformed("send Idempotency-Key once")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::ErrorCode;

    fn fields(failure: &Failure) -> Vec<&str> {
        failure.fields().iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_status_change_lists_every_missing_or_unknown_field() {
        let request = StatusChangeRequest {
            id: None,
            status: Some("Lost".into()),
            expected_version: None,
        };
        let failure = request.into_command().unwrap_err();
        assert_eq!(failure.code(), ErrorCode::ValidationFailed);
        assert_eq!(fields(&failure), ["id", "status"]);
    }

    #[test]
    fn a_status_change_for_an_id_that_is_no_uuid_names_no_order() {
        let request = StatusChangeRequest {
            id: Some("nope".into()),
            status: Some("Accepted".into()),
            expected_version: None,
        };
        assert_eq!(
            request.into_command().unwrap_err().code(),
            ErrorCode::OrderNotFound
        );
    }

    #[test]
    fn a_listing_names_every_bad_parameter() {
        let request = ListingRequest {
            customer_id: Some(" ".into()),
            status: Some("Lost".into()),
            limit: Some("101".into()),
            cursor: Some("forged".into()),
            ..ListingRequest::default()
        };
        let failure = request.into_query(&CursorCodec::new(&[1; 32])).unwrap_err();
        assert_eq!(
            fields(&failure),
            ["customer_id", "status", "limit", "cursor"]
        );
    }

    #[test]
    fn one_sane_idempotency_key_is_read_and_anything_else_refused() {
        let key = idempotency_key([b"retry-1".as_slice()]).unwrap();
        assert_eq!(key.unwrap().as_str(), "retry-1");
        assert_eq!(idempotency_key([]).unwrap(), None);
        for values in [
            vec![b"has space".as_slice()],
            vec![b"".as_slice()],
            vec![b"a".as_slice(), b"b".as_slice()],
        ] {
            let failure = idempotency_key(values).unwrap_err();
            assert_eq!(failure.code(), ErrorCode::MalformedRequest);
        }
    }
}
