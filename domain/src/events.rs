//! Domain events: what happened to an order, told to the services that react to it (payment, kitchen, delivery).
//!
//! The use case that makes a change produces its event, and the repository stores the event in the same
//! transaction as the change (a transactional outbox): an event exists exactly when its change was committed.

use std::fmt;

use uuid::Uuid;

use crate::{Order, OrderId, OrderStatus, Timestamp, Version};

/// The identity of an event: a UUID, version 7 when the service made it. Consumers deduplicate by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(Uuid);

impl EventId {
    /// Wraps a UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// Rebuilds an id from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// The id's 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderChange {
    /// The order was placed (it is `Pending`, at version 1).
    Placed,
    /// The order moved from one status to another.
    StatusChanged {
        /// The status it had.
        from: OrderStatus,
        /// The status it has now.
        to: OrderStatus,
    },
}

impl OrderChange {
    /// The kind of change as a stable name: `order_placed` or `order_status_changed`.
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Placed => "order_placed",
            Self::StatusChanged { .. } => "order_status_changed",
        }
    }
}

/// One change of one order, with the order as it was right after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    id: EventId,
    change: OrderChange,
    order: Order,
    trace_context: Option<String>,
}

impl OrderEvent {
    /// `order` was just placed.
    pub fn placed(id: EventId, order: &Order) -> Self {
        Self {
            id,
            change: OrderChange::Placed,
            order: order.clone(),
            trace_context: None,
        }
    }

    /// `order` (as it is after the change) moved from `from` to its current status.
    pub fn status_changed(id: EventId, order: &Order, from: OrderStatus) -> Self {
        Self {
            id,
            change: OrderChange::StatusChanged {
                from,
                to: order.status(),
            },
            order: order.clone(),
            trace_context: None,
        }
    }

    /// The same event, with the trace context of the request that made the change: opaque here (a W3C
    /// `traceparent`), kept by the outbox with the event, and passed on by the publisher so a consumer can continue
    /// the request's trace.
    #[must_use]
    pub fn with_trace_context(self, trace_context: Option<String>) -> Self {
        Self {
            trace_context,
            ..self
        }
    }

    /// The trace context of the request that made the change, when it was traced.
    pub fn trace_context(&self) -> Option<&str> {
        self.trace_context.as_deref()
    }

    /// The event's id.
    pub const fn id(&self) -> EventId {
        self.id
    }

    /// What happened.
    pub const fn change(&self) -> OrderChange {
        self.change
    }

    /// The order right after the change.
    pub const fn order(&self) -> &Order {
        &self.order
    }

    /// The order's id.
    pub const fn order_id(&self) -> OrderId {
        self.order.id()
    }

    /// The order's version after the change: events of one order are told in this order.
    pub const fn version(&self) -> Version {
        self.order.version()
    }

    /// When it happened.
    pub const fn occurred_on(&self) -> Timestamp {
        self.order.updated_on()
    }
}

/// The unpublished events at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// How many.
    pub count: u64,
    /// When the oldest of them happened; `None` when there are none.
    pub oldest: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::placed as order;

    #[test]
    fn a_placed_event_carries_the_new_order_at_version_one() {
        let event = OrderEvent::placed(EventId::from_bytes([1; 16]), &order());
        assert_eq!(event.change(), OrderChange::Placed);
        assert_eq!(event.change().kind(), "order_placed");
        assert_eq!(event.version(), Version::FIRST);
        assert_eq!(event.occurred_on(), Timestamp::from_unix_micros(10));
    }

    #[test]
    fn a_status_change_event_names_both_statuses_and_the_changed_order() {
        let placed = order();
        let change = placed
            .change_status(OrderStatus::Accepted, Timestamp::from_unix_micros(2_000))
            .unwrap()
            .unwrap();
        let accepted = placed.apply(&change);
        let event =
            OrderEvent::status_changed(EventId::from_bytes([2; 16]), &accepted, change.from);
        assert_eq!(
            event.change(),
            OrderChange::StatusChanged {
                from: OrderStatus::Pending,
                to: OrderStatus::Accepted
            }
        );
        assert_eq!(event.change().kind(), "order_status_changed");
        assert_eq!(event.version(), Version::new(2));
        assert_eq!(event.occurred_on(), Timestamp::from_unix_micros(2_000));
        assert_eq!(event.order_id(), OrderId::from_bytes([7; 16]));
        assert_eq!(event.id().to_string().len(), 36);
    }
}
