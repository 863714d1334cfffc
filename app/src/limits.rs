//! How many connections the instance accepts: below its file descriptor limit, so clients that hold connections
//! open can never leave it without a descriptor for the database, the log or a probe.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors per database connection: a socket on PostgreSQL; the file, its WAL and its shared memory on SQLite.
const PER_POOL_CONNECTION: u64 = 3;

/// Descriptors per runtime thread that polls sockets (its poller and its waker).
const PER_WORKER: u64 = 2;

/// Descriptors kept for everything else: standard streams, listeners, the accept loop, migrations, a probe or a
/// scrape arriving while every connection is taken, and slack.
const BASE_RESERVE: u64 = 64;

/// The fewest connections a listener may be left with; below it, the instance refuses to start.
const MIN_PER_LISTENER: u64 = 8;

/// The connection cap of each listener, and how it was chosen (for the start-up log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// The most connections each listener (HTTP, gRPC) holds open at once.
    pub per_listener: usize,
    /// The process's descriptor limit after raising it as far as allowed.
    pub descriptor_limit: u64,
    /// The descriptors kept out of the connections' share.
    pub reserve: u64,
}

/// The cap is below the descriptor limit, or the limit is too low to serve at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    /// Even the fewest connections would not fit.
    #[error(
        "the file descriptor limit (RLIMIT_NOFILE) is {limit}: too low for {listeners} listener(s) after {reserve} \
         descriptors kept for the database pool and the runtime; raise it to at least {needed} (ulimit -n)"
    )]
    TooFewDescriptors {
        /// The limit.
        limit: u64,
        /// The reserve.
        reserve: u64,
        /// The listeners.
        listeners: u64,
        /// The least limit that would do.
        needed: u64,
    },
}

/// Raises the soft descriptor limit to the hard one (the default soft limit, often 1024, is a relic), then
/// divides what the reserve leaves between `listeners`. `configured` (`MAX_CONNECTIONS`), when given, is used as
/// long as it fits, and lowered to what fits otherwise (with a warning).
///
/// # Errors
/// [`LimitError`] when the limit leaves fewer than a handful of connections per listener.
pub fn connection_limits(
    configured: Option<u32>,
    listeners: u64,
    pool_size: u32,
    workers: u64,
) -> Result<ConnectionLimits, LimitError> {
    let limit = raise_descriptor_limit();
    let reserve = BASE_RESERVE + PER_POOL_CONNECTION * u64::from(pool_size) + PER_WORKER * workers;
    divide(limit, reserve, listeners, configured)
}

/// The pure part of [`connection_limits`].
fn divide(
    limit: u64,
    reserve: u64,
    listeners: u64,
    configured: Option<u32>,
) -> Result<ConnectionLimits, LimitError> {
    let listeners = listeners.max(1);
    let fits = limit.saturating_sub(reserve) / listeners;
    if fits < MIN_PER_LISTENER {
        return Err(LimitError::TooFewDescriptors {
            limit,
            reserve,
            listeners,
            needed: reserve + MIN_PER_LISTENER * listeners,
        });
    }
    let per_listener = match configured.map(u64::from) {
        Some(wanted) if wanted <= fits => wanted,
        Some(wanted) => {
            log::warn!(
                "MAX_CONNECTIONS={wanted} does not fit the file descriptor limit ({limit}); using {fits}"
            );
            fits
        }
        None => fits,
    };
    Ok(ConnectionLimits {
        per_listener: usize::try_from(per_listener).unwrap_or(usize::MAX),
        descriptor_limit: limit,
        reserve,
    })
}

/// The soft `RLIMIT_NOFILE`, raised to the hard one when allowed. Unlimited counts as 1,048,576.
fn raise_descriptor_limit() -> u64 {
    const UNLIMITED: u64 = 1 << 20;
    let current = getrlimit(Resource::Nofile);
    let soft = current.current.unwrap_or(UNLIMITED);
    let Some(hard) = current.maximum else {
        return soft;
    };
    if hard > soft {
        let raised = Rlimit {
            current: Some(hard),
            maximum: Some(hard),
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return hard;
        }
    }
    soft
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_reserve_leaves_is_shared_between_the_listeners() {
        let limits = divide(1024, 124, 2, None).unwrap();
        assert_eq!(limits.per_listener, 450);
        assert_eq!(divide(1024, 124, 1, None).unwrap().per_listener, 900);
    }

    #[test]
    fn a_configured_cap_is_kept_when_it_fits_and_lowered_when_it_does_not() {
        assert_eq!(divide(1024, 124, 2, Some(100)).unwrap().per_listener, 100);
        assert_eq!(divide(1024, 124, 2, Some(5000)).unwrap().per_listener, 450);
    }

    #[test]
    fn a_limit_below_the_reserve_refuses_to_start() {
        let error = divide(100, 94, 2, None).unwrap_err();
        assert_eq!(
            error,
            LimitError::TooFewDescriptors {
                limit: 100,
                reserve: 94,
                listeners: 2,
                needed: 110
            }
        );
        assert!(error.to_string().contains("ulimit -n"), "{error}");
    }

    #[test]
    fn the_limit_is_raised_to_the_hard_limit_and_read_back() {
        let raised = raise_descriptor_limit();
        let now = getrlimit(Resource::Nofile);
        assert_eq!(Some(raised), now.current.or(Some(1 << 20)));
    }
}
