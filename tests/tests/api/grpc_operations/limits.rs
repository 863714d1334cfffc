//! The gRPC port's limits as a client meets them: a message over the HTTP body limit, or one that is not protobuf,
//! is refused and writes nothing,
//! a header list over the limit is refused, and the server advertises its cap on concurrent streams.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use adapters::grpc::proto::orders::v1 as pb;
use tonic::Code;

use crate::grpc_client::{grpc_order, raw_call};
use crate::helpers::{TestApp, TestDatabase, on_both_backends};

/// A valid order whose encoded message is over 64 KiB (the HTTP body limit): long item names, 100 items.
fn oversized_order() -> pb::CreateOrderRequest {
    let mut order = grpc_order();
    let item = order.order_items[0].clone();
    order.order_items = (0..100)
        .map(|n| pb::OrderItem {
            product_code: format!("p-{n}"),
            name: "n".repeat(1000),
            ..item.clone()
        })
        .collect();
    order
}

fn a_message_over_the_body_limit_is_refused_and_writes_nothing(
    app: &TestApp,
    database: &TestDatabase,
) {
    let status = app.grpc().create(oversized_order()).unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    assert!(status.message().contains("65536"), "{}", status.message());
    assert_eq!(database.row_count("orders"), 0);
    // The connection is still good for a call within the limit.
    app.grpc().place();
}

fn a_header_list_over_the_limit_is_refused(app: &TestApp, database: &TestDatabase) {
    let mut request = tonic::Request::new(grpc_order());
    let big = "x".repeat(32 * 1024);
    request
        .metadata_mut()
        .insert("x-padding", big.parse().unwrap());
    let refused = app.grpc().create(request);
    assert!(refused.is_err(), "a 32 KiB header list was served");
    assert_eq!(database.row_count("orders"), 0);
}

fn the_server_advertises_its_stream_and_header_limits(app: &TestApp, _database: &TestDatabase) {
    let mut stream = TcpStream::connect(("127.0.0.1", app.grpc_port.unwrap())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The client preface, then an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .unwrap();
    // The server's first frame is its SETTINGS: a 9-byte header, then 6 bytes per setting.
    let mut header = [0; 9];
    stream.read_exact(&mut header).unwrap();
    assert_eq!(
        header[3], 0x4,
        "the first frame is not SETTINGS: {header:?}"
    );
    let length =
        usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
    let mut payload = vec![0; length];
    stream.read_exact(&mut payload).unwrap();
    let settings: Vec<(u16, u32)> = payload
        .chunks_exact(6)
        .map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
        .collect();
    // SETTINGS_MAX_CONCURRENT_STREAMS (0x3) and SETTINGS_MAX_HEADER_LIST_SIZE (0x6).
    assert!(settings.contains(&(0x3, 128)), "{settings:?}");
    assert!(settings.contains(&(0x6, 16 * 1024)), "{settings:?}");
}

fn a_message_that_is_not_protobuf_is_invalid_argument_and_writes_nothing(
    app: &TestApp,
    database: &TestDatabase,
) {
    let port = app.grpc_port.unwrap();
    // Field 1 as length-delimited, with a length far past the message's end; then a truncated varint.
    for payload in [&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f][..], &[0x08, 0xff][..]] {
        let (status, message) = raw_call(port, "CreateOrder", Some(payload));
        // 3: INVALID_ARGUMENT, never 13 (INTERNAL): the client sent it.
        assert_eq!(status, "3", "{payload:?}: {message}");
        let message = percent_decoded(&message);
        assert!(message.contains("not valid protobuf"), "{message}");
        assert!(
            !message.contains("wire type") && !message.contains("DecodeError"),
            "{message}"
        );
    }
    assert_eq!(database.row_count("orders"), 0);
}

/// `grpc-message` is percent-encoded (spaces as `%20`).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && at + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[at + 1..at + 3], 16)
        {
            out.push(byte);
            at += 3;
            continue;
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

on_both_backends!(
    a_message_over_the_body_limit_is_refused_and_writes_nothing,
    a_message_that_is_not_protobuf_is_invalid_argument_and_writes_nothing,
    a_header_list_over_the_limit_is_refused,
    the_server_advertises_its_stream_and_header_limits,
);
