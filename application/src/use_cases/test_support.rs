//! What the use cases' tests share: a fixed clock and id, an order draft, and stored orders.

use domain::{
    MockClock, MockIdGenerator, MockOrderRepository, Order, OrderDraft, OrderId, OrderItemDraft,
    OrderStatus, RepositoryError, StoredOrder, Timestamp, Version,
};

use super::CoreOrderService;

pub(super) const NOW: Timestamp = Timestamp::from_unix_micros(1_700_000_000_000_000);

pub(super) const ID: OrderId = OrderId::from_bytes([1; 16]);

pub(super) const EVENT_ID: domain::EventId = domain::EventId::from_bytes([9; 16]);

pub(crate) fn draft() -> OrderDraft {
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

pub(super) fn stored(status: OrderStatus, version: u64) -> Order {
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

pub(super) fn stored_parts(order: &Order) -> StoredOrder {
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

pub(super) fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(NOW);
    clock
}

pub(super) fn ids() -> MockIdGenerator {
    let mut ids = MockIdGenerator::new();
    ids.expect_next_id().return_const(ID);
    ids.expect_next_event_id().return_const(EVENT_ID);
    ids
}

pub(super) fn service(
    repository: MockOrderRepository,
) -> CoreOrderService<MockOrderRepository, MockClock, MockIdGenerator> {
    CoreOrderService::new(repository, clock(), ids())
}

pub(super) fn unavailable() -> RepositoryError {
    RepositoryError::Unavailable("connection refused".into())
}

/// The customer of [`draft`] and of [`stored`] orders.
pub(super) fn owner() -> crate::Caller {
    crate::Caller::Customer(domain::CustomerId::new("c-1").unwrap())
}

/// A customer other than [`owner`].
pub(super) fn stranger() -> crate::Caller {
    crate::Caller::Customer(domain::CustomerId::new("c-9").unwrap())
}

/// The restaurant of [`draft`] and of [`stored`] orders.
pub(super) fn its_restaurant() -> crate::Caller {
    crate::Caller::Restaurant(domain::RestaurantId::new("r-1").unwrap())
}
