//! The outbox's contract, on both backends: events are stored with their change or not at all, claimed in order,
//! and settled; on PostgreSQL, shared between relays by leases.

use std::collections::HashSet;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use domain::{
    EventId, Insertion, Order, OrderEvent, OrderRepository, OrderStatus, Outbox, RepositoryError,
    Timestamp,
};

use super::{DieselOrderRepository, TestDatabase, change, order, record, repository};

const NOW: Timestamp = Timestamp::from_unix_micros(1_800_000_000_000_000);
const LEASE: Duration = Duration::from_secs(30);

fn event_id(n: u32) -> EventId {
    let mut bytes = [0xee; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    EventId::from_bytes(bytes)
}

/// Places order `id` with its event.
fn place(repo: &DieselOrderRepository, id: u8) -> (Order, OrderEvent) {
    let placed = order(id);
    let event = OrderEvent::placed(event_id(u32::from(id) * 100), &placed);
    assert_eq!(
        repo.insert(&placed, None, Some(&event)).unwrap(),
        Insertion::Inserted
    );
    (placed, event)
}

/// Moves `order` to `to` with its event (numbered `n`).
fn advance(
    repo: &DieselOrderRepository,
    order: Order,
    to: OrderStatus,
    n: u32,
) -> (Order, OrderEvent) {
    let step = change(&order, to);
    let changed = order.apply(&step);
    let event = OrderEvent::status_changed(event_id(n), &changed, step.from);
    repo.update_status(&step, Some(&event)).unwrap();
    (changed, event)
}

fn claim(repo: &DieselOrderRepository, at: Timestamp) -> Vec<OrderEvent> {
    repo.claim(100, at, at.plus(LEASE)).unwrap()
}

fn publish(repo: &DieselOrderRepository, events: &[OrderEvent]) {
    let ids: Vec<EventId> = events.iter().map(OrderEvent::id).collect();
    repo.settle(&ids, &[], NOW, true).unwrap();
}

fn an_event_stored_with_its_order_is_claimed_exactly_as_it_was_recorded(
    repo: &DieselOrderRepository,
) {
    let (_, event) = place(repo, 1);
    assert_eq!(claim(repo, NOW), vec![event]);
}

fn each_event_carries_the_order_as_it_was_right_after_its_change_and_goes_out_in_version_order(
    repo: &DieselOrderRepository,
) {
    let (placed, placed_event) = place(repo, 2);
    let (accepted, accepted_event) = advance(repo, placed, OrderStatus::Accepted, 201);
    let (_, preparing_event) = advance(repo, accepted, OrderStatus::Preparing, 202);
    // Only an order's earliest unpublished event can be claimed: the next waits until it is published.
    for expected in [placed_event, accepted_event, preparing_event] {
        let claimed = claim(repo, NOW);
        assert_eq!(claimed, vec![expected]);
        publish(repo, &claimed);
    }
    assert!(claim(repo, NOW).is_empty());
    let second = &claim(repo, NOW.plus(Duration::from_secs(3_600)));
    assert!(
        second.is_empty(),
        "published events are never claimed again"
    );
}

fn a_claimed_event_is_claimed_again_only_once_its_lease_ran_out(repo: &DieselOrderRepository) {
    let (_, event) = place(repo, 3);
    assert_eq!(claim(repo, NOW), vec![event.clone()]);
    assert!(claim(repo, NOW.plus(LEASE.saturating_sub(Duration::from_secs(1)))).is_empty());
    assert_eq!(
        claim(repo, NOW.plus(LEASE + Duration::from_secs(1))),
        vec![event]
    );
}

fn a_failed_event_is_released_at_once_and_a_published_one_is_not(repo: &DieselOrderRepository) {
    let (_, first) = place(repo, 4);
    let (_, second) = place(repo, 5);
    assert_eq!(claim(repo, NOW).len(), 2);
    repo.settle(&[first.id()], &[second.id()], NOW, true)
        .unwrap();
    assert_eq!(claim(repo, NOW), vec![second]);
}

fn a_refused_write_records_no_event(repo: &DieselOrderRepository) {
    let (placed, event) = place(repo, 6);
    publish(repo, &claim(repo, NOW));
    // The same id again: a conflict, and its event is not kept.
    let again = OrderEvent::placed(event_id(999), &placed);
    assert!(matches!(
        repo.insert(&placed, None, Some(&again)),
        Err(RepositoryError::Conflict)
    ));
    // A key held by an earlier request: nothing is stored, the event neither.
    let keyed = order(7);
    repo.insert(&keyed, Some(&record("k", 1, 100, 0)), None)
        .unwrap();
    let replayed = order(8);
    let replay_event = OrderEvent::placed(event_id(998), &replayed);
    assert!(matches!(
        repo.insert(
            &replayed,
            Some(&record("k", 1, 200, 0)),
            Some(&replay_event)
        )
        .unwrap(),
        Insertion::KeyTaken { .. }
    ));
    // A compare-and-set that lost: no change, no event.
    let stale = change(&placed, OrderStatus::Accepted);
    let (_, accepted) = advance(repo, placed.clone(), OrderStatus::Accepted, 601);
    let lost = OrderEvent::status_changed(event_id(997), &placed.apply(&stale), stale.from);
    assert!(matches!(
        repo.update_status(&stale, Some(&lost)),
        Err(RepositoryError::Conflict)
    ));
    assert_eq!(claim(repo, NOW), vec![accepted]);
    let _ = event;
}

fn the_backlog_counts_what_waits_and_the_time_of_the_oldest(repo: &DieselOrderRepository) {
    assert_eq!(repo.backlog().unwrap(), domain::Backlog::default());
    let (placed, event) = place(repo, 9);
    place(repo, 10);
    let backlog = repo.backlog().unwrap();
    assert_eq!(
        (backlog.count, backlog.oldest),
        (2, Some(event.occurred_on()))
    );
    publish(repo, &claim(repo, NOW));
    assert_eq!(repo.backlog().unwrap().count, 0);
    advance(repo, placed, OrderStatus::Rejected, 901);
    assert_eq!(repo.backlog().unwrap().count, 1);
}

fn only_events_published_before_the_cutoff_are_purged(repo: &DieselOrderRepository) {
    for id in 11..14 {
        place(repo, id);
    }
    let claimed = claim(repo, NOW);
    let waiting = claimed[2].clone();
    let early: Vec<EventId> = claimed[..2].iter().map(OrderEvent::id).collect();
    repo.settle(&early, &[claimed[2].id()], NOW, true).unwrap();
    assert_eq!(repo.purge_published(NOW, 10).unwrap(), 0);
    let later = NOW.plus(Duration::from_secs(1));
    assert_eq!(repo.purge_published(later, 1).unwrap(), 1);
    assert_eq!(repo.purge_published(later, 10).unwrap(), 1);
    assert_eq!(repo.purge_published(later, 10).unwrap(), 0);
    assert_eq!(claim(repo, NOW), vec![waiting]);
}

/// Eight relays claiming at once, each publishing what it got: every event once, each order's in version order.
fn relays_claiming_at_once_share_the_events_without_overlap_or_reordering(
    repo: &DieselOrderRepository,
) {
    let mut expected = Vec::new();
    for id in 20..30 {
        let (placed, first) = place(repo, id);
        let n = u32::from(id) * 100;
        let (accepted, second) = advance(repo, placed, OrderStatus::Accepted, n + 1);
        let (_, third) = advance(repo, accepted, OrderStatus::Preparing, n + 2);
        expected.extend([first, second, third]);
    }
    let published = Arc::new(Mutex::new(Vec::<OrderEvent>::new()));
    let start = Arc::new(Barrier::new(8));
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let (published, start) = (Arc::clone(&published), Arc::clone(&start));
            scope.spawn(move || {
                start.wait();
                for _ in 0..20 {
                    let claimed = repo.claim(4, NOW, NOW.plus(LEASE)).unwrap();
                    // Recorded before it is marked, as a broker would have it.
                    published.lock().unwrap().extend(claimed.iter().cloned());
                    publish(repo, &claimed);
                }
            });
        }
    });
    let published = published.lock().unwrap();
    let ids: HashSet<EventId> = published.iter().map(OrderEvent::id).collect();
    assert_eq!(ids.len(), published.len(), "an event was claimed twice");
    assert_eq!(
        published.len(),
        expected.len(),
        "an event was never claimed"
    );
    for id in 20..30 {
        let versions: Vec<u64> = published
            .iter()
            .filter(|e| e.order_id() == order(id).id())
            .map(|e| e.version().get())
            .collect();
        assert_eq!(versions, [1, 2, 3], "order {id} out of order");
    }
}

fn without_keeping_them_published_events_are_gone_at_once(repo: &DieselOrderRepository) {
    let (placed, first) = place(repo, 15);
    let claimed = claim(repo, NOW);
    repo.settle(&[first.id()], &[], NOW, false).unwrap();
    assert_eq!(claimed, vec![first]);
    // Gone, and the order's next event is free to go.
    assert_eq!(
        repo.purge_published(NOW.plus(Duration::from_secs(1)), 10)
            .unwrap(),
        0
    );
    let (_, accepted) = advance(repo, placed, OrderStatus::Accepted, 1501);
    assert_eq!(claim(repo, NOW), vec![accepted]);
    assert_eq!(repo.backlog().unwrap().count, 1);
}

/// On SQLite one relay claims without a lease: what it claimed and did not settle, it claims again.
fn the_sole_relay_of_a_sqlite_database_claims_what_it_has_not_settled_again(
    repo: &DieselOrderRepository,
) {
    let (_, event) = place(repo, 14);
    assert_eq!(claim(repo, NOW), vec![event.clone()]);
    assert_eq!(claim(repo, NOW), vec![event]);
}

contract!(
    an_event_stored_with_its_order_is_claimed_exactly_as_it_was_recorded,
    each_event_carries_the_order_as_it_was_right_after_its_change_and_goes_out_in_version_order,
    a_failed_event_is_released_at_once_and_a_published_one_is_not,
    a_refused_write_records_no_event,
    the_backlog_counts_what_waits_and_the_time_of_the_oldest,
    only_events_published_before_the_cutoff_are_purged,
    without_keeping_them_published_events_are_gone_at_once,
);

/// Where the backends differ: PostgreSQL's outbox is shared between the relays of several instances by leases;
/// SQLite's has one relay.
mod per_backend {
    use super::*;

    #[test]
    fn a_claimed_event_is_claimed_again_only_once_its_lease_ran_out() {
        let Some(database) = TestDatabase::postgres() else {
            return;
        };
        super::a_claimed_event_is_claimed_again_only_once_its_lease_ran_out(&repository(&database));
    }

    #[test]
    fn relays_claiming_at_once_share_the_events_without_overlap_or_reordering() {
        let Some(database) = TestDatabase::postgres() else {
            return;
        };
        super::relays_claiming_at_once_share_the_events_without_overlap_or_reordering(&repository(
            &database,
        ));
    }

    #[test]
    fn the_sole_relay_of_a_sqlite_database_claims_what_it_has_not_settled_again() {
        super::the_sole_relay_of_a_sqlite_database_claims_what_it_has_not_settled_again(
            &repository(&TestDatabase::sqlite()),
        );
    }
}
