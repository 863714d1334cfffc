//! The error responses of the document: for each status an operation can fail with, the problem schema, one example
//! per code that answers with it, and the headers such a response carries. Titles, types and statuses come from
//! [`ErrorCode`] itself, so an example cannot disagree with what the service sends.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref};

use super::headers;
use crate::http::error::PROBLEM_JSON;
use crate::http::problem::{ProblemDocument, problem_type, status_of, title_of};
use crate::inbound::ErrorCode;

/// The responses for `codes`, one per status (`"404"`), each describing every code that answers with that status.
pub(super) fn responses(codes: &[ErrorCode]) -> BTreeMap<String, Response> {
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for &code in codes {
        let same_status = by_status.entry(status_of(code).as_u16()).or_default();
        if !same_status.contains(&code) {
            same_status.push(code);
        }
    }
    by_status
        .into_iter()
        .map(|(status, codes)| (status.to_string(), response(&codes)))
        .collect()
}

/// One status's response: `codes` all share it.
fn response(codes: &[ErrorCode]) -> Response {
    let description = codes
        .iter()
        .map(|code| format!("`{}`: {}", code.as_str(), when(*code)))
        .collect::<Vec<_>>()
        .join(" ");
    let examples = codes.iter().map(|&code| {
        let example = ExampleBuilder::new()
            .summary(title_of(code))
            .value(Some(example(code)))
            .build();
        (code.as_str(), example)
    });
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ProblemDocument::name())))
        .examples_from_iter(examples)
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content)
        .build();
    if codes
        .iter()
        .any(|code| matches!(code, ErrorCode::RateLimited | ErrorCode::Unavailable))
    {
        let (name, header) = headers::retry_after();
        response.headers.insert(name, header);
    }
    if codes.contains(&ErrorCode::Unauthenticated) {
        let (name, header) = headers::www_authenticate();
        response.headers.insert(name, header);
    }
    response
}

/// A problem with `code`, as the service would send it.
fn example(code: ErrorCode) -> Value {
    let mut problem = json!({
        "type": problem_type(code),
        "title": title_of(code),
        "status": status_of(code).as_u16(),
        "detail": detail(code),
        "code": code.as_str(),
        "request_id": "0190b4b67c1e7d2a9f3b5a6c7d8e9f01",
    });
    match code {
        ErrorCode::ValidationFailed => {
            problem["errors"] = json!([
                {"field": "restaurant_id", "message": "must not be empty"},
                {"field": "order_items[0].quantity", "message": "must be a whole number from 1 to 10000"},
            ]);
        }
        ErrorCode::MalformedRequest => {
            problem["errors"] = json!([
                {"field": "order_items[0].unit_price", "message": "must be a number, not a string"},
            ]);
        }
        _ => {}
    }
    problem
}

/// When the service answers with `code`; the document's description of it.
const fn when(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::MalformedRequest => {
            "the body is not a JSON object (an item given as an array included), is not valid JSON, or a member has \
             the wrong JSON type (`detail` says where, and `errors` names the member); or a header is malformed or \
             sent twice (`Content-Type`, `Content-Length`, `Idempotency-Key`, `If-Match`: send each once); or the \
             query string or the path is not validly percent-encoded UTF-8 (`%ff`, `%zz`, a lone `%`), or the query \
             gives a parameter twice."
        }
        ErrorCode::ValidationFailed => {
            "a required member is missing or a value breaks a rule; `errors` names every one."
        }
        ErrorCode::UnsupportedMediaType => {
            "the body is not `application/json`, or it is content-encoded: the service decodes no \
             `Content-Encoding` (gzip and the like) other than `identity`, and says so with \
             `Accept-Encoding: identity`."
        }
        ErrorCode::PayloadTooLarge => "the body is over 64 KiB.",
        ErrorCode::Unauthenticated => {
            "the request has no valid bearer token: none, or one that is malformed, forged, expired, not yet valid, \
             from another issuer or for another audience, or without a known `role` and a `sub`. \
             `WWW-Authenticate` says which (RFC 6750)."
        }
        ErrorCode::Forbidden => {
            "the caller's role may not do this: a customer places orders only for itself and may only cancel its \
             own while `Pending`; a restaurant places none; a listing filter may name only the caller itself."
        }
        ErrorCode::NotFound => "no such resource.",
        ErrorCode::MethodNotAllowed => {
            "the path does not have this method (`Allow` lists those it has)."
        }
        ErrorCode::OrderNotFound => {
            "no order has this id (an id that is not a UUID included), or the caller may not see it: another \
             customer's order, or one placed at another restaurant."
        }
        ErrorCode::InvalidTransition => "the order's lifecycle does not allow this step.",
        ErrorCode::VersionMismatch => "the order is no longer at the `If-Match` version.",
        ErrorCode::IdempotencyKeyReused => {
            "the `Idempotency-Key` was used before for a request with other content."
        }
        ErrorCode::RateLimited => {
            "this client is over its rate limit; retry after `Retry-After` seconds."
        }
        ErrorCode::Unavailable => {
            "the database is unreachable or overloaded, or the instance is draining; retry after `Retry-After` \
             seconds."
        }
        ErrorCode::DeadlineExceeded => {
            "the client's deadline passed before the service could answer."
        }
        ErrorCode::RequestTimeout => {
            "the body stopped arriving: it was not all sent within `REQUEST_BODY_TIMEOUT_SECS` (10 s by default) \
             of the first read; the connection is closed."
        }
        ErrorCode::Internal => {
            "the server failed; details are logged with the request id, never sent."
        }
        ErrorCode::RequestRefused => "the request was refused.",
    }
}

/// A typical `detail` for `code`.
const fn detail(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::MalformedRequest => "order_items[0].unit_price: must be a number, not a string",
        ErrorCode::ValidationFailed => "one or more fields are missing or invalid",
        ErrorCode::UnsupportedMediaType => "the body must be application/json",
        ErrorCode::PayloadTooLarge => "the body must be at most 65536 bytes",
        ErrorCode::Unauthenticated => "the bearer token has expired",
        ErrorCode::Forbidden => "a customer can only cancel its orders",
        ErrorCode::NotFound => "no resource has this path",
        ErrorCode::MethodNotAllowed => "this resource allows only GET, POST",
        ErrorCode::OrderNotFound => "no order has the id 0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01",
        ErrorCode::InvalidTransition => "an order cannot change from Delivered to Cancelled",
        ErrorCode::VersionMismatch => "the order is at version 3, not 2",
        ErrorCode::IdempotencyKeyReused => {
            "this Idempotency-Key was used for a request with other content; use a new key"
        }
        ErrorCode::RateLimited => "too many requests from this client; retry after 1 s",
        ErrorCode::Unavailable => "the service cannot handle the request right now; retry later",
        ErrorCode::DeadlineExceeded => "the deadline passed before the service could answer",
        ErrorCode::RequestTimeout => "the body did not arrive within 10 s; send it at once",
        ErrorCode::Internal => {
            "the server failed to handle the request; it was logged with the request id"
        }
        ErrorCode::RequestRefused => "request refused",
    }
}
