//! The request context middleware: the request id, the SERVER span, problem bodies for every error, and the access
//! log.

use std::any::Any;
use std::panic::AssertUnwindSafe;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use application::Caller;
use futures_util::FutureExt;
use opentelemetry::KeyValue;
use opentelemetry::context::FutureExt as _;

use super::access_log::{AccessLog, method_label};
use super::context::X_REQUEST_ID_HEADER;
use super::error::{ApiError, PROBLEM_JSON};
use super::route_table::is_operational;
use super::unread_body::BodyWatch;
use crate::inbound::RequestId;
use crate::telemetry::{self, propagation, spans};

/// Wraps every request:
/// 1. takes the client's `X-Request-ID` when sane (or makes one), stores it in the request's extensions for the
///    handlers, and sets it on every response;
/// 2. renders every error as a problem carrying that id: a handler's [`ApiError`] again with the id, and an error
///    actix answered by itself (an unmatched path, a refused body) by its status, so no error is ever `text/plain`;
///    5xx errors are logged here, once, with their causes;
/// 3. says `Connection: close` when it answers before the body was read (see [`BodyWatch`]);
/// 4. writes one access log line;
/// 5. when tracing is on, runs all of it in the request's SERVER span (see [`server_span`]), so the service's spans
///    nest beneath it and every log line and problem of the request carries its trace id.
pub(crate) async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(trace) = server_span(&req) else {
        return handle(req, next).await;
    };
    let outcome = handle(req, next).with_context(trace.clone()).await;
    let status = match &outcome {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    spans::finish_http(&trace, status.as_u16());
    outcome
}

/// The request's SERVER span, beneath the caller's trace context when it sent one, named `"{method} {route}"` after
/// the route template (the method alone when no route matched), with the attributes the HTTP server conventions
/// ask for. `None` when tracing is off, and for the probes, the metrics and the API documents, which machines
/// call every few seconds: a trace each would bury the ones of orders.
fn server_span(req: &ServiceRequest) -> Option<opentelemetry::Context> {
    telemetry::tracer()?;
    let route = req.match_pattern();
    if route.as_deref().is_some_and(is_operational) {
        return None;
    }
    let method = match method_label(req.method()) {
        "other" => "_OTHER",
        known => known,
    };
    let name = route
        .as_deref()
        .map_or_else(|| method.to_owned(), |route| format!("{method} {route}"));
    let mut attributes = vec![
        KeyValue::new("http.request.method", method),
        KeyValue::new("url.path", req.path().to_owned()),
        KeyValue::new("url.scheme", "http"),
    ];
    if let Some(route) = route {
        attributes.push(KeyValue::new("http.route", route));
    }
    if let Some(peer) = req.peer_addr() {
        attributes.push(KeyValue::new("client.address", peer.ip().to_string()));
    }
    let headers = req.headers();
    let parent =
        propagation::extract(|name| headers.get(name).and_then(|value| value.to_str().ok()));
    spans::start_server(&parent, name, attributes)
}

/// Points 1 to 4 of [`request_context`].
async fn handle(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(X_REQUEST_ID_HEADER)
        .and_then(|value| RequestId::from_client(value.as_bytes()))
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(request_id.clone());
    let access = AccessLog::start(&req);
    let body = BodyWatch::install(&mut req);
    // Holding a clone of the request across `next` would make actix's router panic, so an `Err` (which no service
    // of this app returns: handlers' errors arrive as responses) is answered through the error itself.
    // A panicking handler becomes a 500 like any server fault, and the worker keeps serving.
    let outcome = AssertUnwindSafe(next.call(req))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| Err(ApiError::internal(panic_message(&*panic)).into()));
    let mut response = match outcome {
        Ok(response) => with_problem(response, &request_id),
        Err(error) => {
            let status = error.as_response_error().status_code();
            let mut problem = problem(Some(&error), status, &request_id);
            set_request_id(problem.headers_mut(), &request_id);
            body.close_if_unread(problem.head_mut());
            access.finish(status, &request_id, None);
            return Err(InternalError::from_response(error.to_string(), problem).into());
        }
    };
    set_request_id(response.headers_mut(), &request_id);
    body.close_if_unread(response.response_mut().head_mut());
    let caller = response.request().extensions().get::<Caller>().cloned();
    access.finish(response.status(), &request_id, caller.as_ref());
    Ok(response)
}

/// `response` as is, or as a problem when it is an error: any response carrying an error, and any 4xx or 5xx that
/// is not a problem already. Headers of the original (such as `Allow`) are kept.
fn with_problem<B>(
    response: ServiceResponse<B>,
    request_id: &RequestId,
) -> ServiceResponse<EitherBody<B>> {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    let needs_problem =
        response.response().error().is_some() || (is_error && !is_problem(response.headers()));
    if !needs_problem {
        return response.map_into_left_body();
    }
    let mut problem = problem(response.response().error(), status, request_id);
    let (request, original) = response.into_parts();
    for (name, value) in original.headers() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH && !problem.headers().contains_key(name) {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, problem).map_into_right_body()
}

/// The problem for `error` (or, without one, for `status`) with the request id; logged when it is a server error.
fn problem(
    error: Option<&actix_web::Error>,
    status: StatusCode,
    request_id: &RequestId,
) -> HttpResponse {
    if let Some(api_error) = error.and_then(|error| error.as_error::<ApiError>()) {
        api_error.log_server_error(request_id);
        return api_error.to_response(Some(request_id));
    }
    let fallback = ApiError::for_status(status, error.map(ToString::to_string));
    fallback.log_server_error(request_id);
    fallback.to_response(Some(request_id))
}

/// What a panic said, for the log.
fn panic_message(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    format!("a handler panicked: {text}")
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

fn set_request_id(headers: &mut HeaderMap, request_id: &RequestId) {
    // A request id is visible ASCII by construction, so this always succeeds.
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(X_REQUEST_ID_HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::request_context;

    #[actix_web::test]
    async fn a_panicking_handler_is_a_500_problem_and_the_app_keeps_serving() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(request_context))
                .route(
                    "/panic",
                    web::get().to(|| async {
                        if true {
                            panic!("a bug in a handler");
                        }
                        HttpResponse::Ok().finish()
                    }),
                )
                .route(
                    "/fine",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                ),
        )
        .await;
        // The panic reaches actix as the middleware's error, which actix sends as this response.
        let request = test::TestRequest::get().uri("/panic").to_request();
        let response = test::try_call_service(&app, request)
            .await
            .err()
            .unwrap()
            .error_response();
        assert_eq!(response.status().as_u16(), 500);
        assert!(response.headers().contains_key("x-request-id"));
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "internal");
        assert!(
            !body["detail"].as_str().unwrap().contains("a bug"),
            "{body}"
        );
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(response.status().as_u16(), 200);
    }
}
