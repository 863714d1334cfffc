//! The headers the document shares between operations: defined once under `components`, referenced everywhere.
//!
//! utoipa's `Header` has no `required` member, so a header the service always sends gets it as an extension, which
//! serializes the same way (`"required": true`); response validators then check it is there.

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Components, Ref, RefOr, Required};

/// The header naming a request, both ways.
const X_REQUEST_ID: &str = "X-Request-ID";

/// The header telling a client how long to back off.
const RETRY_AFTER: &str = "Retry-After";

/// The header of a 401 that says how to authenticate.
const WWW_AUTHENTICATE: &str = "WWW-Authenticate";

/// Response headers sent only sometimes; every other documented response header is always sent.
const OCCASIONAL: [&str; 1] = ["Idempotent-Replayed"];

/// Adds the shared headers and the `X-Request-ID` parameter to `components`.
pub(super) fn register(components: &mut Components) {
    let request_id = HeaderBuilder::new()
        .schema(Some(string().min_length(Some(1))))
        .description(Some(
            "The request's id: the client's own `X-Request-ID` when it sent a sane one, otherwise a new one. Every \
             log line about the request carries it.",
        ))
        .build();
    let retry_after = HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        ))
        .description(Some("Whole seconds to wait before retrying."))
        .build();
    let www_authenticate = HeaderBuilder::new()
        .schema(Some(string().pattern(Some("^Bearer realm=\"ordersvc\""))))
        .description(Some(
            "The bearer challenge (RFC 6750): `Bearer realm=\"ordersvc\"` without credentials; with \
             `error=\"invalid_request\"` (not one bearer token) or `error=\"invalid_token\"` (a token that is not \
             valid) and an `error_description` otherwise.",
        ))
        .build();
    for (name, header) in [
        (X_REQUEST_ID, request_id),
        (RETRY_AFTER, retry_after),
        (WWW_AUTHENTICATE, www_authenticate),
    ] {
        components
            .headers
            .insert(name.to_owned(), RefOr::T(required(header)));
    }
    let parameter = ParameterBuilder::new()
        .name(X_REQUEST_ID)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .schema(Some(string()))
        .description(Some(
            "Your id for the request, echoed on the response and logged: kept when it is 1 to 128 visible ASCII \
             characters, replaced by a new one otherwise.",
        ))
        .build();
    components
        .parameters
        .insert(X_REQUEST_ID.to_owned(), RefOr::T(parameter));
}

/// The `X-Request-ID` request header every operation accepts.
pub(super) fn request_id_parameter() -> RefOr<Parameter> {
    RefOr::Ref(Ref::new(format!("#/components/parameters/{X_REQUEST_ID}")))
}

/// `(name, reference)` of the `X-Request-ID` response header every response carries.
pub(super) fn request_id() -> (String, RefOr<Header>) {
    (X_REQUEST_ID.to_owned(), reference(X_REQUEST_ID))
}

/// `(name, reference)` of the `Retry-After` header of a 429 or 503.
pub(super) fn retry_after() -> (String, RefOr<Header>) {
    (RETRY_AFTER.to_owned(), reference(RETRY_AFTER))
}

/// `(name, reference)` of the `WWW-Authenticate` header of a 401.
pub(super) fn www_authenticate() -> (String, RefOr<Header>) {
    (WWW_AUTHENTICATE.to_owned(), reference(WWW_AUTHENTICATE))
}

/// `header` as described, marked as always sent unless `name` is one of the occasional ones.
pub(super) fn mark_required(name: &str, header: RefOr<Header>) -> RefOr<Header> {
    match header {
        RefOr::T(header) if !OCCASIONAL.iter().any(|o| o.eq_ignore_ascii_case(name)) => {
            RefOr::T(required(header))
        }
        other => other,
    }
}

fn reference(name: &str) -> RefOr<Header> {
    RefOr::Ref(Ref::new(format!("#/components/headers/{name}")))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn required(mut header: Header) -> Header {
    let extensions = header.extensions.get_or_insert_with(Extensions::default);
    extensions.insert("required".to_owned(), true.into());
    header
}
