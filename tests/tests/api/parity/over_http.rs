//! The scenarios over HTTP: an absent field is an omitted member, money a JSON number with two decimals, an
//! expected version `If-Match: "<n>"`, an idempotency key the `Idempotency-Key` header.

use serde_json::Value;

use super::{
    Action, ItemView, Listing, NewOrder, OrderView, Outcome, Page, Performed, Run, StatusValue,
    Transport, contract,
};
use crate::helpers::{Reply, TestApp};

pub(super) struct Http<'a>(pub(super) &'a TestApp);

impl Transport for Http<'_> {
    const NAME: &'static str = "http";

    fn perform(&self, action: &Action, run: &Run) -> Performed {
        let app = self.0;
        match action {
            Action::Create { order, key } => {
                let key = key.map(|key| run.scoped(key));
                let mut headers = vec![("Content-Type", "application/json")];
                headers.extend(key.as_deref().map(|key| ("Idempotency-Key", key)));
                let body = order_body(order, run);
                let reply = app.request("POST", "/orders", &headers, Some(&body));
                let mut outcome = outcome_of(&reply, action);
                let mut created = None;
                if outcome.code == "ok" {
                    let id = reply.json()["id"].as_str().unwrap().to_owned();
                    let location = format!("/orders/{id}");
                    assert_eq!(reply.header("location"), Some(location.as_str()));
                    outcome.replayed = Some(reply.header("idempotent-replayed") == Some("true"));
                    outcome.order = Some(self.read(&id));
                    created = Some(id);
                }
                Performed { outcome, created }
            }
            Action::Get { id } => {
                let reply = app.get_order(&run.id(id));
                done(with_order(outcome_of(&reply, action), &reply))
            }
            Action::ChangeStatus {
                id,
                status,
                expected_version,
            } => {
                let mut members = Vec::new();
                members.extend(id.as_ref().map(|id| ("id", json_string(&run.id(id)))));
                members.extend(status.map(|status| ("status", json_string(status_name(status)))));
                let if_match = expected_version.map(|version| format!("\"{version}\""));
                let mut headers = vec![("Content-Type", "application/json")];
                headers.extend(if_match.as_deref().map(|value| ("If-Match", value)));
                let body = object(members);
                let reply = app.request("POST", "/orders/status", &headers, Some(&body));
                done(with_order(outcome_of(&reply, action), &reply))
            }
            Action::List(listing) => {
                let reply = app.request("GET", &listing_path(listing, run), &[], None);
                let mut outcome = outcome_of(&reply, action);
                if outcome.code == "ok" {
                    let page = reply.json();
                    outcome.page = Some(Page {
                        orders: page["orders"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(order_view)
                            .collect(),
                        has_next: !page["next_cursor"].is_null(),
                    });
                }
                done(outcome)
            }
        }
    }
}

impl Http<'_> {
    /// The order `id`, read back.
    fn read(&self, id: &str) -> OrderView {
        let reply = self.0.get_order(id);
        assert_eq!(reply.status, 200, "{}", reply.body);
        order_of(&reply)
    }
}

fn done(outcome: Outcome) -> Performed {
    Performed {
        outcome,
        created: None,
    }
}

/// The outcome of `reply`, whose status must be the one the contract gives its code.
fn outcome_of(reply: &Reply, action: &Action) -> Outcome {
    let retry = reply.header("retry-after").is_some();
    if reply.status < 400 {
        assert_eq!(reply.status, contract("ok", action).0, "{}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        return Outcome {
            retry,
            ..Outcome::ok()
        };
    }
    let code = reply.json()["code"].as_str().unwrap_or_default().to_owned();
    let problem = reply.assert_problem(contract(&code, action).0, &code);
    let fields = problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| (text(&e["field"]), text(&e["message"])))
                .collect()
        })
        .unwrap_or_default();
    Outcome::refused(&code, text(&problem["detail"]), fields, retry)
}

/// `outcome` with the order of a successful `reply`, whose `ETag` must be the order's version.
fn with_order(mut outcome: Outcome, reply: &Reply) -> Outcome {
    if outcome.code == "ok" {
        outcome.order = Some(order_of(reply));
    }
    outcome
}

/// The `{"order": ...}` of `reply`, checking its `ETag`.
fn order_of(reply: &Reply) -> OrderView {
    let order = order_view(&reply.json()["order"]);
    let etag = format!("\"{}\"", order.version);
    assert_eq!(reply.header("etag"), Some(etag.as_str()), "{}", reply.body);
    order
}

fn order_view(order: &Value) -> OrderView {
    OrderView {
        id: text(&order["id"]),
        customer_id: text(&order["customer_id"]),
        restaurant_id: text(&order["restaurant_id"]),
        status: text(&order["status"]),
        version: order["version"].as_i64().unwrap(),
        total_cents: cents_of(&order["total"]),
        items: order["order_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| ItemView {
                product_code: text(&item["product_code"]),
                name: text(&item["name"]),
                unit_price_cents: cents_of(&item["unit_price"]),
                quantity: item["quantity"].as_i64().unwrap(),
            })
            .collect(),
    }
}

/// A JSON string member's text.
fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// Money the API wrote (a JSON number with at most two decimals), in cents, read from the number's text.
fn cents_of(value: &Value) -> i64 {
    assert!(value.is_number(), "money must be a JSON number: {value}");
    let text = value.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    assert!(
        !text.starts_with('-') && !text.contains(['e', 'E']) && fraction.len() <= 2,
        "not an amount: {text}"
    );
    whole.parse::<i64>().unwrap() * 100 + format!("{fraction:0<2}").parse::<i64>().unwrap()
}

/// `cents` as a JSON number with two decimals: 999 is `9.99`, -100 is `-1.00`.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// A JSON object of these members (values already JSON text), in this order.
fn object(members: Vec<(&str, String)>) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(name, value)| format!("{}:{value}", json_string(name)))
        .collect();
    format!("{{{}}}", members.join(","))
}

fn order_body(order: &NewOrder, run: &Run) -> String {
    let scoped = |text: &Option<String>| run.field(text.as_deref()).map(|text| json_string(&text));
    let items: Vec<String> = order
        .items
        .iter()
        .map(|item| {
            let mut members = Vec::new();
            members.extend(scoped(&item.product_code).map(|v| ("product_code", v)));
            members.extend(scoped(&item.name).map(|v| ("name", v)));
            members.push(("unit_price", money(item.unit_price_cents)));
            members.push(("quantity", item.quantity.to_string()));
            object(members)
        })
        .collect();
    let mut members = Vec::new();
    members.extend(scoped(&order.customer_id).map(|v| ("customer_id", v)));
    members.extend(scoped(&order.restaurant_id).map(|v| ("restaurant_id", v)));
    members.push(("order_items", format!("[{}]", items.join(","))));
    object(members)
}

/// A status's name: a defined one, or the undefined name the scenario gives.
const fn status_name(status: StatusValue) -> &'static str {
    match status {
        StatusValue::Named(name) | StatusValue::Undefined { name, .. } => name,
    }
}

/// `GET /orders` with the listing's parameters.
fn listing_path(listing: &Listing, run: &Run) -> String {
    let params: Vec<String> = [
        ("customer_id", run.field(listing.customer_id.as_deref())),
        ("restaurant_id", run.field(listing.restaurant_id.as_deref())),
        ("status", listing.status.map(|s| status_name(s).to_owned())),
        ("limit", listing.limit.map(|limit| limit.to_string())),
        ("cursor", run.field(listing.cursor)),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some(format!("{name}={}", query_escape(&value?))))
    .collect();
    if params.is_empty() {
        "/orders".to_owned()
    } else {
        format!("/orders?{}", params.join("&"))
    }
}

/// `text` percent-encoded for a query string.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
