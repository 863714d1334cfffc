//! Traces: OpenTelemetry spans for every order call, from the transport's SERVER span through the use case to each
//! database call, and on to the events a call produced; exported over OTLP/HTTP by the SDK's batch processor.
//!
//! Tracing is configured the standard way, by the `OTEL_*` environment (the SDK and the exporter read it): it is on
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless `OTEL_SDK_DISABLED` is
//! `true` or `OTEL_TRACES_EXPORTER` is `none`. When it is off, no span, context or header is ever made: every hook
//! here asks [`tracer`] first, one atomic load.
//!
//! - [`propagation`]: W3C Trace Context in and out (request headers, gRPC metadata, the events' `traceparent`);
//! - [`spans`]: the SERVER spans both transports start and end alike;
//! - [`TracedService`]: the use case's span, a decorator over the `OrderService` port;
//! - [`QuerySpans`]: a CLIENT span per database statement, and the wait for a pooled connection;
//! - [`Publication`]: the PRODUCER span of an event's publication, beneath the request that made the change.

mod database;
mod export;
mod messaging;
pub(crate) mod propagation;
mod service;
pub(crate) mod spans;

use std::sync::OnceLock;

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use thiserror::Error;

pub(crate) use database::{QuerySpans, in_pool_wait, with_known_text};
pub(crate) use messaging::Publication;
pub use service::TracedService;

/// The service name traces carry unless `OTEL_SERVICE_NAME` (or `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) says.
pub const DEFAULT_SERVICE_NAME: &str = "ordersvc";

/// The process's tracer, once tracing is on.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// The tracer every span is made with, or `None` when tracing is off.
pub(crate) fn tracer() -> Option<&'static SdkTracer> {
    TRACER.get()
}

/// Whether this process exports traces.
pub fn is_on() -> bool {
    TRACER.get().is_some()
}

/// The trace id of the span current on this thread (the request's, on a transport's task or an executor thread),
/// as 32 hex digits; `None` outside a traced request and whenever tracing is off.
pub fn current_trace_id() -> Option<String> {
    tracer()?;
    Context::map_current(|context| {
        let span = context.span();
        let span_context = span.span_context();
        span_context
            .is_valid()
            .then(|| span_context.trace_id().to_string())
    })
}

/// The trace context current on this thread as a W3C `traceparent`; `None` outside a traced request and whenever
/// tracing is off.
pub(crate) fn current_traceparent() -> Option<String> {
    tracer()?;
    Context::map_current(propagation::traceparent_of)
}

/// Tracing could not be set up as configured.
#[derive(Debug, Error)]
pub enum TracingError {
    /// An exporter other than OTLP was asked for.
    #[error("OTEL_TRACES_EXPORTER={0:?} is not supported: use otlp (the default) or none")]
    Exporter(String),
    /// A protocol other than OTLP over HTTP was asked for.
    #[error("{variable}={value:?} is not supported: use http/protobuf (the default) or http/json")]
    Protocol {
        /// The variable that named it.
        variable: &'static str,
        /// What it said.
        value: String,
    },
    /// The exporter refused its settings (an endpoint that is not a URL, a malformed header).
    #[error("cannot set up the OTLP trace exporter")]
    Setup(#[source] opentelemetry_otlp::ExporterBuildError),
    /// Tracing was set up before in this process.
    #[error("tracing is already set up in this process")]
    AlreadyOn,
}

/// Tracing while it is on: the provider, whose batch processor sends spans from a thread of its own. Shut it down
/// at exit, so the last spans are sent.
#[derive(Debug)]
pub struct Tracing {
    provider: SdkTracerProvider,
    endpoint: String,
    protocol: &'static str,
}

impl Tracing {
    /// Turns tracing on when the process's `OTEL_*` environment asks for it (see the module's documentation).
    /// Call it outside an async runtime: the exporter's blocking HTTP client runs one of its own.
    ///
    /// # Errors
    /// When the environment asks for an exporter or protocol that is not built in, or for settings the exporter
    /// refuses; when tracing is on already.
    pub fn from_env() -> Result<Option<Self>, TracingError> {
        Self::from_settings(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
    }

    fn from_settings(
        setting: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, TracingError> {
        let disabled =
            setting("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true"));
        match setting("OTEL_TRACES_EXPORTER").map(|value| value.to_ascii_lowercase()) {
            Some(exporter) if exporter == "none" => return Ok(None),
            Some(exporter) if exporter != "otlp" => return Err(TracingError::Exporter(exporter)),
            _ => {}
        }
        let endpoint = setting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| {
            setting("OTEL_EXPORTER_OTLP_ENDPOINT")
                .map(|base| format!("{}/v1/traces", base.trim_end_matches('/')))
        });
        let Some(endpoint) = endpoint.filter(|_| !disabled).map(|url| redacted(&url)) else {
            return Ok(None);
        };
        let protocol = protocol_of(&setting)?;
        // The exporter reads the endpoint, headers and timeout from the same environment itself. The protocol is
        // given, as read above: with both encodings built in, the exporter's own default is JSON, not protobuf.
        let encoding = if protocol == "http/json" {
            Protocol::HttpJson
        } else {
            Protocol::HttpBinary
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(encoding)
            .build()
            .map_err(TracingError::Setup)?;
        let provider = SdkTracerProvider::builder()
            .with_resource(resource())
            .with_batch_exporter(export::ReportingExporter::new(exporter, &endpoint))
            .build();
        let scope = InstrumentationScope::builder(DEFAULT_SERVICE_NAME)
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        TRACER
            .set(provider.tracer_with_scope(scope))
            .map_err(|_| TracingError::AlreadyOn)?;
        Ok(Some(Self {
            provider,
            endpoint,
            protocol,
        }))
    }

    /// Where spans go, as the log may show it: credentials in the URL are masked.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// How they are encoded: `http/protobuf` or `http/json`.
    pub const fn protocol(&self) -> &'static str {
        self.protocol
    }

    /// Sends the spans still queued, then stops the exporter. Call it outside an async runtime.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            log::warn!("the last spans may not have been sent: {error}");
        }
    }
}

/// `url` with the user and password it may carry (`http://user:secret@host`) masked, for the log. The exporter
/// itself reads the URL from the environment as it is.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// The OTLP encoding the environment asks for; only the HTTP ones are built in.
fn protocol_of(setting: &impl Fn(&str) -> Option<String>) -> Result<&'static str, TracingError> {
    let asked = [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]
    .into_iter()
    .find_map(|variable| setting(variable).map(|value| (variable, value)));
    match asked {
        None => Ok("http/protobuf"),
        Some((_, value)) if value.eq_ignore_ascii_case("http/protobuf") => Ok("http/protobuf"),
        Some((_, value)) if value.eq_ignore_ascii_case("http/json") => Ok("http/json"),
        Some((variable, value)) => Err(TracingError::Protocol { variable, value }),
    }
}

/// The resource every span carries: `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` as the SDK reads them, with
/// `ordersvc` for the name they leave unset, and the version.
fn resource() -> Resource {
    let detected = Resource::builder().build();
    let unnamed = detected
        .get(&opentelemetry::Key::from_static_str("service.name"))
        .is_none_or(|name| name.as_str().starts_with("unknown_service"));
    let builder = Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    if unnamed {
        builder.with_service_name(DEFAULT_SERVICE_NAME).build()
    } else {
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn without_an_endpoint_tracing_is_off() {
        assert!(matches!(Tracing::from_settings(settings(&[])), Ok(None)));
        let disabled = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ]);
        assert!(matches!(Tracing::from_settings(disabled), Ok(None)));
        let none = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ]);
        assert!(matches!(Tracing::from_settings(none), Ok(None)));
        assert!(!is_on());
        assert_eq!(current_trace_id(), None);
    }

    #[test]
    fn an_exporter_or_protocol_that_is_not_built_in_is_refused() {
        let zipkin = settings(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            ("OTEL_TRACES_EXPORTER", "zipkin"),
        ]);
        assert!(matches!(
            Tracing::from_settings(zipkin),
            Err(TracingError::Exporter(name)) if name == "zipkin"
        ));
        let grpc = settings(&[
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://127.0.0.1:4317",
            ),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        assert!(matches!(
            Tracing::from_settings(grpc),
            Err(TracingError::Protocol {
                variable: "OTEL_EXPORTER_OTLP_PROTOCOL",
                ..
            })
        ));
    }

    #[test]
    fn credentials_in_the_endpoint_are_masked_for_the_log() {
        assert_eq!(
            redacted("https://user:secret@collector:4318/v1/traces"),
            "https://***@collector:4318/v1/traces"
        );
        assert_eq!(
            redacted("http://collector:4318/v1/traces?a=b@c"),
            "http://collector:4318/v1/traces?a=b@c"
        );
        assert_eq!(redacted("collector:4318"), "collector:4318");
    }

    #[test]
    fn the_signal_protocol_comes_before_the_general_one() {
        let both = settings(&[
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        assert_eq!(protocol_of(&both).unwrap(), "http/json");
        assert_eq!(protocol_of(&settings(&[])).unwrap(), "http/protobuf");
    }
}
