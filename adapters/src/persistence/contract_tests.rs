//! The repository contract: one function per behaviour, run unchanged against SQLite and PostgreSQL.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use domain::{
    CustomerId, IdempotencyKey, IdempotencyRecord, Insertion, ItemName, KeyOwner, NewOrder, Order,
    OrderFilter, OrderId, OrderItem, OrderItems, OrderPosition, OrderRepository, OrderStatus,
    ProductCode, RepositoryError, RequestFingerprint, RestaurantId, StatusChange, Timestamp,
    Version,
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
    repo.insert(&placed, None, None).unwrap();
    assert_eq!(repo.find(&placed.id()).unwrap(), Some(placed));
}

fn an_unknown_id_is_not_found(repo: &DieselOrderRepository) {
    repo.insert(&order(1), None, None).unwrap();
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
    repo.insert(&placed, None, None).unwrap();
    let found = repo.find(&placed.id()).unwrap().unwrap();
    assert_eq!(found.total().cents(), 100 * 100_000_000 * 10_000);
    assert_eq!(found, placed);
}

fn inserting_a_taken_id_is_a_conflict_that_writes_nothing(repo: &DieselOrderRepository) {
    let first = order(3);
    repo.insert(&first, None, None).unwrap();
    let second = order_with(3, vec![item("other", "Other", "1.00", "1")]);
    assert!(matches!(
        repo.insert(&second, None, None),
        Err(RepositoryError::Conflict)
    ));
    assert_eq!(repo.find(&first.id()).unwrap(), Some(first));
}

fn a_change_applies_when_the_stored_state_is_the_one_decided_on(repo: &DieselOrderRepository) {
    let placed = order(4);
    repo.insert(&placed, None, None).unwrap();
    let accept = change(&placed, OrderStatus::Accepted);
    repo.update_status(&accept, None).unwrap();
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
    repo.insert(&placed, None, None).unwrap();
    repo.update_status(&change(&placed, OrderStatus::Rejected), None)
        .unwrap();
    let after_reject = repo.find(&placed.id()).unwrap();
    let stale_status = change(&placed, OrderStatus::Accepted);
    assert!(matches!(
        repo.update_status(&stale_status, None),
        Err(RepositoryError::Conflict)
    ));
    let stale_version = StatusChange {
        from: OrderStatus::Rejected,
        ..stale_status
    };
    assert!(matches!(
        repo.update_status(&stale_version, None),
        Err(RepositoryError::Conflict)
    ));
    assert_eq!(repo.find(&placed.id()).unwrap(), after_reject);
}

fn a_change_to_an_unknown_order_is_a_conflict(repo: &DieselOrderRepository) {
    let never_stored = order(6);
    assert!(matches!(
        repo.update_status(&change(&never_stored, OrderStatus::Accepted), None),
        Err(RepositoryError::Conflict)
    ));
}

fn of_sixteen_racing_changes_exactly_one_applies(repo: &DieselOrderRepository) {
    let placed = order(7);
    repo.insert(&placed, None, None).unwrap();
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
                    repo.update_status(&change, None)
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

fn placed_at(id: u8, customer: &str, restaurant: &str, micros: i64) -> Order {
    let new = NewOrder {
        customer_id: CustomerId::new(customer).unwrap(),
        restaurant_id: RestaurantId::new(restaurant).unwrap(),
        items: OrderItems::new(vec![
            item("p", "Item", "1.00", "1"),
            item("q", "Other", "2.00", "3"),
        ])
        .unwrap(),
    };
    Order::place(
        OrderId::from_bytes([id; 16]),
        new,
        Timestamp::from_unix_micros(micros),
    )
}

/// Every page of `filter`, `limit` at a time, followed from the start.
fn walk(repo: &DieselOrderRepository, filter: &OrderFilter, limit: u32) -> Vec<Order> {
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = repo.list(filter, after, limit, usize::MAX).unwrap();
        assert!(page.len() <= limit as usize);
        let Some(last) = page.last() else { return seen };
        after = Some(OrderPosition::of(last));
        seen.extend(page);
    }
}

fn ids(orders: &[Order]) -> Vec<OrderId> {
    orders.iter().map(Order::id).collect()
}

fn listing_is_newest_first_by_time_then_id_and_pages_cover_everything_once(
    repo: &DieselOrderRepository,
) {
    // Ids 1..=30; every three share a microsecond, so ties are broken by id.
    let placed: Vec<Order> = (1..=30)
        .map(|i| placed_at(i, "c", "r", 1_000 + i64::from(i / 3)))
        .collect();
    for order in &placed {
        repo.insert(order, None, None).unwrap();
    }
    let mut expected = placed.clone();
    expected.sort_by_key(|o| std::cmp::Reverse((o.created_on(), o.id())));
    for limit in [1, 7, 30, 100] {
        assert_eq!(
            ids(&walk(repo, &OrderFilter::default(), limit)),
            ids(&expected),
            "limit {limit}"
        );
    }
    assert_eq!(
        repo.list(&OrderFilter::default(), None, 5, usize::MAX)
            .unwrap(),
        expected[..5],
        "orders come with their items"
    );
}

fn each_filter_keeps_only_its_orders(repo: &DieselOrderRepository) {
    let placed = [
        placed_at(1, "alice", "pizzeria", 10),
        placed_at(2, "bob", "pizzeria", 20),
        placed_at(3, "alice", "sushi", 30),
        placed_at(4, "bob", "sushi", 40),
    ];
    for order in &placed {
        repo.insert(order, None, None).unwrap();
    }
    repo.update_status(&change(&placed[2], OrderStatus::Accepted), None)
        .unwrap();
    let by = |filter: OrderFilter| ids(&walk(repo, &filter, 2));
    let id = |i: u8| OrderId::from_bytes([i; 16]);
    assert_eq!(
        by(OrderFilter {
            customer_id: Some(CustomerId::new("alice").unwrap()),
            ..Default::default()
        }),
        [id(3), id(1)]
    );
    assert_eq!(
        by(OrderFilter {
            restaurant_id: Some(RestaurantId::new("sushi").unwrap()),
            ..Default::default()
        }),
        [id(4), id(3)]
    );
    assert_eq!(
        by(OrderFilter {
            status: Some(OrderStatus::Accepted),
            ..Default::default()
        }),
        [id(3)]
    );
    let both = OrderFilter {
        customer_id: Some(CustomerId::new("bob").unwrap()),
        restaurant_id: Some(RestaurantId::new("pizzeria").unwrap()),
        status: Some(OrderStatus::Pending),
    };
    assert_eq!(by(both), [id(2)]);
    assert_eq!(
        by(OrderFilter {
            customer_id: Some(CustomerId::new("carol").unwrap()),
            ..Default::default()
        }),
        []
    );
}

fn orders_created_while_paging_neither_repeat_nor_push_out_older_ones(
    repo: &DieselOrderRepository,
) {
    for i in 1..=10 {
        repo.insert(&placed_at(i, "c", "r", i64::from(i) * 10), None, None)
            .unwrap();
    }
    let first = repo
        .list(&OrderFilter::default(), None, 4, usize::MAX)
        .unwrap();
    for i in 11..=15 {
        repo.insert(&placed_at(i, "c", "r", 1_000 + i64::from(i)), None, None)
            .unwrap();
    }
    let mut seen = first.clone();
    let mut after = first.last().map(OrderPosition::of);
    while let Some(position) = after {
        let page = repo
            .list(&OrderFilter::default(), Some(position), 4, usize::MAX)
            .unwrap();
        after = page.last().map(OrderPosition::of);
        seen.extend(page);
    }
    let expected: Vec<OrderId> = (1..=10)
        .rev()
        .map(|i| OrderId::from_bytes([i; 16]))
        .collect();
    assert_eq!(ids(&seen), expected);
}

fn listing_stops_after_the_order_that_goes_over_the_weight_limit(repo: &DieselOrderRepository) {
    for i in 1..=6 {
        repo.insert(&placed_at(i, "c", "r", i64::from(i) * 10), None, None)
            .unwrap();
    }
    let one = placed_at(1, "c", "r", 10).weight();
    // Two and a half orders' weight: the third order goes over, and is the last one read.
    let page = repo
        .list(&OrderFilter::default(), None, 6, one * 5 / 2)
        .unwrap();
    let expected: Vec<OrderId> = [6, 5, 4].map(|i| OrderId::from_bytes([i; 16])).to_vec();
    assert_eq!(ids(&page), expected);
    // Exactly at the limit is not over it.
    let page = repo
        .list(&OrderFilter::default(), None, 6, one * 2)
        .unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(
        repo.list(&OrderFilter::default(), None, 6, usize::MAX)
            .unwrap()
            .len(),
        6
    );
}

fn record(key: &str, fingerprint: u8, at: i64, expired_before: i64) -> IdempotencyRecord {
    IdempotencyRecord {
        owner: KeyOwner::anyone(),
        key: IdempotencyKey::new(key).unwrap(),
        fingerprint: RequestFingerprint::new([fingerprint; 32]),
        at: Timestamp::from_unix_micros(at),
        expired_before: Timestamp::from_unix_micros(expired_before),
    }
}

fn a_held_key_stores_nothing_and_names_the_earlier_order(repo: &DieselOrderRepository) {
    let first = order(20);
    assert_eq!(
        repo.insert(&first, Some(&record("k", 1, 100, 0)), None)
            .unwrap(),
        Insertion::Inserted
    );
    let second = order(21);
    let taken = repo
        .insert(&second, Some(&record("k", 2, 200, 0)), None)
        .unwrap();
    assert_eq!(
        taken,
        Insertion::KeyTaken {
            order_id: first.id(),
            fingerprint: RequestFingerprint::new([1; 32])
        }
    );
    assert_eq!(
        repo.find(&second.id()).unwrap(),
        None,
        "nothing of the second request is stored"
    );
    assert_eq!(
        repo.insert(&second, Some(&record("other", 2, 200, 0)), None)
            .unwrap(),
        Insertion::Inserted
    );
}

fn one_key_from_two_owners_names_two_requests(repo: &DieselOrderRepository) {
    let owned = |owner: &str, fingerprint| IdempotencyRecord {
        owner: KeyOwner::named(owner),
        ..record("shared", fingerprint, 100, 0)
    };
    let (alice, bob) = (order(24), order(25));
    for (order, owner) in [(&alice, "customer:alice"), (&bob, "customer:bob")] {
        assert_eq!(
            repo.insert(order, Some(&owned(owner, 1)), None).unwrap(),
            Insertion::Inserted,
            "{owner}"
        );
    }
    assert_eq!(
        repo.insert(&order(26), Some(&owned("customer:bob", 1)), None)
            .unwrap(),
        Insertion::KeyTaken {
            order_id: bob.id(),
            fingerprint: RequestFingerprint::new([1; 32])
        }
    );
    assert!(repo.find(&alice.id()).unwrap().is_some());
}

fn an_expired_key_is_free_again(repo: &DieselOrderRepository) {
    repo.insert(&order(22), Some(&record("k", 1, 100, 0)), None)
        .unwrap();
    let later = order(23);
    // The new request considers anything made before 150 expired.
    assert_eq!(
        repo.insert(&later, Some(&record("k", 2, 1_000, 150)), None)
            .unwrap(),
        Insertion::Inserted
    );
    assert!(repo.find(&later.id()).unwrap().is_some());
}

fn of_sixteen_racing_creates_with_one_key_exactly_one_stores(repo: &DieselOrderRepository) {
    let barrier = Arc::new(Barrier::new(16));
    let results: Vec<Insertion> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                scope.spawn(move || {
                    let candidate = order(100 + i);
                    barrier.wait();
                    repo.insert(&candidate, Some(&record("race", 7, 100, 0)), None)
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners = results
        .iter()
        .filter(|r| **r == Insertion::Inserted)
        .count();
    assert_eq!(winners, 1, "{results:?}");
    let held: Vec<&OrderId> = results
        .iter()
        .filter_map(|r| match r {
            Insertion::KeyTaken { order_id, .. } => Some(order_id),
            Insertion::Inserted => None,
        })
        .collect();
    assert_eq!(held.len(), 15);
    assert!(
        held.windows(2).all(|pair| pair[0] == pair[1]),
        "every loser names the one winner"
    );
    assert!(repo.find(held[0]).unwrap().is_some());
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

mod outbox;

contract!(
    an_inserted_order_is_found_as_it_was_with_its_items_in_order,
    an_unknown_id_is_not_found,
    the_largest_order_round_trips_exactly,
    inserting_a_taken_id_is_a_conflict_that_writes_nothing,
    a_change_applies_when_the_stored_state_is_the_one_decided_on,
    a_change_decided_on_a_stale_state_is_a_conflict_that_writes_nothing,
    a_change_to_an_unknown_order_is_a_conflict,
    of_sixteen_racing_changes_exactly_one_applies,
    listing_is_newest_first_by_time_then_id_and_pages_cover_everything_once,
    each_filter_keeps_only_its_orders,
    orders_created_while_paging_neither_repeat_nor_push_out_older_ones,
    listing_stops_after_the_order_that_goes_over_the_weight_limit,
    a_held_key_stores_nothing_and_names_the_earlier_order,
    one_key_from_two_owners_names_two_requests,
    an_expired_key_is_free_again,
    of_sixteen_racing_creates_with_one_key_exactly_one_stores,
);

#[test]
fn purging_removes_only_expired_keys_in_batches() {
    let database = TestDatabase::sqlite();
    let db = Database::connect(database.url(), &PoolOptions::default()).unwrap();
    let repo = db.repository();
    for (i, at) in [(30, 10), (31, 20), (32, 30), (33, 500)] {
        repo.insert(&order(i), Some(&record(&format!("k{i}"), 1, at, 0)), None)
            .unwrap();
    }
    let cutoff = Timestamp::from_unix_micros(100);
    assert_eq!(repo.purge_idempotency_keys(cutoff, 2).unwrap(), 2);
    assert_eq!(repo.purge_idempotency_keys(cutoff, 2).unwrap(), 1);
    assert_eq!(repo.purge_idempotency_keys(cutoff, 2).unwrap(), 0);
    assert_eq!(
        repo.insert(&order(34), Some(&record("k33", 2, 600, 0)), None)
            .unwrap(),
        Insertion::KeyTaken {
            order_id: OrderId::from_bytes([33; 16]),
            fingerprint: RequestFingerprint::new([1; 32]),
        }
    );
    assert_eq!(
        repo.insert(&order(35), Some(&record("k30", 2, 600, 0)), None)
            .unwrap(),
        Insertion::Inserted
    );
    // Another owner's unexpired record of an expired key stays.
    let fresh = IdempotencyRecord {
        owner: KeyOwner::named("customer:c"),
        ..record("k36", 3, 700, 0)
    };
    repo.insert(&order(36), Some(&record("k36", 1, 10, 0)), None)
        .unwrap();
    repo.insert(&order(37), Some(&fresh), None).unwrap();
    assert_eq!(repo.purge_idempotency_keys(cutoff, 10).unwrap(), 1);
    assert_eq!(
        repo.insert(&order(38), Some(&fresh), None).unwrap(),
        Insertion::KeyTaken {
            order_id: OrderId::from_bytes([37; 16]),
            fingerprint: RequestFingerprint::new([3; 32]),
        }
    );
}

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
fn every_instance_on_a_database_shares_one_cursor_key_and_databases_differ() {
    let (one, other) = (TestDatabase::sqlite(), TestDatabase::sqlite());
    let key = |db: &TestDatabase| {
        Database::connect(db.url(), &PoolOptions::default())
            .unwrap()
            .cursor_key()
            .to_vec()
    };
    let first = key(&one);
    assert_eq!(key(&one), first, "a second instance reads the stored key");
    assert_ne!(key(&other), first, "another database has its own");
}

#[test]
fn migrations_run_once_however_often_the_service_starts() {
    let database = TestDatabase::sqlite();
    let placed = order(8);
    repository(&database).insert(&placed, None, None).unwrap();
    assert_eq!(
        repository(&database).find(&placed.id()).unwrap(),
        Some(placed)
    );
}
