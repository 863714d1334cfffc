//! [`ApiError`]: every way a request can fail, and the only place that turns one into a status and a problem body.

use std::error::Error as StdError;
use std::fmt;

use actix_web::error::BlockingError;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use application::ServiceError;
use domain::{BoxError, FieldError, ParseOrderIdError, ValidationErrors};

use super::problem::{FieldErrorDocument, ProblemCode, ProblemDocument, problem_type};
use super::rate_limit::RateLimited;
use super::request_id::RequestId;

/// The media type of every error body.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// What a client is told when the service cannot answer now: no internals, only that retrying may help.
const UNAVAILABLE_DETAIL: &str = "the service cannot handle the request right now; retry later";

/// What a client is told about a server fault: the details are logged with the request id, never sent.
const INTERNAL_DETAIL: &str =
    "the server failed to handle the request; it was logged with the request id";

/// Seconds a client should wait before retrying an `unavailable` request.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

/// A request that failed, as the client will see it: a status, a stable [`ProblemCode`], a detail and, for
/// validation failures, every field that is wrong. A 5xx error keeps its cause as its `source()` for the log only.
#[derive(Debug)]
pub struct ApiError {
    code: ProblemCode,
    status: StatusCode,
    detail: String,
    errors: Vec<FieldError>,
    allow: Option<String>,
    retry_after_secs: Option<u64>,
    source: Option<BoxError>,
}

impl ApiError {
    /// A problem with `code`, its usual status and `detail` (sent to the client as is: keep internals out of it);
    /// an `unavailable` one tells the client to retry after a second.
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            status: code.status(),
            detail: detail.into(),
            errors: Vec::new(),
            allow: None,
            retry_after_secs: (code == ProblemCode::Unavailable)
                .then_some(UNAVAILABLE_RETRY_AFTER_SECS),
            source: None,
        }
    }

    /// The body is not JSON or has a member of the wrong type; `detail` says where.
    pub(crate) fn malformed(detail: impl fmt::Display) -> Self {
        Self::new(ProblemCode::MalformedRequest, detail.to_string())
    }

    /// The body is not `application/json`.
    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            ProblemCode::UnsupportedMediaType,
            "the body must be application/json",
        )
    }

    /// The body is over the limit.
    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ProblemCode::PayloadTooLarge,
            format!("the body must be at most {limit} bytes"),
        )
    }

    /// No route has the requested path.
    pub(crate) fn route_not_found() -> Self {
        Self::new(ProblemCode::NotFound, "no resource has this path")
    }

    /// The path exists, but only with the methods in `allow` (the value of the `Allow` header).
    pub(crate) fn method_not_allowed(allow: String) -> Self {
        let detail = format!("this resource allows only {allow}");
        Self {
            allow: Some(allow),
            ..Self::new(ProblemCode::MethodNotAllowed, detail)
        }
    }

    /// The client is over its rate limit; it may retry after `retry_after_secs` (at least 1).
    pub(crate) fn rate_limited(retry_after_secs: u64) -> Self {
        let retry_after_secs = retry_after_secs.max(1);
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                ProblemCode::RateLimited,
                format!("too many requests from this client; retry after {retry_after_secs} s"),
            )
        }
    }

    /// A transient failure of the service or the runtime, caused by `source`.
    pub(crate) fn unavailable(source: impl Into<BoxError>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ProblemCode::Unavailable, UNAVAILABLE_DETAIL)
        }
    }

    /// The instance cannot take traffic now, for `reason` (told to the client: a probe's reader is an operator).
    pub(crate) fn not_ready(reason: String) -> Self {
        Self::new(ProblemCode::Unavailable, reason)
    }

    /// A server fault caused by `source`.
    pub(crate) fn internal(source: impl Into<BoxError>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ProblemCode::Internal, INTERNAL_DETAIL)
        }
    }

    /// The problem for an error response that actix made by itself (a path it could not match, a body it refused):
    /// chosen by its `status`. `cause` is the text of actix's error: the detail of a 4xx, logged only for a 5xx.
    pub(crate) fn for_status(status: StatusCode, cause: Option<String>) -> Self {
        let code = ProblemCode::for_status(status);
        let reason = status.canonical_reason().unwrap_or("request failed");
        let cause = cause.unwrap_or_else(|| reason.to_lowercase());
        let error = match code {
            ProblemCode::Unavailable => Self::unavailable(cause),
            ProblemCode::Internal => Self::internal(cause),
            _ => Self::new(code, cause),
        };
        Self { status, ..error }
    }

    /// The stable code of this problem.
    pub const fn code(&self) -> ProblemCode {
        self.code
    }

    /// The explanation sent to the client.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The problem as an `application/problem+json` response; `request_id` fills its `request_id` member.
    pub(crate) fn to_response(&self, request_id: Option<&RequestId>) -> HttpResponse {
        let errors: Vec<FieldErrorDocument<'_>> = self.errors.iter().map(Into::into).collect();
        let document = ProblemDocument {
            problem_type: problem_type(self.code),
            title: self.code.title(),
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code.as_str(),
            request_id: request_id.map(RequestId::as_str),
            errors: &errors,
        };
        // A document of strings and integers always serializes; an empty body is the only conceivable fallback.
        let body = serde_json::to_string(&document).unwrap_or_default();
        let mut response = HttpResponse::build(self.status);
        response.insert_header((CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header((RETRY_AFTER, seconds));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((ALLOW, allow.as_str()));
        }
        response.body(body)
    }

    /// Logs a server error (5xx) with its whole cause chain and the request id; client errors are not the server's
    /// to log as errors.
    pub(crate) fn log_server_error(&self, request_id: &RequestId) {
        if self.status.is_server_error() {
            log::error!(
                status = self.status.as_u16(),
                code = self.code.as_str(),
                request_id = request_id.as_str(),
                error = cause_chain(self).as_str();
                "request failed"
            );
        }
    }
}

/// The sources of `error`, outermost first, joined as `a: b: c` (the error's own text is its public detail).
fn cause_chain(error: &dyn StdError) -> String {
    let mut text = String::new();
    let mut source = error.source();
    while let Some(cause) = source {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The problem without a request id: the request id middleware renders it again with one.
    fn error_response(&self) -> HttpResponse {
        self.to_response(None)
    }
}

impl From<ServiceError> for ApiError {
    /// Exhaustive on purpose: a new service error must be given a status here before the crate compiles.
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(id) => Self::new(
                ProblemCode::OrderNotFound,
                format!("no order has the id {id}"),
            ),
            ServiceError::Invalid(errors) => Self::from(errors),
            ServiceError::InvalidTransition(refused) => {
                Self::new(ProblemCode::InvalidTransition, refused.to_string())
            }
            ServiceError::VersionMismatch { expected, actual } => Self::new(
                ProblemCode::VersionMismatch,
                format!("the order is at version {actual}, not {expected}"),
            ),
            ServiceError::IdempotencyKeyReused => Self::new(
                ProblemCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a request with other content; use a new key",
            ),
            error @ ServiceError::Unavailable(_) => Self::unavailable(error),
            error @ ServiceError::Internal(_) => Self::internal(error),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self {
            errors: errors.fields().to_vec(),
            ..Self::new(
                ProblemCode::ValidationFailed,
                "one or more fields are missing or invalid",
            )
        }
    }
}

impl From<ParseOrderIdError> for ApiError {
    /// An id that is not a UUID names no order: the same 404 as an unknown one.
    fn from(error: ParseOrderIdError) -> Self {
        Self::new(ProblemCode::OrderNotFound, error.to_string())
    }
}

impl From<RateLimited> for ApiError {
    fn from(refused: RateLimited) -> Self {
        Self::rate_limited(refused.retry_after_secs())
    }
}

impl From<BlockingError> for ApiError {
    /// The service call panicked (the blocking pool outlives every request, so that is the only cause): a server
    /// fault, answered like any other, while the instance keeps serving.
    fn from(error: BlockingError) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::RepositoryError;

    #[test]
    fn a_server_error_keeps_its_cause_for_the_log_only() {
        let error = ApiError::from(ServiceError::Internal(RepositoryError::Other(
            "disk on fire".into(),
        )));
        assert!(!error.detail().contains("disk"));
        assert_eq!(
            cause_chain(&error),
            "the order service failed: the order store failed: disk on fire"
        );
    }

    #[test]
    fn an_error_actix_made_keeps_its_status() {
        let error = ApiError::for_status(StatusCode::URI_TOO_LONG, None);
        assert_eq!(error.status_code(), StatusCode::URI_TOO_LONG);
        assert_eq!(error.code(), ProblemCode::RequestRefused);
        assert_eq!(error.detail(), "uri too long");
    }
}
