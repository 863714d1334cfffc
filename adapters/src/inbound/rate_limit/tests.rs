//! The bucket arithmetic over a fake clock, and the memory bound.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use super::*;

/// A clock that moves only when told to.
#[derive(Clone)]
struct FakeClock(Arc<Mutex<Instant>>);

impl FakeClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

fn limit(rps: &str, burst: u32) -> RateLimit {
    RateLimit::new(rps.parse().unwrap(), NonZeroU32::new(burst).unwrap())
}

fn limiter(rps: &str, burst: u32) -> (RateLimiter, FakeClock) {
    let clock = FakeClock::new();
    let reader = clock.clone();
    (
        RateLimiter::with_clock(limit(rps, burst), move || reader.now()),
        clock,
    )
}

fn client(last: u8) -> IpAddr {
    IpAddr::from([198, 51, 100, last])
}

#[test]
fn a_client_may_spend_its_burst_at_once_and_is_then_refused() {
    let (limiter, _) = limiter("1", 3);
    for _ in 0..3 {
        assert_eq!(limiter.acquire(client(1)), Ok(()));
    }
    assert!(limiter.acquire(client(1)).is_err());
}

#[test]
fn tokens_come_back_at_the_configured_rate() {
    let (limiter, clock) = limiter("2", 2);
    limiter.acquire(client(1)).unwrap();
    limiter.acquire(client(1)).unwrap();
    clock.advance(Duration::from_millis(499));
    assert!(
        limiter.acquire(client(1)).is_err(),
        "half a second earns one token"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(limiter.acquire(client(1)), Ok(()));
    assert!(limiter.acquire(client(1)).is_err());
}

#[test]
fn a_long_pause_refills_no_more_than_the_burst() {
    let (limiter, clock) = limiter("1", 2);
    clock.advance(Duration::from_secs(3600));
    limiter.acquire(client(1)).unwrap();
    limiter.acquire(client(1)).unwrap();
    assert!(limiter.acquire(client(1)).is_err());
}

#[test]
fn a_refusal_says_when_the_next_token_is_due() {
    let (limiter, clock) = limiter("0.5", 1);
    limiter.acquire(client(1)).unwrap();
    clock.advance(Duration::from_millis(500));
    let refused = limiter.acquire(client(1)).unwrap_err();
    assert_eq!(refused.retry_after(), Duration::from_millis(1500));
    assert_eq!(refused.retry_after_secs(), 2);
    clock.advance(Duration::from_millis(1500));
    assert_eq!(limiter.acquire(client(1)), Ok(()));
}

#[test]
fn a_refusal_does_not_push_the_next_token_further_away() {
    let (limiter, clock) = limiter("1", 1);
    limiter.acquire(client(1)).unwrap();
    for _ in 0..10 {
        assert!(limiter.acquire(client(1)).is_err());
    }
    clock.advance(Duration::from_secs(1));
    assert_eq!(limiter.acquire(client(1)), Ok(()));
}

#[test]
fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
    for (wait, seconds) in [
        (Duration::ZERO, 1),
        (Duration::from_nanos(1), 1),
        (Duration::from_secs(1), 1),
        (Duration::from_millis(1001), 2),
        (Duration::from_secs(1000), 1000),
    ] {
        let refused = RateLimited { retry_after: wait };
        assert_eq!(refused.retry_after_secs(), seconds, "{wait:?}");
    }
}

#[test]
fn clients_have_separate_buckets() {
    let (limiter, _) = limiter("1", 1);
    limiter.acquire(client(1)).unwrap();
    assert!(limiter.acquire(client(1)).is_err());
    assert_eq!(limiter.acquire(client(2)), Ok(()));
}

#[test]
fn buckets_idle_long_enough_to_be_full_are_forgotten_at_the_next_sweep() {
    let (limiter, clock) = limiter("10", 10);
    let clients = (0..=255).flat_map(|a| (0..=255).map(move |b| IpAddr::from([10, 0, a, b])));
    for ip in clients.clone().take(5000) {
        limiter.acquire(ip).unwrap();
    }
    assert_eq!(limiter.tracked_clients(), 5000);
    // Each bucket lacks one token, earned back in 0.1 s: after a second every one is full again.
    clock.advance(Duration::from_secs(1));
    for ip in clients.skip(5000).take(5000) {
        limiter.acquire(ip).unwrap();
    }
    assert!(
        limiter.tracked_clients() < 7000,
        "{} buckets held",
        limiter.tracked_clients()
    );
}

#[test]
fn a_bucket_still_refilling_survives_a_sweep() {
    let refill = Refill::of(limit("1", 1));
    let mut shard = Shard::default();
    shard
        .acquire(client(1), Duration::ZERO, refill, 1000)
        .unwrap();
    for last in 2..=200 {
        let now = Duration::from_millis(500);
        shard.acquire(client(last), now, refill, 1000).unwrap();
    }
    assert!(
        shard
            .acquire(client(1), Duration::from_millis(600), refill, 1000)
            .is_err()
    );
}

#[test]
fn a_flood_of_distinct_clients_never_grows_a_shard_past_its_bound() {
    let refill = Refill::of(limit("1", 1));
    let mut shard = Shard::default();
    for n in 0..10_000_u32 {
        shard
            .acquire(IpAddr::from(n.to_be_bytes()), Duration::ZERO, refill, 100)
            .unwrap();
        assert!(shard.len() <= 100, "{} buckets after {n}", shard.len());
    }
}

#[test]
fn a_flood_of_distinct_clients_never_grows_the_limiter_past_max_clients() {
    let (limiter, _) = limiter("1", 1);
    for n in 0..(2 * MAX_CLIENTS as u32) {
        limiter.acquire(IpAddr::from(n.to_be_bytes())).unwrap();
    }
    assert!(limiter.tracked_clients() <= MAX_CLIENTS);
    assert!(limiter.tracked_clients() >= MAX_CLIENTS / 4);
}
