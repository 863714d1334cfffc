//! Listing orders: which orders (a filter), how many (a page size), and where a page starts (a position in the
//! newest-first order).

use thiserror::Error;

use crate::{CustomerId, Order, OrderId, OrderStatus, RestaurantId, Timestamp};

/// Which orders to list; every criterion that is set must hold. The ids are the same value objects an order holds,
/// normalised the same way (trimmed, NFC), so a filter spelled differently from the stored id (a combining accent
/// instead of a composed letter) still finds its orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only this customer's orders.
    pub customer_id: Option<CustomerId>,
    /// Only this restaurant's orders.
    pub restaurant_id: Option<RestaurantId>,
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
}

/// How many orders one page holds: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

/// The value is not a page size.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must be a whole number from 1 to {max}", max = PageSize::MAX)]
pub struct InvalidPageSize;

impl PageSize {
    /// The largest page.
    pub const MAX: u32 = 100;

    /// The page size when none is asked for.
    pub const DEFAULT: Self = Self(20);

    /// Checks `value` is within 1..=[`PageSize::MAX`].
    ///
    /// # Errors
    /// [`InvalidPageSize`] otherwise.
    pub fn new(value: u32) -> Result<Self, InvalidPageSize> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(InvalidPageSize)
        }
    }

    /// The size as a number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl std::str::FromStr for PageSize {
    type Err = InvalidPageSize;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.parse::<u32>()
            .map_err(|_| InvalidPageSize)
            .and_then(Self::new)
    }
}

/// A place in the listing order (newest first: by creation time, then by id, both descending). A page that starts
/// after a position holds only orders that sort after it, so pages never repeat an order, and orders created since
/// the first page (which sort before it) never push older ones onto the next page twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderPosition {
    /// The creation time of the last order of the previous page.
    pub created_on: Timestamp,
    /// Its id, which breaks ties between orders created at the same microsecond.
    pub id: OrderId,
}

impl OrderPosition {
    /// The position of `order`.
    pub const fn of(order: &Order) -> Self {
        Self {
            created_on: order.created_on(),
            id: order.id(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_run_from_one_to_a_hundred() {
        let cases: &[(&str, Option<u32>)] = &[
            ("1", Some(1)),
            ("20", Some(20)),
            ("100", Some(100)),
            ("0", None),
            ("101", None),
            ("-1", None),
            ("", None),
            ("2.5", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                raw.parse::<PageSize>().ok().map(PageSize::get),
                *expected,
                "{raw:?}"
            );
        }
        assert_eq!(PageSize::DEFAULT.get(), 20);
    }
}
