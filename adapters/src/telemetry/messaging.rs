//! The PRODUCER span of an event's publication, beneath the trace context the event was stored with (the request
//! that made the change), following the OpenTelemetry messaging conventions. The relay publishes long after the
//! request ended, on a thread of its own: the context crosses with the event, through the outbox.

use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};

use super::{propagation, tracer};

/// One event's publication: its span when it is traced, and the trace context the message carries.
#[derive(Debug)]
pub(crate) struct Publication {
    span: Option<Context>,
    traceparent: Option<String>,
}

impl Publication {
    /// Starts publishing the event `message_id` to `subject`, which was stored with the trace context `stored`.
    /// Without one (the change was not traced) there is no span and the message carries no context; with tracing
    /// off here, the message carries the stored context on.
    pub(crate) fn start(stored: Option<&str>, subject: &str, message_id: &str) -> Self {
        let Some(stored) = stored else {
            return Self {
                span: None,
                traceparent: None,
            };
        };
        let Some(tracer) = tracer() else {
            return Self {
                span: None,
                traceparent: Some(stored.to_owned()),
            };
        };
        let parent = propagation::from_traceparent(stored);
        let span = tracer
            .span_builder(format!("publish {subject}"))
            .with_kind(SpanKind::Producer)
            .with_attributes([
                KeyValue::new("messaging.system", "nats"),
                KeyValue::new("messaging.operation.type", "send"),
                KeyValue::new("messaging.operation.name", "publish"),
                KeyValue::new("messaging.destination.name", subject.to_owned()),
                KeyValue::new("messaging.message.id", message_id.to_owned()),
            ])
            .start_with_context(tracer, &parent);
        let span = parent.with_span(span);
        let traceparent = propagation::traceparent_of(&span).or_else(|| Some(stored.to_owned()));
        Self {
            span: Some(span),
            traceparent,
        }
    }

    /// The trace context the message carries (its CloudEvents `traceparent`, and the header of that name): the
    /// publication's span, so a consumer's span follows it in the request's trace.
    pub(crate) fn traceparent(&self) -> Option<&str> {
        self.traceparent.as_deref()
    }

    /// Ends the span: acknowledged by the stream, or not, for `error` (its cause chain).
    pub(crate) fn finish(self, error: Option<String>) {
        if let Some(span) = self.span {
            let span = span.span();
            if let Some(error) = error {
                span.set_attribute(KeyValue::new("error.type", "publish_failed"));
                span.set_status(Status::error(error));
            }
            span.end();
        }
    }
}
