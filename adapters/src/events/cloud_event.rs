//! The wire format: one CloudEvents 1.0 event in structured JSON mode per order event. `data` holds the order exactly
//! as `GET /orders/{id}` shows it right after the change (the HTTP API's own representation), plus `from` and `to`
//! for a status change. `schemas/events/order-event.schema.json` describes it and is tested against real messages.

use domain::{OrderChange, OrderEvent, Timestamp};
use serde::Serialize;
use thiserror::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::http::OrderResponse;

/// The `type` of each kind of event, versioned with the API.
const TYPE_PREFIX: &str = "orders.v1.";

/// The CloudEvents `source`: a URI-reference naming the service (`/ordersvc`, `urn:acme:ordersvc`,
/// `https://orders.example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource(String);

/// The text cannot be a CloudEvents `source`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{0}` is not a URI-reference for the events' source (such as /ordersvc or urn:acme:ordersvc)"
)]
pub struct InvalidEventSource(String);

impl std::str::FromStr for EventSource {
    type Err = InvalidEventSource;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // A non-empty URI-reference: printable ASCII without spaces or the characters RFC 3986 never allows.
        let allowed = |c: char| {
            c.is_ascii_graphic()
                && !matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
        };
        if text.is_empty() || text.len() > 256 || !text.chars().all(allowed) {
            return Err(InvalidEventSource(text.chars().take(64).collect()));
        }
        Ok(Self(text.to_owned()))
    }
}

impl EventSource {
    /// The source as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Encodes order events as CloudEvents.
#[derive(Debug, Clone)]
pub struct CloudEventEncoder {
    source: EventSource,
}

#[derive(Serialize)]
struct CloudEvent<'a> {
    specversion: &'static str,
    id: String,
    source: &'a str,
    #[serde(rename = "type")]
    kind: String,
    subject: String,
    time: String,
    datacontenttype: &'static str,
    /// The distributed tracing extension: the trace context a consumer continues.
    #[serde(skip_serializing_if = "Option::is_none")]
    traceparent: Option<&'a str>,
    data: EventData<'a>,
}

#[derive(Serialize)]
struct EventData<'a> {
    order: OrderResponse<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'static str>,
}

impl CloudEventEncoder {
    /// Events from `source`.
    pub const fn new(source: EventSource) -> Self {
        Self { source }
    }

    /// The CloudEvents `type` of `change`: `orders.v1.order_placed` or `orders.v1.order_status_changed`.
    pub fn type_of(change: OrderChange) -> String {
        format!("{TYPE_PREFIX}{}", change.kind())
    }

    /// The event as one JSON document, with `traceparent` as its distributed tracing extension when it has one.
    ///
    /// # Errors
    /// A `serde_json::Error`, which an order's plain data never causes.
    pub fn encode(
        &self,
        event: &OrderEvent,
        traceparent: Option<&str>,
    ) -> Result<Vec<u8>, serde_json::Error> {
        let (from, to) = match event.change() {
            OrderChange::Placed => (None, None),
            OrderChange::StatusChanged { from, to } => (Some(from.as_str()), Some(to.as_str())),
        };
        serde_json::to_vec(&CloudEvent {
            specversion: "1.0",
            id: event.id().to_string(),
            source: self.source.as_str(),
            kind: Self::type_of(event.change()),
            subject: event.order_id().to_string(),
            time: rfc3339(event.occurred_on()),
            datacontenttype: "application/json",
            traceparent,
            data: EventData {
                order: OrderResponse::from(event.order()),
                from,
                to,
            },
        })
    }
}

/// `at` in RFC 3339, UTC, to the microsecond (`2026-12-04T18:30:00.123456Z`). RFC 3339 has four-digit years: an
/// instant past the year 9999, which no clock gives, is written as the epoch rather than holding up the outbox.
fn rfc3339(at: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.unix_micros()) * 1_000)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests;
