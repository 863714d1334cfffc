//! The OpenAPI document: it describes exactly the routes the app serves, it is valid OpenAPI 3.1 JSON, and what it
//! says matches the domain's rules.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use application::{MockOrderService, ServiceError};
use domain::{ItemName, OrderItems, OrderStatus, PageSize, Quantity, UnitPrice};
use serde_json::Value;

use super::{ID, body_text, call, cursors, executor, header};
use crate::http::document;
use crate::http::route_table::{actix_method, endpoints};
use crate::inbound::ServingContext;
use crate::inbound::always_ready;
use crate::metrics::PrometheusMetrics;

/// Every method a client might try.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
];

fn document_json() -> Value {
    serde_json::to_value(document()).unwrap()
}

/// `(path, METHOD)` of every operation in the document.
fn documented_operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method.as_str().to_lowercase()).is_some() {
                operations.insert((path.clone(), method.to_string()));
            }
        }
    }
    operations
}

/// A path a request can be sent to, for a path template.
fn concrete(path: &str) -> String {
    path.replace("{id}", ID).replace("{file}", "index.css")
}

/// A service that answers every call with "unavailable", so every API route answers without a real order.
fn unavailable() -> MockOrderService {
    let down = || ServiceError::Unavailable(domain::RepositoryError::Unavailable("down".into()));
    let mut service = MockOrderService::new();
    service
        .expect_place_order()
        .returning(move |_, _| Err(down()));
    service
        .expect_find_order()
        .returning(move |_, _| Err(down()));
    service
        .expect_change_status()
        .returning(move |_, _| Err(down()));
    service
        .expect_list_orders()
        .returning(move |_, _| Err(down()));
    service
}

/// The app as the binary builds it: over `unavailable()`, with metrics.
fn served() -> ServingContext {
    let metrics = Arc::new(PrometheusMetrics::new().unwrap());
    ServingContext::new(executor(unavailable()), always_ready(), cursors()).with_metrics(metrics)
}

/// Sends `method path` (with a JSON body) to the app; its status, `Allow` header and problem code, if it is a
/// problem.
async fn probe(method: Method, path: &str) -> (u16, Option<String>, Option<String>) {
    let request = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"id": "x", "status": "Accepted"}"#);
    let response = call(served(), request).await;
    let allow = header(&response, "allow").map(str::to_owned);
    let is_problem = header(&response, "content-type") == Some("application/problem+json");
    let status = response.status().as_u16();
    let body = body_text(response).await;
    let code = is_problem
        .then(|| {
            serde_json::from_str::<Value>(&body).unwrap()["code"]
                .as_str()
                .map(str::to_owned)
        })
        .flatten();
    (status, allow, code)
}

#[test]
fn the_document_describes_exactly_the_route_table_the_app_is_built_from() {
    let served: BTreeSet<(String, String)> = endpoints()
        .iter()
        .flat_map(|endpoint| {
            let path = endpoint.path.clone();
            endpoint
                .methods
                .iter()
                .map(move |method| (path.clone(), actix_method(method).to_string()))
        })
        .collect();
    assert_eq!(documented_operations(&document_json()), served);
}

#[actix_web::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let document = document_json();
    let documented = documented_operations(&document);
    for path in document["paths"].as_object().unwrap().keys() {
        // HEAD is GET without the body (RFC 9110): served wherever GET is, and not documented apart from it.
        let is_served = |method: &Method| {
            let documented =
                |method: &Method| documented.contains(&(path.clone(), method.to_string()));
            documented(method) || (*method == Method::HEAD && documented(&Method::GET))
        };
        let allowed: Vec<String> = METHODS
            .iter()
            .filter(|method| is_served(method))
            .map(ToString::to_string)
            .collect();
        for method in METHODS {
            let (status, allow, code) = probe(method.clone(), &concrete(path)).await;
            if allowed.contains(&method.to_string()) {
                assert!(
                    status != 405 && code.as_deref() != Some("not_found"),
                    "{method} {path} is documented but not served: {status} {code:?}"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
                let mut allow: Vec<String> = allow
                    .unwrap_or_default()
                    .split(", ")
                    .map(str::to_owned)
                    .collect();
                let mut expected = allowed.clone();
                allow.sort();
                expected.sort();
                assert_eq!(allow, expected, "{method} {path}");
            }
        }
    }
}

#[actix_web::test]
async fn paths_the_document_does_not_have_are_not_served() {
    for path in [
        "/",
        "/docs/",
        "/openapi.yaml",
        "/orders/status/x",
        "/swagger-ui/",
    ] {
        for method in [Method::GET, Method::POST] {
            let (status, _, code) = probe(method.clone(), path).await;
            assert_eq!(
                (status, code.as_deref()),
                (404, Some("not_found")),
                "{method} {path}"
            );
        }
    }
}

#[actix_web::test]
async fn the_document_is_served_as_openapi_3_1_json() {
    let response = call(served(), TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let served: Value = serde_json::from_slice(&test::read_body(response).await).unwrap();
    assert!(
        served["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        served["openapi"]
    );
    assert_eq!(served["info"]["title"], "ordersvc");
    assert_eq!(served, document_json());
}

#[test]
fn every_operation_is_under_one_of_the_documents_tags() {
    let document = document_json();
    let tags: Vec<&Value> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert_eq!(tags, ["orders", "operations", "documentation"]);
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let tag = &operation["tags"][0];
            assert!(tags.contains(&tag), "{method} {path} is tagged {tag}");
        }
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(members) => {
                if let Some(Value::String(target)) = members.get("$ref") {
                    found.push(target);
                }
                members
                    .values()
                    .for_each(|member| references(member, found));
            }
            Value::Array(items) => items.iter().for_each(|item| references(item, found)),
            _ => {}
        }
    }
    let document = document_json();
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').unwrap();
        assert!(
            document.pointer(pointer).is_some(),
            "{target} does not resolve"
        );
    }
}

#[test]
fn every_error_response_is_a_problem_with_an_example_per_code() {
    let document = document_json();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} has no 500");
            for (status, response) in responses {
                assert!(
                    response["headers"]["X-Request-ID"].is_object(),
                    "{method} {path} {status}"
                );
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                let content = &response["content"]["application/problem+json"];
                assert_eq!(content["schema"]["$ref"], "#/components/schemas/Problem");
                let examples = content["examples"].as_object().unwrap();
                assert!(!examples.is_empty(), "{method} {path} {status}");
                for (code, example) in examples {
                    assert_eq!(example["value"]["code"], code.as_str());
                    assert_eq!(example["value"]["status"].to_string(), *status);
                }
                if status == "429" || status == "503" {
                    assert!(
                        response["headers"]["Retry-After"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn only_routes_outside_the_rate_limit_lack_a_429() {
    let document = document_json();
    for (path, item) in document["paths"].as_object().unwrap() {
        let exempt = crate::http::route_table::is_rate_limit_exempt(path);
        for operation in item.as_object().unwrap().values() {
            assert_eq!(
                operation["responses"].get("429").is_none(),
                exempt,
                "{path}"
            );
        }
    }
}

#[test]
fn the_schemas_take_their_bounds_from_the_domain() {
    let document = document_json();
    let schemas = &document["components"]["schemas"];
    let items = &schemas["NewOrder"]["properties"]["order_items"];
    assert_eq!(items["maxItems"], OrderItems::MAX);
    assert_eq!(
        schemas["Order"]["properties"]["order_items"]["maxItems"],
        OrderItems::MAX
    );
    assert_eq!(
        schemas["UnitPrice"]["maximum"],
        UnitPrice::MAX.cents() / 100
    );
    assert_eq!(schemas["UnitPrice"]["multipleOf"], 0.01);
    assert_eq!(schemas["Quantity"]["maximum"], Quantity::MAX);
    assert_eq!(schemas["ItemName"]["maxLength"], ItemName::MAX_CHARS);
    assert_eq!(schemas["PageLimit"]["maximum"], PageSize::MAX);
    let statuses: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(schemas["OrderStatus"]["enum"], serde_json::json!(statuses));
}

#[test]
fn every_member_of_a_new_order_is_required() {
    let document = document_json();
    let mut required: Vec<&str> = document["components"]["schemas"]["NewOrder"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["customer_id", "order_items", "restaurant_id"]);
}

#[test]
fn the_text_pattern_admits_exactly_what_the_domain_admits_in_the_basic_multilingual_plane() {
    let document = document_json();
    for schema in ["ItemName", "Reference"] {
        let pattern = document["components"]["schemas"][schema]["pattern"]
            .as_str()
            .unwrap();
        let regex = regex::Regex::new(pattern).unwrap();
        for c in (0..=0xFFFF_u32).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(
                regex.is_match(&text),
                domain::ItemName::new(&text).is_ok(),
                "{schema}: U+{:04X}",
                u32::from(c)
            );
        }
    }
}
