//! The Order aggregate: what was ordered, by whom, where, and where it is in its lifecycle.

use std::fmt;

use thiserror::Error;

use crate::{
    CustomerId, InvalidTransition, Money, OrderId, OrderItem, OrderStatus, RestaurantId, Timestamp,
};

/// How many times an order's status changed, plus one: 1 when placed. Clients use it as an `ETag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u64);

impl Version {
    /// The version of a newly placed order.
    pub const FIRST: Self = Self(1);

    /// Wraps a stored or client-sent version number.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The version as a number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The version after one more change.
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The items of an order: 1 to 100 lines, in the order the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItems(Vec<OrderItem>);

/// Too few or too many items for one order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("must have from 1 to {max} items", max = OrderItems::MAX)]
pub struct InvalidItemCount;

impl OrderItems {
    /// The most items one order may have.
    pub const MAX: usize = 100;

    /// Checks there are 1..=[`OrderItems::MAX`] items.
    ///
    /// # Errors
    /// [`InvalidItemCount`] otherwise.
    pub fn new(items: Vec<OrderItem>) -> Result<Self, InvalidItemCount> {
        Self::check_count(items.len()).map(|()| Self(items))
    }

    /// Checks that `count` items may make an order, before building them.
    ///
    /// # Errors
    /// [`InvalidItemCount`] unless `count` is within 1..=[`OrderItems::MAX`].
    pub fn check_count(count: usize) -> Result<(), InvalidItemCount> {
        if (1..=Self::MAX).contains(&count) {
            Ok(())
        } else {
            Err(InvalidItemCount)
        }
    }

    /// The items, in order.
    pub fn as_slice(&self) -> &[OrderItem] {
        &self.0
    }

    /// The sum of the line totals. Cannot overflow: at most 100 lines of 10^12 cents.
    pub fn total(&self) -> Money {
        self.0
            .iter()
            .try_fold(Money::ZERO, |sum, item| sum.checked_add(item.line_total()))
            .unwrap_or(Money::ZERO)
    }
}

/// A valid order that has not been placed yet: no id, no status, no time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Who orders.
    pub customer_id: CustomerId,
    /// Where.
    pub restaurant_id: RestaurantId,
    /// What.
    pub items: OrderItems,
}

/// An order as the repository stored it, for [`Order::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    /// The order's id.
    pub id: OrderId,
    /// Who ordered.
    pub customer_id: CustomerId,
    /// Where.
    pub restaurant_id: RestaurantId,
    /// Its current status.
    pub status: OrderStatus,
    /// When it was placed.
    pub created_on: Timestamp,
    /// When its status last changed (or when it was placed).
    pub updated_on: Timestamp,
    /// Its version.
    pub version: Version,
    /// What was ordered.
    pub items: OrderItems,
}

/// A status change the domain decided on, for the repository to apply as a compare-and-set: it takes effect only if
/// the stored order still has `from` and `from_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// The order to change.
    pub id: OrderId,
    /// The status the decision was made on.
    pub from: OrderStatus,
    /// The new status.
    pub to: OrderStatus,
    /// The version the decision was made on; the change makes it `from_version.next()`.
    pub from_version: Version,
    /// When the change happens.
    pub at: Timestamp,
}

/// An order: the aggregate root. Its fields are private, so every order went through [`Order::place`] or
/// [`Order::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    id: OrderId,
    customer_id: CustomerId,
    restaurant_id: RestaurantId,
    status: OrderStatus,
    created_on: Timestamp,
    updated_on: Timestamp,
    version: Version,
    items: OrderItems,
}

impl Order {
    /// Places `order` under `id` at `now`: status `Pending`, version 1.
    pub fn place(id: OrderId, order: NewOrder, now: Timestamp) -> Self {
        let NewOrder {
            customer_id,
            restaurant_id,
            items,
        } = order;
        Self {
            id,
            customer_id,
            restaurant_id,
            status: OrderStatus::Pending,
            created_on: now,
            updated_on: now,
            version: Version::FIRST,
            items,
        }
    }

    /// Rebuilds an order from storage. For repositories only: it trusts that the stored order was valid when written.
    pub fn restore(stored: StoredOrder) -> Self {
        let StoredOrder {
            id,
            customer_id,
            restaurant_id,
            status,
            created_on,
            updated_on,
            version,
            items,
        } = stored;
        Self {
            id,
            customer_id,
            restaurant_id,
            status,
            created_on,
            updated_on,
            version,
            items,
        }
    }

    /// Decides how to move this order to `requested` at `now`: `Ok(None)` when it has that status already (an
    /// idempotent no-op), the change to apply when the lifecycle allows it.
    ///
    /// # Errors
    /// [`InvalidTransition`] when the lifecycle table has no such step.
    pub fn change_status(
        &self,
        requested: OrderStatus,
        now: Timestamp,
    ) -> Result<Option<StatusChange>, InvalidTransition> {
        if self.status == requested {
            return Ok(None);
        }
        let to = self.status.transition_to(requested)?;
        Ok(Some(StatusChange {
            id: self.id,
            from: self.status,
            to,
            from_version: self.version,
            at: now,
        }))
    }

    /// The order after `change`, which the repository has applied. A change made for another state is ignored.
    #[must_use]
    pub fn apply(mut self, change: &StatusChange) -> Self {
        if change.id == self.id && change.from == self.status && change.from_version == self.version
        {
            self.status = change.to;
            self.updated_on = change.at;
            self.version = change.from_version.next();
        }
        self
    }

    /// This order as it was right after the change that gave it `version`, `status` and `updated_on`. For
    /// repositories only: nothing but a status change alters an order once it is placed, so those three fields are
    /// all that differ from the order as it is now.
    #[must_use]
    pub fn as_of(&self, version: Version, status: OrderStatus, updated_on: Timestamp) -> Self {
        Self {
            status,
            updated_on,
            version,
            ..self.clone()
        }
    }

    /// The order's id.
    pub const fn id(&self) -> OrderId {
        self.id
    }

    /// Who ordered.
    pub const fn customer_id(&self) -> &CustomerId {
        &self.customer_id
    }

    /// Where.
    pub const fn restaurant_id(&self) -> &RestaurantId {
        &self.restaurant_id
    }

    /// Where the order is in its lifecycle.
    pub const fn status(&self) -> OrderStatus {
        self.status
    }

    /// When it was placed.
    pub const fn created_on(&self) -> Timestamp {
        self.created_on
    }

    /// When its status last changed (or when it was placed).
    pub const fn updated_on(&self) -> Timestamp {
        self.updated_on
    }

    /// Its version: 1 when placed, one more per status change.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// What was ordered, in the order it was sent.
    pub fn items(&self) -> &[OrderItem] {
        self.items.as_slice()
    }

    /// The sum of the items' line totals.
    pub fn total(&self) -> Money {
        self.items.total()
    }

    /// How much the order weighs in a page: the bytes of its text, plus a fixed share for each item's and the
    /// order's numbers and field names. About its JSON size, a little above its protobuf size; what bounds a
    /// listing page (`OrderRepository::list`).
    pub fn weight(&self) -> usize {
        const PER_ORDER: usize = 200;
        const PER_ITEM: usize = 80;
        let text = self.customer_id.as_str().len() + self.restaurant_id.as_str().len();
        let items: usize = self
            .items()
            .iter()
            .map(|item| PER_ITEM + item.product_code().as_str().len() + item.name().as_str().len())
            .sum();
        PER_ORDER + text + items
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{ItemName, ProductCode};

    fn item(price: &str, quantity: &str) -> OrderItem {
        OrderItem::new(
            ProductCode::new("p").unwrap(),
            ItemName::new("n").unwrap(),
            price.parse().unwrap(),
            quantity.parse().unwrap(),
        )
    }

    /// An order placed at 10 µs with id `[7; 16]`.
    pub(crate) fn placed() -> Order {
        let new = NewOrder {
            customer_id: CustomerId::new("c").unwrap(),
            restaurant_id: RestaurantId::new("r").unwrap(),
            items: OrderItems::new(vec![item("9.99", "2"), item("0.50", "1")]).unwrap(),
        };
        Order::place(
            OrderId::from_bytes([7; 16]),
            new,
            Timestamp::from_unix_micros(10),
        )
    }

    #[test]
    fn a_placed_order_is_pending_at_version_one() {
        let order = placed();
        assert_eq!(order.status(), OrderStatus::Pending);
        assert_eq!(order.version(), Version::FIRST);
        assert_eq!(order.created_on(), order.updated_on());
        assert_eq!(order.total().cents(), 2048);
    }

    #[test]
    fn an_order_needs_one_to_a_hundred_items() {
        assert_eq!(OrderItems::new(vec![]), Err(InvalidItemCount));
        assert!(OrderItems::new(vec![item("1", "1"); 100]).is_ok());
        assert_eq!(
            OrderItems::new(vec![item("1", "1"); 101]),
            Err(InvalidItemCount)
        );
    }

    #[test]
    fn the_largest_order_totals_without_overflow() {
        let items = OrderItems::new(vec![item("1000000", "10000"); 100]).unwrap();
        assert_eq!(items.total().cents(), 100_000_000 * 10_000 * 100);
    }

    #[test]
    fn changing_to_the_current_status_is_a_no_op() {
        assert_eq!(
            placed().change_status(OrderStatus::Pending, Timestamp::from_unix_micros(20)),
            Ok(None)
        );
    }

    #[test]
    fn an_applied_change_moves_status_time_and_version_once() {
        let order = placed();
        let at = Timestamp::from_unix_micros(20);
        let change = order
            .change_status(OrderStatus::Accepted, at)
            .unwrap()
            .unwrap();
        let changed = order.clone().apply(&change);
        assert_eq!(
            (changed.status(), changed.updated_on(), changed.version()),
            (OrderStatus::Accepted, at, Version::new(2))
        );
        assert_eq!(changed.created_on(), order.created_on());
        assert_eq!(
            changed.clone().apply(&change),
            changed,
            "a change applies to the state it was decided on only"
        );
    }

    #[test]
    fn a_change_outside_the_lifecycle_is_refused() {
        let refused =
            placed().change_status(OrderStatus::Delivered, Timestamp::from_unix_micros(20));
        assert_eq!(
            refused,
            Err(InvalidTransition {
                from: OrderStatus::Pending,
                to: OrderStatus::Delivered
            })
        );
    }
}
