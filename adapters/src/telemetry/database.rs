//! The database's spans: one CLIENT span per statement a connection runs (diesel's instrumentation hook), and one
//! span for the wait for a pooled connection, each beneath the context current on the thread.
//!
//! Only a traced call's statements are recorded: the relay's polls, the key purge and the probes' pings run outside
//! any trace and would otherwise make a trace of their own every few milliseconds.

use diesel::connection::{Instrumentation, InstrumentationEvent};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::Span;

use super::tracer;

/// Where diesel's rendering of a statement puts its bind values, which never go into a span.
const BINDS: &str = " -- binds: ";

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
                if !parent.has_active_span() {
                    return;
                }
                let rendered = query.to_string();
                let text = rendered
                    .find(BINDS)
                    .map_or(rendered.as_str(), |end| &rendered[..end])
                    .trim();
                let operation = operation_of(text);
                let span = tracer
                    .span_builder(operation.clone())
                    .with_kind(SpanKind::Client)
                    .with_attributes([
                        KeyValue::new("db.system.name", self.system),
                        KeyValue::new("db.operation.name", operation),
                        KeyValue::new("db.query.text", text.to_owned()),
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

/// The statement's first keyword, in capitals: `SELECT`, `INSERT`, `BEGIN`, `SET`.
fn operation_of(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .find(|word| !word.is_empty())
        .unwrap_or("QUERY")
        .to_ascii_uppercase()
}

/// Runs `wait` (taking a connection from the pool of a `system` database) in a span of its own, when the calling
/// thread is in a traced call.
pub(crate) fn in_pool_wait<T, E: std::fmt::Display>(
    system: &'static str,
    wait: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let Some(tracer) = tracer() else {
        return wait();
    };
    let parent = Context::current();
    if !parent.has_active_span() {
        return wait();
    }
    let span = tracer
        .span_builder("acquire connection")
        .with_kind(SpanKind::Internal)
        .with_attributes([KeyValue::new("db.system.name", system)])
        .start_with_context(tracer, &parent);
    // Current while it lasts, so the pool's check of the connection it hands out (a ping) nests beneath it.
    let context = parent.with_span(span);
    let result = {
        let _current = context.clone().attach();
        wait()
    };
    let span = context.span();
    if let Err(error) = &result {
        span.set_status(Status::error(error.to_string()));
    }
    span.end();
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
        assert_eq!(operation_of("   "), "QUERY");
    }
}
