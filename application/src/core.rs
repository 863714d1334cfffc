//! The core order service: the use cases, written against the ports only (Go kit's `implementation/`).

use std::time::Duration;

use domain::{
    Clock, IdGenerator, IdempotencyRecord, Insertion, Order, OrderId, OrderPosition,
    OrderRepository, RepositoryError,
};

use crate::{ChangeStatus, ListOrders, OrderPage, OrderService, PlaceOrder, Placed, ServiceError};

/// How many times a status change is decided again after losing a compare-and-set. Each loss means another request
/// moved the order one step, and the longest path through the lifecycle has five steps, so six attempts always reach
/// a verdict.
const STATUS_CHANGE_ATTEMPTS: usize = 6;

/// How long an idempotency key is kept by default: a day, so a client retrying after any outage is covered.
pub const DEFAULT_IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The use cases over a repository, a clock and an id generator. Silent: logging and metrics are decorators.
#[derive(Debug, Clone)]
pub struct CoreOrderService<R, C, I> {
    repository: R,
    clock: C,
    ids: I,
    idempotency_retention: Duration,
}

impl<R, C, I> CoreOrderService<R, C, I> {
    /// The service over its three ports, keeping idempotency keys for [`DEFAULT_IDEMPOTENCY_RETENTION`].
    pub const fn new(repository: R, clock: C, ids: I) -> Self {
        Self {
            repository,
            clock,
            ids,
            idempotency_retention: DEFAULT_IDEMPOTENCY_RETENTION,
        }
    }

    /// The same, keeping idempotency keys for `retention`: a key older than that may be used again.
    #[must_use]
    pub const fn with_idempotency_retention(mut self, retention: Duration) -> Self {
        self.idempotency_retention = retention;
        self
    }
}

impl<R: OrderRepository, C: Clock, I: IdGenerator> OrderService for CoreOrderService<R, C, I> {
    fn place_order(&self, command: PlaceOrder) -> Result<Placed, ServiceError> {
        let new_order = command.draft.validate()?;
        let now = self.clock.now();
        let order = Order::place(self.ids.next_id(), new_order, now);
        let record = command
            .idempotency
            .map(|(key, fingerprint)| IdempotencyRecord {
                key,
                fingerprint,
                at: now,
                expired_before: now.minus(self.idempotency_retention),
            });
        match self.repository.insert(&order, record.as_ref())? {
            Insertion::Inserted => Ok(Placed {
                id: order.id(),
                replayed: false,
            }),
            Insertion::KeyTaken {
                order_id,
                fingerprint,
            } if record
                .as_ref()
                .is_some_and(|r| r.fingerprint == fingerprint) =>
            {
                Ok(Placed {
                    id: order_id,
                    replayed: true,
                })
            }
            Insertion::KeyTaken { .. } => Err(ServiceError::IdempotencyKeyReused),
        }
    }

    fn find_order(&self, id: &OrderId) -> Result<Order, ServiceError> {
        self.repository.find(id)?.ok_or(ServiceError::NotFound(*id))
    }

    fn list_orders(&self, query: ListOrders) -> Result<OrderPage, ServiceError> {
        let limit = query.limit.get();
        // One more than asked: if it comes back, there is a next page, and it starts after the last order shown.
        let mut orders =
            self.repository
                .list(&query.filter, query.after, limit.saturating_add(1))?;
        let more = orders.len() > limit as usize;
        orders.truncate(limit as usize);
        let next = if more {
            orders.last().map(OrderPosition::of)
        } else {
            None
        };
        Ok(OrderPage { orders, next })
    }

    fn change_status(&self, command: ChangeStatus) -> Result<Order, ServiceError> {
        for _ in 0..STATUS_CHANGE_ATTEMPTS {
            let order = self.find_order(&command.id)?;
            let decision = order.change_status(command.status, self.clock.now());
            // The no-op comes first: a client retrying a change that already happened succeeds, If-Match or not.
            if matches!(decision, Ok(None)) {
                return Ok(order);
            }
            if let Some(expected) = command.expected_version.filter(|v| *v != order.version()) {
                return Err(ServiceError::VersionMismatch {
                    expected,
                    actual: order.version(),
                });
            }
            let Some(change) = decision? else {
                return Ok(order);
            };
            match self.repository.update_status(&change) {
                Ok(()) => return Ok(order.apply(&change)),
                Err(RepositoryError::Conflict) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Unavailable(RepositoryError::Conflict))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{
        MockClock, MockIdGenerator, MockOrderRepository, OrderDraft, OrderItemDraft, OrderStatus,
        StoredOrder, Timestamp, Version,
    };
    use mockall::predicate::eq;

    const NOW: Timestamp = Timestamp::from_unix_micros(1_700_000_000_000_000);
    const ID: OrderId = OrderId::from_bytes([1; 16]);

    fn draft() -> OrderDraft {
        OrderDraft {
            customer_id: Some("c-1".into()),
            restaurant_id: Some("r-1".into()),
            items: Some(vec![OrderItemDraft {
                product_code: Some("p-1".into()),
                name: Some("Pad thai".into()),
                unit_price: Some("12.50".into()),
                quantity: Some("2".into()),
            }]),
        }
    }

    fn stored(status: OrderStatus, version: u64) -> Order {
        let placed = Order::place(
            ID,
            draft().validate().unwrap(),
            Timestamp::from_unix_micros(5),
        );
        Order::restore(StoredOrder {
            status,
            version: Version::new(version),
            ..stored_parts(&placed)
        })
    }

    fn stored_parts(order: &Order) -> StoredOrder {
        StoredOrder {
            id: order.id(),
            customer_id: order.customer_id().clone(),
            restaurant_id: order.restaurant_id().clone(),
            status: order.status(),
            created_on: order.created_on(),
            updated_on: order.updated_on(),
            version: order.version(),
            items: domain::OrderItems::new(order.items().to_vec()).unwrap(),
        }
    }

    fn clock() -> MockClock {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        clock
    }

    fn ids() -> MockIdGenerator {
        let mut ids = MockIdGenerator::new();
        ids.expect_next_id().return_const(ID);
        ids
    }

    fn service(
        repository: MockOrderRepository,
    ) -> CoreOrderService<MockOrderRepository, MockClock, MockIdGenerator> {
        CoreOrderService::new(repository, clock(), ids())
    }

    fn unavailable() -> RepositoryError {
        RepositoryError::Unavailable("connection refused".into())
    }

    fn change(status: OrderStatus, version: Option<u64>) -> ChangeStatus {
        ChangeStatus {
            id: ID,
            status,
            expected_version: version.map(Version::new),
        }
    }

    #[test]
    fn placing_an_order_stores_it_pending_with_a_fresh_id_and_the_clocks_time() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|order, idempotency| {
                idempotency.is_none()
                    && order.id() == ID
                    && order.status() == OrderStatus::Pending
                    && order.created_on() == NOW
                    && order.version() == Version::FIRST
                    && order.total().cents() == 2500
            })
            .times(1)
            .returning(|_, _| Ok(Insertion::Inserted));
        assert_eq!(
            service(repository).place_order(plain(draft())).unwrap(),
            Placed {
                id: ID,
                replayed: false
            }
        );
    }

    #[test]
    fn an_invalid_order_is_refused_before_storage() {
        let mut repository = MockOrderRepository::new();
        repository.expect_insert().never();
        let result = service(repository).place_order(plain(OrderDraft {
            customer_id: None,
            ..draft()
        }));
        assert!(
            matches!(result, Err(ServiceError::Invalid(errors)) if errors.fields()[0].field == "customer_id")
        );
    }

    #[test]
    fn a_storage_outage_while_placing_is_unavailable() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .times(1)
            .returning(|_, _| Err(unavailable()));
        assert!(matches!(
            service(repository).place_order(plain(draft())),
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[test]
    fn an_id_collision_while_placing_is_internal() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .times(1)
            .returning(|_, _| Err(RepositoryError::Conflict));
        assert!(matches!(
            service(repository).place_order(plain(draft())),
            Err(ServiceError::Internal(_))
        ));
    }

    fn plain(draft: OrderDraft) -> PlaceOrder {
        PlaceOrder {
            draft,
            idempotency: None,
        }
    }

    fn keyed(fingerprint: u8) -> PlaceOrder {
        let key = domain::IdempotencyKey::new("retry-1").unwrap();
        PlaceOrder {
            draft: draft(),
            idempotency: Some((key, domain::RequestFingerprint::new([fingerprint; 32]))),
        }
    }

    const EARLIER: OrderId = OrderId::from_bytes([8; 16]);

    fn key_taken_by(fingerprint: u8) -> MockOrderRepository {
        let mut repository = MockOrderRepository::new();
        repository.expect_insert().times(1).returning(move |_, _| {
            Ok(Insertion::KeyTaken {
                order_id: EARLIER,
                fingerprint: domain::RequestFingerprint::new([fingerprint; 32]),
            })
        });
        repository
    }

    #[test]
    fn a_keyed_order_is_stored_with_its_record_expiring_after_the_retention() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|_, record| {
                record.is_some_and(|r| {
                    r.key.as_str() == "retry-1"
                        && r.at == NOW
                        && r.expired_before == NOW.minus(Duration::from_secs(3600))
                        && r.fingerprint == domain::RequestFingerprint::new([1; 32])
                })
            })
            .times(1)
            .returning(|_, _| Ok(Insertion::Inserted));
        let service = service(repository).with_idempotency_retention(Duration::from_secs(3600));
        assert_eq!(
            service.place_order(keyed(1)).unwrap(),
            Placed {
                id: ID,
                replayed: false
            }
        );
    }

    #[test]
    fn a_retry_with_the_same_content_replays_the_earlier_order() {
        let placed = service(key_taken_by(1)).place_order(keyed(1)).unwrap();
        assert_eq!(
            placed,
            Placed {
                id: EARLIER,
                replayed: true
            }
        );
    }

    #[test]
    fn a_key_reused_for_other_content_is_refused() {
        let result = service(key_taken_by(1)).place_order(keyed(2));
        assert!(matches!(result, Err(ServiceError::IdempotencyKeyReused)));
    }

    #[test]
    fn finding_an_order_returns_it() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .with(eq(ID))
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        assert_eq!(service(repository).find_order(&ID).unwrap().id(), ID);
    }

    #[test]
    fn finding_an_unknown_order_is_not_found() {
        let mut repository = MockOrderRepository::new();
        repository.expect_find().times(1).returning(|_| Ok(None));
        assert!(
            matches!(service(repository).find_order(&ID), Err(ServiceError::NotFound(id)) if id == ID)
        );
    }

    #[test]
    fn a_storage_failure_while_finding_is_internal() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(1)
            .returning(|_| Err(RepositoryError::Other("corrupt row".into())));
        assert!(matches!(
            service(repository).find_order(&ID),
            Err(ServiceError::Internal(_))
        ));
    }

    #[test]
    fn an_allowed_change_is_applied_as_a_compare_and_set_on_the_read_state() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        let expected = domain::StatusChange {
            id: ID,
            from: OrderStatus::Pending,
            to: OrderStatus::Accepted,
            from_version: Version::new(1),
            at: NOW,
        };
        repository
            .expect_update_status()
            .with(eq(expected))
            .times(1)
            .returning(|_| Ok(()));
        let order = service(repository)
            .change_status(change(OrderStatus::Accepted, Some(1)))
            .unwrap();
        assert_eq!(
            (order.status(), order.version(), order.updated_on()),
            (OrderStatus::Accepted, Version::new(2), NOW)
        );
    }

    #[test]
    fn changing_to_the_current_status_writes_nothing_even_with_a_stale_version() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(2)
            .returning(|_| Ok(Some(stored(OrderStatus::Accepted, 2))));
        repository.expect_update_status().never();
        let service = service(repository);
        assert_eq!(
            service
                .change_status(change(OrderStatus::Accepted, None))
                .unwrap()
                .version(),
            Version::new(2)
        );
        assert_eq!(
            service
                .change_status(change(OrderStatus::Accepted, Some(1)))
                .unwrap()
                .version(),
            Version::new(2)
        );
    }

    #[test]
    fn a_change_the_lifecycle_forbids_is_refused_without_writing() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Delivered, 6))));
        repository.expect_update_status().never();
        let result = service(repository).change_status(change(OrderStatus::Cancelled, None));
        assert!(matches!(
            result,
            Err(ServiceError::InvalidTransition(e)) if e.from == OrderStatus::Delivered && e.to == OrderStatus::Cancelled
        ));
    }

    #[test]
    fn a_stale_expected_version_is_refused_without_writing() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Accepted, 2))));
        repository.expect_update_status().never();
        let result = service(repository).change_status(change(OrderStatus::Preparing, Some(1)));
        assert!(matches!(
            result,
            Err(ServiceError::VersionMismatch { expected, actual }) if expected.get() == 1 && actual.get() == 2
        ));
    }

    #[test]
    fn changing_an_unknown_order_is_not_found() {
        let mut repository = MockOrderRepository::new();
        repository.expect_find().times(1).returning(|_| Ok(None));
        repository.expect_update_status().never();
        assert!(matches!(
            service(repository).change_status(change(OrderStatus::Accepted, None)),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_lost_race_is_judged_again_on_the_new_state() {
        let mut repository = MockOrderRepository::new();
        let mut reads = vec![
            stored(OrderStatus::Rejected, 2),
            stored(OrderStatus::Pending, 1),
        ];
        repository
            .expect_find()
            .times(2)
            .returning(move |_| Ok(reads.pop()));
        repository
            .expect_update_status()
            .times(1)
            .returning(|_| Err(RepositoryError::Conflict));
        let result = service(repository).change_status(change(OrderStatus::Accepted, None));
        assert!(
            matches!(result, Err(ServiceError::InvalidTransition(e)) if e.from == OrderStatus::Rejected)
        );
    }

    #[test]
    fn a_race_lost_to_the_same_change_is_a_success() {
        let mut repository = MockOrderRepository::new();
        let mut reads = vec![
            stored(OrderStatus::Accepted, 2),
            stored(OrderStatus::Pending, 1),
        ];
        repository
            .expect_find()
            .times(2)
            .returning(move |_| Ok(reads.pop()));
        repository
            .expect_update_status()
            .times(1)
            .returning(|_| Err(RepositoryError::Conflict));
        let order = service(repository)
            .change_status(change(OrderStatus::Accepted, None))
            .unwrap();
        assert_eq!(
            (order.status(), order.version()),
            (OrderStatus::Accepted, Version::new(2))
        );
    }

    #[test]
    fn a_race_lost_under_if_match_is_a_version_mismatch() {
        let mut repository = MockOrderRepository::new();
        let mut reads = vec![
            stored(OrderStatus::Accepted, 2),
            stored(OrderStatus::Pending, 1),
        ];
        repository
            .expect_find()
            .times(2)
            .returning(move |_| Ok(reads.pop()));
        repository
            .expect_update_status()
            .times(1)
            .returning(|_| Err(RepositoryError::Conflict));
        let result = service(repository).change_status(change(OrderStatus::Cancelled, Some(1)));
        assert!(matches!(result, Err(ServiceError::VersionMismatch { .. })));
    }

    #[test]
    fn endless_conflicts_give_up_as_unavailable() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(STATUS_CHANGE_ATTEMPTS)
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        repository
            .expect_update_status()
            .times(STATUS_CHANGE_ATTEMPTS)
            .returning(|_| Err(RepositoryError::Conflict));
        let result = service(repository).change_status(change(OrderStatus::Accepted, None));
        assert!(matches!(
            result,
            Err(ServiceError::Unavailable(RepositoryError::Conflict))
        ));
    }

    fn listed(count: u8) -> Vec<Order> {
        (0..count)
            .map(|i| {
                let new = draft().validate().unwrap();
                Order::place(
                    OrderId::from_bytes([i; 16]),
                    new,
                    Timestamp::from_unix_micros(1_000 - i64::from(i)),
                )
            })
            .collect()
    }

    fn list_query(limit: u32) -> ListOrders {
        ListOrders {
            filter: domain::OrderFilter::default(),
            limit: domain::PageSize::new(limit).unwrap(),
            after: None,
        }
    }

    #[test]
    fn a_full_page_asks_for_one_more_and_points_after_its_last_order() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .withf(|_, after, limit| after.is_none() && *limit == 3)
            .times(1)
            .returning(|_, _, _| Ok(listed(3)));
        let page = service(repository).list_orders(list_query(2)).unwrap();
        assert_eq!(page.orders.len(), 2);
        assert_eq!(page.next, Some(OrderPosition::of(&listed(2)[1])));
    }

    #[test]
    fn the_last_page_has_no_next_position() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _| Ok(listed(2)));
        let page = service(repository).list_orders(list_query(2)).unwrap();
        assert_eq!((page.orders.len(), page.next), (2, None));
    }

    #[test]
    fn the_filter_and_position_reach_the_repository() {
        let filter = domain::OrderFilter {
            status: Some(OrderStatus::Accepted),
            ..Default::default()
        };
        let after = OrderPosition::of(&listed(1)[0]);
        let expected = filter.clone();
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .withf(move |f, a, _| *f == expected && *a == Some(after))
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let query = ListOrders {
            filter,
            after: Some(after),
            ..list_query(5)
        };
        assert_eq!(
            service(repository).list_orders(query).unwrap(),
            OrderPage {
                orders: vec![],
                next: None
            }
        );
    }

    #[test]
    fn a_storage_outage_while_listing_is_unavailable() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_list()
            .times(1)
            .returning(|_, _, _| Err(unavailable()));
        assert!(matches!(
            service(repository).list_orders(list_query(5)),
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[test]
    fn a_storage_outage_while_changing_is_unavailable() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .times(1)
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        repository
            .expect_update_status()
            .times(1)
            .returning(|_| Err(unavailable()));
        let result = service(repository).change_status(change(OrderStatus::Accepted, None));
        assert!(matches!(result, Err(ServiceError::Unavailable(_))));
    }
}
