//! The order lifecycle: its statuses and the one table of allowed transitions.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Where an order is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, waiting for the restaurant (the initial status).
    Pending,
    /// The restaurant took the order.
    Accepted,
    /// The restaurant refused the order (terminal).
    Rejected,
    /// The order was called off before preparation (terminal).
    Cancelled,
    /// The kitchen is preparing the order.
    Preparing,
    /// Prepared, waiting for a courier.
    ReadyForPickup,
    /// A courier is on the way.
    OutForDelivery,
    /// Handed to the customer (terminal).
    Delivered,
}

use OrderStatus::{
    Accepted, Cancelled, Delivered, OutForDelivery, Pending, Preparing, ReadyForPickup, Rejected,
};

/// The requested change is not in the lifecycle table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("an order cannot change from {from} to {to}")]
pub struct InvalidTransition {
    /// The status the order has.
    pub from: OrderStatus,
    /// The status that was asked for.
    pub to: OrderStatus,
}

/// The text names no status.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "must be one of Pending, Accepted, Rejected, Cancelled, Preparing, ReadyForPickup, OutForDelivery, Delivered"
)]
pub struct ParseOrderStatusError;

impl OrderStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 8] = [
        Pending,
        Accepted,
        Rejected,
        Cancelled,
        Preparing,
        ReadyForPickup,
        OutForDelivery,
        Delivered,
    ];

    /// The statuses an order in this status may move to: the lifecycle table, and its only copy.
    pub const fn next_statuses(self) -> &'static [Self] {
        match self {
            Pending => &[Accepted, Rejected, Cancelled],
            Accepted => &[Preparing, Cancelled],
            Preparing => &[ReadyForPickup],
            ReadyForPickup => &[OutForDelivery],
            OutForDelivery => &[Delivered],
            Delivered | Rejected | Cancelled => &[],
        }
    }

    /// Whether the order's lifecycle has ended.
    pub const fn is_terminal(self) -> bool {
        self.next_statuses().is_empty()
    }

    /// Checks that the lifecycle allows moving from `self` to `next`.
    ///
    /// # Errors
    /// [`InvalidTransition`] when the table has no such step (a status to itself included: callers treat that as a
    /// no-op before asking).
    pub fn transition_to(self, next: Self) -> Result<Self, InvalidTransition> {
        if self.next_statuses().contains(&next) {
            Ok(next)
        } else {
            Err(InvalidTransition {
                from: self,
                to: next,
            })
        }
    }

    /// The status's name on the wire and in storage.
    pub const fn as_str(self) -> &'static str {
        match self {
            Pending => "Pending",
            Accepted => "Accepted",
            Rejected => "Rejected",
            Cancelled => "Cancelled",
            Preparing => "Preparing",
            ReadyForPickup => "ReadyForPickup",
            OutForDelivery => "OutForDelivery",
            Delivered => "Delivered",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = ParseOrderStatusError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or(ParseOrderStatusError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lifecycle as the specification writes it; every pair not listed must be refused.
    const ALLOWED: &[(OrderStatus, OrderStatus)] = &[
        (Pending, Accepted),
        (Pending, Rejected),
        (Pending, Cancelled),
        (Accepted, Preparing),
        (Accepted, Cancelled),
        (Preparing, ReadyForPickup),
        (ReadyForPickup, OutForDelivery),
        (OutForDelivery, Delivered),
    ];

    #[test]
    fn every_pair_of_statuses_is_allowed_exactly_when_the_table_lists_it() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = if ALLOWED.contains(&(from, to)) {
                    Ok(to)
                } else {
                    Err(InvalidTransition { from, to })
                };
                assert_eq!(from.transition_to(to), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn delivered_rejected_and_cancelled_are_terminal() {
        let terminal: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [Rejected, Cancelled, Delivered]);
    }

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        for raw in [
            "",
            "pending",
            "PENDING",
            " Pending",
            "Shipped",
            "ready_for_pickup",
        ] {
            assert_eq!(
                raw.parse::<OrderStatus>(),
                Err(ParseOrderStatusError),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn an_invalid_transition_names_both_statuses() {
        let error = Delivered.transition_to(Pending).unwrap_err();
        assert_eq!(
            error.to_string(),
            "an order cannot change from Delivered to Pending"
        );
    }
}
