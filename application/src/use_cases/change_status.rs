//! Change an order's status: the policy says whether the caller may ask, the domain decides, the repository applies the change as a compare-and-set, and a
//! lost race is judged again on the new state.

use domain::{Clock, IdGenerator, Order, OrderEvent, OrderRepository, RepositoryError};

use super::CoreOrderService;
use crate::{Caller, ChangeStatus, ServiceError, policy};

/// How many times a status change is decided again after losing a compare-and-set. Each loss means another request
/// moved the order one step, and the longest path through the lifecycle has five steps, so six attempts always reach
/// a verdict.
const STATUS_CHANGE_ATTEMPTS: usize = 6;

impl<R: OrderRepository, C: Clock, I: IdGenerator> CoreOrderService<R, C, I> {
    pub(super) fn change(
        &self,
        caller: &Caller,
        command: ChangeStatus,
    ) -> Result<Order, ServiceError> {
        for _ in 0..STATUS_CHANGE_ATTEMPTS {
            let order = self.find(caller, &command.id)?;
            // Judged on the state the compare-and-set is made on, so a customer's cancel cannot land on an order
            // that was accepted meanwhile.
            policy::may_change(caller, &order, command.status)?;
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
            let changed = order.apply(&change);
            // Only a change that happens is told: a refusal or a no-op returned above, before writing anything.
            let event = self.record_events.then(|| {
                OrderEvent::status_changed(self.ids.next_event_id(), &changed, change.from)
            });
            match self.repository.update_status(&change, event.as_ref()) {
                Ok(()) => return Ok(changed),
                Err(RepositoryError::Conflict) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(ServiceError::Unavailable(RepositoryError::Conflict))
    }
}

#[cfg(test)]
mod tests {
    use domain::{MockOrderRepository, OrderStatus, Version};

    use super::*;
    use crate::OrderService;
    use crate::use_cases::test_support::{
        EVENT_ID, ID, NOW, its_restaurant, owner, service, stored, stranger, unavailable,
    };

    fn change(status: OrderStatus, version: Option<u64>) -> ChangeStatus {
        ChangeStatus {
            id: ID,
            status,
            expected_version: version.map(Version::new),
        }
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
            .withf(move |change, event| *change == expected && event.is_none())
            .times(1)
            .returning(|_, _| Ok(()));
        let order = service(repository)
            .change_status(&Caller::Anyone, change(OrderStatus::Accepted, Some(1)))
            .unwrap();
        assert_eq!(
            (order.status(), order.version(), order.updated_on()),
            (OrderStatus::Accepted, Version::new(2), NOW)
        );
    }

    #[test]
    fn recording_events_stores_the_change_with_both_statuses_and_the_changed_order() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .returning(|_| Ok(Some(stored(OrderStatus::Pending, 1))));
        repository
            .expect_update_status()
            .withf(|change, event| {
                event.is_some_and(|event| {
                    event.id() == EVENT_ID
                        && event.change()
                            == domain::OrderChange::StatusChanged {
                                from: OrderStatus::Pending,
                                to: OrderStatus::Accepted,
                            }
                        && event.version() == change.from_version.next()
                        && event.order().status() == OrderStatus::Accepted
                        && event.occurred_on() == NOW
                })
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let service = service(repository).recording_events();
        assert!(
            service
                .change_status(&Caller::Anyone, change(OrderStatus::Accepted, None))
                .is_ok()
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
                .change_status(&Caller::Anyone, change(OrderStatus::Accepted, None))
                .unwrap()
                .version(),
            Version::new(2)
        );
        assert_eq!(
            service
                .change_status(&Caller::Anyone, change(OrderStatus::Accepted, Some(1)))
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
        let result = service(repository)
            .change_status(&Caller::Anyone, change(OrderStatus::Cancelled, None));
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
        let result = service(repository)
            .change_status(&Caller::Anyone, change(OrderStatus::Preparing, Some(1)));
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
            service(repository).change_status(&Caller::Anyone, change(OrderStatus::Accepted, None)),
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
            .returning(|_, _| Err(RepositoryError::Conflict));
        let result =
            service(repository).change_status(&Caller::Anyone, change(OrderStatus::Accepted, None));
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
            .returning(|_, _| Err(RepositoryError::Conflict));
        let order = service(repository)
            .change_status(&Caller::Anyone, change(OrderStatus::Accepted, None))
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
            .returning(|_, _| Err(RepositoryError::Conflict));
        let result = service(repository)
            .change_status(&Caller::Anyone, change(OrderStatus::Cancelled, Some(1)));
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
            .returning(|_, _| Err(RepositoryError::Conflict));
        let result =
            service(repository).change_status(&Caller::Anyone, change(OrderStatus::Accepted, None));
        assert!(matches!(
            result,
            Err(ServiceError::Unavailable(RepositoryError::Conflict))
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
            .returning(|_, _| Err(unavailable()));
        let result =
            service(repository).change_status(&Caller::Anyone, change(OrderStatus::Accepted, None));
        assert!(matches!(result, Err(ServiceError::Unavailable(_))));
    }

    fn reading(status: OrderStatus) -> MockOrderRepository {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_find()
            .returning(move |_| Ok(Some(stored(status, 1))));
        repository
    }

    #[test]
    fn a_refused_change_writes_nothing() {
        let table = [
            (
                owner(),
                OrderStatus::Pending,
                OrderStatus::Accepted,
                "forbidden",
            ),
            (
                owner(),
                OrderStatus::Accepted,
                OrderStatus::Cancelled,
                "forbidden",
            ),
            (
                stranger(),
                OrderStatus::Pending,
                OrderStatus::Cancelled,
                "not found",
            ),
        ];
        for (caller, from, to, expected) in table {
            let mut repository = reading(from);
            repository.expect_update_status().never();
            let result = service(repository).change_status(&caller, change(to, None));
            let verdict = match result {
                Err(ServiceError::Forbidden(_)) => "forbidden",
                Err(ServiceError::NotFound(_)) => "not found",
                _ => "other",
            };
            assert_eq!(verdict, expected, "{caller}: {from} -> {to}");
        }
    }

    #[test]
    fn a_customer_cancels_its_pending_order_and_a_restaurant_moves_its_own() {
        for (caller, from, to) in [
            (owner(), OrderStatus::Pending, OrderStatus::Cancelled),
            (
                its_restaurant(),
                OrderStatus::Pending,
                OrderStatus::Accepted,
            ),
        ] {
            let mut repository = reading(from);
            repository
                .expect_update_status()
                .times(1)
                .returning(|_, _| Ok(()));
            let order = service(repository)
                .change_status(&caller, change(to, None))
                .unwrap();
            assert_eq!(order.status(), to);
        }
    }

    #[test]
    fn a_cancel_that_lost_to_an_accept_is_judged_again_and_refused() {
        let mut repository = MockOrderRepository::new();
        let mut reads = 0;
        repository.expect_find().times(2).returning(move |_| {
            reads += 1;
            // Pending when first read; accepted by the restaurant before the cancel's compare-and-set.
            Ok(Some(if reads == 1 {
                stored(OrderStatus::Pending, 1)
            } else {
                stored(OrderStatus::Accepted, 2)
            }))
        });
        repository
            .expect_update_status()
            .times(1)
            .returning(|_, _| Err(RepositoryError::Conflict));
        let result =
            service(repository).change_status(&owner(), change(OrderStatus::Cancelled, None));
        assert!(
            matches!(
                result,
                Err(ServiceError::Forbidden(
                    crate::Forbidden::CancellingAfterPending
                ))
            ),
            "{result:?}"
        );
    }
}
