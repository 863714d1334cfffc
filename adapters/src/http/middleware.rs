//! The request context middleware: the request id, problem bodies for every error, and the access log.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use super::access_log::AccessLog;
use super::error::{ApiError, PROBLEM_JSON};
use super::request_id::{RequestId, X_REQUEST_ID};

/// Wraps every request:
/// 1. takes the client's `X-Request-ID` when sane (or makes one), stores it in the request's extensions for the
///    handlers, and sets it on every response;
/// 2. renders every error as a problem carrying that id: a handler's [`ApiError`] again with the id, and an error
///    actix answered by itself (an unmatched path, a refused body) by its status, so no error is ever `text/plain`;
///    5xx errors are logged here, once, with their causes;
/// 3. writes one access log line.
pub(crate) async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(X_REQUEST_ID)
        .and_then(RequestId::from_header)
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(request_id.clone());
    let access = AccessLog::start(&req);
    // Holding a clone of the request across `next` would make actix's router panic, so an `Err` (which no service
    // of this app returns: handlers' errors arrive as responses) is answered through the error itself.
    let mut response = match next.call(req).await {
        Ok(response) => with_problem(response, &request_id),
        Err(error) => {
            let status = error.as_response_error().status_code();
            let mut problem = problem(Some(&error), status, &request_id);
            set_request_id(problem.headers_mut(), &request_id);
            access.finish(status, &request_id);
            return Err(InternalError::from_response(error.to_string(), problem).into());
        }
    };
    set_request_id(response.headers_mut(), &request_id);
    access.finish(response.status(), &request_id);
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

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

fn set_request_id(headers: &mut HeaderMap, request_id: &RequestId) {
    // A request id is visible ASCII by construction, so this always succeeds.
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(X_REQUEST_ID, value);
    }
}
