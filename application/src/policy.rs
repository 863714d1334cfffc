//! Who may do what: one policy over the caller and the order, applied by the use cases the same way whichever
//! transport carried the request.
//!
//! - A **customer** places orders only for itself, sees only its own, and may only cancel them, while `Pending`.
//! - A **restaurant** sees the orders placed at it and moves them through any lifecycle step; it places none.
//! - An **operator**, and anyone when authentication is off, may do everything.
//!
//! An order the caller may not see is reported as not found, so ids of other parties' orders reveal nothing. A
//! listing is narrowed to the caller's own orders; a filter naming another party is refused rather than answered
//! with an empty page, so a client that asks the wrong question is told so instead of being shown "no orders".

use domain::{NewOrder, Order, OrderFilter, OrderStatus};
use thiserror::Error;

use crate::Caller;

/// Why the caller may not do what it asked. Each says what the caller may do instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Forbidden {
    /// Restaurants do not place orders.
    #[error("a restaurant cannot place orders")]
    RestaurantPlacing,
    /// A customer's order must name the customer itself.
    #[error("a customer can place orders only for itself: customer_id must be the caller's id")]
    PlacingForAnotherCustomer,
    /// A customer may only cancel.
    #[error("a customer can only cancel its orders")]
    CustomerChangingStatus,
    /// A customer may cancel only an order nobody acted on yet.
    #[error("a customer can cancel an order only while it is pending")]
    CancellingAfterPending,
    /// A listing filter names a customer other than the caller.
    #[error(
        "a customer can list only its own orders: customer_id must be the caller's id or absent"
    )]
    ListingAnotherCustomer,
    /// A listing filter names a restaurant other than the caller.
    #[error(
        "a restaurant can list only its own orders: restaurant_id must be the caller's id or absent"
    )]
    ListingAnotherRestaurant,
}

/// Whether `caller` may place orders at all: checked before the order is read, so a caller that may place none
/// learns nothing about what a valid order looks like.
pub(crate) fn may_place_orders(caller: &Caller) -> Result<(), Forbidden> {
    match caller {
        Caller::Restaurant(_) => Err(Forbidden::RestaurantPlacing),
        Caller::Anyone | Caller::Customer(_) | Caller::Operator(_) => Ok(()),
    }
}

/// Whether `caller` may place `order`.
pub(crate) fn may_place(caller: &Caller, order: &NewOrder) -> Result<(), Forbidden> {
    may_place_orders(caller)?;
    match caller {
        Caller::Customer(id) if *id != order.customer_id => {
            Err(Forbidden::PlacingForAnotherCustomer)
        }
        _ => Ok(()),
    }
}

/// Whether `caller` may see `order` at all; an order it may not see does not exist for it.
pub(crate) fn may_see(caller: &Caller, order: &Order) -> bool {
    match caller {
        Caller::Anyone | Caller::Operator(_) => true,
        Caller::Customer(id) => order.customer_id() == id,
        Caller::Restaurant(id) => order.restaurant_id() == id,
    }
}

/// Whether `caller`, who may see `order`, may ask for it to have status `to`. Whether the lifecycle allows the step
/// is the domain's to say, after this.
pub(crate) fn may_change(caller: &Caller, order: &Order, to: OrderStatus) -> Result<(), Forbidden> {
    match caller {
        Caller::Customer(_) if to != OrderStatus::Cancelled => {
            Err(Forbidden::CustomerChangingStatus)
        }
        // A cancelled order may be "cancelled" again: a retry of a cancel that happened succeeds.
        Caller::Customer(_)
            if !matches!(
                order.status(),
                OrderStatus::Pending | OrderStatus::Cancelled
            ) =>
        {
            Err(Forbidden::CancellingAfterPending)
        }
        _ => Ok(()),
    }
}

/// `filter` narrowed to the orders `caller` may see.
pub(crate) fn narrow(caller: &Caller, mut filter: OrderFilter) -> Result<OrderFilter, Forbidden> {
    match caller {
        Caller::Anyone | Caller::Operator(_) => {}
        Caller::Customer(id) => match &filter.customer_id {
            Some(asked) if asked != id => return Err(Forbidden::ListingAnotherCustomer),
            _ => filter.customer_id = Some(id.clone()),
        },
        Caller::Restaurant(id) => match &filter.restaurant_id {
            Some(asked) if asked != id => return Err(Forbidden::ListingAnotherRestaurant),
            _ => filter.restaurant_id = Some(id.clone()),
        },
    }
    Ok(filter)
}

#[cfg(test)]
mod tests;
