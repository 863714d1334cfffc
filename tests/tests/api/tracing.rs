//! Traces, end to end: the real binary with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP receiver the test
//! runs. One trace goes from the client's `traceparent` (HTTP header or gRPC metadata) through the SERVER span, the
//! use case and each SQL statement, to the event's publication and the `traceparent` a consumer reads; the trace id
//! is in the access log, the problem and the gRPC error. Protobuf and JSON export, the resource settings and the
//! sampler are the standard `OTEL_*` ones. On both backends.

mod collector;

use std::time::Duration;

use adapters::grpc::proto::orders::v1 as pb;
use serde_json::Value;
use tonic_types::StatusExt;

use self::collector::{CLIENT, Collector, INTERNAL, PRODUCER, SERVER, STATUS_ERROR, Span};
use crate::events::broker::Nats;
use crate::grpc_client::{GrpcClient, grpc_order, with_metadata};
use crate::helpers::{TestApp, TestDatabase, order_json};
use crate::process::{self, Process, wait_for_line};

/// The caller's trace: its trace id, and the span the service's SERVER span is a child of.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";
/// A customer id no SQL text may ever hold: values are bound, never written into a statement.
const CUSTOMER: &str = "customer-traced-7f3a";
/// An order that does not exist.
const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

fn traceparent(trace_id: &str, parent_id: &str, flags: &str) -> String {
    format!("00-{trace_id}-{parent_id}-{flags}")
}

/// The service with tracing on (spans sent every 100 ms), `extra` settings, and events when `nats` is given.
fn traced(
    database: &TestDatabase,
    collector: &Collector,
    nats: Option<&Nats>,
    extra: &[(&str, &str)],
) -> Process {
    let endpoint = collector.endpoint();
    let nats_url = nats.map(Nats::url);
    let mut env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    if let Some(url) = &nats_url {
        env.push(("NATS_URL", url.as_str()));
    }
    env.extend_from_slice(extra);
    process::start(database.url(), &env)
}

/// One HTTP request: status and body as JSON (`Null` when it has none).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}{path}"))
        .header("Content-Type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = match body {
        Some(body) => agent.run(request.body(body.to_string()).unwrap()),
        None => agent.run(request.body(()).unwrap()),
    }
    .unwrap();
    let text = response.body_mut().read_to_string().unwrap();
    (
        response.status().as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn system_of(database: &TestDatabase) -> &'static str {
    if database.url().starts_with("postgres") {
        "postgresql"
    } else {
        "sqlite"
    }
}

/// The SERVER span of the caller's trace ([`TRACE_ID`]): named `name`, a child of the caller's span, with
/// `attributes`.
fn server_span_of_the_caller(
    collector: &Collector,
    name: &str,
    attributes: &[(&str, &str)],
) -> Span {
    let server = collector.wait_for(name, |span| {
        span.trace_id == TRACE_ID && span.kind == SERVER
    });
    assert_eq!(server.name, name);
    assert_eq!(server.parent_span_id, PARENT_ID);
    for (key, value) in attributes {
        assert_eq!(server.attribute(key), Some(*value), "{key} of {server:#?}");
    }
    server
}

/// The use case's span beneath `server`, and its database spans once `statement` has arrived among them: each a
/// CLIENT span of `system` with its operation and its text, placeholders and no values (a wait for a pooled
/// connection, which may be among them, left out).
fn use_case_and_statements(
    collector: &Collector,
    server: &Span,
    use_case: &str,
    system: &str,
    statement: &str,
) -> (Span, Vec<Span>) {
    let children = collector.children(server, 1);
    assert_eq!(children.len(), 1, "{children:#?}");
    let case = children[0].clone();
    assert_eq!((case.name.as_str(), case.kind), (use_case, INTERNAL));
    let mut beneath = Vec::new();
    for _ in 0..300 {
        beneath = collector.children(&case, 1);
        if beneath.iter().any(|span| {
            span.attribute("db.query.text")
                .is_some_and(|text| text.contains(statement))
        }) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let statements: Vec<Span> = beneath
        .into_iter()
        // The event's publication is beneath the use case too, once the relay has sent it.
        .filter(|span| span.name != "acquire connection" && span.kind != PRODUCER)
        .collect();
    assert!(
        statements.iter().any(|span| span
            .attribute("db.query.text")
            .is_some_and(|text| text.contains(statement))),
        "no {statement:?} in {statements:#?}"
    );
    for span in &statements {
        assert_eq!(span.kind, CLIENT, "{span:#?}");
        assert_eq!(span.attribute("db.system.name"), Some(system), "{span:#?}");
        let text = span.attribute("db.query.text").unwrap();
        let operation = span.attribute("db.operation.name").unwrap();
        assert_eq!(span.name, operation);
        assert!(
            text.to_ascii_uppercase().starts_with(operation),
            "{span:#?}"
        );
        assert!(
            !text.contains(CUSTOMER) && !text.contains("binds"),
            "{span:#?}"
        );
    }
    (case, statements)
}

/// The publication of the event on `subject` that the use case `case` recorded: a PRODUCER span beneath it, and a
/// message whose `traceparent` (CloudEvents attribute and header) continues the trace from that span.
fn published_in_trace(
    collector: &Collector,
    nats: &Nats,
    case: &Span,
    subject: &str,
    order_id: &str,
) {
    let producer = collector.wait_for("of the publication", |span| {
        span.kind == PRODUCER && span.trace_id == case.trace_id
    });
    assert_eq!(producer.parent_span_id, case.span_id);
    assert_eq!(producer.name, format!("publish {subject}"));
    assert_eq!(
        producer.attribute("messaging.destination.name"),
        Some(subject)
    );
    let message = nats
        .wait_for(1, Duration::from_secs(15))
        .into_iter()
        .find(|message| message.subject == subject && message.order_id() == order_id)
        .unwrap();
    let expected = traceparent(&case.trace_id, &producer.span_id, "01");
    assert_eq!(message.event["traceparent"], expected.as_str());
    assert_eq!(message.traceparent.as_deref(), Some(expected.as_str()));
    assert_eq!(
        producer.attribute("messaging.message.id"),
        message.event["id"].as_str()
    );
}

fn over_http_one_trace_runs_from_the_client_to_the_sql_and_on_into_the_event(
    database: &TestDatabase,
) {
    let (collector, nats) = (Collector::start(), Nats::start());
    let service = traced(database, &collector, Some(&nats), &[]);
    let mut order = order_json();
    order["customer_id"] = CUSTOMER.into();
    let sent = traceparent(TRACE_ID, PARENT_ID, "01");
    let (status, body) = http(
        service.port,
        "POST",
        "/orders",
        &[("traceparent", &sent)],
        Some(&order),
    );
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();

    let server = server_span_of_the_caller(
        &collector,
        "POST /orders",
        &[
            ("http.request.method", "POST"),
            ("http.route", "/orders"),
            ("http.response.status_code", "201"),
            ("client.address", "127.0.0.1"),
        ],
    );
    assert_eq!(server.attribute("error.type"), None);
    assert_ne!(server.status, STATUS_ERROR);
    assert_eq!(
        server.resource.get("service.name").map(String::as_str),
        Some("ordersvc")
    );
    assert_eq!(server.content_type, "application/x-protobuf");
    let system = system_of(database);
    let (case, _) = use_case_and_statements(
        &collector,
        &server,
        "place_order",
        system,
        "INSERT INTO \"order_events\"",
    );
    assert_eq!(case.attribute("ordersvc.order.id"), Some(id.as_str()));
    published_in_trace(&collector, &nats, &case, "orders.events.order_placed", &id);

    // A request without a trace context starts a trace of its own; its problem and its access line name it.
    let (status, problem) = http(
        service.port,
        "GET",
        &format!("/orders/{UNKNOWN}"),
        &[],
        None,
    );
    assert_eq!(status, 404);
    let trace_id = problem["trace_id"].as_str().unwrap().to_owned();
    assert_ne!(trace_id, TRACE_ID);
    let missing = collector.wait_for("GET /orders/{id}", |span| {
        span.trace_id == trace_id && span.kind == SERVER
    });
    assert_eq!(
        (missing.name.as_str(), missing.parent_span_id.as_str()),
        ("GET /orders/{id}", "")
    );
    assert_eq!(missing.attribute("error.type"), Some("404"));
    assert_eq!(missing.attribute("http.response.status_code"), Some("404"));
    assert_ne!(
        missing.status, STATUS_ERROR,
        "a client error is not the server's"
    );
    let (_, reads) =
        use_case_and_statements(&collector, &missing, "find_order", system, "INNER JOIN");
    let read = reads[0].attribute("db.query.text").unwrap();
    let placeholder = if system == "postgresql" {
        "= $1"
    } else {
        "= ?"
    };
    assert!(
        read.starts_with("SELECT") && read.contains(placeholder),
        "{read}"
    );
    let line = wait_for_line(
        &service.logs,
        &format!("trace_id={trace_id}"),
        Duration::from_secs(5),
    );
    assert!(
        line.contains(" access ") && line.contains("status=404"),
        "{line}"
    );

    // The probes are not traced: a trace every few seconds would bury the orders'.
    assert_eq!(http(service.port, "GET", "/readyz", &[], None).0, 200);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        collector
            .spans()
            .iter()
            .all(|span| !span.name.contains("readyz")),
        "{:#?}",
        collector.spans()
    );
}

fn over_grpc_one_trace_runs_from_the_metadata_to_the_sql_and_on_into_the_event(
    database: &TestDatabase,
) {
    let (collector, nats) = (Collector::start(), Nats::start());
    let service = traced(
        database,
        &collector,
        Some(&nats),
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_SERVICE_NAME", "kitchen-orders"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment.name=test",
            ),
        ],
    );
    let client = GrpcClient::connect(service.grpc_port.unwrap());
    let mut order = grpc_order();
    order.customer_id = CUSTOMER.into();
    let sent = traceparent(TRACE_ID, PARENT_ID, "01");
    let id = client
        .create(with_metadata(order, &[("traceparent", &sent)]))
        .unwrap()
        .into_inner()
        .id;

    let server = server_span_of_the_caller(
        &collector,
        "orders.v1.OrderService/CreateOrder",
        &[
            ("rpc.system", "grpc"),
            ("rpc.service", "orders.v1.OrderService"),
            ("rpc.method", "CreateOrder"),
            ("rpc.grpc.status_code", "0"),
        ],
    );
    assert!(
        server.content_type.starts_with("application/json"),
        "{}",
        server.content_type
    );
    assert_eq!(
        server.resource.get("service.name").map(String::as_str),
        Some("kitchen-orders")
    );
    assert_eq!(
        server
            .resource
            .get("deployment.environment.name")
            .map(String::as_str),
        Some("test")
    );
    let system = system_of(database);
    use_case_and_statements(
        &collector,
        &server,
        "place_order",
        system,
        "INSERT INTO \"orders\"",
    );

    // A change in another trace: its event continues that one.
    let moved_in = "0af7651916cd43dd8448eb211c80319c";
    let move_parent = traceparent(moved_in, "b7ad6b7169203331", "01");
    let accept = pb::ChangeStatusRequest {
        id: id.clone(),
        status: pb::OrderStatus::Accepted.into(),
        expected_version: None,
    };
    client
        .change_status(with_metadata(accept, &[("traceparent", &move_parent)]))
        .unwrap();
    let moved = collector.wait_for("ChangeStatus", |span| {
        span.trace_id == moved_in && span.kind == SERVER
    });
    assert_eq!(moved.name, "orders.v1.OrderService/ChangeStatus");
    let (case, _) = use_case_and_statements(
        &collector,
        &moved,
        "change_status",
        system,
        "UPDATE \"orders\"",
    );
    published_in_trace(
        &collector,
        &nats,
        &case,
        "orders.events.order_status_changed",
        &id,
    );

    // An error names its trace, as a problem does.
    let refused = client.get(UNKNOWN).unwrap_err();
    let info = refused.get_details_error_info().unwrap();
    let trace_id = info.metadata["trace_id"].clone();
    let missing = collector.wait_for("GetOrder", |span| {
        span.trace_id == trace_id && span.kind == SERVER
    });
    assert_eq!(missing.name, "orders.v1.OrderService/GetOrder");
    assert_eq!(missing.attribute("rpc.grpc.status_code"), Some("5"));
    assert_eq!(missing.attribute("error.type"), Some("NOT_FOUND"));
    assert_eq!(missing.parent_span_id, "");
    let line = wait_for_line(
        &service.logs,
        &format!("trace_id={trace_id}"),
        Duration::from_secs(5),
    );
    assert!(
        line.contains("transport=grpc") && line.contains("code=NOT_FOUND"),
        "{line}"
    );
    // Health checks are not traced.
    client.health("").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        collector
            .spans()
            .iter()
            .all(|span| !span.name.contains("Health"))
    );
}

crate::helpers::with_a_database_on_both_backends!(
    over_http_one_trace_runs_from_the_client_to_the_sql_and_on_into_the_event,
    over_grpc_one_trace_runs_from_the_metadata_to_the_sql_and_on_into_the_event,
);

#[test]
fn the_sampler_is_the_standard_one_and_a_parent_decides_for_its_trace() {
    let database = TestDatabase::sqlite();
    let collector = Collector::start();
    let service = traced(
        &database,
        &collector,
        None,
        &[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ],
    );
    let path = format!("/orders/{UNKNOWN}");
    // A root at ratio 0, and a parent that was not sampled: not recorded. The trace id is still told.
    let (_, unsampled_root) = http(service.port, "GET", &path, &[], None);
    assert_eq!(unsampled_root["trace_id"].as_str().map(str::len), Some(32));
    let not_sampled = traceparent("11111111111111111111111111111111", PARENT_ID, "00");
    let (_, unsampled_child) = http(
        service.port,
        "GET",
        &path,
        &[("traceparent", &not_sampled)],
        None,
    );
    assert_eq!(
        unsampled_child["trace_id"],
        "11111111111111111111111111111111"
    );
    // A sampled parent: recorded.
    let sampled = traceparent(TRACE_ID, PARENT_ID, "01");
    http(
        service.port,
        "GET",
        &path,
        &[("traceparent", &sampled)],
        None,
    );
    collector.wait_for("of the sampled parent", |span| span.trace_id == TRACE_ID);
    std::thread::sleep(Duration::from_millis(500));
    let traces: std::collections::HashSet<String> = collector
        .spans()
        .into_iter()
        .map(|span| span.trace_id)
        .collect();
    assert_eq!(traces.len(), 1, "{traces:?}");
}

#[test]
fn with_tracing_off_nothing_is_traced_or_told() {
    let database = TestDatabase::sqlite();
    let app = TestApp::spawn(&database);
    let sent = traceparent(TRACE_ID, PARENT_ID, "01");
    let reply = app.request(
        "GET",
        &format!("/orders/{UNKNOWN}"),
        &[("traceparent", &sent)],
        None,
    );
    let problem = reply.assert_problem(404, "order_not_found");
    assert!(problem.get("trace_id").is_none(), "{problem}");
}

#[test]
fn a_server_fault_is_the_error_of_the_request_the_use_case_and_the_statement() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let collector = Collector::start();
    let service = traced(
        &database,
        &collector,
        None,
        &[("DB_STATEMENT_TIMEOUT_MS", "300")],
    );
    let (status, created) = http(service.port, "POST", "/orders", &[], Some(&order_json()));
    assert_eq!(status, 201);
    let path = format!("/orders/{}", created["id"].as_str().unwrap());
    let lock = database.lock_table("orders");
    let (status, problem) = http(service.port, "GET", &path, &[], None);
    drop(lock);
    assert_eq!(status, 503, "{problem}");
    let trace_id = problem["trace_id"].as_str().unwrap().to_owned();
    let server = collector.wait_for("of the 503", |span| {
        span.trace_id == trace_id && span.kind == SERVER
    });
    assert_eq!(server.attribute("http.response.status_code"), Some("503"));
    assert_eq!(server.attribute("error.type"), Some("503"));
    assert_eq!(server.status, STATUS_ERROR);
    let (case, statements) =
        use_case_and_statements(&collector, &server, "find_order", "postgresql", "SELECT");
    assert_eq!(case.status, STATUS_ERROR);
    assert!(
        statements.iter().any(|span| span.status == STATUS_ERROR),
        "{statements:#?}"
    );
}

#[test]
fn a_wait_for_a_pooled_connection_is_a_span_of_its_own() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let (collector, nats) = (Collector::start(), Nats::start());
    // One pooled connection, which the relay holds while its claim waits on the locked outbox.
    let service = traced(
        &database,
        &collector,
        Some(&nats),
        &[("DB_POOL_SIZE", "1"), ("DB_STATEMENT_TIMEOUT_MS", "1000")],
    );
    let (status, created) = http(service.port, "POST", "/orders", &[], Some(&order_json()));
    assert_eq!(status, 201);
    nats.wait_for(1, Duration::from_secs(15));
    let path = format!("/orders/{}", created["id"].as_str().unwrap());
    let lock = database.lock_table("order_events");
    std::thread::sleep(Duration::from_millis(500));
    let sent = traceparent(TRACE_ID, PARENT_ID, "01");
    let (status, body) = http(service.port, "GET", &path, &[("traceparent", &sent)], None);
    drop(lock);
    assert_eq!(status, 200, "{body}");
    let server = collector.wait_for("of the GET", |span| {
        span.trace_id == TRACE_ID && span.kind == SERVER
    });
    let case = collector.children(&server, 1).remove(0);
    let waited = collector.wait_for("acquire connection", |span| {
        span.parent_span_id == case.span_id && span.name == "acquire connection"
    });
    assert_eq!(waited.kind, INTERNAL);
    assert_eq!(waited.attribute("db.system.name"), Some("postgresql"));
    assert!(waited.duration_ms() >= 100.0, "{waited:#?}");
}

#[test]
fn while_the_collector_is_down_requests_are_served_and_the_log_says_so() {
    let database = TestDatabase::sqlite();
    let port = crate::helpers::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let service = process::start(
        database.url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let (status, _) = http(service.port, "POST", "/orders", &[], Some(&order_json()));
    assert_eq!(status, 201);
    let line = wait_for_line(&service.logs, "cannot send", Duration::from_secs(15));
    assert!(
        line.contains("WARN") && line.contains(&format!("127.0.0.1:{port}/v1/traces")),
        "{line}"
    );
    // Once it is back, spans reach it, and the log says that too.
    let collector = Collector::start_on(port);
    let sent = traceparent(TRACE_ID, PARENT_ID, "01");
    let (status, _) = http(
        service.port,
        "POST",
        "/orders",
        &[("traceparent", &sent)],
        Some(&order_json()),
    );
    assert_eq!(status, 201);
    collector.wait_for("after the outage", |span| span.trace_id == TRACE_ID);
    wait_for_line(&service.logs, "spans reach", Duration::from_secs(15));
}
