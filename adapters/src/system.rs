//! The clock and id ports over the operating system.

use std::time::{SystemTime, UNIX_EPOCH};

use domain::{Clock, EventId, IdGenerator, OrderId, Timestamp};
use uuid::Uuid;

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let micros = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_micros()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_micros()).map_or(i64::MIN, |m| -m),
        };
        Timestamp::from_unix_micros(micros)
    }
}

/// Time-ordered UUID v7 ids: new orders land at the right edge of the primary-key index.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn next_id(&self) -> OrderId {
        OrderId::from_uuid(Uuid::now_v7())
    }

    fn next_event_id(&self) -> EventId {
        EventId::from_uuid(Uuid::now_v7())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_increase() {
        let (a, b) = (UuidV7Generator.next_id(), UuidV7Generator.next_id());
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn the_clock_reads_a_plausible_time() {
        assert!(SystemClock.now().unix_seconds() > 1_700_000_000);
    }
}
