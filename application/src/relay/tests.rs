use std::sync::Arc;
use std::time::Duration;

use domain::{
    Backlog, EventId, MockClock, MockEventPublisher, MockOutbox, Order, OrderEvent, OrderId,
    PublishError, RepositoryError, Timestamp,
};
use mockall::predicate::{always, eq};

use super::*;
use crate::MockMetrics;
use crate::use_cases::test_support::draft;

const NOW: Timestamp = Timestamp::from_unix_micros(1_700_000_000_000_000);

const SETTINGS: RelaySettings = RelaySettings {
    batch: 3,
    lease: Duration::from_secs(30),
    retention: Duration::from_secs(3_600),
};

fn event(n: u8, seconds_ago: u64) -> OrderEvent {
    let order = Order::place(
        OrderId::from_bytes([n; 16]),
        draft().validate().unwrap(),
        NOW.minus(Duration::from_secs(seconds_ago)),
    );
    OrderEvent::placed(EventId::from_bytes([n; 16]), &order)
}

fn clock() -> MockClock {
    let mut clock = MockClock::new();
    clock.expect_now().return_const(NOW);
    clock
}

fn relay(
    outbox: MockOutbox,
    publisher: MockEventPublisher,
    metrics: MockMetrics,
) -> EventRelay<MockOutbox, MockEventPublisher, MockClock> {
    EventRelay::new(outbox, publisher, clock(), Arc::new(metrics), SETTINGS)
}

fn refused() -> PublishError {
    PublishError("no responders".into())
}

#[test]
fn a_batch_is_claimed_for_the_lease_published_and_what_the_broker_kept_is_marked() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .with(eq(3), eq(NOW), eq(NOW.plus(Duration::from_secs(30))))
        .times(1)
        .returning(|_, _, _| Ok(vec![event(1, 2), event(2, 1), event(3, 0)]));
    outbox
        .expect_settle()
        .withf(|published, failed, at, keep| {
            published == [EventId::from_bytes([1; 16]), EventId::from_bytes([3; 16])]
                && failed == [EventId::from_bytes([2; 16])]
                && *at == NOW
                && *keep
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .withf(|events| events.len() == 3)
        .times(1)
        .returning(|_| vec![Ok(()), Err(refused()), Ok(())]);
    let mut metrics = MockMetrics::new();
    metrics
        .expect_event_published()
        .with(eq(Duration::from_secs(2)))
        .times(1)
        .return_const(());
    metrics
        .expect_event_published()
        .with(eq(Duration::ZERO))
        .times(1)
        .return_const(());
    metrics
        .expect_event_publish_failed()
        .times(1)
        .return_const(());
    assert_eq!(
        relay(outbox, publisher, metrics).relay_batch().unwrap(),
        RelayedBatch {
            claimed: 3,
            published: 2,
            failed: 1
        }
    );
}

#[test]
fn an_empty_outbox_publishes_and_marks_nothing() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    outbox.expect_settle().never();
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();
    assert_eq!(
        relay(outbox, publisher, MockMetrics::new())
            .relay_batch()
            .unwrap(),
        RelayedBatch::default()
    );
}

#[test]
fn an_event_the_publisher_said_nothing_about_is_released_not_marked() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .returning(|_, _, _| Ok(vec![event(1, 0), event(2, 0)]));
    outbox
        .expect_settle()
        .withf(|published, failed, _, _| {
            published == [EventId::from_bytes([1; 16])] && failed == [EventId::from_bytes([2; 16])]
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().returning(|_| vec![Ok(())]);
    let mut metrics = MockMetrics::new();
    metrics.expect_event_published().return_const(());
    metrics
        .expect_event_publish_failed()
        .times(1)
        .return_const(());
    assert_eq!(
        relay(outbox, publisher, metrics)
            .relay_batch()
            .unwrap()
            .failed,
        1
    );
}

#[test]
fn an_outbox_outage_publishes_nothing_and_is_unavailable() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .returning(|_, _, _| Err(RepositoryError::Unavailable("connection refused".into())));
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().never();
    assert!(matches!(
        relay(outbox, publisher, MockMetrics::new()).relay_batch(),
        Err(ServiceError::Unavailable(_))
    ));
}

#[test]
fn a_failure_to_mark_is_reported_after_publishing() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .returning(|_, _, _| Ok(vec![event(1, 0)]));
    outbox
        .expect_settle()
        .times(1)
        .returning(|_, _, _, _| Err(RepositoryError::Unavailable("timeout".into())));
    let mut publisher = MockEventPublisher::new();
    publisher
        .expect_publish()
        .times(1)
        .returning(|_| vec![Ok(())]);
    let mut metrics = MockMetrics::new();
    metrics.expect_event_published().return_const(());
    assert!(matches!(
        relay(outbox, publisher, metrics).relay_batch(),
        Err(ServiceError::Unavailable(_))
    ));
}

#[test]
fn the_backlog_is_reported_with_the_age_of_its_oldest_event() {
    let mut outbox = MockOutbox::new();
    outbox.expect_backlog().times(1).returning(|| {
        Ok(Backlog {
            count: 7,
            oldest: Some(NOW.minus(Duration::from_secs(90))),
        })
    });
    let mut metrics = MockMetrics::new();
    metrics
        .expect_outbox_backlog()
        .with(eq(7), eq(Duration::from_secs(90)))
        .times(1)
        .return_const(());
    let relay = relay(outbox, MockEventPublisher::new(), metrics);
    assert_eq!(relay.observe_backlog().unwrap(), 7);
}

#[test]
fn an_empty_backlog_has_no_age() {
    let mut outbox = MockOutbox::new();
    outbox.expect_backlog().returning(|| Ok(Backlog::default()));
    let mut metrics = MockMetrics::new();
    metrics
        .expect_outbox_backlog()
        .with(eq(0), eq(Duration::ZERO))
        .times(1)
        .return_const(());
    assert_eq!(
        relay(outbox, MockEventPublisher::new(), metrics)
            .observe_backlog()
            .unwrap(),
        0
    );
}

#[test]
fn events_published_before_the_retention_are_purged_in_batches_until_none_are_left() {
    let mut outbox = MockOutbox::new();
    let mut sequence = mockall::Sequence::new();
    outbox
        .expect_purge_published()
        .with(eq(NOW.minus(Duration::from_secs(3_600))), always())
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, limit| Ok(limit as usize));
    outbox
        .expect_purge_published()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_, _| Ok(5));
    assert_eq!(
        relay(outbox, MockEventPublisher::new(), MockMetrics::new())
            .purge_published()
            .unwrap(),
        1_005
    );
}

#[test]
fn without_a_retention_published_events_are_forgotten_at_once_and_nothing_is_purged() {
    let mut outbox = MockOutbox::new();
    outbox
        .expect_claim()
        .returning(|_, _, _| Ok(vec![event(1, 0)]));
    outbox
        .expect_settle()
        .withf(|published, _, _, keep| published.len() == 1 && !*keep)
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    outbox.expect_purge_published().never();
    let mut publisher = MockEventPublisher::new();
    publisher.expect_publish().returning(|_| vec![Ok(())]);
    let mut metrics = MockMetrics::new();
    metrics.expect_event_published().return_const(());
    let relay = EventRelay::new(
        outbox,
        publisher,
        clock(),
        Arc::new(metrics),
        RelaySettings {
            retention: Duration::ZERO,
            ..SETTINGS
        },
    );
    assert_eq!(relay.relay_batch().unwrap().published, 1);
    assert_eq!(relay.purge_published().unwrap(), 0);
}
