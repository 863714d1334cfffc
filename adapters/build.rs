//! Compiles `proto/orders/v1/orders.proto` for the gRPC transport, in pure Rust (protox): no system `protoc`. The
//! encoded descriptor set is kept for server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto");
    println!("cargo:rerun-if-changed={}", protos.display());
    let descriptors = protox::compile(["orders/v1/orders.proto"], [&protos])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("orders_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        // prost's codec, but a request that is not valid protobuf is INVALID_ARGUMENT, not INTERNAL.
        .codec_path("crate::grpc::codec::OrdersCodec")
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
