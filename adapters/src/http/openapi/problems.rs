//! The error responses of the document: for each status an operation can fail with, the problem schema, one example
//! per code that answers with it, and the headers such a response carries. Titles, types and statuses come from
//! [`ProblemCode`] itself, so an example cannot disagree with what the service sends.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref};

use super::headers;
use crate::http::ProblemCode;
use crate::http::error::PROBLEM_JSON;
use crate::http::problem::{ProblemDocument, problem_type};

/// The responses for `codes`, one per status (`"404"`), each describing every code that answers with that status.
pub(super) fn responses(codes: &[ProblemCode]) -> BTreeMap<String, Response> {
    let mut by_status: BTreeMap<u16, Vec<ProblemCode>> = BTreeMap::new();
    for &code in codes {
        let same_status = by_status.entry(code.status().as_u16()).or_default();
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
fn response(codes: &[ProblemCode]) -> Response {
    let description = codes
        .iter()
        .map(|code| format!("`{}`: {}", code.as_str(), when(*code)))
        .collect::<Vec<_>>()
        .join(" ");
    let examples = codes.iter().map(|&code| {
        let example = ExampleBuilder::new()
            .summary(code.title())
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
        .any(|code| matches!(code, ProblemCode::RateLimited | ProblemCode::Unavailable))
    {
        let (name, header) = headers::retry_after();
        response.headers.insert(name, header);
    }
    response
}

/// A problem with `code`, as the service would send it.
fn example(code: ProblemCode) -> Value {
    let mut problem = json!({
        "type": problem_type(code),
        "title": code.title(),
        "status": code.status().as_u16(),
        "detail": detail(code),
        "code": code.as_str(),
        "request_id": "0190b4b67c1e7d2a9f3b5a6c7d8e9f01",
    });
    if code == ProblemCode::ValidationFailed {
        problem["errors"] = json!([
            {"field": "restaurant_id", "message": "must not be empty"},
            {"field": "order_items[0].quantity", "message": "must be a whole number from 1 to 10000"},
        ]);
    }
    problem
}

/// When the service answers with `code`; the document's description of it.
const fn when(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::MalformedRequest => {
            "the body is not a JSON object or a member has the wrong JSON type, or a header or the query string is \
             malformed."
        }
        ProblemCode::ValidationFailed => {
            "a required member is missing or a value breaks a rule; `errors` names every one."
        }
        ProblemCode::UnsupportedMediaType => "the body is not `application/json`.",
        ProblemCode::PayloadTooLarge => "the body is over 64 KiB.",
        ProblemCode::NotFound => "no such resource.",
        ProblemCode::MethodNotAllowed => {
            "the path does not have this method (`Allow` lists those it has)."
        }
        ProblemCode::OrderNotFound => "no order has this id (an id that is not a UUID included).",
        ProblemCode::InvalidTransition => "the order's lifecycle does not allow this step.",
        ProblemCode::VersionMismatch => "the order is no longer at the `If-Match` version.",
        ProblemCode::IdempotencyKeyReused => {
            "the `Idempotency-Key` was used before for a request with other content."
        }
        ProblemCode::RateLimited => {
            "this client is over its rate limit; retry after `Retry-After` seconds."
        }
        ProblemCode::Unavailable => {
            "the database is unreachable or overloaded, or the instance is draining; retry after `Retry-After` \
             seconds."
        }
        ProblemCode::Internal => {
            "the server failed; details are logged with the request id, never sent."
        }
        ProblemCode::RequestRefused => "the request was refused.",
    }
}

/// A typical `detail` for `code`.
const fn detail(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::MalformedRequest => {
            "invalid type: string \"9.99\", expected a JSON number at line 1 column 42"
        }
        ProblemCode::ValidationFailed => "one or more fields are missing or invalid",
        ProblemCode::UnsupportedMediaType => "the body must be application/json",
        ProblemCode::PayloadTooLarge => "the body must be at most 65536 bytes",
        ProblemCode::NotFound => "no resource has this path",
        ProblemCode::MethodNotAllowed => "this resource allows only GET, POST",
        ProblemCode::OrderNotFound => "no order has the id 0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01",
        ProblemCode::InvalidTransition => "an order cannot change from Delivered to Cancelled",
        ProblemCode::VersionMismatch => "the order is at version 3, not 2",
        ProblemCode::IdempotencyKeyReused => {
            "this Idempotency-Key was used for a request with other content; use a new key"
        }
        ProblemCode::RateLimited => "too many requests from this client; retry after 1 s",
        ProblemCode::Unavailable => "the service cannot handle the request right now; retry later",
        ProblemCode::Internal => {
            "the server failed to handle the request; it was logged with the request id"
        }
        ProblemCode::RequestRefused => "request refused",
    }
}
