//! Counts what happens in the repository: call latency and outcome, orders placed, status transitions.

use std::sync::Arc;
use std::time::Instant;

use domain::{
    IdempotencyRecord, Insertion, Order, OrderEvent, OrderFilter, OrderId, OrderPosition,
    OrderRepository, RepositoryError, StatusChange, Timestamp,
};

use crate::{CallOutcome, Metrics};

/// Wraps a repository and reports each call to [`Metrics`]; results pass through unchanged. Wrapping the
/// repository rather than the service sees what really changed: a status change counts once, when the
/// compare-and-set applies, and a retried or idempotent request counts nothing.
#[derive(Clone)]
pub struct MetricsRepository<R> {
    next: R,
    metrics: Arc<dyn Metrics>,
}

impl<R> MetricsRepository<R> {
    /// Wraps `next`, reporting to `metrics`.
    pub fn new(next: R, metrics: Arc<dyn Metrics>) -> Self {
        Self { next, metrics }
    }

    fn observe<T>(
        &self,
        operation: &'static str,
        call: impl FnOnce(&R) -> Result<T, RepositoryError>,
    ) -> Result<T, RepositoryError> {
        let started = Instant::now();
        let result = call(&self.next);
        self.metrics
            .repository_call(operation, CallOutcome::of(&result), started.elapsed());
        result
    }
}

impl<R: OrderRepository> OrderRepository for MetricsRepository<R> {
    fn insert(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
        event: Option<&OrderEvent>,
    ) -> Result<Insertion, RepositoryError> {
        let result = self.observe("insert", |next| next.insert(order, idempotency, event));
        if matches!(result, Ok(Insertion::Inserted)) {
            self.metrics.order_placed();
        }
        result
    }

    fn find(&self, id: &OrderId) -> Result<Option<Order>, RepositoryError> {
        self.observe("find", |next| next.find(id))
    }

    fn list(
        &self,
        filter: &OrderFilter,
        after: Option<OrderPosition>,
        limit: u32,
        max_weight: usize,
    ) -> Result<Vec<Order>, RepositoryError> {
        self.observe("list", |next| next.list(filter, after, limit, max_weight))
    }

    fn update_status(
        &self,
        change: &StatusChange,
        event: Option<&OrderEvent>,
    ) -> Result<(), RepositoryError> {
        let result = self.observe("update_status", |next| next.update_status(change, event));
        if result.is_ok() {
            self.metrics.status_changed(change.from, change.to);
        }
        result
    }

    fn purge_idempotency_keys(
        &self,
        expired_before: Timestamp,
        limit: u32,
    ) -> Result<usize, RepositoryError> {
        self.observe("purge_idempotency_keys", |next| {
            next.purge_idempotency_keys(expired_before, limit)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MockMetrics;
    use domain::{MockOrderRepository, OrderStatus, Version};
    use mockall::predicate::{always, eq};

    const ID: OrderId = OrderId::from_bytes([3; 16]);

    fn change() -> StatusChange {
        StatusChange {
            id: ID,
            from: OrderStatus::Pending,
            to: OrderStatus::Accepted,
            from_version: Version::FIRST,
            at: Timestamp::from_unix_micros(0),
        }
    }

    #[test]
    fn an_applied_change_counts_its_transition_and_the_call() {
        let mut next = MockOrderRepository::new();
        next.expect_update_status()
            .times(1)
            .returning(|_, _| Ok(()));
        let mut metrics = MockMetrics::new();
        metrics
            .expect_repository_call()
            .with(eq("update_status"), eq(CallOutcome::Ok), always())
            .times(1)
            .return_const(());
        metrics
            .expect_status_changed()
            .with(eq(OrderStatus::Pending), eq(OrderStatus::Accepted))
            .times(1)
            .return_const(());
        MetricsRepository::new(next, Arc::new(metrics))
            .update_status(&change(), None)
            .unwrap();
    }

    #[test]
    fn a_lost_compare_and_set_counts_a_conflict_and_no_transition() {
        let mut next = MockOrderRepository::new();
        next.expect_update_status()
            .times(1)
            .returning(|_, _| Err(RepositoryError::Conflict));
        let mut metrics = MockMetrics::new();
        metrics
            .expect_repository_call()
            .with(eq("update_status"), eq(CallOutcome::Conflict), always())
            .times(1)
            .return_const(());
        metrics.expect_status_changed().never();
        let result = MetricsRepository::new(next, Arc::new(metrics)).update_status(&change(), None);
        assert!(matches!(result, Err(RepositoryError::Conflict)));
    }

    #[test]
    fn a_failed_read_counts_its_outcome() {
        let mut next = MockOrderRepository::new();
        next.expect_find()
            .times(1)
            .returning(|_| Err(RepositoryError::Unavailable("down".into())));
        let mut metrics = MockMetrics::new();
        metrics
            .expect_repository_call()
            .with(eq("find"), eq(CallOutcome::Unavailable), always())
            .times(1)
            .return_const(());
        let repository = MetricsRepository::new(next, Arc::new(metrics));
        assert!(matches!(
            repository.find(&ID),
            Err(RepositoryError::Unavailable(_))
        ));
    }

    #[test]
    fn a_stored_order_counts_as_placed_and_a_failed_insert_does_not() {
        for (stored, placed) in [(true, 1), (false, 0)] {
            let mut next = MockOrderRepository::new();
            next.expect_insert().times(1).returning(move |_, _, _| {
                if stored {
                    Ok(Insertion::Inserted)
                } else {
                    Err(RepositoryError::Other("bug".into()))
                }
            });
            let mut metrics = MockMetrics::new();
            let outcome = if stored {
                CallOutcome::Ok
            } else {
                CallOutcome::Error
            };
            metrics
                .expect_repository_call()
                .with(eq("insert"), eq(outcome), always())
                .times(1)
                .return_const(());
            metrics.expect_order_placed().times(placed).return_const(());
            let repository = MetricsRepository::new(next, Arc::new(metrics));
            assert_eq!(
                repository.insert(&sample_order(), None, None).is_ok(),
                stored
            );
        }
    }

    fn sample_order() -> Order {
        let draft = domain::OrderDraft {
            customer_id: Some("c".into()),
            restaurant_id: Some("r".into()),
            items: Some(vec![domain::OrderItemDraft {
                product_code: Some("p".into()),
                name: Some("n".into()),
                unit_price: Some("1".into()),
                quantity: Some("1".into()),
            }]),
        };
        Order::place(
            ID,
            draft.validate().unwrap(),
            Timestamp::from_unix_micros(0),
        )
    }
}
