//! What a call gave, transport-neutral, and the HTTP status and gRPC code the contract gives each outcome.

use tonic::Code;

use super::Action;

/// What a call gave, in terms both transports share. Ids are replaced by their role in the scenario (`setup#0`,
/// `created`, `unknown`), and the run's scope by [`SCOPE`](super::SCOPE), so the two transports' different orders
/// compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Outcome {
    /// `ok`, or the stable code: the problem's `code` over HTTP, the `ErrorInfo` reason over gRPC.
    pub(super) code: String,
    /// The problem's `detail`, the status's message; empty on success.
    pub(super) detail: String,
    /// Each invalid field's path and message: the problem's `errors`, the `BadRequest` violations.
    pub(super) fields: Vec<(String, String)>,
    /// The order the call returned (a create: the order read back over the same transport).
    pub(super) order: Option<OrderView>,
    pub(super) page: Option<Page>,
    /// For a create that succeeded: `Idempotent-Replayed: true`, the response's `replayed`.
    pub(super) replayed: Option<bool>,
    /// Whether the error says when to retry: `Retry-After`, `RetryInfo`.
    pub(super) retry: bool,
}

impl Outcome {
    /// A success, with nothing in it yet.
    pub(super) fn ok() -> Self {
        Self::refused("ok", String::new(), Vec::new(), false)
    }

    /// A failure with `code`.
    pub(super) fn refused(
        code: &str,
        detail: String,
        fields: Vec<(String, String)>,
        retry: bool,
    ) -> Self {
        Self {
            code: code.to_owned(),
            detail,
            fields,
            order: None,
            page: None,
            replayed: None,
            retry,
        }
    }
}

/// An order, transport-neutral: money in cents, the status by its HTTP name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OrderView {
    /// The raw id until normalised, then its role.
    pub(super) id: String,
    pub(super) customer_id: String,
    pub(super) restaurant_id: String,
    pub(super) status: String,
    pub(super) version: i64,
    pub(super) total_cents: i64,
    pub(super) items: Vec<ItemView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ItemView {
    pub(super) product_code: String,
    pub(super) name: String,
    pub(super) unit_price_cents: i64,
    pub(super) quantity: i64,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Page {
    pub(super) orders: Vec<OrderView>,
    pub(super) has_next: bool,
}

/// The HTTP status and the gRPC code the contract gives an outcome's code (`adapters/src/http/problem.rs`,
/// `adapters/src/grpc/status.rs`); a success is `201` for a create and `200` otherwise.
pub(super) fn contract(code: &str, action: &Action) -> (u16, Code) {
    match code {
        "ok" if matches!(action, Action::Create { .. }) => (201, Code::Ok),
        "ok" => (200, Code::Ok),
        "validation_failed" => (422, Code::InvalidArgument),
        "malformed_request" => (400, Code::InvalidArgument),
        "order_not_found" => (404, Code::NotFound),
        "invalid_transition" => (409, Code::FailedPrecondition),
        "version_mismatch" => (412, Code::Aborted),
        "idempotency_key_reused" => (422, Code::FailedPrecondition),
        other => panic!("`{other}` is no outcome of the order contract's scenarios"),
    }
}

/// The HTTP names of the statuses.
pub(crate) const STATUS_NAMES: [&str; 8] = [
    "Pending",
    "Accepted",
    "Rejected",
    "Cancelled",
    "Preparing",
    "ReadyForPickup",
    "OutForDelivery",
    "Delivered",
];
