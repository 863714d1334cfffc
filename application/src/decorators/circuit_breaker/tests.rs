use std::collections::VecDeque;
use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};

use domain::{MockOrderRepository, OrderStatus, Timestamp, Version};

use super::*;
use crate::MockMetrics;

mod parked;

use parked::park_find;

use Answer::{Conflict, Found, Other, Unavailable};
use BreakerState::{Closed, HalfOpen, Open};

const ID: OrderId = OrderId::from_bytes([7; 16]);
const OPEN_FOR: Duration = Duration::from_secs(5);
const TICK: Duration = Duration::from_millis(1);

/// What the mocked store answers to one call.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Found,
    Conflict,
    Unavailable,
    Other,
}

impl Answer {
    fn result<T: Default>(self) -> Result<T, RepositoryError> {
        match self {
            Self::Found => Ok(T::default()),
            Self::Conflict => Err(RepositoryError::Conflict),
            Self::Unavailable => Err(RepositoryError::Unavailable("down".into())),
            Self::Other => Err(RepositoryError::Other("bug".into())),
        }
    }
}

/// A store whose `find` is called exactly once per answer in `script`, answering in order.
fn store_answering(script: &[Answer]) -> MockOrderRepository {
    let mut answers: VecDeque<Answer> = script.iter().copied().collect();
    let mut store = MockOrderRepository::new();
    store
        .expect_find()
        .times(script.len())
        .returning(move |_| answers.pop_front().unwrap().result());
    store
}

/// A breaker built on a clock the test moves, with the states it reports.
struct Harness {
    breaker: CircuitBreaker<MockOrderRepository>,
    clock: Arc<Mutex<Instant>>,
    states: Arc<Mutex<Vec<BreakerState>>>,
}

impl Harness {
    fn new(store: MockOrderRepository, failure_threshold: u32) -> Self {
        let states = Arc::new(Mutex::new(Vec::new()));
        let mut metrics = MockMetrics::new();
        let reported = Arc::clone(&states);
        metrics
            .expect_breaker_state()
            .returning(move |state| reported.lock().unwrap().push(state));
        let clock = Arc::new(Mutex::new(Instant::now()));
        let read = Arc::clone(&clock);
        let settings = BreakerSettings {
            failure_threshold,
            open_for: OPEN_FOR,
        };
        let breaker = CircuitBreaker::new(store, settings, Arc::new(metrics))
            .with_clock(Arc::new(move || *read.lock().unwrap()));
        Self {
            breaker,
            clock,
            states,
        }
    }

    fn advance(&self, by: Duration) {
        *self.clock.lock().unwrap() += by;
    }

    fn find(&self) -> Result<Option<Order>, RepositoryError> {
        self.breaker.find(&ID)
    }

    fn assert_reported(&self, expected: &[BreakerState]) {
        assert_eq!(*self.states.lock().unwrap(), expected);
    }
}

fn assert_fails_fast<T: Debug>(result: Result<T, RepositoryError>) {
    match result {
        Err(RepositoryError::Unavailable(source)) => {
            assert!(source.downcast_ref::<BreakerOpen>().is_some());
            assert_eq!(source.to_string(), "the circuit breaker is open");
        }
        other => panic!("expected the breaker's fast failure, got {other:?}"),
    }
}

fn assert_store_unavailable<T: Debug>(result: Result<T, RepositoryError>) {
    match result {
        Err(RepositoryError::Unavailable(source)) => assert_eq!(source.to_string(), "down"),
        other => panic!("expected the store's own failure, got {other:?}"),
    }
}

#[test]
fn consecutive_unavailable_results_open_it_and_it_then_fails_fast_without_calling_the_store() {
    let harness = Harness::new(store_answering(&[Unavailable; 3]), 3);
    for _ in 0..3 {
        assert_store_unavailable(harness.find());
    }
    assert_fails_fast(harness.find());
    assert_fails_fast(harness.find());
    harness.assert_reported(&[Closed, Open]);
}

#[test]
fn a_success_in_between_resets_the_failure_count() {
    let script = [Unavailable, Unavailable, Found, Unavailable, Unavailable];
    let harness = Harness::new(store_answering(&script), 3);
    for answer in script {
        assert_eq!(harness.find().is_ok(), matches!(answer, Found));
    }
    harness.assert_reported(&[Closed]);
}

#[test]
fn conflicts_and_other_errors_never_open_it_and_reset_the_count() {
    let script = [Conflict, Other, Unavailable, Conflict, Unavailable, Other];
    let harness = Harness::new(store_answering(&script), 2);
    for answer in script {
        let result = harness.find();
        match answer {
            Conflict => assert!(matches!(result, Err(RepositoryError::Conflict))),
            Other => assert!(matches!(result, Err(RepositoryError::Other(_)))),
            _ => assert_store_unavailable(result),
        }
    }
    harness.assert_reported(&[Closed]);
}

#[test]
fn it_keeps_failing_fast_until_open_for_has_passed_and_then_lets_exactly_one_trial_through() {
    let harness = Harness::new(store_answering(&[Unavailable, Found, Found]), 1);
    assert_store_unavailable(harness.find());
    harness.advance(OPEN_FOR - TICK);
    assert_fails_fast(harness.find());
    harness.advance(TICK);
    assert!(harness.find().is_ok());
    assert!(harness.find().is_ok());
    harness.assert_reported(&[Closed, Open, HalfOpen, Closed]);
}

#[test]
fn a_successful_trial_closes_it_and_calls_pass_again_with_a_fresh_count() {
    let script = [Unavailable, Unavailable, Conflict, Unavailable, Found];
    let harness = Harness::new(store_answering(&script), 2);
    assert_store_unavailable(harness.find());
    assert_store_unavailable(harness.find());
    harness.advance(OPEN_FOR);
    assert!(matches!(harness.find(), Err(RepositoryError::Conflict)));
    assert_store_unavailable(harness.find());
    assert!(harness.find().is_ok());
    harness.assert_reported(&[Closed, Open, HalfOpen, Closed]);
}

#[test]
fn a_failed_trial_reopens_it_for_another_open_for() {
    let harness = Harness::new(store_answering(&[Unavailable, Unavailable, Found]), 1);
    assert_store_unavailable(harness.find());
    harness.advance(OPEN_FOR);
    assert_store_unavailable(harness.find());
    harness.advance(OPEN_FOR - TICK);
    assert_fails_fast(harness.find());
    harness.advance(TICK);
    assert!(harness.find().is_ok());
    harness.assert_reported(&[Closed, Open, HalfOpen, Open, HalfOpen, Closed]);
}

#[test]
fn a_call_while_the_trial_is_in_the_store_fails_fast() {
    let mut store = MockOrderRepository::new();
    store
        .expect_update_status()
        .times(1)
        .returning(|_, _| Unavailable.result());
    let parked = park_find(&mut store, Found);
    let harness = Harness::new(store, 1);
    assert_store_unavailable(harness.breaker.update_status(&change(), None));
    harness.advance(OPEN_FOR);
    let (trial, concurrent) =
        parked.while_find_is_held(&harness, || harness.breaker.update_status(&change(), None));
    assert_fails_fast(concurrent);
    assert!(trial.is_ok());
    harness.assert_reported(&[Closed, Open, HalfOpen, Closed]);
}

#[test]
fn a_late_failure_admitted_before_it_opened_does_not_count_after_it_closed() {
    let mut store = MockOrderRepository::new();
    let mut answers = VecDeque::from([Unavailable, Found]);
    store
        .expect_update_status()
        .times(2)
        .returning(move |_, _| answers.pop_front().unwrap().result());
    let parked = park_find(&mut store, Unavailable);
    let harness = Harness::new(store, 1);
    let (late, ()) = parked.while_find_is_held(&harness, || {
        assert_store_unavailable(harness.breaker.update_status(&change(), None));
        harness.advance(OPEN_FOR);
        assert!(harness.breaker.update_status(&change(), None).is_ok());
    });
    assert_store_unavailable(late);
    harness.assert_reported(&[Closed, Open, HalfOpen, Closed]);
}

#[test]
fn a_trial_that_panics_reopens_it_instead_of_leaving_it_half_open() {
    let mut store = store_answering(&[Unavailable, Found]);
    store
        .expect_update_status()
        .times(1)
        .returning(|_, _| panic!("a bug in the store"));
    let harness = Harness::new(store, 1);
    assert_store_unavailable(harness.find());
    harness.advance(OPEN_FOR);
    let trial = panic::catch_unwind(AssertUnwindSafe(|| {
        harness.breaker.update_status(&change(), None)
    }));
    assert!(trial.is_err());
    assert_fails_fast(harness.find());
    harness.advance(OPEN_FOR);
    assert!(harness.find().is_ok());
    harness.assert_reported(&[Closed, Open, HalfOpen, Open, HalfOpen, Closed]);
}

#[test]
fn a_call_that_panics_while_closed_neither_counts_as_a_failure_nor_resets_the_count() {
    let mut store = store_answering(&[Unavailable, Unavailable]);
    store
        .expect_update_status()
        .times(1)
        .returning(|_, _| panic!("a bug in the store"));
    let harness = Harness::new(store, 2);
    assert_store_unavailable(harness.find());
    let call = panic::catch_unwind(AssertUnwindSafe(|| {
        harness.breaker.update_status(&change(), None)
    }));
    assert!(call.is_err());
    assert_store_unavailable(harness.find());
    assert_fails_fast(harness.find());
    harness.assert_reported(&[Closed, Open]);
}

#[test]
fn it_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CircuitBreaker<MockOrderRepository>>();
}

#[test]
fn the_default_settings_open_after_five_failures_for_five_seconds() {
    let settings = BreakerSettings::default();
    assert_eq!(settings.failure_threshold, 5);
    assert_eq!(settings.open_for, Duration::from_secs(5));
}

fn change() -> StatusChange {
    StatusChange {
        id: ID,
        from: OrderStatus::Pending,
        to: OrderStatus::Accepted,
        from_version: Version::FIRST,
        at: Timestamp::from_unix_micros(0),
    }
}
