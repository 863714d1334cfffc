//! Logger set-up: `log` + `env_logger`, `RUST_LOG` (default `info`), one line per event. A line written while a
//! request's service call runs carries that request's id.

use std::io::Write;

/// Installs the logger. Lines look like `2026-11-29T10:00:00.123Z INFO access method=GET ...`.
pub fn init() {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(|out, record| {
        let request_id = adapters::http::current_request_id();
        let request_id = request_id
            .as_deref()
            .map(|id| format!(" request_id={id}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{} {} {}{} {}",
            out.timestamp_millis(),
            record.level(),
            record.target(),
            request_id,
            record.args()
        )
    });
    // A second init (tests start several services in one process) keeps the first logger.
    let _ = builder.try_init();
}
