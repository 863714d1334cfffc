//! The repository contract: one function per behaviour, run unchanged against SQLite and PostgreSQL.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use domain::{
    CustomerId, ItemName, NewOrder, Order, OrderId, OrderItem, OrderItems, OrderRepository,
    OrderStatus, ProductCode, RepositoryError, RestaurantId, StatusChange, Timestamp, Version,
};

use super::test_database::TestDatabase;
use super::{Database, DieselOrderRepository, PoolOptions};

fn repository(database: &TestDatabase) -> DieselOrderRepository {
    let options = PoolOptions {
        max_connections: 16,
        ..PoolOptions::default()
    };
    Database::connect(database.url(), &options)
        .unwrap()
        .repository()
}

fn item(code: &str, name: &str, price: &str, quantity: &str) -> OrderItem {
    OrderItem::new(
        ProductCode::new(code).unwrap(),
        ItemName::new(name).unwrap(),
        price.parse().unwrap(),
        quantity.parse().unwrap(),
    )
}

fn order_with(id: u8, items: Vec<OrderItem>) -> Order {
    let new = NewOrder {
        customer_id: CustomerId::new("customer-1").unwrap(),
        restaurant_id: RestaurantId::new("restaurant-1").unwrap(),
        items: OrderItems::new(items).unwrap(),
    };
    Order::place(
        OrderId::from_bytes([id; 16]),
        new,
        Timestamp::from_unix_micros(1_700_000_000_123_456),
    )
}

fn order(id: u8) -> Order {
    order_with(
        id,
        vec![
            item("p-2", "Naan", "2.50", "4"),
            item("p-1", "Dal", "9.99", "1"),
            item("p-3", "Chai", "0", "2"),
        ],
    )
}

fn change(order: &Order, to: OrderStatus) -> StatusChange {
    order
        .change_status(to, Timestamp::from_unix_micros(1_700_000_100_000_000))
        .unwrap()
        .unwrap()
}

fn an_inserted_order_is_found_as_it_was_with_its_items_in_order(repo: &DieselOrderRepository) {
    let placed = order(1);
    repo.insert(&placed).unwrap();
    assert_eq!(repo.find(&placed.id()).unwrap(), Some(placed));
}

fn an_unknown_id_is_not_found(repo: &DieselOrderRepository) {
    repo.insert(&order(1)).unwrap();
    assert_eq!(repo.find(&OrderId::from_bytes([9; 16])).unwrap(), None);
}

fn the_largest_order_round_trips_exactly(repo: &DieselOrderRepository) {
    let items = (0..100)
        .map(|i| {
            item(
                &format!("p-{i}"),
                &format!("{} 日本 «{i}»", "n".repeat(150)),
                "1000000.00",
                "10000",
            )
        })
        .collect();
    let placed = order_with(2, items);
    repo.insert(&placed).unwrap();
    let found = repo.find(&placed.id()).unwrap().unwrap();
    assert_eq!(found.total().cents(), 100 * 100_000_000 * 10_000);
    assert_eq!(found, placed);
}

fn inserting_a_taken_id_is_a_conflict_that_writes_nothing(repo: &DieselOrderRepository) {
    let first = order(3);
    repo.insert(&first).unwrap();
    let second = order_with(3, vec![item("other", "Other", "1.00", "1")]);
    assert!(matches!(
        repo.insert(&second),
        Err(RepositoryError::Conflict)
    ));
    assert_eq!(repo.find(&first.id()).unwrap(), Some(first));
}

fn a_change_applies_when_the_stored_state_is_the_one_decided_on(repo: &DieselOrderRepository) {
    let placed = order(4);
    repo.insert(&placed).unwrap();
    let accept = change(&placed, OrderStatus::Accepted);
    repo.update_status(&accept).unwrap();
    let found = repo.find(&placed.id()).unwrap().unwrap();
    assert_eq!(found, placed.clone().apply(&accept));
    assert_eq!(
        (found.status(), found.version(), found.updated_on()),
        (OrderStatus::Accepted, Version::new(2), accept.at)
    );
    assert_eq!(found.created_on(), placed.created_on());
}

fn a_change_decided_on_a_stale_state_is_a_conflict_that_writes_nothing(
    repo: &DieselOrderRepository,
) {
    let placed = order(5);
    repo.insert(&placed).unwrap();
    repo.update_status(&change(&placed, OrderStatus::Rejected))
        .unwrap();
    let after_reject = repo.find(&placed.id()).unwrap();
    let stale_status = change(&placed, OrderStatus::Accepted);
    assert!(matches!(
        repo.update_status(&stale_status),
        Err(RepositoryError::Conflict)
    ));
    let stale_version = StatusChange {
        from: OrderStatus::Rejected,
        ..stale_status
    };
    assert!(matches!(
        repo.update_status(&stale_version),
        Err(RepositoryError::Conflict)
    ));
    assert_eq!(repo.find(&placed.id()).unwrap(), after_reject);
}

fn a_change_to_an_unknown_order_is_a_conflict(repo: &DieselOrderRepository) {
    let never_stored = order(6);
    assert!(matches!(
        repo.update_status(&change(&never_stored, OrderStatus::Accepted)),
        Err(RepositoryError::Conflict)
    ));
}

fn of_sixteen_racing_changes_exactly_one_applies(repo: &DieselOrderRepository) {
    let placed = order(7);
    repo.insert(&placed).unwrap();
    let barrier = Arc::new(Barrier::new(16));
    let results: Vec<Result<(), RepositoryError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let to = if i % 2 == 0 {
                    OrderStatus::Accepted
                } else {
                    OrderStatus::Rejected
                };
                let (barrier, change) = (Arc::clone(&barrier), change(&placed, to));
                scope.spawn(move || {
                    barrier.wait();
                    repo.update_status(&change)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let applied = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(RepositoryError::Conflict)))
        .count();
    assert_eq!((applied, conflicts), (1, 15), "{results:?}");
    assert_eq!(
        repo.find(&placed.id()).unwrap().unwrap().version(),
        Version::new(2)
    );
}

fn an_exhausted_pool_is_unavailable_not_a_failure(database: &TestDatabase) {
    let options = PoolOptions {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(200),
        ..PoolOptions::default()
    };
    let repo = Database::connect(database.url(), &options)
        .unwrap()
        .repository();
    let _held = repo.pool_for_tests().get().unwrap();
    assert!(matches!(
        repo.find(&OrderId::from_bytes([1; 16])),
        Err(RepositoryError::Unavailable(_))
    ));
}

/// Runs each behaviour against a fresh database of each backend.
macro_rules! contract {
    ($($behaviour:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $behaviour() {
                let database = super::TestDatabase::sqlite();
                super::$behaviour(&super::repository(&database));
            })*
        }

        mod postgres {
            $(#[test]
            fn $behaviour() {
                let Some(database) = super::TestDatabase::postgres() else { return };
                super::$behaviour(&super::repository(&database));
            })*
        }
    };
}

contract!(
    an_inserted_order_is_found_as_it_was_with_its_items_in_order,
    an_unknown_id_is_not_found,
    the_largest_order_round_trips_exactly,
    inserting_a_taken_id_is_a_conflict_that_writes_nothing,
    a_change_applies_when_the_stored_state_is_the_one_decided_on,
    a_change_decided_on_a_stale_state_is_a_conflict_that_writes_nothing,
    a_change_to_an_unknown_order_is_a_conflict,
    of_sixteen_racing_changes_exactly_one_applies,
);

#[test]
fn an_exhausted_sqlite_pool_is_unavailable() {
    an_exhausted_pool_is_unavailable_not_a_failure(&TestDatabase::sqlite());
}

#[test]
fn an_exhausted_postgres_pool_is_unavailable() {
    if let Some(database) = TestDatabase::postgres() {
        an_exhausted_pool_is_unavailable_not_a_failure(&database);
    }
}

#[test]
fn a_refused_postgres_connection_reports_the_drivers_reason() {
    let error = Database::connect(
        "postgres://nobody@127.0.0.1:1/none",
        &PoolOptions::default(),
    )
    .unwrap_err();
    let message = format!("{error}: {}", std::error::Error::source(&error).unwrap());
    assert!(
        message.contains("cannot connect to the database") && message.contains("127.0.0.1"),
        "{message}"
    );
}

#[test]
fn migrations_run_once_however_often_the_service_starts() {
    let database = TestDatabase::sqlite();
    let placed = order(8);
    repository(&database).insert(&placed).unwrap();
    assert_eq!(
        repository(&database).find(&placed.id()).unwrap(),
        Some(placed)
    );
}
