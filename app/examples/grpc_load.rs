//! The benchmark's gRPC load generator (`bench/harness.py` runs it, as it runs wrk for HTTP): `connections`
//! concurrent callers, each making one call at a time, for `seconds`, spread over `channels` HTTP/2 connections (by
//! default one per caller, as wrk has one connection per caller: the server handles a connection's frames on one
//! task, so 16 callers multiplexed over one connection measured 0.4 of 16 connections). Prints one
//! line the harness reads: `requests=… per_second=… p50_ms=… p99_ms=… errors=… cpu_seconds=…`, the last being the
//! generator's own CPU time, so a reader can tell whether the generator was the bottleneck.
//!
//! ```sh
//! cargo run --release --example grpc_load -- --addr http://127.0.0.1:9090 --op get --orders 100000 \
//!     --connections 64 --seconds 10
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use adapters::grpc::proto::orders::v1 as pb;
use adapters::grpc::proto::orders::v1::order_service_client::OrderServiceClient;
use clap::{Parser, ValueEnum};
use tonic::transport::Channel;

/// The first preloaded order is number 1; order `n`'s 16-byte id is the ASCII digits of this plus `n`.
const FIRST_ID: u64 = 1_000_000_000_000_000;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Operation {
    /// GetOrder of a random preloaded order.
    Get,
    /// CreateOrder of 3 items for a random customer and restaurant.
    Create,
}

/// Drives ordersvc's gRPC port.
#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:9090")]
    addr: String,
    #[arg(long, value_enum)]
    op: Operation,
    /// Concurrent callers.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// HTTP/2 connections the callers share (default: one per caller).
    #[arg(long)]
    channels: Option<usize>,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How many orders were preloaded (get).
    #[arg(long, default_value_t = 1)]
    orders: u64,
    /// How many customers and restaurants the orders are spread over (create).
    #[arg(long, default_value_t = 1)]
    customers: u64,
    #[arg(long, default_value_t = 1)]
    restaurants: u64,
}

/// A small, fast pseudo-random sequence (xorshift64*), one per caller: good enough to spread the load.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

/// Preloaded order `n`'s id as a UUID: each ASCII digit of `FIRST_ID + n` is one byte.
fn order_id(n: u64) -> String {
    let hex: String = (FIRST_ID + n)
        .to_string()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn new_order(random: &mut Random, args: &Args) -> pb::CreateOrderRequest {
    let item = |line: usize, cents, quantity| pb::OrderItem {
        product_code: format!("P-{line}"),
        name: format!("Item-{line}"),
        unit_price_cents: cents,
        quantity,
    };
    pb::CreateOrderRequest {
        customer_id: (10_000 + random.below(args.customers)).to_string(),
        restaurant_id: (20_000 + random.below(args.restaurants)).to_string(),
        order_items: vec![item(0, 250, 2), item(1, 350, 1), item(2, 450, 3)],
    }
}

/// One caller: calls until `until`, returning each call's latency in microseconds and the number of errors.
async fn caller(channel: Channel, args: &Args, seed: u64, until: Instant) -> (Vec<u32>, u64) {
    let mut client = OrderServiceClient::new(channel);
    let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (mut latencies, mut errors) = (Vec::with_capacity(65_536), 0);
    while Instant::now() < until {
        let started = Instant::now();
        let ok = match args.op {
            Operation::Get => {
                let id = order_id(1 + random.below(args.orders));
                client.get_order(pb::GetOrderRequest { id }).await.is_ok()
            }
            Operation::Create => client
                .create_order(new_order(&mut random, args))
                .await
                .is_ok(),
        };
        latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        errors += u64::from(!ok);
    }
    (latencies, errors)
}

/// This process's CPU time (user + system), from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command name (which is in parentheses and may hold spaces): utime is the 12th, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().filter_map(|t| t.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let wanted = args
        .channels
        .unwrap_or(args.connections)
        .clamp(1, args.connections.max(1));
    let mut channels = Vec::with_capacity(wanted);
    for _ in 0..wanted {
        let endpoint = match Channel::from_shared(args.addr.clone()) {
            Ok(endpoint) => endpoint.tcp_nodelay(true),
            Err(error) => {
                eprintln!("`{}` is not a URL: {error}", args.addr);
                return ExitCode::from(2);
            }
        };
        match endpoint.connect().await {
            Ok(channel) => channels.push(channel),
            Err(error) => {
                eprintln!("cannot connect to {}: {error}", args.addr);
                return ExitCode::FAILURE;
            }
        }
    }
    let (cpu_before, started) = (cpu_seconds(), Instant::now());
    let until = started + Duration::from_secs(args.seconds);
    let args = &args;
    let callers = (0..args.connections).map(|index| {
        let channel = channels[index % channels.len()].clone();
        caller(channel, args, index as u64 + 1, until)
    });
    let results = futures_util::future::join_all(callers).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let errors: u64 = results.iter().map(|(_, errors)| errors).sum();
    let mut latencies: Vec<u32> = results
        .into_iter()
        .flat_map(|(latencies, _)| latencies)
        .collect();
    latencies.sort_unstable();
    let at = |fraction: f64| {
        let index = ((latencies.len() as f64) * fraction) as usize;
        latencies
            .get(index.min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |us| f64::from(*us) / 1000.0)
    };
    println!(
        "requests={} seconds={elapsed:.2} per_second={:.1} p50_ms={:.3} p99_ms={:.3} errors={errors} cpu_seconds={cpu:.2}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        at(0.5),
        at(0.99),
    );
    ExitCode::SUCCESS
}
