//! A local OTLP/HTTP trace receiver, as a collector is to the service: it takes `POST /v1/traces` in protobuf or
//! JSON, answers 200, and keeps every span it was sent, with the resource it came from.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;

/// One received span, its ids as hex, its attributes as text.
#[derive(Debug, Clone)]
pub struct Span {
    pub name: String,
    /// `SPAN_KIND_*`: 1 internal, 2 server, 3 client, 4 producer.
    pub kind: i32,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub attributes: HashMap<String, String>,
    /// 0 unset, 1 ok, 2 error.
    pub status: i32,
    pub start_ns: u64,
    pub end_ns: u64,
    /// The resource's attributes (`service.name`, ...).
    pub resource: HashMap<String, String>,
    /// The request's `Content-Type`: how the service encoded it.
    pub content_type: String,
}

impl Span {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    pub fn duration_ms(&self) -> f64 {
        (self.end_ns.saturating_sub(self.start_ns)) as f64 / 1e6
    }
}

pub const SERVER: i32 = 2;
pub const INTERNAL: i32 = 1;
pub const CLIENT: i32 = 3;
pub const PRODUCER: i32 = 4;
pub const STATUS_ERROR: i32 = 2;

/// The receiver; it stops with the test process.
pub struct Collector {
    port: u16,
    spans: Arc<Mutex<Vec<Span>>>,
}

impl Collector {
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// On `port` (0: any free one).
    pub fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&spans);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || serve(stream, &kept));
            }
        });
        Self { port, spans }
    }

    /// The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn spans(&self) -> Vec<Span> {
        self.spans.lock().unwrap().clone()
    }

    /// The first span `matches` accepts, waiting up to 15 s for it to arrive.
    pub fn wait_for(&self, what: &str, matches: impl Fn(&Span) -> bool) -> Span {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(span) = self.spans().into_iter().find(|span| matches(span)) {
                return span;
            }
            assert!(
                Instant::now() < deadline,
                "no span {what} within 15 s; received: {:#?}",
                self.spans()
                    .iter()
                    .map(|s| (&s.name, &s.trace_id))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The spans of `trace_id` whose parent is `parent`, once `count` of them arrived.
    pub fn children(&self, parent: &Span, count: usize) -> Vec<Span> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let children: Vec<Span> = self
                .spans()
                .into_iter()
                .filter(|span| {
                    span.trace_id == parent.trace_id && span.parent_span_id == parent.span_id
                })
                .collect();
            if children.len() >= count || Instant::now() > deadline {
                return children;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Answers the requests of one connection (the exporter keeps it alive) until it closes.
fn serve(stream: TcpStream, kept: &Mutex<Vec<Span>>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut headers = HashMap::new();
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|length| length.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let content_type = headers.get("content-type").cloned().unwrap_or_default();
        let request = if content_type.starts_with("application/json") {
            serde_json::from_slice::<ExportTraceServiceRequest>(&body).unwrap()
        } else {
            ExportTraceServiceRequest::decode(body.as_slice()).unwrap()
        };
        kept.lock()
            .unwrap()
            .extend(spans_of(request, &content_type));
        let answer = if content_type.starts_with("application/json") {
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        } else {
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"
        };
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn spans_of(request: ExportTraceServiceRequest, content_type: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans
            .resource
            .map(|resource| attributes_of(&resource.attributes))
            .unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(Span {
                    name: span.name,
                    kind: span.kind,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: attributes_of(&span.attributes),
                    status: span.status.map_or(0, |status| status.code),
                    start_ns: span.start_time_unix_nano,
                    end_ns: span.end_time_unix_nano,
                    resource: resource.clone(),
                    content_type: content_type.to_owned(),
                });
            }
        }
    }
    spans
}

fn attributes_of(attributes: &[KeyValue]) -> HashMap<String, String> {
    attributes
        .iter()
        .map(|kv| (kv.key.clone(), text_of(kv.value.as_ref())))
        .collect()
}

fn text_of(value: Option<&AnyValue>) -> String {
    match value.and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(n)) => n.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(f)) => f.to_string(),
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
