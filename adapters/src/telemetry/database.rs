//! The database's spans: one CLIENT span per statement a connection runs (diesel's instrumentation hook), and one
//! span for a wait for a pooled connection, each beneath the context current on the thread.
//!
//! Only a traced call's statements are recorded: the relay's polls, the key purge and the probes' pings run outside
//! any trace and would otherwise make a trace of their own every few milliseconds. A call the sampler left out
//! costs no statement text either.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::Span;

use super::tracer;

/// Where diesel's rendering of a statement puts its bind values, which never go into a span.
const BINDS: &str = " -- binds: ";

/// A wait for a pooled connection shorter than this is no span: one handed straight from the idle ones takes a
/// microsecond or two, and a span for each would cost more than the wait (the executor has a thread per pooled
/// connection, so under load calls wait in its queue, not here). A longer one (a check of an idle connection, a
/// pool that is short of connections, a database that is slow to accept one) is a span.
const POOL_WAIT_WORTH_A_SPAN: Duration = Duration::from_micros(100);

/// The statements' first keywords, as the span's name and `db.operation.name` without an allocation each.
const OPERATIONS: [&str; 10] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SET",
    "WITH",
    "SAVEPOINT",
];

/// A connection's statement spans; set on a connection only while tracing is on.
pub(crate) struct QuerySpans {
    system: &'static str,
    open: Option<Span>,
}

impl QuerySpans {
    /// Spans for a connection to `system` (`postgresql` or `sqlite`, as the conventions name them).
    pub(crate) const fn new(system: &'static str) -> Self {
        Self { system, open: None }
    }
}

impl Instrumentation for QuerySpans {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                let Some(tracer) = tracer() else { return };
                let parent = Context::current();
                // Outside a traced call, or in one the sampler left out (its spans would not be recorded either).
                if !parent.has_active_span() || !parent.span().is_recording() {
                    return;
                }
                let text: Cow<'static, str> = KNOWN_TEXT
                    .take()
                    .map_or_else(|| Cow::Owned(statement_text(query)), Cow::Borrowed);
                let operation = operation_of(&text);
                let span = tracer
                    .span_builder(operation.clone())
                    .with_kind(SpanKind::Client)
                    .with_attributes([
                        KeyValue::new("db.system.name", self.system),
                        KeyValue::new("db.operation.name", operation),
                        KeyValue::new("db.query.text", text),
                    ])
                    .start_with_context(tracer, &parent);
                self.open = Some(span);
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                if let Some(mut span) = self.open.take() {
                    if let Some(error) = error {
                        span.set_attribute(KeyValue::new("error.type", "database_error"));
                        span.set_status(Status::error(error.to_string()));
                    }
                    span.end();
                }
            }
            _ => {}
        }
    }
}

thread_local! {
    /// The text of the statement this thread runs next, when its caller knows it (see [`with_known_text`]).
    static KNOWN_TEXT: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Runs `run`, whose one statement has the text that `text` renders (once per process: the text of a statement
/// whose SQL never changes), so its span needs no rendering of its own. diesel runs such a statement from its
/// cache without rendering it; rendering it anew for each span cost a read about 6% of its CPU. Without tracing,
/// neither `text` nor anything else here runs.
pub(crate) fn with_known_text<T>(
    text: &'static OnceLock<String>,
    render: impl FnOnce() -> String,
    run: impl FnOnce() -> T,
) -> T {
    if tracer().is_none() {
        return run();
    }
    let known = text.get_or_init(|| strip_binds(render()));
    KNOWN_TEXT.set(Some(known.as_str()));
    // Cleared however `run` ends, so the text never names a later statement.
    let _clear = ClearKnownText;
    run()
}

/// Forgets the known text when dropped.
struct ClearKnownText;

impl Drop for ClearKnownText {
    fn drop(&mut self) {
        KNOWN_TEXT.set(None);
    }
}

/// The statement as diesel renders it, without its bind values: the rendering stops where they would begin.
fn statement_text(query: &dyn std::fmt::Display) -> String {
    let mut text = UpToBinds(String::new());
    // The writer refuses the binds, which ends the rendering with an error by design.
    let _binds_refused = write!(text, "{query}");
    strip_binds(text.0)
}

/// `rendered` up to its binds.
fn strip_binds(mut rendered: String) -> String {
    if let Some(end) = rendered.find(BINDS) {
        rendered.truncate(end);
    }
    rendered.truncate(rendered.trim_end().len());
    rendered
}

/// A text that takes what is written until the binds' marker.
struct UpToBinds(String);

impl std::fmt::Write for UpToBinds {
    fn write_str(&mut self, part: &str) -> std::fmt::Result {
        self.0.push_str(part);
        if part.contains(BINDS) {
            return Err(std::fmt::Error);
        }
        Ok(())
    }
}

/// The statement's first keyword, in capitals: `SELECT`, `INSERT`, `BEGIN`, `SET`.
fn operation_of(text: &str) -> Cow<'static, str> {
    let word = text
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .next()
        .filter(|word| !word.is_empty())
        .unwrap_or("QUERY");
    OPERATIONS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(word))
        .map_or_else(
            || Cow::Owned(word.to_ascii_uppercase()),
            |known| Cow::Borrowed(*known),
        )
}

/// Runs `wait` (taking a connection from the pool of a `system` database); when the calling thread is in a traced
/// call and the wait took [`POOL_WAIT_WORTH_A_SPAN`] or more, or failed, records it as a span of its own, over the
/// time it took.
pub(crate) fn in_pool_wait<T, E: std::fmt::Display>(
    system: &'static str,
    wait: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    if tracer().is_none() {
        return wait();
    }
    let (began, started) = (SystemTime::now(), Instant::now());
    let result = wait();
    let waited = started.elapsed();
    if waited < POOL_WAIT_WORTH_A_SPAN && result.is_ok() {
        return result;
    }
    let Some(tracer) = tracer() else {
        return result;
    };
    let parent = Context::current();
    if !parent.has_active_span() || !parent.span().is_recording() {
        return result;
    }
    let mut span = tracer
        .span_builder("acquire connection")
        .with_kind(SpanKind::Internal)
        .with_start_time(began)
        .with_attributes([KeyValue::new("db.system.name", system)])
        .start_with_context(tracer, &parent);
    if let Err(error) = &result {
        span.set_status(Status::error(error.to_string()));
    }
    span.end_with_timestamp(began + waited);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_is_the_first_keyword() {
        assert_eq!(
            operation_of("SELECT \"orders\".\"id\" FROM \"orders\""),
            "SELECT"
        );
        assert_eq!(operation_of("insert into orders values ($1)"), "INSERT");
        assert_eq!(operation_of("BEGIN"), "BEGIN");
        assert_eq!(operation_of("WITH(x) AS"), "WITH");
        assert_eq!(operation_of("vacuum"), "VACUUM");
        assert_eq!(operation_of("   "), "QUERY");
    }

    /// What diesel's `DebugQuery` writes: the statement, then the binds.
    struct Rendered(&'static str, &'static str);

    impl std::fmt::Display for Rendered {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{} -- binds: {:?}", self.0, self.1)
        }
    }

    #[test]
    fn the_text_stops_before_the_binds() {
        let text = statement_text(&Rendered("SELECT 1 FROM t WHERE a = $1", "customer-secret"));
        assert_eq!(text, "SELECT 1 FROM t WHERE a = $1");
        assert_eq!(statement_text(&"BEGIN"), "BEGIN");
    }
}
