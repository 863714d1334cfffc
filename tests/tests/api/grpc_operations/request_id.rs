//! Request ids over gRPC: a sane client `x-request-id` comes back in the response metadata, on success and on error,
//! on every service; an insane one is replaced by a new id.

use adapters::grpc::proto::orders::v1 as pb;
use tonic::Code;
use tonic::metadata::MetadataMap;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::grpc_client::{grpc_order, request_id_in, with_metadata};
use crate::helpers::{TestApp, TestDatabase, on_both_backends};

const UNKNOWN: &str = "0190b4b6-7c1e-7d2a-9f3b-5a6c7d8e9f01";

/// The request id of `metadata`, asserting it is a generated one: 32 lowercase hex digits.
fn generated_id(metadata: &MetadataMap) -> String {
    let id = request_id_in(metadata).expect("an x-request-id");
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id:?}"
    );
    id
}

fn a_sane_request_id_is_echoed_on_success_and_error(app: &TestApp, _database: &TestDatabase) {
    let grpc = app.grpc();
    let placed = grpc
        .create(with_metadata(
            grpc_order(),
            &[("x-request-id", "op-sane-1")],
        ))
        .unwrap();
    assert_eq!(
        request_id_in(placed.metadata()).as_deref(),
        Some("op-sane-1")
    );

    let get = pb::GetOrderRequest {
        id: UNKNOWN.to_owned(),
    };
    let longest = "r".repeat(128);
    let missing = grpc
        .block_on(
            grpc.orders()
                .get_order(with_metadata(get, &[("x-request-id", &longest)])),
        )
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(request_id_in(missing.metadata()), Some(longest));

    let mut health = HealthClient::new(grpc.channel());
    let checked = grpc
        .block_on(health.check(with_metadata(
            HealthCheckRequest::default(),
            &[("x-request-id", "op-probe-1")],
        )))
        .unwrap();
    assert_eq!(
        request_id_in(checked.metadata()).as_deref(),
        Some("op-probe-1")
    );
}

fn an_insane_or_missing_request_id_is_replaced(app: &TestApp, _database: &TestDatabase) {
    let grpc = app.grpc();
    let too_long = "r".repeat(129);
    let far_too_long = "r".repeat(200);
    let mut seen = Vec::new();
    for insane in ["has space", "tab\there", "", &too_long, &far_too_long] {
        let placed = grpc
            .create(with_metadata(grpc_order(), &[("x-request-id", insane)]))
            .unwrap();
        seen.push(generated_id(placed.metadata()));
        let get = pb::GetOrderRequest {
            id: UNKNOWN.to_owned(),
        };
        let missing = grpc
            .block_on(
                grpc.orders()
                    .get_order(with_metadata(get, &[("x-request-id", insane)])),
            )
            .unwrap_err();
        assert_eq!(missing.code(), Code::NotFound, "{insane:?}");
        seen.push(generated_id(missing.metadata()));
    }
    let placed = grpc.create(grpc_order()).unwrap();
    seen.push(generated_id(placed.metadata()));
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), count, "each call has an id of its own");
}

on_both_backends!(
    a_sane_request_id_is_echoed_on_success_and_error,
    an_insane_or_missing_request_id_is_replaced,
);
