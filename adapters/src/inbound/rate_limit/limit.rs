//! The limit itself: how many requests per second, and how many at once.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// The slowest allowed rate: one request every 1000 seconds.
const MIN_RPS: f64 = 0.001;

/// The fastest allowed rate.
const MAX_RPS: f64 = 1_000_000.0;

/// A rate in requests (tokens) per second: a number from 0.001 to 1 000 000.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct RequestsPerSecond(f64);

/// A rate that is not a number from 0.001 to 1 000 000.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a number of requests per second from 0.001 to 1000000")]
pub struct ParseRateError(String);

impl RequestsPerSecond {
    /// `rps` if it is a number from 0.001 to 1 000 000.
    ///
    /// # Errors
    /// [`ParseRateError`] for anything else, NaN and infinities included.
    pub fn new(rps: f64) -> Result<Self, ParseRateError> {
        if (MIN_RPS..=MAX_RPS).contains(&rps) {
            Ok(Self(rps))
        } else {
            Err(ParseRateError(rps.to_string()))
        }
    }

    /// The rate as a number.
    pub const fn get(self) -> f64 {
        self.0
    }

    /// The burst when none is configured: the rate rounded up, so a client may spend one second's tokens at once.
    pub fn default_burst(self) -> NonZeroU32 {
        // In range, the rate rounded up is from 1 to 1 000 000, so the cast is exact.
        NonZeroU32::new(self.0.ceil() as u32).unwrap_or(NonZeroU32::MIN)
    }

    /// The time it takes to earn one token.
    pub(super) fn interval(self) -> Duration {
        // In range, 1 / rps is from 1 µs to 1000 s: always a duration.
        Duration::try_from_secs_f64(self.0.recip()).unwrap_or(Duration::MAX)
    }
}

impl FromStr for RequestsPerSecond {
    type Err = ParseRateError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let rps = text
            .trim()
            .parse::<f64>()
            .map_err(|_| ParseRateError(text.to_owned()))?;
        Self::new(rps).map_err(|_| ParseRateError(text.to_owned()))
    }
}

impl fmt::Display for RequestsPerSecond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How fast each client may send: a bucket of `burst` tokens, refilled at `rps` tokens a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    rps: RequestsPerSecond,
    burst: NonZeroU32,
}

impl RateLimit {
    /// `rps` requests a second on average, and up to `burst` at once after a pause.
    pub const fn new(rps: RequestsPerSecond, burst: NonZeroU32) -> Self {
        Self { rps, burst }
    }

    /// The refill rate.
    pub const fn rps(self) -> RequestsPerSecond {
        self.rps
    }

    /// The bucket's capacity.
    pub const fn burst(self) -> NonZeroU32 {
        self.burst
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} per second, burst {}", self.rps, self.burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_a_number_from_a_thousandth_to_a_million() {
        for text in ["0.001", "1", " 2.5 ", "1000000"] {
            assert!(text.parse::<RequestsPerSecond>().is_ok(), "{text}");
        }
        for text in ["0", "-1", "0.0009", "1000001", "NaN", "inf", "ten", ""] {
            assert!(text.parse::<RequestsPerSecond>().is_err(), "{text}");
        }
    }

    #[test]
    fn the_default_burst_is_the_rate_rounded_up_and_at_least_one() {
        for (rps, burst) in [("0.2", 1), ("1", 1), ("2.5", 3), ("100", 100)] {
            let rps: RequestsPerSecond = rps.parse().unwrap();
            assert_eq!(rps.default_burst().get(), burst, "{rps}");
        }
    }

    #[test]
    fn a_token_takes_the_inverse_of_the_rate() {
        let rps: RequestsPerSecond = "4".parse().unwrap();
        assert_eq!(rps.interval(), Duration::from_millis(250));
    }
}
