//! Per-client rate limiting: one token bucket per client IP address, shared by every transport and worker.
//!
//! A bucket holds up to `burst` tokens and gains `rps` tokens a second; each request takes a token or is refused.
//! A bucket is kept as a single number: the time at which it will be full again (GCRA's "theoretical arrival time",
//! an exact equivalent of the token count). Refilling is then arithmetic at the next request, never a timer, and a
//! bucket whose time has passed is full, so forgetting it changes nothing.
//!
//! **Memory bound**: the buckets are spread over 16 independently locked maps (a worker holds a lock for one hash
//! lookup, and now and then for a sweep of that one map), and all of them together hold at most [`MAX_CLIENTS`]
//! buckets. A bucket is an address and a duration
//! (40 bytes, 41 with the hash table's control byte), and a shard's table never needs more than 8192 slots: at most
//! 16 x 8192 x 41 bytes, about 5.4 MB. When a shard grows, a sweep forgets every full bucket (a client idle for
//! `burst / rps` seconds at most), so normally only the clients seen within that time are held. Only a flood of more
//! distinct clients than the bound within that time makes a sweep forget arbitrary buckets too: those clients may
//! then get a fresh burst, but memory stays bounded.

mod limit;

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub use limit::{ParseRateError, RateLimit, RequestsPerSecond};

/// The most buckets a [`RateLimiter`] holds at once, over all its shards (each up to `MAX_CLIENTS / SHARDS`).
pub const MAX_CLIENTS: usize = 100_000;

/// How many independently locked maps the buckets are spread over, so workers rarely wait for each other.
const SHARDS: usize = 16;

/// A shard is not swept before it holds this many buckets.
const MIN_SWEEP_LEN: usize = 64;

/// A request refused because its client has no token left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client is over its rate limit; its next token is due in {retry_after:?}")]
pub struct RateLimited {
    retry_after: Duration,
}

impl RateLimited {
    /// How long until the client's next token.
    pub const fn retry_after(self) -> Duration {
        self.retry_after
    }

    /// [`retry_after`](Self::retry_after) in whole seconds, rounded up and at least 1: a `Retry-After` value after
    /// which a retry succeeds.
    pub fn retry_after_secs(self) -> u64 {
        let whole = self.retry_after.as_secs();
        let rounded = whole.saturating_add(u64::from(self.retry_after.subsec_nanos() > 0));
        rounded.max(1)
    }
}

/// The source of monotonic time, injectable so tests need not sleep.
type Clock = Box<dyn Fn() -> Instant + Send + Sync>;

/// Token buckets for every client, safe to share between actix workers (`Arc<RateLimiter>`).
pub struct RateLimiter {
    refill: Refill,
    shards: [Mutex<Shard>; SHARDS],
    hasher: RandomState,
    clock: Clock,
    /// Times are kept as durations since this instant: plain, saturating arithmetic that cannot panic.
    epoch: Instant,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("refill", &self.refill)
            .field("tracked_clients", &self.tracked_clients())
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter of `limit` per client, on the system's monotonic clock.
    pub fn new(limit: RateLimit) -> Self {
        Self::with_clock(limit, Instant::now)
    }

    /// A limiter of `limit` per client that reads the time from `clock` (which must never go back).
    pub fn with_clock(
        limit: RateLimit,
        clock: impl Fn() -> Instant + Send + Sync + 'static,
    ) -> Self {
        let epoch = clock();
        Self {
            refill: Refill::of(limit),
            shards: std::array::from_fn(|_| Mutex::new(Shard::default())),
            hasher: RandomState::new(),
            clock: Box::new(clock),
            epoch,
        }
    }

    /// Takes one of `client`'s tokens.
    ///
    /// # Errors
    /// [`RateLimited`], with the time until the next token, when the client has none left.
    pub fn acquire(&self, client: IpAddr) -> Result<(), RateLimited> {
        let now = (self.clock)().saturating_duration_since(self.epoch);
        let max = MAX_CLIENTS / SHARDS;
        self.shard(client)
            .acquire(client, now, self.refill, max)
            .map_err(|retry_after| RateLimited { retry_after })
    }

    /// How many clients have a bucket now (full ones included, until a sweep forgets them).
    pub fn tracked_clients(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    fn shard(&self, client: IpAddr) -> MutexGuard<'_, Shard> {
        // The remainder is below SHARDS, so the cast back cannot truncate.
        let index = (self.hasher.hash_one(client) % SHARDS as u64) as usize;
        lock(&self.shards[index])
    }
}

/// The shard, even if a thread panicked holding it: its map is valid after any single operation.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The arithmetic every bucket shares, on `full_at`: the time at which the bucket is full again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refill {
    /// The time it takes to earn one token.
    interval: Duration,
    /// The time it takes to fill an empty bucket: `burst` intervals.
    capacity: Duration,
}

impl Refill {
    fn of(limit: RateLimit) -> Self {
        let interval = limit.rps().interval();
        Self {
            interval,
            capacity: interval.saturating_mul(limit.burst().get()),
        }
    }

    /// Takes a token at `now` from the bucket that is full at `full_at`: `Ok` with the bucket's new `full_at`, or
    /// `Err` with the time until it has a token again.
    fn take(self, full_at: Duration, now: Duration) -> Result<Duration, Duration> {
        let next = full_at.max(now).saturating_add(self.interval);
        // Missing tokens after this one is taken, as time: within capacity means the bucket had a token.
        let owed = next.saturating_sub(now);
        if owed <= self.capacity {
            Ok(next)
        } else {
            Err(owed.saturating_sub(self.capacity))
        }
    }
}

/// One lock's share of the buckets.
#[derive(Debug, Default)]
struct Shard {
    /// Each client's `full_at`, as time since the limiter's epoch.
    full_at: HashMap<IpAddr, Duration>,
    /// The size at which the next new client triggers a sweep.
    sweep_at: usize,
}

impl Shard {
    fn len(&self) -> usize {
        self.full_at.len()
    }

    /// Takes a token from `client`'s bucket (a new client starts full), keeping at most `max` buckets.
    fn acquire(
        &mut self,
        client: IpAddr,
        now: Duration,
        refill: Refill,
        max: usize,
    ) -> Result<(), Duration> {
        if let Some(full_at) = self.full_at.get_mut(&client) {
            *full_at = refill.take(*full_at, now)?;
            return Ok(());
        }
        self.make_room(now, max);
        self.full_at.insert(client, refill.take(now, now)?);
        Ok(())
    }

    /// Before a new bucket is added: once the shard has grown to its sweep size, forgets every full bucket; when that
    /// still leaves three quarters of `max` (a flood of distinct clients), forgets arbitrary ones down to half. The
    /// next sweep waits until the shard has doubled (or reached `max`), so sweeping costs O(1) per new client, amortized.
    fn make_room(&mut self, now: Duration, max: usize) {
        if self.full_at.len() < self.sweep_at {
            return;
        }
        self.full_at.retain(|_, full_at| *full_at > now);
        if self.full_at.len() >= max - max / 4 {
            let excess = self.full_at.len() - max / 2;
            let forgotten: Vec<IpAddr> = self.full_at.keys().take(excess).copied().collect();
            for client in &forgotten {
                self.full_at.remove(client);
            }
        }
        self.sweep_at = (self.full_at.len() * 2).max(MIN_SWEEP_LEN).min(max);
        // Memory taken by a flood is given back, keeping room to grow to the next sweep.
        self.full_at.shrink_to(self.sweep_at);
    }
}

#[cfg(test)]
mod tests;
