//! Logger set-up: `log` + `env_logger`, `RUST_LOG` (default `info`), one line per event, as text or as JSON. A line
//! written while a request's service call runs carries that request's id.
//!
//! Any client can make the HTTP stack log at will: actix-http writes an ERROR line for every request it cannot parse.
//! Those client protocol errors (`PROTOCOL_ERRORS`) are logged at WARN at most once per ten seconds each, and at
//! DEBUG in between; the next WARN line says how many came in between (`(37 more suppressed)`).

use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use env_logger::fmt::Formatter;
use log::kv::{Key, Value, VisitSource};
use log::{Level, Log, Metadata, Record, RecordBuilder};
use serde_json::{Map, Value as Json};

use crate::log_writer;
pub use crate::log_writer::LogFlusher;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// `2026-11-29T10:00:00.123Z INFO access method=GET route=/orders/{id} status=200 ...`
    #[default]
    Text,
    /// One JSON object per line: `ts`, `level`, `target`, `message` and every structured field as a member.
    Json,
}

/// Installs the logger on stderr, written by a thread of its own (see [`crate::log_writer`]); returns what waits for
/// the queued lines to be written, unless that thread could not start and lines go to stderr in place.
pub fn init(format: LogFormat) -> Option<LogFlusher> {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(move |out, record| match format {
        LogFormat::Text => write_text(out, record),
        LogFormat::Json => write_json(out, record),
    });
    let flusher = match log_writer::start() {
        Ok((queued, flusher)) => {
            builder.target(env_logger::Target::Pipe(Box::new(queued)));
            Some(flusher)
        }
        Err(_) => None,
    };
    let logger = builder.build();
    let max_level = logger.filter();
    let logger = ProtocolErrorLog::new(logger, PROTOCOL_ERROR_INTERVAL);
    // A second init (tests start several services in one process) keeps the first logger.
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(max_level);
    }
    flusher
}

/// How often each kind of client protocol error may be logged at WARN.
const PROTOCOL_ERROR_INTERVAL: Duration = Duration::from_secs(10);

/// A client's protocol error as a library logs it: its target, its level and how its message starts.
struct ProtocolError {
    target: &'static str,
    level: Level,
    message: &'static str,
}

/// Every client protocol error that actix-http 3 (the HTTP port) and h2 0.4 (the gRPC port) log at WARN or above,
/// through `tracing`'s `log` bridge, as their sources read. A server fault from the same module keeps its level:
/// actix-http's `stream error: internal error`, `Internal server error: ...`, `Response payload stream error: ...`.
/// tonic logs a connection that fails (a bad HTTP/2 preface, say) at DEBUG already.
const PROTOCOL_ERRORS: [ProtocolError; 5] = [
    // Logged once the 400 (or 431, for a head over 128 KiB or 96 headers) is written, before the connection closes.
    ProtocolError {
        target: "actix_http::h1::dispatcher",
        level: Level::Error,
        message: "stream error: request parse error: ",
    },
    // The three limits h2 answers with GOAWAY ENHANCE_YOUR_CALM: streams reset by the client before they were
    // accepted (rapid reset), or by the server for the client's faults.
    ProtocolError {
        target: "h2::proto::streams::recv",
        level: Level::Warn,
        message: "recv_reset; remotely-reset pending-accept streams reached limit",
    },
    ProtocolError {
        target: "h2::proto::streams::streams",
        level: Level::Warn,
        message: "locally-reset streams reached limit",
    },
    ProtocolError {
        target: "h2::proto::streams::streams",
        level: Level::Warn,
        message: "reset_on_recv_stream_err; locally-reset streams reached limit",
    },
    ProtocolError {
        target: "h2::proto::ping_pong",
        level: Level::Warn,
        message: "recv PING ack that we never sent",
    },
];

/// Which of [`PROTOCOL_ERRORS`] `record` is, if any.
fn protocol_error_kind(record: &Record<'_>) -> Option<usize> {
    let candidate =
        |error: &ProtocolError| error.target == record.target() && error.level == record.level();
    if !PROTOCOL_ERRORS.iter().any(candidate) {
        return None;
    }
    let message = record.args().to_string();
    PROTOCOL_ERRORS
        .iter()
        .position(|error| candidate(error) && message.starts_with(error.message))
}

/// When a kind of protocol error was last logged at WARN, and how many have come since.
#[derive(Debug, Default)]
struct Window {
    warned_at: Option<Instant>,
    suppressed: u64,
}

impl Window {
    /// Whether one that comes at `now` is logged at WARN, and if so how many were suppressed before it.
    fn admit(&mut self, now: Instant, interval: Duration) -> Option<u64> {
        match self.warned_at {
            Some(warned_at) if now.saturating_duration_since(warned_at) < interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.warned_at = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// A [`Log`] that passes every record on to `inner` but client protocol errors, which it re-levels: the first of a
/// kind per `interval` at WARN, the others at DEBUG, counted in the next WARN line of that kind.
struct ProtocolErrorLog<L> {
    inner: L,
    interval: Duration,
    windows: [Mutex<Window>; PROTOCOL_ERRORS.len()],
}

impl<L: Log> ProtocolErrorLog<L> {
    fn new(inner: L, interval: Duration) -> Self {
        Self {
            inner,
            interval,
            windows: Default::default(),
        }
    }

    fn log_at(&self, record: &Record<'_>, now: Instant) {
        let Some(kind) = protocol_error_kind(record) else {
            return self.inner.log(record);
        };
        let admitted = self.windows[kind]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .admit(now, self.interval);
        match admitted {
            None => self.inner.log(
                &relevelled(record, Level::Debug)
                    .args(*record.args())
                    .build(),
            ),
            Some(0) => self
                .inner
                .log(&relevelled(record, Level::Warn).args(*record.args()).build()),
            Some(suppressed) => self.inner.log(
                &relevelled(record, Level::Warn)
                    .args(format_args!(
                        "{} ({suppressed} more suppressed)",
                        record.args()
                    ))
                    .build(),
            ),
        }
    }
}

/// `record` at `level`, to be given its message.
fn relevelled<'a>(record: &'a Record<'a>, level: Level) -> RecordBuilder<'a> {
    let mut builder = Record::builder();
    builder
        .level(level)
        .target(record.target())
        .module_path(record.module_path())
        .file(record.file())
        .line(record.line())
        .key_values(record.key_values());
    builder
}

impl<L: Log> Log for ProtocolErrorLog<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        self.log_at(record, Instant::now());
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// The ids of the request this line belongs to, that the record does not name itself: the request id of the
/// service call running on this thread, and the trace id of the span current on it (when tracing is on).
fn current_ids(record: &log::Record<'_>) -> [(&'static str, Option<String>); 2] {
    let unnamed = |key: &str| record.key_values().get(Key::from_str(key)).is_none();
    [
        (
            "request_id",
            unnamed("request_id")
                .then(adapters::inbound::current_request_id)
                .flatten(),
        ),
        (
            "trace_id",
            unnamed("trace_id")
                .then(adapters::telemetry::current_trace_id)
                .flatten(),
        ),
    ]
}

fn write_text(out: &mut Formatter, record: &log::Record<'_>) -> std::io::Result<()> {
    write!(
        out,
        "{} {} {}",
        out.timestamp_millis(),
        record.level(),
        record.target()
    )?;
    let message = record.args().to_string();
    if !message.is_empty() {
        write!(out, " {message}")?;
    }
    let mut fields = String::new();
    let _ = record.key_values().visit(&mut TextFields(&mut fields));
    for (key, id) in current_ids(record) {
        if let Some(id) = id {
            fields.push_str(&format!(" {key}={id}"));
        }
    }
    writeln!(out, "{fields}")
}

/// Writes fields as ` key=value`, quoting values with spaces so a line stays splittable.
struct TextFields<'a>(&'a mut String);

impl<'kvs> VisitSource<'kvs> for TextFields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let text = value.to_string();
        if text.contains(char::is_whitespace) || text.is_empty() {
            self.0.push_str(&format!(" {key}={text:?}"));
        } else {
            self.0.push_str(&format!(" {key}={text}"));
        }
        Ok(())
    }
}

fn write_json(out: &mut Formatter, record: &log::Record<'_>) -> std::io::Result<()> {
    let mut line = Map::new();
    line.insert(
        "ts".into(),
        Json::String(out.timestamp_millis().to_string()),
    );
    line.insert("level".into(), Json::String(record.level().to_string()));
    line.insert("target".into(), Json::String(record.target().to_owned()));
    line.insert("message".into(), Json::String(record.args().to_string()));
    let _ = record.key_values().visit(&mut JsonFields(&mut line));
    for (key, id) in current_ids(record) {
        if let Some(id) = id {
            line.insert(key.into(), Json::String(id));
        }
    }
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

/// Adds fields as members, numbers and booleans as such.
struct JsonFields<'a>(&'a mut Map<String, Json>);

impl<'kvs> VisitSource<'kvs> for JsonFields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let json = if let Some(n) = value.to_u64() {
            Json::from(n)
        } else if let Some(n) = value.to_i64() {
            Json::from(n)
        } else if let Some(b) = value.to_bool() {
            Json::from(b)
        } else if let Some(f) = value.to_f64() {
            serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
        } else {
            Json::String(value.to_string())
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record a logger was given: level, message, target and `peer` field.
    #[derive(Default)]
    struct Captured(Mutex<Vec<Line>>);

    /// A captured record: level, message, target and `peer` field.
    type Line = (Level, String, String, Option<String>);

    impl Log for Captured {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &Record<'_>) {
            let peer = record.key_values().get(Key::from_str("peer"));
            let line = (
                record.level(),
                record.args().to_string(),
                record.target().to_owned(),
                peer.map(|peer| peer.to_string()),
            );
            self.0.lock().unwrap().push(line);
        }

        fn flush(&self) {}
    }

    impl Captured {
        /// The level and message of each record so far.
        fn take(&self) -> Vec<(Level, String)> {
            let lines = std::mem::take(&mut *self.0.lock().unwrap());
            lines.into_iter().map(|(l, m, _, _)| (l, m)).collect()
        }
    }

    const INTERVAL: Duration = Duration::from_secs(10);
    const DISPATCHER: &str = "actix_http::h1::dispatcher";
    const PARSE_ERROR: &str = "stream error: request parse error: invalid Header provided";
    const RAPID_RESET: (&str, &str) = (
        "h2::proto::streams::recv",
        "recv_reset; remotely-reset pending-accept streams reached limit (Some(20))",
    );

    fn log_at<L: Log>(
        logger: &ProtocolErrorLog<L>,
        at: Instant,
        level: Level,
        target: &str,
        message: &str,
    ) {
        logger.log_at(
            &Record::builder()
                .level(level)
                .target(target)
                .args(format_args!("{message}"))
                .build(),
            at,
        );
    }

    fn warn(message: &str) -> (Level, String) {
        (Level::Warn, message.to_owned())
    }

    fn debug(message: &str) -> (Level, String) {
        (Level::Debug, message.to_owned())
    }

    #[test]
    fn a_request_actix_could_not_parse_is_a_warning_then_debug_until_the_interval_passes() {
        let captured = Captured::default();
        let logger = ProtocolErrorLog::new(&captured, INTERVAL);
        let start = Instant::now();
        for after in [0, 1, 9] {
            let at = start + Duration::from_secs(after);
            log_at(&logger, at, Level::Error, DISPATCHER, PARSE_ERROR);
        }
        assert_eq!(
            captured.take(),
            [warn(PARSE_ERROR), debug(PARSE_ERROR), debug(PARSE_ERROR)]
        );
    }

    #[test]
    fn the_next_warning_says_how_many_were_suppressed() {
        let captured = Captured::default();
        let logger = ProtocolErrorLog::new(&captured, INTERVAL);
        let start = Instant::now();
        for after in [0, 1, 2, 3, 10, 25] {
            let at = start + Duration::from_secs(after);
            log_at(&logger, at, Level::Error, DISPATCHER, PARSE_ERROR);
        }
        let warnings: Vec<_> = captured
            .take()
            .into_iter()
            .filter(|(level, _)| *level == Level::Warn)
            .collect();
        assert_eq!(
            warnings,
            [
                warn(PARSE_ERROR),
                warn(&format!("{PARSE_ERROR} (3 more suppressed)")),
                warn(PARSE_ERROR),
            ]
        );
    }

    #[test]
    fn a_server_fault_from_the_same_module_stays_an_error() {
        let captured = Captured::default();
        let logger = ProtocolErrorLog::new(&captured, INTERVAL);
        let now = Instant::now();
        let faults = [
            "stream error: internal error",
            "Internal server error: unexpected eof",
            "Response payload stream error: broken",
            "write zero; closing",
        ];
        for fault in faults {
            log_at(&logger, now, Level::Error, DISPATCHER, fault);
            log_at(&logger, now, Level::Error, DISPATCHER, fault);
        }
        let expected: Vec<_> = faults
            .iter()
            .flat_map(|fault| {
                [
                    (Level::Error, (*fault).to_owned()),
                    (Level::Error, (*fault).to_owned()),
                ]
            })
            .collect();
        assert_eq!(captured.take(), expected);
    }

    #[test]
    fn the_same_message_from_another_target_or_at_another_level_is_left_alone() {
        let captured = Captured::default();
        let logger = ProtocolErrorLog::new(&captured, INTERVAL);
        let now = Instant::now();
        log_at(&logger, now, Level::Error, "app::startup", PARSE_ERROR);
        log_at(&logger, now, Level::Error, "app::startup", PARSE_ERROR);
        log_at(&logger, now, Level::Info, DISPATCHER, PARSE_ERROR);
        assert_eq!(
            captured.take(),
            [
                (Level::Error, PARSE_ERROR.to_owned()),
                (Level::Error, PARSE_ERROR.to_owned()),
                (Level::Info, PARSE_ERROR.to_owned()),
            ]
        );
    }

    #[test]
    fn each_kind_has_its_own_interval_and_h2_warnings_are_limited_too() {
        let captured = Captured::default();
        let logger = ProtocolErrorLog::new(&captured, INTERVAL);
        let now = Instant::now();
        let (target, message) = RAPID_RESET;
        log_at(&logger, now, Level::Error, DISPATCHER, PARSE_ERROR);
        log_at(&logger, now, Level::Warn, target, message);
        log_at(&logger, now, Level::Warn, target, message);
        assert_eq!(
            captured.take(),
            [warn(PARSE_ERROR), warn(message), debug(message)]
        );
    }

    #[test]
    fn a_relevelled_record_keeps_its_target_and_fields() {
        let captured = Captured::default();
        let logger = ProtocolErrorLog::new(&captured, INTERVAL);
        let fields = [("peer", "10.0.0.1")];
        logger.log_at(
            &Record::builder()
                .level(Level::Error)
                .target(DISPATCHER)
                .args(format_args!("{PARSE_ERROR}"))
                .key_values(&fields)
                .build(),
            Instant::now(),
        );
        let (level, _, target, peer) = captured.0.lock().unwrap().remove(0);
        assert_eq!(
            (level, target.as_str(), peer.as_deref()),
            (Level::Warn, DISPATCHER, Some("10.0.0.1"))
        );
    }
}
