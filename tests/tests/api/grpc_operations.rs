//! The gRPC transport's operational behaviour through the real service, as a client sees it: an outage, a deadline,
//! the rate limit shared with HTTP, the metrics, reflection, the drain of the real binary, and request ids.

mod deadline;
mod drain;
mod limits;
mod metrics;
mod outage;
mod rate_limit;
mod reflection;
mod request_id;

use std::time::{Duration, Instant};

/// Calls `attempt` every `pause` until it returns `Some`, for at most `limit`; then panics with `what`.
fn poll<T>(
    limit: Duration,
    pause: Duration,
    what: &str,
    mut attempt: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(done) = attempt() {
            return done;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {limit:?}"
        );
        std::thread::sleep(pause);
    }
}

/// The value of the sample whose line starts with `series ` (name and labels exactly).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}
