//! The call layer: wraps every gRPC call (orders, health and reflection alike), as the HTTP request middleware wraps
//! every request. It chooses the call's request id (the client's `x-request-id` when sane, a new one otherwise),
//! hands it to the endpoint and echoes it in the response metadata, and at the end of the call writes one access
//! log line (method, code, duration, request id, caller, peer) and counts the call in the metrics. When
//! tracing is on, it runs the call in its SERVER span (health and reflection calls excepted, as machines and tools
//! make them every few seconds), which it ends with the call's code.
//!
//! A unary call's final code is in its trailers (or, for an error, in the response headers alone), so the line is
//! written when the trailers pass; a call that never finishes (the client hung up) is logged as `CANCELLED`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use application::Caller;
use http::header::HeaderValue;
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame, SizeHint};
use opentelemetry::KeyValue;
use opentelemetry::context::FutureExt as _;
use tonic::Code;
use tonic::transport::server::TcpConnectInfo;

use crate::inbound::{RequestId, X_REQUEST_ID};
use crate::metrics::PrometheusMetrics;
use crate::telemetry::{self, propagation, spans};

/// The methods counted by name; any other path is counted as `other`, so a client cannot create series at will.
const KNOWN_METHODS: [&str; 8] = [
    "/orders.v1.OrderService/CreateOrder",
    "/orders.v1.OrderService/GetOrder",
    "/orders.v1.OrderService/ChangeStatus",
    "/orders.v1.OrderService/ListOrders",
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

/// The services machines call every few seconds (probes) or tools call to explore: a success is logged at `debug`.
const OPERATIONAL_SERVICES: [&str; 3] = [
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.",
    "/grpc.reflection.v1alpha.",
];

/// Where an endpoint leaves the caller it authenticated, for the call's line; the layer puts one in every call's
/// extensions. A call that takes no credentials (health, reflection), or is refused before, leaves it empty.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallerSlot(Arc<OnceLock<Caller>>);

impl CallerSlot {
    /// Records who the call is from.
    pub(crate) fn fill(&self, caller: &Caller) {
        let _first = self.0.set(caller.clone());
    }
}

/// The layer, for `Server::builder().layer(..)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallLayer {
    pub(crate) metrics: Option<Arc<PrometheusMetrics>>,
}

impl<S> tower::Layer<S> for CallLayer {
    type Service = CallLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallLog {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service the layer makes of the router.
#[derive(Debug, Clone)]
pub(crate) struct CallLog<S> {
    inner: S,
    metrics: Option<Arc<PrometheusMetrics>>,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for CallLog<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Body + Unpin + Send + 'static,
{
    type Response = Response<LoggedBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The service that was driven to readiness serves this call; a clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let request_id = request
            .headers()
            .get(X_REQUEST_ID)
            .and_then(|value| RequestId::from_client(value.as_bytes()))
            .unwrap_or_else(RequestId::generate);
        request.extensions_mut().insert(request_id.clone());
        let caller = CallerSlot::default();
        request.extensions_mut().insert(caller.clone());
        let peer_address = request
            .extensions()
            .get::<TcpConnectInfo>()
            .and_then(TcpConnectInfo::remote_addr);
        let method = request.uri().path().to_owned();
        let trace = server_span(&method, request.headers(), peer_address);
        let call = Call {
            method,
            started: Instant::now(),
            request_id,
            trace: trace.clone(),
            caller,
            peer: peer_address.map(|peer| peer.to_string()),
            metrics: self.metrics.clone(),
            finished: false,
        };
        let handled = async move { inner.call(request).await };
        Box::pin(async move {
            let mut response = match trace {
                Some(trace) => handled.with_context(trace).await?,
                None => handled.await?,
            };
            if let Ok(value) = HeaderValue::from_str(call.request_id.as_str()) {
                response.headers_mut().insert(X_REQUEST_ID, value);
            }
            // An error answer has its code in the headers and no trailers; a success has it in the trailers.
            let call = match code_in(response.headers()) {
                Some(code) => {
                    call.finish(code);
                    None
                }
                None => Some(call),
            };
            Ok(response.map(|body| LoggedBody { inner: body, call }))
        })
    }
}

/// The call's SERVER span, beneath the caller's trace context when its metadata carries one, named after the
/// method (`orders.v1.OrderService/GetOrder`; `_OTHER` for a method this server does not know), with the gRPC
/// server conventions' attributes. `None` when tracing is off, and for health and reflection calls.
fn server_span(
    method: &str,
    metadata: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> Option<opentelemetry::Context> {
    telemetry::tracer()?;
    if OPERATIONAL_SERVICES
        .iter()
        .any(|service| method.starts_with(service))
    {
        return None;
    }
    let known = KNOWN_METHODS.contains(&method);
    let (service, name) = method
        .trim_start_matches('/')
        .split_once('/')
        .filter(|_| known)
        .unwrap_or(("_OTHER", "_OTHER"));
    let span_name = if known {
        method.trim_start_matches('/').to_owned()
    } else {
        "_OTHER".to_owned()
    };
    let mut attributes = vec![
        KeyValue::new("rpc.system", "grpc"),
        KeyValue::new("rpc.service", service.to_owned()),
        KeyValue::new("rpc.method", name.to_owned()),
    ];
    if let Some(peer) = peer {
        attributes.push(KeyValue::new("client.address", peer.ip().to_string()));
    }
    let parent =
        propagation::extract(|key| metadata.get(key).and_then(|value| value.to_str().ok()));
    spans::start_server(&parent, span_name, attributes)
}

/// The response body, which writes the call's line when its trailers pass.
#[derive(Debug)]
pub(crate) struct LoggedBody<B> {
    inner: B,
    call: Option<Call>,
}

impl<B: Body + Unpin> Body for LoggedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame
                .trailers_ref()
                .map(|trailers| code_in(trailers).unwrap_or(Code::Unknown)),
            Poll::Ready(Some(Err(_))) => Some(Code::Internal),
            Poll::Ready(None) => Some(Code::Unknown),
            Poll::Pending => None,
        };
        if let Some(code) = code
            && let Some(call) = this.call.take()
        {
            call.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// One call, until its line is written.
#[derive(Debug)]
struct Call {
    method: String,
    started: Instant,
    request_id: RequestId,
    /// The call's SERVER span, when it is traced.
    trace: Option<opentelemetry::Context>,
    caller: CallerSlot,
    peer: Option<String>,
    metrics: Option<Arc<PrometheusMetrics>>,
    finished: bool,
}

impl Call {
    fn finish(mut self, code: Code) {
        self.record(code);
    }

    fn record(&mut self, code: Code) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        let elapsed = self.started.elapsed();
        let name = code_name(code);
        if let Some(metrics) = &self.metrics {
            let method = KNOWN_METHODS
                .iter()
                .find(|known| **known == self.method)
                .copied()
                .unwrap_or("other");
            metrics.observe_grpc_call(method, name, elapsed);
        }
        let operational = OPERATIONAL_SERVICES
            .iter()
            .any(|service| self.method.starts_with(service));
        let level = if code == Code::Ok && operational {
            log::Level::Debug
        } else {
            log::Level::Info
        };
        let duration_ms = (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0;
        // The line is written in the call's span, so it carries its trace id as every line of the call does.
        let _current = self.trace.as_ref().map(|trace| {
            spans::finish_grpc(trace, code, name);
            trace.clone().attach()
        });
        log::log!(
            target: "access",
            level,
            transport = "grpc",
            method = self.method.as_str(),
            code = name,
            duration_ms = duration_ms,
            request_id = self.request_id.as_str(),
            caller:% = self.caller.0.get().map_or_else(|| "-".to_owned(), ToString::to_string),
            peer = self.peer.as_deref().unwrap_or("-");
            ""
        );
    }
}

impl Drop for Call {
    /// A call dropped before its end: the client hung up (or its deadline passed on the way).
    fn drop(&mut self) {
        self.record(Code::Cancelled);
    }
}

/// The `grpc-status` in `headers` (or trailers), if there is one.
fn code_in(headers: &HeaderMap) -> Option<Code> {
    let value = headers.get("grpc-status")?.to_str().ok()?;
    value.parse::<i32>().ok().map(Code::from_i32)
}

/// The code's name, as the gRPC specification writes it: `NOT_FOUND`.
pub(crate) const fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
