//! The problem details document (RFC 9457): each stable [`ErrorCode`] with its HTTP status and title.

use actix_web::http::StatusCode;
use domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

use super::schemas::ProblemCodeSchema;
use crate::inbound::ErrorCode;

/// The status of a problem with `code` (a [`RequestRefused`](ErrorCode::RequestRefused) one may have another 4xx).
pub(crate) const fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::MalformedRequest | ErrorCode::RequestRefused => StatusCode::BAD_REQUEST,
        ErrorCode::ValidationFailed | ErrorCode::IdempotencyKeyReused => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound | ErrorCode::OrderNotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::InvalidTransition => StatusCode::CONFLICT,
        ErrorCode::VersionMismatch => StatusCode::PRECONDITION_FAILED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A short, human-readable summary of `code` that does not change from occurrence to occurrence: a problem's
/// `title`.
pub(crate) const fn title_of(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::MalformedRequest => "Malformed request",
        ErrorCode::ValidationFailed => "Validation failed",
        ErrorCode::IdempotencyKeyReused => "Idempotency key reused",
        ErrorCode::UnsupportedMediaType => "Unsupported media type",
        ErrorCode::PayloadTooLarge => "Payload too large",
        ErrorCode::Unauthenticated => "Unauthenticated",
        ErrorCode::Forbidden => "Forbidden",
        ErrorCode::NotFound => "Not found",
        ErrorCode::MethodNotAllowed => "Method not allowed",
        ErrorCode::OrderNotFound => "Order not found",
        ErrorCode::InvalidTransition => "Invalid status transition",
        ErrorCode::VersionMismatch => "Version mismatch",
        ErrorCode::RateLimited => "Too many requests",
        ErrorCode::Unavailable => "Service unavailable",
        ErrorCode::DeadlineExceeded => "Deadline exceeded",
        ErrorCode::RequestTimeout => "Request timeout",
        ErrorCode::Internal => "Internal server error",
        ErrorCode::RequestRefused => "Request refused",
    }
}

/// The code for an error response that only has a status, such as one actix produced by itself.
pub(crate) fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::BAD_REQUEST => ErrorCode::MalformedRequest,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        status if status.is_client_error() => ErrorCode::RequestRefused,
        _ => ErrorCode::Internal,
    }
}

/// The body of an `application/problem+json` response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub(crate) struct ProblemDocument<'a> {
    /// `urn:ordersvc:problem:<code>`.
    #[serde(rename = "type")]
    #[schema(examples("urn:ordersvc:problem:order_not_found"))]
    pub(crate) problem_type: String,
    /// A summary that is the same for every problem with this code.
    #[schema(value_type = String)]
    pub(crate) title: &'static str,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub(crate) status: u16,
    /// What went wrong this time, for a person; never internals.
    #[schema(value_type = String)]
    pub(crate) detail: &'a str,
    #[schema(value_type = ProblemCodeSchema)]
    pub(crate) code: &'static str,
    /// The request's `X-Request-ID`: quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = true)]
    pub(crate) request_id: Option<&'a str>,
    /// The request's trace id (32 hex digits), when the service exports traces: the trace to look up.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, pattern = "^[0-9a-f]{32}$")]
    pub(crate) trace_id: Option<String>,
    /// For `validation_failed`: every missing or invalid field, in the order found. For `malformed_request`: the
    /// member that could not be read, when one is to blame.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<FieldErrorDocument<'static>>)]
    pub(crate) errors: &'a [FieldErrorDocument<'a>],
}

/// One entry of a problem's `errors`: a field and what is wrong with it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub(crate) struct FieldErrorDocument<'a> {
    /// The field's path in the request: `order_items[1].quantity`, or a query parameter's name.
    #[schema(value_type = String, examples("order_items[1].quantity"))]
    pub(crate) field: &'a str,
    /// What is wrong with it.
    #[schema(value_type = String, examples("must be a whole number from 1 to 10000"))]
    pub(crate) message: &'a str,
}

impl<'a> From<&'a FieldError> for FieldErrorDocument<'a> {
    fn from(error: &'a FieldError) -> Self {
        Self {
            field: &error.field,
            message: &error.message,
        }
    }
}

/// The problem `type` URI of `code`: `urn:ordersvc:problem:validation_failed`.
pub(crate) fn problem_type(code: ErrorCode) -> String {
    format!("urn:ordersvc:problem:{}", code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_actix_answers_alone_get_the_matching_code() {
        for (status, code) in [
            (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest),
            (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            (StatusCode::URI_TOO_LONG, ErrorCode::RequestRefused),
            (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            (StatusCode::BAD_GATEWAY, ErrorCode::Internal),
        ] {
            assert_eq!(code_for_status(status), code, "{status}");
        }
    }

    #[test]
    fn a_code_names_its_type_urn() {
        assert_eq!(
            problem_type(ErrorCode::VersionMismatch),
            "urn:ordersvc:problem:version_mismatch"
        );
    }
}
