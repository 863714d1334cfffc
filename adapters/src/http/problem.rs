//! The problem details document (RFC 9457) and the stable codes clients branch on.

use actix_web::http::StatusCode;
use domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::ProblemCodeSchema;

/// The stable, machine-readable cause of an error response: its `code` member, and the end of its `type` URN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// The body is not JSON, or a member has the wrong JSON type (400).
    MalformedRequest,
    /// One or more fields are missing or break a domain rule; each is named in `errors` (422).
    ValidationFailed,
    /// The body is not `application/json` (415).
    UnsupportedMediaType,
    /// The body is larger than [`BODY_LIMIT`](crate::http::BODY_LIMIT) (413).
    PayloadTooLarge,
    /// No route has this path (404).
    NotFound,
    /// The path exists, but not with this method (405).
    MethodNotAllowed,
    /// No order has this id, or the id is not a UUID (404).
    OrderNotFound,
    /// The order's lifecycle does not allow the requested status (409).
    InvalidTransition,
    /// The `If-Match` version is not the order's current one (412).
    VersionMismatch,
    /// The `Idempotency-Key` was used before for a request with other content (422).
    IdempotencyKeyReused,
    /// The client sent more requests than its rate limit allows; retry after `Retry-After` seconds (429).
    RateLimited,
    /// A dependency is down or overloaded; retry after `Retry-After` seconds (503).
    Unavailable,
    /// Anything else the server got wrong; details are logged, never sent (500).
    Internal,
    /// A client error without a more specific code, such as one actix refused on its own (the status says which).
    RequestRefused,
}

impl ProblemCode {
    /// Every code, for the API document's list of them.
    pub const ALL: [Self; 14] = [
        Self::MalformedRequest,
        Self::ValidationFailed,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::OrderNotFound,
        Self::InvalidTransition,
        Self::VersionMismatch,
        Self::IdempotencyKeyReused,
        Self::RateLimited,
        Self::Unavailable,
        Self::Internal,
        Self::RequestRefused,
    ];

    /// The code as it appears in the `code` member: `validation_failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::ValidationFailed => "validation_failed",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::OrderNotFound => "order_not_found",
            Self::InvalidTransition => "invalid_transition",
            Self::VersionMismatch => "version_mismatch",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::RequestRefused => "request_refused",
        }
    }

    /// The status a problem with this code has (a [`RequestRefused`](Self::RequestRefused) one may have another
    /// 4xx).
    pub const fn status(self) -> StatusCode {
        match self {
            Self::MalformedRequest | Self::RequestRefused => StatusCode::BAD_REQUEST,
            Self::ValidationFailed | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound | Self::OrderNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidTransition => StatusCode::CONFLICT,
            Self::VersionMismatch => StatusCode::PRECONDITION_FAILED,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, human-readable summary that does not change from occurrence to occurrence.
    pub const fn title(self) -> &'static str {
        match self {
            Self::MalformedRequest => "Malformed request",
            Self::ValidationFailed => "Validation failed",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::PayloadTooLarge => "Payload too large",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::OrderNotFound => "Order not found",
            Self::InvalidTransition => "Invalid status transition",
            Self::VersionMismatch => "Version mismatch",
            Self::RateLimited => "Too many requests",
            Self::Unavailable => "Service unavailable",
            Self::Internal => "Internal server error",
            Self::RequestRefused => "Request refused",
        }
    }

    /// The code for an error response that only has a status, such as one actix produced by itself.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => Self::MalformedRequest,
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            status if status.is_client_error() => Self::RequestRefused,
            _ => Self::Internal,
        }
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
    /// For `validation_failed` only: every missing or invalid field, in the order found.
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
pub(crate) fn problem_type(code: ProblemCode) -> String {
    format!("urn:ordersvc:problem:{}", code.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_actix_answers_alone_get_the_matching_code() {
        for (status, code) in [
            (StatusCode::BAD_REQUEST, ProblemCode::MalformedRequest),
            (StatusCode::NOT_FOUND, ProblemCode::NotFound),
            (
                StatusCode::METHOD_NOT_ALLOWED,
                ProblemCode::MethodNotAllowed,
            ),
            (StatusCode::PAYLOAD_TOO_LARGE, ProblemCode::PayloadTooLarge),
            (StatusCode::URI_TOO_LONG, ProblemCode::RequestRefused),
            (StatusCode::TOO_MANY_REQUESTS, ProblemCode::RateLimited),
            (StatusCode::SERVICE_UNAVAILABLE, ProblemCode::Unavailable),
            (StatusCode::BAD_GATEWAY, ProblemCode::Internal),
        ] {
            assert_eq!(ProblemCode::for_status(status), code, "{status}");
        }
    }

    #[test]
    fn a_code_names_its_type_urn() {
        assert_eq!(
            problem_type(ProblemCode::VersionMismatch),
            "urn:ordersvc:problem:version_mismatch"
        );
    }
}
