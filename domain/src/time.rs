//! Instants, as the domain sees them: microseconds since the Unix epoch, read from the `Clock` port.

use std::fmt;

/// An instant in UTC, in microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `micros` microseconds after the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// Microseconds since the Unix epoch.
    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    /// The instant `duration` earlier (the earliest representable instant if that is out of range).
    #[must_use]
    pub fn minus(self, duration: std::time::Duration) -> Self {
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(micros))
    }

    /// The instant `duration` later (the latest representable instant if that is out of range).
    #[must_use]
    pub fn plus(self, duration: std::time::Duration) -> Self {
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(micros))
    }

    /// How long after `earlier` this instant is; zero when it is not later.
    pub fn since(self, earlier: Self) -> std::time::Duration {
        std::time::Duration::from_micros(
            u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0),
        )
    }

    /// Whole seconds since the Unix epoch (rounded down), as the seed's API reports times.
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}",
            self.unix_seconds(),
            self.0.rem_euclid(1_000_000)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_minus_a_duration_saturates() {
        let now = Timestamp::from_unix_micros(5_000_000);
        assert_eq!(
            now.minus(std::time::Duration::from_secs(2)),
            Timestamp::from_unix_micros(3_000_000)
        );
        assert_eq!(
            Timestamp::from_unix_micros(i64::MIN)
                .minus(std::time::Duration::from_secs(1))
                .unix_micros(),
            i64::MIN
        );
    }

    #[test]
    fn seconds_round_down_also_before_the_epoch() {
        assert_eq!(
            Timestamp::from_unix_micros(1_700_000_000_999_999).unix_seconds(),
            1_700_000_000
        );
        assert_eq!(Timestamp::from_unix_micros(-1).unix_seconds(), -1);
        assert_eq!(Timestamp::from_unix_micros(-1).to_string(), "-1.999999");
    }
}
