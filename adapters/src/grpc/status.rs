//! A [`Failure`] as gRPC answers it: a status code chosen from the stable [`ErrorCode`], with `google.rpc` details
//! (`ErrorInfo` naming the code, `BadRequest` naming each invalid field with the HTTP API's paths, `RetryInfo` where
//! HTTP would send `Retry-After`). The detail is the message; internals never are.

use std::collections::HashMap;

use tonic::metadata::MetadataValue;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::inbound::{ErrorCode, Failure, RequestId};

/// The `ErrorInfo` domain of every error.
pub const ERROR_DOMAIN: &str = "ordersvc";

/// The gRPC code of a failure with `code` (exhaustive: a new code must be given one).
pub const fn grpc_code(code: ErrorCode) -> Code {
    match code {
        ErrorCode::MalformedRequest
        | ErrorCode::ValidationFailed
        | ErrorCode::UnsupportedMediaType
        | ErrorCode::RequestRefused => Code::InvalidArgument,
        ErrorCode::PayloadTooLarge | ErrorCode::RateLimited => Code::ResourceExhausted,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::Forbidden => Code::PermissionDenied,
        ErrorCode::NotFound | ErrorCode::OrderNotFound => Code::NotFound,
        ErrorCode::MethodNotAllowed => Code::Unimplemented,
        ErrorCode::InvalidTransition | ErrorCode::IdempotencyKeyReused => Code::FailedPrecondition,
        ErrorCode::VersionMismatch => Code::Aborted,
        ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::DeadlineExceeded | ErrorCode::RequestTimeout => Code::DeadlineExceeded,
        ErrorCode::Internal => Code::Internal,
    }
}

/// The status for `failure` of the call `request_id`; a server fault is logged here, once, with its causes.
pub(crate) fn status_of(failure: &Failure, request_id: &RequestId) -> Status {
    let code = failure.code();
    if code.is_server_fault() {
        log::error!(
            code = code.as_str(),
            request_id = request_id.as_str(),
            error = failure.cause().as_str();
            "call failed"
        );
    }
    client_status(failure)
}

/// The status for `failure`, which the caller has logged if it is a server fault. Its `ErrorInfo` carries the
/// call's trace id as `trace_id` when the call is traced, as an HTTP problem does.
pub(crate) fn client_status(failure: &Failure) -> Status {
    let code = failure.code();
    let mut details = ErrorDetails::new();
    let metadata: HashMap<String, String> = crate::telemetry::current_trace_id()
        .map(|trace_id| ("trace_id".to_owned(), trace_id))
        .into_iter()
        .collect();
    details.set_error_info(code.as_str(), ERROR_DOMAIN, metadata);
    for field in failure.fields() {
        details.add_bad_request_violation(field.field.clone(), field.message.clone());
    }
    if let Some(after) = failure.retry_after() {
        details.set_retry_info(Some(after));
    }
    let mut status = Status::with_error_details(grpc_code(code), failure.detail(), details);
    if let Some(challenge) = failure
        .challenge()
        .and_then(|challenge| MetadataValue::try_from(challenge.as_str()).ok())
    {
        status.metadata_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    status
}

/// The metadata key of an `unauthenticated` call's challenge, named as HTTP names the header.
const WWW_AUTHENTICATE: &str = "www-authenticate";

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use application::ServiceError;
    use domain::{RepositoryError, ValidationErrors};

    use super::*;

    #[test]
    fn a_validation_failure_names_every_field_with_the_http_paths() {
        let mut errors = ValidationErrors::default();
        errors.add(
            "order_items[1].quantity",
            "must be a whole number from 1 to 10000",
        );
        errors.add("customer_id", "is required");
        let status = status_of(&Failure::from(errors), &RequestId::generate());
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("validation_failed", "ordersvc")
        );
        let fields: Vec<String> = status
            .get_details_bad_request()
            .unwrap()
            .field_violations
            .into_iter()
            .map(|violation| violation.field)
            .collect();
        assert_eq!(fields, ["order_items[1].quantity", "customer_id"]);
    }

    #[test]
    fn an_outage_says_when_to_retry_and_hides_its_cause() {
        let failure = Failure::from(ServiceError::Unavailable(RepositoryError::Unavailable(
            "connection refused on 10.0.0.7".into(),
        )));
        let status = status_of(&failure, &RequestId::generate());
        assert_eq!(status.code(), Code::Unavailable);
        assert!(
            !status.message().contains("10.0.0.7"),
            "{}",
            status.message()
        );
        assert_eq!(
            status.get_details_retry_info().unwrap().retry_delay,
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn each_code_of_the_contract_has_its_grpc_code() {
        for (code, expected) in [
            (ErrorCode::ValidationFailed, Code::InvalidArgument),
            (ErrorCode::MalformedRequest, Code::InvalidArgument),
            (ErrorCode::OrderNotFound, Code::NotFound),
            (ErrorCode::Unauthenticated, Code::Unauthenticated),
            (ErrorCode::Forbidden, Code::PermissionDenied),
            (ErrorCode::InvalidTransition, Code::FailedPrecondition),
            (ErrorCode::VersionMismatch, Code::Aborted),
            (ErrorCode::IdempotencyKeyReused, Code::FailedPrecondition),
            (ErrorCode::RateLimited, Code::ResourceExhausted),
            (ErrorCode::Unavailable, Code::Unavailable),
            (ErrorCode::DeadlineExceeded, Code::DeadlineExceeded),
            (ErrorCode::Internal, Code::Internal),
        ] {
            assert_eq!(grpc_code(code), expected, "{code}");
        }
    }
}
