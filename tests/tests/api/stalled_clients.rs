//! Clients that stall, through the real binary: a body that stops arriving, a gRPC message or connection opening
//! that stops arriving, and a flood of them past the process's file descriptor limit. Each is cut off in time, the
//! instance never runs out of descriptors, and it recovers on its own while the stalled clients keep their sockets.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::grpc_client::{GrpcClient, raw_call};
use crate::helpers::TestDatabase;
use crate::process::{Process, ordersvc, start, start_with_descriptor_limit};

/// A request whose body stops after its first byte.
const STALLED_BODY: &str = "POST /orders HTTP/1.1\r\nHost: ordersvc\r\nContent-Type: application/json\r\n\
                            Content-Length: 100\r\n\r\n{";

/// Short timeouts, so the tests take seconds; one worker and a small pool, so the descriptor reserve is small.
const SETTINGS: [(&str, &str); 4] = [
    ("REQUEST_BODY_TIMEOUT_SECS", "2"),
    ("REQUEST_HEADER_TIMEOUT_SECS", "2"),
    ("DB_POOL_SIZE", "2"),
    ("HTTP_WORKERS", "1"),
];

/// Everything the server sends on `stream` until it closes the connection (at most `within`).
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> String {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            // A reset after the answer is a close too.
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(error) => panic!("the connection stayed open {within:?}: {error}"),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

fn stalled_body(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(STALLED_BODY.as_bytes()).unwrap();
    stream
}

fn count_orders(process: &Process) -> usize {
    let reply = ureq::get(format!(
        "http://127.0.0.1:{}/orders?customer_id=customer-42",
        process.port
    ))
    .call()
    .unwrap()
    .into_body()
    .read_json::<serde_json::Value>()
    .unwrap();
    reply["orders"].as_array().unwrap().len()
}

#[test]
fn a_body_that_stops_arriving_is_cut_off_with_a_408_problem_and_nothing_is_written() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &SETTINGS);
    let mut stream = stalled_body(process.port);
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(15));
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(lower.contains("connection: close"), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(8),
        "cut off after {waited:?}"
    );
    assert_eq!(count_orders(&process), 0);
}

#[test]
fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_same_deadline() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &SETTINGS);
    let mut stream = stalled_body(process.port);
    let started = Instant::now();
    // A byte every 200 ms would take 20 s for the announced 100 bytes: the deadline is for the whole body.
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..99 {
                std::thread::sleep(Duration::from_millis(200));
                if stream.write_all(b" ").is_err() {
                    return;
                }
            }
        })
    };
    let answer = read_until_closed(&mut stream, Duration::from_secs(15));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(8));
    writer.join().unwrap();
}

#[test]
fn stalled_clients_past_the_descriptor_limit_cannot_take_the_instance_down() {
    const LIMIT: u32 = 256;
    let database = TestDatabase::sqlite();
    let process = start_with_descriptor_limit(database.url(), &SETTINGS, LIMIT);
    let grpc_port = process.grpc_port.unwrap();
    // More stalled connections than the process has descriptors, on both ports.
    let http: Vec<TcpStream> = (0..200).map(|_| stalled_body(process.port)).collect();
    let grpc: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", grpc_port)).unwrap())
        .collect();

    // While they hold their sockets, the instance still answers: each stalled client is cut off after the body
    // timeout, and a slot goes to the next connection waiting.
    let started = Instant::now();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let health = agent
        .get(format!("http://127.0.0.1:{}/healthz", process.port))
        .call()
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(25));
    let client = GrpcClient::connect(grpc_port);
    assert!(client.health_within(Duration::from_secs(30)).is_ok());

    // Every stalled client was closed by the server, without any help from the client.
    for mut stream in http {
        let answer = read_until_closed(&mut stream, Duration::from_secs(30));
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    for mut stream in grpc {
        read_until_closed(&mut stream, Duration::from_secs(30));
    }
    let descriptors = std::fs::read_dir(format!("/proc/{}/fd", process.child.id()))
        .unwrap()
        .count();
    assert!(descriptors < 64, "{descriptors} descriptors still open");
    // It never ran out of descriptors: nothing failed to accept, or to open.
    drop(client);
    let mut process = process;
    super::process::signal(&process.child, "TERM");
    let status = process.child.wait().unwrap();
    assert!(status.success());
    let logs: Vec<String> = process.logs.try_iter().collect();
    assert!(
        !logs
            .iter()
            .any(|line| line.contains("Too many open files") || line.contains(" ERROR ")),
        "{logs:#?}"
    );
}

#[test]
fn past_the_connection_cap_a_client_waits_until_a_slot_frees() {
    let database = TestDatabase::sqlite();
    let mut settings = SETTINGS.to_vec();
    settings.push(("MAX_CONNECTIONS", "3"));
    let process = start(database.url(), &settings);
    let stalled: Vec<TcpStream> = (0..3).map(|_| stalled_body(process.port)).collect();
    let mut waiting = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: ordersvc\r\nConnection: close\r\n\r\n")
        .unwrap();
    // Not accepted while the three hold their slots...
    waiting
        .set_read_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let mut byte = [0; 1];
    let early = waiting.read(&mut byte);
    assert!(
        matches!(&early, Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "answered while the cap was reached: {early:?}"
    );
    // ...and served once the body timeout has cut them off.
    let answer = read_until_closed(&mut waiting, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(stalled);
}

#[test]
fn a_descriptor_limit_too_low_to_serve_refuses_to_start_and_says_why() {
    let database = TestDatabase::sqlite();
    let output = Command::new("/bin/sh")
        .arg("-c")
        .arg("ulimit -n 80 && exec \"$0\"")
        .arg(ordersvc())
        .env_clear()
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("GRPC_ADDR", "127.0.0.1:0")
        .env("DATABASE_URL", database.url())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("RLIMIT_NOFILE") && stderr.contains("ulimit -n"),
        "{stderr}"
    );
}

#[test]
fn a_grpc_message_that_stops_arriving_is_deadline_exceeded() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &SETTINGS);
    let port = process.grpc_port.unwrap();
    let started = Instant::now();
    // The headers, and no message: the stream stays open from the client's side.
    let (status, _) = raw_call(port, "GetOrder", None);
    let waited = started.elapsed();
    // 4: DEADLINE_EXCEEDED.
    assert_eq!(status, "4");
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
}

#[test]
fn a_grpc_connection_that_never_opens_is_closed() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &SETTINGS);
    let mut stream = TcpStream::connect(("127.0.0.1", process.grpc_port.unwrap())).unwrap();
    // Half a preface, then nothing.
    stream.write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    let started = Instant::now();
    read_until_closed(&mut stream, Duration::from_secs(15));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
}

#[test]
fn headers_that_stop_arriving_get_a_408_problem_within_the_header_timeout() {
    let database = TestDatabase::sqlite();
    let process = start(database.url(), &SETTINGS);
    let mut stream = TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: ordersvc\r\n")
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(15));
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    assert!(waited < Duration::from_secs(8), "cut off after {waited:?}");
}
