//! The HTTP server: actix's HTTP/1.1 service around the [`app`](super::app), on as many workers as configured, each
//! holding a share of the connection cap, and with an answer to `Expect: 100-continue` that refuses at once a
//! request that would be refused anyway, before its client sends the body.
//!
//! Built on actix-http and actix-server (what `actix_web::HttpServer` is made of), because `HttpServer` always
//! answers `100 Continue`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_http::body::BoxBody;
use actix_http::{HttpService, Protocol, Request, Response};
use actix_router::ResourceDef;
use actix_service::{ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::{AppConfig, Server};
use actix_web::http::header::{HeaderMap, HeaderValue};
use actix_web::http::{ConnectionType, Method};
use actix_web::rt::net::TcpStream;
use actix_web::{HttpMessage, ResponseError};

use super::body::check_body_headers;
use super::context::X_REQUEST_ID_HEADER;
use super::error::ApiError;
use super::protocol_problems::ProblemIo;
use super::route_table::{actix_method, endpoints};
use crate::inbound::{ErrorCode, RequestId, ServingContext};

/// How the server runs.
#[derive(Debug, Clone, Copy)]
pub struct ServerSettings {
    /// Worker threads, each with its own event loop.
    pub workers: usize,
    /// The most connections open at once, shared between the workers.
    pub max_connections: usize,
    /// How long a client may take to send a request's line and headers (408 after it).
    pub header_timeout: Duration,
    /// After a graceful stop, how long requests in flight may take before their connections are closed.
    pub shutdown_timeout: Duration,
}

/// How long an idle keep-alive connection stays open (actix's default).
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// After the response, how long a client may take to close a connection the server is closing.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves `context`'s app on `listener` until stopped through the returned server's handle (signals are the
/// caller's to handle). The server runs once awaited.
///
/// # Errors
/// When the listener cannot be registered.
pub fn serve(
    listener: TcpListener,
    context: ServingContext,
    settings: ServerSettings,
) -> std::io::Result<Server> {
    let address = listener.local_addr()?;
    let routes = Arc::new(RouteShapes::of_route_table());
    let mut builder = actix_server::Server::build();
    let shutdown_signal = builder.graceful_shutdown_signal();
    builder = builder
        .workers(settings.workers)
        .max_concurrent_connections(settings.max_connections.div_ceil(settings.workers).max(1))
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .disable_signals()
        .listen("http", listener, move || {
            let context = context.clone();
            let routes = Arc::clone(&routes);
            let shutdown_signal = shutdown_signal.clone();
            let service = HttpService::build()
                .graceful_shutdown_signal(move || {
                    let signal = shutdown_signal.clone();
                    async move { signal.notified().await }
                })
                .keep_alive(KEEP_ALIVE)
                .client_request_timeout(settings.header_timeout)
                .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                .local_addr(address)
                .expect(fn_service(move |request: Request| {
                    let routes = Arc::clone(&routes);
                    async move { routes.continue_or_refuse(request) }
                }))
                // The app reads neither the configured host nor the local address (it knows its peers from the
                // connection), so actix's defaults stand.
                .finish(map_config(super::app(context), |()| AppConfig::default()));
            // As `HttpService::tcp` does, with the connection wrapped so that actix-http's own bare refusals go out
            // as problem documents.
            fn_service(|io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok((ProblemIo::new(io), Protocol::Http1, peer))
            })
            .and_then(service)
        })?;
    Ok(builder.run())
}

/// What the route table says of a path and method, enough to tell before the body whether a request will be
/// refused: its paths with their methods, in matching order, and which take a JSON body.
#[derive(Debug)]
struct RouteShapes {
    paths: Vec<(ResourceDef, Vec<Method>)>,
    with_body: Vec<(Method, ResourceDef)>,
}

impl RouteShapes {
    fn of_route_table() -> Self {
        let mut paths: Vec<(ResourceDef, Vec<Method>)> = Vec::new();
        let mut with_body = Vec::new();
        for endpoint in endpoints() {
            if endpoint.problems.contains(&ErrorCode::UnsupportedMediaType) {
                for method in endpoint.methods.iter().map(actix_method) {
                    with_body.push((method, ResourceDef::new(endpoint.path.as_str())));
                }
            }
            // `HEAD` with every `GET`, as the app serves them.
            let methods = endpoint.served;
            match paths
                .iter_mut()
                .find(|(path, _)| path.pattern() == Some(endpoint.path.as_str()))
            {
                Some((_, known)) => known.extend(methods),
                None => paths.push((ResourceDef::new(endpoint.path.as_str()), methods)),
            }
        }
        Self { paths, with_body }
    }

    /// `Ok(request)` (send `100 Continue`, then serve it) unless the request will be refused whatever its body:
    /// an unknown path or method, or a body route's headers that refuse the body (media type, encoding, length).
    fn continue_or_refuse(&self, request: Request) -> Result<Request, Response<BoxBody>> {
        match self.refusal(request.method(), request.path(), request.headers()) {
            None => Ok(request),
            Some(refusal) => Err(refused(&refusal, request.headers())),
        }
    }

    fn refusal(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<ApiError> {
        let Some((_, methods)) = self.paths.iter().find(|(def, _)| def.is_match(path)) else {
            return Some(ApiError::route_not_found());
        };
        if !methods.contains(method) {
            let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
            return Some(ApiError::method_not_allowed(allow.join(", ")));
        }
        let takes_body = self
            .with_body
            .iter()
            .any(|(m, def)| m == method && def.is_match(path));
        if takes_body {
            return check_body_headers(headers).err();
        }
        None
    }
}

/// The refusal sent instead of `100 Continue`: the problem, with the request id, closing the connection (the body
/// the client holds back is never read).
fn refused(error: &ApiError, headers: &HeaderMap) -> Response<BoxBody> {
    let request_id = headers
        .get(X_REQUEST_ID_HEADER)
        .and_then(|value| RequestId::from_client(value.as_bytes()))
        .unwrap_or_else(RequestId::generate);
    log::info!(
        status = error.status_code().as_u16(),
        code = error.code().as_str(),
        request_id = request_id.as_str();
        "refused before its body (Expect: 100-continue)"
    );
    let mut response = error.to_response(Some(&request_id));
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        response.headers_mut().insert(X_REQUEST_ID_HEADER, value);
    }
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    response.into()
}
