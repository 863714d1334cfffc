//! How a call fails, whatever carried it: a stable [`ErrorCode`] that clients branch on, a detail for a person, the
//! fields that are wrong, when to retry, and (for server faults) the cause, kept for the log only.
//!
//! [`Failure`] is the one place that turns a [`ServiceError`] into a code. Each transport then maps the code once:
//! HTTP to a status and a problem+json body, gRPC to a status code with `google.rpc` details.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use application::{ServiceError, error_chain};
use domain::{BoxError, FieldError, ParseOrderIdError, ValidationErrors};

use super::authentication::{Challenge, Unauthenticated};
use super::rate_limit::RateLimited;

/// What a client is told when the service cannot answer now: no internals, only that retrying may help.
const UNAVAILABLE_DETAIL: &str = "the service cannot handle the request right now; retry later";

/// What a client is told about a server fault: the details are logged with the request id, never sent.
const INTERNAL_DETAIL: &str =
    "the server failed to handle the request; it was logged with the request id";

/// How long a client should wait before retrying an `unavailable` request.
const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The stable, machine-readable cause of a failed call: the `code` of an HTTP problem (and the end of its `type`
/// URN), the `reason` of a gRPC `ErrorInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input is not JSON (or not a valid message), or a member has the wrong type.
    MalformedRequest,
    /// One or more fields are missing or break a domain rule; each is named.
    ValidationFailed,
    /// The body's media type is not one the service reads.
    UnsupportedMediaType,
    /// The body is larger than the service accepts.
    PayloadTooLarge,
    /// The request carries no valid credentials (a bearer token) where they are required.
    Unauthenticated,
    /// The caller is known, but may not do this.
    Forbidden,
    /// No resource has this path.
    NotFound,
    /// The path exists, but not with this method.
    MethodNotAllowed,
    /// No order has this id, or the id is not a UUID.
    OrderNotFound,
    /// The order's lifecycle does not allow the requested status.
    InvalidTransition,
    /// The expected version is not the order's current one.
    VersionMismatch,
    /// The idempotency key was used before for a request with other content.
    IdempotencyKeyReused,
    /// The client sent more requests than its rate limit allows; retry after the time given.
    RateLimited,
    /// A dependency is down or overloaded; retry after the time given.
    Unavailable,
    /// The client's deadline passed before the call could finish; the call did not run, or its result is unknown.
    DeadlineExceeded,
    /// The client took too long to send its request (the body stopped arriving); nothing was done.
    RequestTimeout,
    /// Anything else the server got wrong; details are logged, never sent.
    Internal,
    /// A client error without a more specific code, such as one the HTTP server refused on its own.
    RequestRefused,
}

impl ErrorCode {
    /// Every code, for the API documents' lists of them.
    pub const ALL: [Self; 18] = [
        Self::MalformedRequest,
        Self::ValidationFailed,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::OrderNotFound,
        Self::InvalidTransition,
        Self::VersionMismatch,
        Self::IdempotencyKeyReused,
        Self::RateLimited,
        Self::Unavailable,
        Self::DeadlineExceeded,
        Self::RequestTimeout,
        Self::Internal,
        Self::RequestRefused,
    ];

    /// The code as clients see it: `validation_failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::ValidationFailed => "validation_failed",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::OrderNotFound => "order_not_found",
            Self::InvalidTransition => "invalid_transition",
            Self::VersionMismatch => "version_mismatch",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::RequestTimeout => "request_timeout",
            Self::Internal => "internal",
            Self::RequestRefused => "request_refused",
        }
    }

    /// Whether a failure with this code is the server's fault (logged as an error, with its cause).
    pub const fn is_server_fault(self) -> bool {
        matches!(self, Self::Internal | Self::Unavailable)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call that failed, as the client will see it. A server fault keeps its cause as its `source()`, for the log only.
#[derive(Debug)]
pub struct Failure {
    code: ErrorCode,
    detail: String,
    fields: Vec<FieldError>,
    retry_after: Option<Duration>,
    challenge: Option<Challenge>,
    source: Option<BoxError>,
}

impl Failure {
    /// A failure with `code` and `detail` (sent to the client as is: keep internals out of it); an `unavailable`
    /// one tells the client to retry after a second.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            fields: Vec::new(),
            retry_after: (code == ErrorCode::Unavailable).then_some(UNAVAILABLE_RETRY_AFTER),
            challenge: None,
            source: None,
        }
    }

    /// The input is not well formed; `detail` says where.
    pub fn malformed(detail: impl fmt::Display) -> Self {
        Self::new(ErrorCode::MalformedRequest, detail.to_string())
    }

    /// The input is not well formed at `field` (a path such as `order_items[0].quantity`), for `message` (a
    /// lowercase phrase: `must be a number, not a string`): the detail says both, and [`fields`](Self::fields) has
    /// the one field.
    pub fn malformed_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        Self {
            fields: vec![FieldError {
                field: field.clone(),
                message: message.clone(),
            }],
            ..Self::new(ErrorCode::MalformedRequest, format!("{field}: {message}"))
        }
    }

    /// The client is over its rate limit; it may retry after `retry_after_secs` (at least 1).
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let retry_after_secs = retry_after_secs.max(1);
        Self {
            retry_after: Some(Duration::from_secs(retry_after_secs)),
            ..Self::new(
                ErrorCode::RateLimited,
                format!("too many requests from this client; retry after {retry_after_secs} s"),
            )
        }
    }

    /// A transient failure of the service or the runtime, caused by `source`.
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Unavailable, UNAVAILABLE_DETAIL)
        }
    }

    /// The client's deadline passed before the call finished.
    pub fn deadline_exceeded() -> Self {
        Self::new(
            ErrorCode::DeadlineExceeded,
            "the deadline passed before the service could answer",
        )
    }

    /// A server fault caused by `source`.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, INTERNAL_DETAIL)
        }
    }

    /// The stable code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The explanation sent to the client.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// For `validation_failed`: every missing or invalid field, in the order found; for `malformed_request`, the
    /// member that could not be read, when one is to blame.
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    /// How long the client should wait before retrying, when retrying may help.
    pub const fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// [`retry_after`](Self::retry_after) in whole seconds, rounded up.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
            .map(|after| after.as_secs() + u64::from(after.subsec_nanos() > 0))
    }

    /// For `unauthenticated`: the challenge that says how to authenticate (RFC 6750), which HTTP sends as
    /// `WWW-Authenticate` and gRPC as `www-authenticate` metadata.
    pub fn challenge(&self) -> Option<String> {
        self.challenge
            .map(|challenge| challenge.header(&self.detail))
    }

    /// The cause of a server fault and its own causes, as `a: b: c`, for the log (empty without one).
    pub fn cause(&self) -> String {
        self.source
            .as_deref()
            .map(|source| error_chain(source))
            .unwrap_or_default()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl StdError for Failure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

impl From<ServiceError> for Failure {
    /// Exhaustive on purpose: a new service error must be given a code here before the crate compiles.
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(id) => Self::new(
                ErrorCode::OrderNotFound,
                format!("no order has the id {id}"),
            ),
            ServiceError::Invalid(errors) => Self::from(errors),
            ServiceError::InvalidTransition(refused) => {
                Self::new(ErrorCode::InvalidTransition, refused.to_string())
            }
            ServiceError::VersionMismatch { expected, actual } => Self::new(
                ErrorCode::VersionMismatch,
                format!("the order is at version {actual}, not {expected}"),
            ),
            ServiceError::Forbidden(why) => Self::new(ErrorCode::Forbidden, why.to_string()),
            ServiceError::IdempotencyKeyReused => Self::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a request with other content; use a new key",
            ),
            error @ ServiceError::Unavailable(_) => Self::unavailable(error),
            error @ ServiceError::Internal(_) => Self::internal(error),
        }
    }
}

impl From<ValidationErrors> for Failure {
    fn from(errors: ValidationErrors) -> Self {
        Self {
            fields: errors.fields().to_vec(),
            ..Self::new(
                ErrorCode::ValidationFailed,
                "one or more fields are missing or invalid",
            )
        }
    }
}

impl From<ParseOrderIdError> for Failure {
    /// An id that is not a UUID names no order: the same failure as an unknown one.
    fn from(error: ParseOrderIdError) -> Self {
        Self::new(ErrorCode::OrderNotFound, error.to_string())
    }
}

impl From<Unauthenticated> for Failure {
    fn from(refused: Unauthenticated) -> Self {
        Self {
            challenge: Some(refused.challenge()),
            ..Self::new(ErrorCode::Unauthenticated, refused.to_string())
        }
    }
}

impl From<RateLimited> for Failure {
    fn from(refused: RateLimited) -> Self {
        Self::rate_limited(refused.retry_after_secs())
    }
}

#[cfg(test)]
mod tests {
    use domain::RepositoryError;

    use super::*;

    #[test]
    fn a_server_fault_keeps_its_cause_for_the_log_only() {
        let failure = Failure::from(ServiceError::Internal(RepositoryError::Other(
            "disk on fire".into(),
        )));
        assert_eq!(failure.code(), ErrorCode::Internal);
        assert!(!failure.detail().contains("disk"));
        assert_eq!(
            failure.cause(),
            "the order service failed: the order store failed: disk on fire"
        );
    }

    #[test]
    fn an_unavailable_failure_says_when_to_retry() {
        let failure = Failure::from(ServiceError::Unavailable(RepositoryError::Conflict));
        assert_eq!(failure.code(), ErrorCode::Unavailable);
        assert_eq!(failure.retry_after_secs(), Some(1));
        assert_eq!(Failure::rate_limited(0).retry_after_secs(), Some(1));
    }

    #[test]
    fn every_code_has_its_own_name() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
