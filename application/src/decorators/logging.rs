//! Logs every use case call once: method, the caller, the order it concerns, how long it took and how it ended.

use std::time::Instant;

use domain::{Order, OrderId};

use crate::{
    Caller, ChangeStatus, ListOrders, OrderPage, OrderService, PlaceOrder, Placed, ServiceError,
    error_chain,
};

/// Logs each call of the wrapped service: `debug` when it succeeds or the caller was at fault, `warn` when the
/// service itself failed (unavailable or internal), with the error's source chain.
#[derive(Debug, Clone)]
pub struct LoggingService<S> {
    next: S,
}

impl<S> LoggingService<S> {
    /// Wraps `next`.
    pub const fn new(next: S) -> Self {
        Self { next }
    }
}

fn log_outcome<T>(
    method: &str,
    caller: &Caller,
    subject: &dyn std::fmt::Display,
    started: Instant,
    result: &Result<T, ServiceError>,
) {
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(_) => {
            log::debug!(method, caller:% = caller, order_id:% = subject, took_ms, outcome = "ok"; "service call")
        }
        Err(error @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => {
            log::warn!(method, caller:% = caller, order_id:% = subject, took_ms, outcome = "failed", error = error_chain(error).as_str(); "service call");
        }
        Err(error) => {
            log::debug!(method, caller:% = caller, order_id:% = subject, took_ms, outcome = "refused", error:% = error; "service call");
        }
    }
}

impl<S: OrderService> OrderService for LoggingService<S> {
    fn place_order(&self, caller: &Caller, command: PlaceOrder) -> Result<Placed, ServiceError> {
        let started = Instant::now();
        let result = self.next.place_order(caller, command);
        let subject: &dyn std::fmt::Display = match &result {
            Ok(placed) => &placed.id,
            Err(_) => &"-",
        };
        log_outcome("place_order", caller, subject, started, &result);
        result
    }

    fn find_order(&self, caller: &Caller, id: &OrderId) -> Result<Order, ServiceError> {
        let started = Instant::now();
        let result = self.next.find_order(caller, id);
        log_outcome("find_order", caller, id, started, &result);
        result
    }

    fn list_orders(&self, caller: &Caller, query: ListOrders) -> Result<OrderPage, ServiceError> {
        let started = Instant::now();
        let result = self.next.list_orders(caller, query);
        log_outcome("list_orders", caller, &"-", started, &result);
        result
    }

    fn change_status(&self, caller: &Caller, command: ChangeStatus) -> Result<Order, ServiceError> {
        let started = Instant::now();
        let result = self.next.change_status(caller, command);
        log_outcome("change_status", caller, &command.id, started, &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockOrderService;
    use domain::{OrderStatus, RepositoryError};

    const ID: OrderId = OrderId::from_bytes([2; 16]);

    #[test]
    fn results_pass_through_unchanged() {
        let mut next = MockOrderService::new();
        next.expect_place_order().times(1).returning(|_, _| {
            Ok(Placed {
                id: ID,
                replayed: false,
            })
        });
        next.expect_find_order()
            .times(1)
            .returning(|_, id| Err(ServiceError::NotFound(*id)));
        next.expect_change_status().times(1).returning(|_, _| {
            Err(ServiceError::Unavailable(RepositoryError::Unavailable(
                "down".into(),
            )))
        });
        let service = LoggingService::new(next);
        let command = PlaceOrder {
            draft: domain::OrderDraft::default(),
            idempotency_key: None,
        };
        assert_eq!(
            service.place_order(&Caller::Anyone, command).unwrap().id,
            ID
        );
        assert!(
            matches!(service.find_order(&Caller::Anyone, &ID), Err(ServiceError::NotFound(id)) if id == ID)
        );
        let command = ChangeStatus {
            id: ID,
            status: OrderStatus::Accepted,
            expected_version: None,
        };
        assert!(matches!(
            service.change_status(&Caller::Anyone, command),
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[test]
    fn the_chain_names_every_source() {
        let error =
            ServiceError::Unavailable(RepositoryError::Unavailable("connection refused".into()));
        assert_eq!(
            error_chain(&error),
            "the order service is unavailable: the order store is unavailable: connection refused"
        );
    }
}
