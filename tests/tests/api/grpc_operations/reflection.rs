//! Server reflection, v1 and v1alpha: both list the order and health services (and each its own reflection version)
//! and serve their file descriptors, so tools such as grpcurl work without the `.proto`.

use tonic::codegen::tokio_stream;
use tonic::{Code, Status};

use super::sample;
use crate::grpc_client::GrpcClient;
use crate::helpers::{TestApp, TestDatabase, on_both_backends};

/// What each version answers, reduced to the same shape: the services listed, the first descriptor of the order
/// service's file, and the status that ends a stream asking for an unknown symbol.
struct Answers {
    services: Vec<String>,
    descriptor: Vec<u8>,
    unknown_symbol: Code,
}

/// What the reflection service of `$version` (a module of `tonic_reflection::pb`) answers: one stream asks for the
/// list and the order service's file and is read to its end; another asks for an unknown symbol.
macro_rules! answers_of {
    ($version:ident, $grpc:expr) => {{
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$version::server_reflection_request::MessageRequest as Ask;
        use tonic_reflection::pb::$version::server_reflection_response::MessageResponse as Answer;
        let grpc: &GrpcClient = $grpc;
        let ask = |asks: Vec<Ask>| {
            let requests: Vec<ServerReflectionRequest> = asks
                .into_iter()
                .map(|ask| ServerReflectionRequest {
                    host: String::new(),
                    message_request: Some(ask),
                })
                .collect();
            let mut client = ServerReflectionClient::new(grpc.channel());
            grpc.block_on(async move {
                let mut stream = client
                    .server_reflection_info(tokio_stream::iter(requests))
                    .await?
                    .into_inner();
                let mut answers = Vec::new();
                while let Some(answer) = stream.message().await? {
                    answers.push(answer.message_response.expect("an answer"));
                }
                Ok::<_, Status>(answers)
            })
        };
        let answers = ask(vec![
            Ask::ListServices(String::new()),
            Ask::FileContainingSymbol("orders.v1.OrderService".into()),
        ])
        .unwrap();
        let [list, file] = <[Answer; 2]>::try_from(answers).unwrap();
        let Answer::ListServicesResponse(list) = list else {
            panic!("{list:?}")
        };
        let Answer::FileDescriptorResponse(file) = file else {
            panic!("{file:?}")
        };
        let unknown = ask(vec![Ask::FileContainingSymbol(
            "orders.v1.NoSuchService".into(),
        )]);
        Answers {
            services: list.service.into_iter().map(|s| s.name).collect(),
            descriptor: file
                .file_descriptor_proto
                .into_iter()
                .next()
                .expect("a descriptor"),
            unknown_symbol: unknown
                .map_or_else(|status| status.code(), |answers| panic!("{answers:?}")),
        }
    }};
}

/// Whether `haystack` contains `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn both_reflection_versions_describe_the_order_and_health_services(
    app: &TestApp,
    _database: &TestDatabase,
) {
    let grpc = app.grpc();
    let v1 = answers_of!(v1, &grpc);
    let v1alpha = answers_of!(v1alpha, &grpc);

    for (version, answers) in [("v1", &v1), ("v1alpha", &v1alpha)] {
        let own = format!("grpc.reflection.{version}.ServerReflection");
        for service in [
            "orders.v1.OrderService",
            "grpc.health.v1.Health",
            own.as_str(),
        ] {
            assert!(
                answers.services.iter().any(|s| s == service),
                "{version}: {service} in {:?}",
                answers.services
            );
        }
        // The encoded FileDescriptorProto of orders.proto: its package and service are in it.
        assert!(contains(&answers.descriptor, b"orders.v1"), "{version}");
        assert!(contains(&answers.descriptor, b"OrderService"), "{version}");
        assert!(
            answers.descriptor == v1.descriptor,
            "{version}: the same file"
        );
        assert_eq!(answers.unknown_symbol, Code::NotFound, "{version}");
    }

    // A stream read to its end is a finished call, counted with its method.
    let text = app.request("GET", "/metrics", &[], None).body;
    for version in ["v1", "v1alpha"] {
        for code in ["OK", "NOT_FOUND"] {
            let series = format!(
                r#"ordersvc_grpc_calls_total{{code="{code}",method="/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo"}}"#
            );
            assert_eq!(sample(&text, &series), Some(1.0), "{series} in\n{text}");
        }
    }
}

on_both_backends!(both_reflection_versions_describe_the_order_and_health_services);
