//! [`ApiError`]: a failed request as HTTP answers it, and the only place that turns a [`Failure`] into a status and a
//! problem body.

use std::error::Error as StdError;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{
    ACCEPT_ENCODING, ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use actix_web::{HttpResponse, ResponseError};
use application::ServiceError;
use domain::{ParseOrderIdError, ValidationErrors};

use super::problem::{
    FieldErrorDocument, ProblemDocument, code_for_status, problem_type, status_of, title_of,
};
use crate::inbound::{ErrorCode, Failure, RequestId};

/// The media type of every error body.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// A request that failed: the transport-neutral [`Failure`] with the status it is sent with (its code's, unless
/// actix chose another) and the header that tells the client what it may send instead, if any (`Allow` on a 405,
/// `Accept-Encoding` on a 415 for an encoded body).
#[derive(Debug)]
pub struct ApiError {
    failure: Failure,
    status: StatusCode,
    header: Option<Alternative>,
}

/// A header telling the client what it may send instead.
#[derive(Debug)]
enum Alternative {
    /// `Allow`: the methods the path has.
    Allow(String),
    /// `Accept-Encoding: identity`: the body must not be encoded.
    Identity,
}

impl ApiError {
    /// A problem with `code`, its usual status and `detail` (sent to the client as is: keep internals out of it).
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::from(Failure::new(code, detail))
    }

    /// The body is not JSON or has a member of the wrong type; `detail` says where.
    pub(crate) fn malformed(detail: impl fmt::Display) -> Self {
        Self::from(Failure::malformed(detail))
    }

    /// The member at `field` (`order_items[0].quantity`, or a query parameter) cannot be read, for `message`
    /// (`must be a number, not a string`); the detail says both, and the problem's `errors` has the field.
    pub(crate) fn malformed_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::from(Failure::malformed_field(field, message))
    }

    /// The body is not `application/json`.
    pub(crate) fn unsupported_media_type() -> Self {
        Self::new(
            ErrorCode::UnsupportedMediaType,
            "the body must be application/json",
        )
    }

    /// The body is content-encoded (gzip, br, ...), which the service does not decode; `Accept-Encoding: identity`
    /// says so (RFC 9110, section 15.5.16).
    pub(crate) fn unsupported_encoding() -> Self {
        Self {
            header: Some(Alternative::Identity),
            ..Self::new(
                ErrorCode::UnsupportedMediaType,
                "the body must not be encoded: the service does not decode gzip or any other Content-Encoding; \
                 send plain JSON",
            )
        }
    }

    /// The body is over the limit.
    pub(crate) fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!("the body must be at most {limit} bytes"),
        )
    }

    /// No route has the requested path.
    pub(crate) fn route_not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no resource has this path")
    }

    /// The path exists, but only with the methods in `allow` (the value of the `Allow` header).
    pub(crate) fn method_not_allowed(allow: String) -> Self {
        let detail = format!("this resource allows only {allow}");
        Self {
            header: Some(Alternative::Allow(allow)),
            ..Self::new(ErrorCode::MethodNotAllowed, detail)
        }
    }

    /// The instance cannot take traffic now, for `reason` (told to the client: a probe's reader is an operator).
    pub(crate) fn not_ready(reason: String) -> Self {
        Self::new(ErrorCode::Unavailable, reason)
    }

    /// A server fault caused by `source`.
    pub(crate) fn internal(source: impl Into<domain::BoxError>) -> Self {
        Self::from(Failure::internal(source))
    }

    /// The problem for an error response that actix made by itself (a path it could not match, a body it refused):
    /// chosen by its `status`. `cause` is the text of actix's error: the detail of a 4xx, logged only for a 5xx.
    pub(crate) fn for_status(status: StatusCode, cause: Option<String>) -> Self {
        let code = code_for_status(status);
        let reason = status.canonical_reason().unwrap_or("request failed");
        let cause = cause.unwrap_or_else(|| reason.to_lowercase());
        let failure = match code {
            ErrorCode::Unavailable => Failure::unavailable(cause),
            ErrorCode::Internal => Failure::internal(cause),
            _ => Failure::new(code, cause),
        };
        Self {
            status,
            ..Self::from(failure)
        }
    }

    /// The stable code of this problem.
    pub const fn code(&self) -> ErrorCode {
        self.failure.code()
    }

    /// The explanation sent to the client.
    pub fn detail(&self) -> &str {
        self.failure.detail()
    }

    /// The problem document, as JSON; `request_id` fills its `request_id` member, and the trace id of the span
    /// current here (the request's, when tracing is on) its `trace_id` member.
    pub(crate) fn to_document(&self, request_id: Option<&RequestId>) -> String {
        let code = self.failure.code();
        let errors: Vec<FieldErrorDocument<'_>> =
            self.failure.fields().iter().map(Into::into).collect();
        let document = ProblemDocument {
            problem_type: problem_type(code),
            title: title_of(code),
            status: self.status.as_u16(),
            detail: self.failure.detail(),
            code: code.as_str(),
            request_id: request_id.map(RequestId::as_str),
            trace_id: crate::telemetry::current_trace_id(),
            errors: &errors,
        };
        // A document of strings and integers always serializes; an empty body is the only conceivable fallback.
        serde_json::to_string(&document).unwrap_or_default()
    }

    /// The problem as an `application/problem+json` response; `request_id` fills its `request_id` member.
    pub(crate) fn to_response(&self, request_id: Option<&RequestId>) -> HttpResponse {
        let body = self.to_document(request_id);
        let mut response = HttpResponse::build(self.status);
        response.insert_header((CONTENT_TYPE, PROBLEM_JSON));
        if let Some(seconds) = self.failure.retry_after_secs() {
            response.insert_header((RETRY_AFTER, seconds));
        }
        if let Some(challenge) = self.failure.challenge() {
            response.insert_header((WWW_AUTHENTICATE, challenge.as_str()));
        }
        match &self.header {
            Some(Alternative::Allow(allow)) => {
                response.insert_header((ALLOW, allow.as_str()));
            }
            Some(Alternative::Identity) => {
                response.insert_header((ACCEPT_ENCODING, "identity"));
            }
            None => {}
        }
        response.body(body)
    }

    /// Logs a server error (5xx) with its whole cause chain and the request id; client errors are not the server's
    /// to log as errors.
    pub(crate) fn log_server_error(&self, request_id: &RequestId) {
        if self.status.is_server_error() {
            log::error!(
                status = self.status.as_u16(),
                code = self.code().as_str(),
                request_id = request_id.as_str(),
                error = self.failure.cause().as_str();
                "request failed"
            );
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.failure.fmt(f)
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.failure.source()
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

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        Self {
            status: status_of(failure.code()),
            failure,
            header: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Self::from(Failure::from(error))
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self::from(Failure::from(errors))
    }
}

impl From<ParseOrderIdError> for ApiError {
    fn from(error: ParseOrderIdError) -> Self {
        Self::from(Failure::from(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_actix_made_keeps_its_status() {
        let error = ApiError::for_status(StatusCode::URI_TOO_LONG, None);
        assert_eq!(error.status_code(), StatusCode::URI_TOO_LONG);
        assert_eq!(error.code(), ErrorCode::RequestRefused);
        assert_eq!(error.detail(), "uri too long");
    }
}
