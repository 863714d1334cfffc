//! Refusals through the real binary, over raw sockets so that nothing is tidied up by a client library: each request
//! of the table gets its documented status and problem code and writes nothing; `Expect: 100-continue` on a request
//! that will be refused is refused at once, without `100 Continue`; `HEAD` answers as `GET` would, without the body;
//! a burst of requests the HTTP parser cannot read gets problem documents and leaves no ERROR line in the log; and the API reference's heavy
//! assets are gzipped, revalidated by `ETag` and rate limited.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{TestDatabase, order_json};
use crate::process::{Process, start};

/// A response as read off the socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    /// Header lines, names lowercased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Everything received, for messages.
    text: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn problem(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

/// Reads one response from `stream`: its head, then as many body bytes as its `Content-Length` says (none for a
/// `HEAD` when `head` is set, or for an interim `1xx`).
fn read_response(stream: &mut TcpStream, head: bool) -> Raw {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0; 8192];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut buffer).expect("a response in time");
        assert!(
            n > 0,
            "closed before a response: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..n]);
    };
    let head_text = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head_text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let length = if head || status < 200 { 0 } else { length };
    let mut body = received[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buffer).expect("the body in time");
        assert!(n > 0, "closed inside the body");
        body.extend_from_slice(&buffer[..n]);
    }
    Raw {
        status,
        text: format!("{head_text}{}", String::from_utf8_lossy(&body)),
        headers,
        body,
    }
}

/// Sends `request` (its bytes as they are) on a new connection and reads the response.
fn exchange(process: &Process, request: &str) -> Raw {
    let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    read_response(&mut stream, request.starts_with("HEAD "))
}

/// A request with `head` (the request line and headers, without the blank line) and `body`, given its length.
fn with_body(head: &str, body: &str) -> String {
    format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn order_body() -> String {
    order_json().to_string()
}

/// The order body with its first item given as an array, by position.
fn item_as_array() -> String {
    r#"{"customer_id": "c", "restaurant_id": "r", "order_items": [["p-1", "Pizza", 9.99, 1]]}"#
        .to_owned()
}

const POST_ORDERS: &str = "POST /orders HTTP/1.1\r\nHost: ordersvc";
const JSON: &str = "Content-Type: application/json";

/// The table: name, raw request, status, problem code, and a word the detail must contain.
fn table() -> Vec<(&'static str, String, u16, &'static str, &'static str)> {
    let order = order_body();
    let status_change = r#"{"id": "7f0e4c1e-4d34-4a38-9a3c-2b2f8f7a9d10", "status": "Accepted"}"#;
    vec![
        (
            "a gzip body",
            with_body(
                &format!("{POST_ORDERS}\r\n{JSON}\r\nContent-Encoding: gzip"),
                &order,
            ),
            415,
            "unsupported_media_type",
            "Content-Encoding",
        ),
        (
            "Content-Type twice",
            with_body(&format!("{POST_ORDERS}\r\n{JSON}\r\n{JSON}"), &order),
            400,
            "malformed_request",
            "Content-Type once",
        ),
        (
            "Idempotency-Key twice",
            with_body(
                &format!("{POST_ORDERS}\r\n{JSON}\r\nIdempotency-Key: a\r\nIdempotency-Key: b"),
                &order,
            ),
            400,
            "malformed_request",
            "Idempotency-Key once",
        ),
        (
            "If-Match twice",
            with_body(
                &format!(
                    "POST /orders/status HTTP/1.1\r\nHost: ordersvc\r\n{JSON}\r\n\
                     If-Match: \"1\"\r\nIf-Match: \"2\""
                ),
                status_change,
            ),
            400,
            "malformed_request",
            "If-Match once",
        ),
        (
            "an item as an array",
            with_body(&format!("{POST_ORDERS}\r\n{JSON}"), &item_as_array()),
            400,
            "malformed_request",
            "order_items[0]",
        ),
        (
            "a string for a number",
            with_body(
                &format!("{POST_ORDERS}\r\n{JSON}"),
                &order.replace("\"quantity\":2", "\"quantity\":\"2\""),
            ),
            400,
            "malformed_request",
            "must be a number, not a string",
        ),
        (
            "a query escape that is not UTF-8",
            "GET /orders?status=%ff HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n"
                .to_owned(),
            400,
            "malformed_request",
            "%ff",
        ),
        (
            "a query escape that is not hex",
            "GET /orders?customer_id=%zz HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n"
                .to_owned(),
            400,
            "malformed_request",
            "%zz",
        ),
        (
            "a query parameter twice",
            "GET /orders?limit=1&limit=2 HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n"
                .to_owned(),
            400,
            "malformed_request",
            "limit",
        ),
        (
            "a path escape that is not UTF-8",
            "GET /orders/%ff HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n".to_owned(),
            400,
            "malformed_request",
            "%ff",
        ),
    ]
}

/// Words that give away the implementation rather than tell a client what to change.
const INTERNALS: [&str; 6] = [
    "struct",
    "invalid type",
    "EOF",
    "deserialize",
    "payload reached",
    "OrderItemRequest",
];

fn nothing_was_written(database: &TestDatabase) {
    assert_eq!(
        (
            database.row_count("orders"),
            database.row_count("order_items")
        ),
        (0, 0)
    );
}

#[test]
fn every_refusal_in_the_table_is_its_documented_problem_and_writes_nothing() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &[]);
    for (name, request, status, code, says) in table() {
        let response = exchange(&process, &request);
        assert_eq!(response.status, status, "{name}: {}", response.text);
        let problem = response.problem();
        assert_eq!(problem["code"], code, "{name}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{name}: {detail}");
        for word in INTERNALS {
            assert!(!detail.contains(word), "{name}: {word:?} in {detail:?}");
        }
        assert!(response.header("x-request-id").is_some(), "{name}");
    }
    let encoded = exchange(&process, &table()[0].1);
    assert_eq!(encoded.header("accept-encoding"), Some("identity"));
    nothing_was_written(&database);
}

/// Sends `head` with `Expect: 100-continue` and no body yet; the first response the server sends.
fn expecting(stream: &mut TcpStream, head: &str) -> Raw {
    stream
        .write_all(format!("{head}\r\nExpect: 100-continue\r\n\r\n").as_bytes())
        .unwrap();
    read_response(stream, false)
}

#[test]
fn expect_100_continue_is_refused_at_once_when_the_request_will_be_refused() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &[]);
    let cases = [
        (
            format!("{POST_ORDERS}\r\nContent-Type: text/plain\r\nContent-Length: 10"),
            415,
            "unsupported_media_type",
        ),
        (
            format!("{POST_ORDERS}\r\n{JSON}\r\nContent-Length: 10000000"),
            413,
            "payload_too_large",
        ),
        (
            format!("{POST_ORDERS}\r\n{JSON}\r\nContent-Encoding: br\r\nContent-Length: 10"),
            415,
            "unsupported_media_type",
        ),
        (
            "POST /nowhere HTTP/1.1\r\nHost: ordersvc\r\nContent-Length: 10".to_owned(),
            404,
            "not_found",
        ),
        (
            format!("PUT /orders HTTP/1.1\r\nHost: ordersvc\r\n{JSON}\r\nContent-Length: 10"),
            405,
            "method_not_allowed",
        ),
    ];
    for (head, status, code) in cases {
        let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
        let started = Instant::now();
        let response = expecting(&mut stream, &head);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{head}: waited {:?}",
            started.elapsed()
        );
        assert_eq!(response.status, status, "{head}: {}", response.text);
        assert_eq!(response.problem()["code"], code, "{head}");
        assert_eq!(response.header("connection"), Some("close"), "{head}");
        assert!(response.header("x-request-id").is_some(), "{head}");
    }
    let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    let response = expecting(&mut stream, "PUT /orders HTTP/1.1\r\nHost: ordersvc");
    assert_eq!(response.header("allow"), Some("GET, HEAD, POST"));
    nothing_was_written(&database);
}

#[test]
fn expect_100_continue_on_a_good_request_continues_and_places_the_order() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &[]);
    let body = order_body();
    let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    let interim = expecting(
        &mut stream,
        &format!(
            "{POST_ORDERS}\r\n{JSON}\r\nContent-Length: {}\r\nConnection: close",
            body.len()
        ),
    );
    assert_eq!(interim.status, 100, "{}", interim.text);
    stream.write_all(body.as_bytes()).unwrap();
    let response = read_response(&mut stream, false);
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(database.row_count("orders"), 1);
}

#[test]
fn head_answers_every_get_route_as_get_would_without_the_body() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &[]);
    let body = order_body();
    let placed = exchange(
        &process,
        &with_body(&format!("{POST_ORDERS}\r\n{JSON}"), &body),
    );
    assert_eq!(placed.status, 201, "{}", placed.text);
    let id = serde_json::from_slice::<Value>(&placed.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/orders/{id}"),
        "/orders?limit=5".to_owned(),
        "/healthz".to_owned(),
        "/readyz".to_owned(),
        "/openapi.json".to_owned(),
        "/docs".to_owned(),
        format!("/orders/{}", uuid_like_missing()),
    ] {
        let request = |method: &str| {
            format!("{method} {path} HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n")
        };
        let get = exchange(&process, &request("GET"));
        let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
        stream.write_all(request("HEAD").as_bytes()).unwrap();
        let head = read_response(&mut stream, true);
        // Nothing follows the head: the server closes the connection without a body.
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "HEAD {path} sent a body: {rest:?}");
        assert_eq!(head.status, get.status, "{path}");
        for name in ["content-type", "content-length", "etag"] {
            assert_eq!(head.header(name), get.header(name), "{path}: {name}");
        }
    }
}

fn uuid_like_missing() -> &'static str {
    "00000000-0000-4000-8000-000000000000"
}

#[test]
fn a_burst_of_requests_the_parser_cannot_read_gets_problems_and_writes_no_error_line() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &[]);
    let big_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: ordersvc\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let malformed = [
        "GARBAGE\r\n\r\n".to_owned(),
        "GET /healthz HTTP/9.9\r\n\r\n".to_owned(),
        "POST /orders HTTP/1.1\r\nHost: ordersvc\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"
            .to_owned(),
        "GET /healthz HTTP/1.1\r\nHost: ordersvc\r\nBad Header: x\r\n\r\n".to_owned(),
        big_header,
    ];
    for _ in 0..20 {
        for request in &malformed {
            let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
            // The server may close before it has read everything; the status line is what counts.
            let _ = stream.write_all(request.as_bytes());
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer);
            assert!(
                answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.1 431"),
                "{request:.60}: {answer:.200}"
            );
            // Even a request the parser could not read gets a problem document, with a request id.
            let lower = answer.to_ascii_lowercase();
            assert!(
                lower.contains("content-type: application/problem+json")
                    && lower.contains("x-request-id: "),
                "{request:.60}: {answer:.300}"
            );
            let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
            let problem: Value = serde_json::from_str(body)
                .unwrap_or_else(|e| panic!("{e}: {request:.60}: {answer:.300}"));
            assert!(
                ["malformed_request", "request_refused"]
                    .contains(&problem["code"].as_str().unwrap()),
                "{problem}"
            );
        }
    }
    // The service still serves, and its log has every line it wrote by now.
    let healthy = exchange(
        &process,
        "GET /healthz HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(healthy.status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let lines: Vec<String> = process.logs.try_iter().collect();
    let errors: Vec<&String> = lines.iter().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "ERROR lines: {errors:#?}");
    let warnings = lines
        .iter()
        .filter(|l| l.contains("WARN") && l.contains("parse error"))
        .count();
    assert!(
        (1..=2).contains(&warnings),
        "{warnings} parse-error warnings for 100 malformed requests: {lines:#?}"
    );
}

#[test]
fn the_api_reference_is_gzipped_cacheable_and_counts_against_the_rate_limit() {
    let database = TestDatabase::sqlite();
    let process = start(
        database.url(),
        &[("RATE_LIMIT_RPS", "0.1"), ("RATE_LIMIT_BURST", "3")],
    );
    let get = |extra: &str| {
        exchange(
            &process,
            &format!(
                "GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: ordersvc\r\n\
                 Accept-Encoding: gzip, br\r\n{extra}Connection: close\r\n\r\n"
            ),
        )
    };
    let first = get("");
    assert_eq!(first.status, 200, "{:.300}", first.text);
    assert_eq!(first.header("content-encoding"), Some("gzip"));
    assert_eq!(first.header("cache-control"), Some("public, max-age=86400"));
    assert!(first.body.len() < 600_000, "{} bytes", first.body.len());
    let etag = first.header("etag").unwrap().to_owned();
    let revalidated = get(&format!("If-None-Match: {etag}\r\n"));
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.body.is_empty());
    assert_eq!(get("").status, 200);
    // The burst of 3 is spent: the fourth is refused, while the probes still answer.
    let refused = get("");
    assert_eq!(refused.status, 429, "{:.300}", refused.text);
    assert_eq!(refused.problem()["code"], "rate_limited");
    let probe = exchange(
        &process,
        "GET /healthz HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(probe.status, 200);
}
