//! Place an order: validate it, store it as `Pending`, and with an idempotency key, answer a retry with the first
//! attempt's order.

use domain::{
    Clock, IdGenerator, IdempotencyRecord, Insertion, Order, OrderEvent, OrderRepository,
};

use super::CoreOrderService;
use crate::fingerprint::fingerprint;
use crate::{Caller, PlaceOrder, Placed, ServiceError, policy};

impl<R: OrderRepository, C: Clock, I: IdGenerator> CoreOrderService<R, C, I> {
    pub(super) fn place(
        &self,
        caller: &Caller,
        command: PlaceOrder,
    ) -> Result<Placed, ServiceError> {
        policy::may_place_orders(caller)?;
        let new_order = command.draft.validate()?;
        policy::may_place(caller, &new_order)?;
        let now = self.clock.now();
        // Taken from the validated order: one key names one order however it was spelled or carried. The key is the
        // caller's own: another caller's record of the same key is another request.
        let record = command.idempotency_key.map(|key| IdempotencyRecord {
            owner: caller.key_owner(),
            key,
            fingerprint: fingerprint(&new_order),
            at: now,
            expired_before: now.minus(self.idempotency_retention),
        });
        let order = Order::place(self.ids.next_id(), new_order, now);
        // Stored with the order or not at all: a replay stores neither, so it tells nobody again.
        let event = self
            .record_events
            .then(|| OrderEvent::placed(self.ids.next_event_id(), &order));
        match self
            .repository
            .insert(&order, record.as_ref(), event.as_ref())?
        {
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
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use domain::{
        IdempotencyKey, MockOrderRepository, OrderDraft, OrderId, OrderStatus, RepositoryError,
        RequestFingerprint, Version,
    };

    use super::*;
    use crate::OrderService;
    use crate::use_cases::test_support::{
        EVENT_ID, ID, NOW, draft, its_restaurant, owner, service, stranger, unavailable,
    };

    #[test]
    fn placing_an_order_stores_it_pending_with_a_fresh_id_and_the_clocks_time() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|order, idempotency, _event| {
                idempotency.is_none()
                    && order.id() == ID
                    && order.status() == OrderStatus::Pending
                    && order.created_on() == NOW
                    && order.version() == Version::FIRST
                    && order.total().cents() == 2500
            })
            .times(1)
            .returning(|_, _, _| Ok(Insertion::Inserted));
        assert_eq!(
            service(repository)
                .place_order(&Caller::Anyone, plain(draft()))
                .unwrap(),
            Placed {
                id: ID,
                replayed: false
            }
        );
    }

    #[test]
    fn recording_events_stores_the_placed_event_with_the_order() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|order, _, event| {
                event.is_some_and(|event| {
                    event.id() == EVENT_ID
                        && event.change() == domain::OrderChange::Placed
                        && event.order() == order
                })
            })
            .times(1)
            .returning(|_, _, _| Ok(Insertion::Inserted));
        let service = service(repository).recording_events();
        assert!(service.place_order(&Caller::Anyone, plain(draft())).is_ok());
    }

    #[test]
    fn without_recording_events_none_is_stored() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|_, _, event| event.is_none())
            .times(1)
            .returning(|_, _, _| Ok(Insertion::Inserted));
        assert!(
            service(repository)
                .place_order(&Caller::Anyone, plain(draft()))
                .is_ok()
        );
    }

    #[test]
    fn an_invalid_order_is_refused_before_storage() {
        let mut repository = MockOrderRepository::new();
        repository.expect_insert().never();
        let result = service(repository).place_order(
            &Caller::Anyone,
            plain(OrderDraft {
                customer_id: None,
                ..draft()
            }),
        );
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
            .returning(|_, _, _| Err(unavailable()));
        assert!(matches!(
            service(repository).place_order(&Caller::Anyone, plain(draft())),
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[test]
    fn an_id_collision_while_placing_is_internal() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .times(1)
            .returning(|_, _, _| Err(RepositoryError::Conflict));
        assert!(matches!(
            service(repository).place_order(&Caller::Anyone, plain(draft())),
            Err(ServiceError::Internal(_))
        ));
    }

    fn plain(draft: OrderDraft) -> PlaceOrder {
        PlaceOrder {
            draft,
            idempotency_key: None,
        }
    }

    fn keyed(draft: OrderDraft) -> PlaceOrder {
        PlaceOrder {
            draft,
            idempotency_key: Some(IdempotencyKey::new("retry-1").unwrap()),
        }
    }

    /// The fingerprint the core takes of `draft`.
    fn print_of(draft: OrderDraft) -> RequestFingerprint {
        fingerprint(&draft.validate().unwrap())
    }

    const EARLIER: OrderId = OrderId::from_bytes([8; 16]);

    fn key_taken_by(fingerprint: RequestFingerprint) -> MockOrderRepository {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .times(1)
            .returning(move |_, _, _| {
                Ok(Insertion::KeyTaken {
                    order_id: EARLIER,
                    fingerprint,
                })
            });
        repository
    }

    #[test]
    fn a_keyed_order_is_stored_with_its_record_expiring_after_the_retention() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|_, record, _| {
                record.is_some_and(|r| {
                    r.key.as_str() == "retry-1"
                        && r.at == NOW
                        && r.expired_before == NOW.minus(Duration::from_secs(3600))
                        && r.fingerprint == print_of(draft())
                })
            })
            .times(1)
            .returning(|_, _, _| Ok(Insertion::Inserted));
        let service = service(repository).with_idempotency_retention(Duration::from_secs(3600));
        assert_eq!(
            service
                .place_order(&Caller::Anyone, keyed(draft()))
                .unwrap(),
            Placed {
                id: ID,
                replayed: false
            }
        );
    }

    #[test]
    fn a_retry_with_the_same_content_replays_the_earlier_order() {
        let placed = service(key_taken_by(print_of(draft())))
            .place_order(&Caller::Anyone, keyed(draft()))
            .unwrap();
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
        let other = OrderDraft {
            customer_id: Some("c-2".into()),
            ..draft()
        };
        let result =
            service(key_taken_by(print_of(draft()))).place_order(&Caller::Anyone, keyed(other));
        assert!(matches!(result, Err(ServiceError::IdempotencyKeyReused)));
    }

    #[test]
    fn a_retry_spelled_differently_is_still_a_replay() {
        let mut respelled = draft();
        respelled.customer_id = Some("  c-1 ".into());
        if let Some(items) = respelled.items.as_mut() {
            items[0].unit_price = Some("12.5".into());
            items[0].quantity = Some("2.0".into());
        }
        let placed = service(key_taken_by(print_of(draft())))
            .place_order(&Caller::Anyone, keyed(respelled))
            .unwrap();
        assert!(placed.replayed);
    }

    #[test]
    fn a_customer_places_orders_for_itself_only_and_a_restaurant_places_none() {
        for (caller, expected) in [
            (stranger(), crate::Forbidden::PlacingForAnotherCustomer),
            (its_restaurant(), crate::Forbidden::RestaurantPlacing),
        ] {
            let mut repository = MockOrderRepository::new();
            repository.expect_insert().never();
            let result = service(repository).place_order(&caller, plain(draft()));
            assert!(
                matches!(result, Err(ServiceError::Forbidden(why)) if why == expected),
                "{caller}: {result:?}"
            );
        }
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .times(1)
            .returning(|_, _, _| Ok(Insertion::Inserted));
        assert!(
            service(repository)
                .place_order(&owner(), plain(draft()))
                .is_ok()
        );
    }

    #[test]
    fn a_restaurant_is_refused_before_its_order_is_read() {
        let result = service(MockOrderRepository::new())
            .place_order(&its_restaurant(), plain(OrderDraft::default()));
        assert!(
            matches!(result, Err(ServiceError::Forbidden(_))),
            "{result:?}"
        );
    }

    #[test]
    fn a_key_is_stored_as_its_callers_own() {
        let mut repository = MockOrderRepository::new();
        repository
            .expect_insert()
            .withf(|_, record, _| record.is_some_and(|r| r.owner.as_str() == "customer:c-1"))
            .times(1)
            .returning(|_, _, _| Ok(Insertion::Inserted));
        assert!(
            service(repository)
                .place_order(&owner(), keyed(draft()))
                .is_ok()
        );
    }
}
