//! The SERVER span of a call, as both transports make it: started from the caller's context when it sent one, made
//! current while the call is handled (so every span beneath and every log line of the call belongs to it), and
//! ended with the call's outcome, following the OpenTelemetry semantic conventions for HTTP and gRPC servers.

use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};

use super::tracer;

/// Starts the SERVER span `name` beneath `parent` (the caller's context, or an empty one); the context holding it,
/// or `None` when tracing is off.
pub(crate) fn start_server(
    parent: &Context,
    name: String,
    attributes: Vec<KeyValue>,
) -> Option<Context> {
    let tracer = tracer()?;
    let span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(tracer, parent);
    Some(parent.with_span(span))
}

/// Ends the span of an HTTP request answered `status`: an error from 400 on (`error.type` is the status code), an
/// error status from 500 on, as the conventions have it for a server.
pub(crate) fn finish_http(context: &Context, status: u16) {
    let span = context.span();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 400 {
        span.set_attribute(KeyValue::new("error.type", status.to_string()));
    }
    if status >= 500 {
        span.set_status(Status::error(""));
    }
    span.end();
}

/// Ends the span of a gRPC call that ended with `code` (named `code_name`): `error.type` for every code but `OK`,
/// an error status for the codes the conventions count as a server's fault.
pub(crate) fn finish_grpc(context: &Context, code: tonic::Code, code_name: &'static str) {
    use tonic::Code;
    let span = context.span();
    span.set_attribute(KeyValue::new("rpc.grpc.status_code", code as i64));
    if code != Code::Ok {
        span.set_attribute(KeyValue::new("error.type", code_name));
    }
    let server_fault = matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    );
    if server_fault {
        span.set_status(Status::error(""));
    }
    span.end();
}
