//! A gRPC client for ordersvc, for trying the API without any other tool:
//!
//! ```sh
//! cargo run --example grpc_client -- create --customer customer-42 --restaurant restaurant-7 \
//!     --item pizza-margherita:Margherita:999:2 --item soda:Soda:50:1 --idempotency-key checkout-1
//! cargo run --example grpc_client -- get <id>
//! cargo run --example grpc_client -- status <id> Accepted --expected-version 1
//! cargo run --example grpc_client -- list --customer customer-42 --limit 5
//! ```
//!
//! `--addr` says where the service listens (default `http://127.0.0.1:9090`); `--token` (or `ORDERSVC_TOKEN`) is the
//! bearer token a service with keys requires (`ordersvc token --role customer --sub customer-42` mints one). An error
//! prints its code, message and details: the stable reason, each invalid field, and when to retry.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use adapters::grpc::proto::orders::v1 as pb;
use adapters::grpc::proto::orders::v1::order_service_client::OrderServiceClient;
use clap::{Parser, Subcommand};
use tonic::Request;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Calls ordersvc's `orders.v1.OrderService`.
#[derive(Debug, Parser)]
struct Args {
    /// The service's gRPC address.
    #[arg(long, default_value = "http://127.0.0.1:9090")]
    addr: String,
    /// The bearer token sent as `authorization` metadata.
    #[arg(long, env = "ORDERSVC_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Place an order.
    Create {
        #[arg(long)]
        customer: String,
        #[arg(long)]
        restaurant: String,
        /// An item as `product_code:name:unit_price_cents:quantity`; repeat for more.
        #[arg(long = "item", value_parser = parse_item)]
        items: Vec<pb::OrderItem>,
        /// Makes a retry safe: the same key with the same order creates nothing new.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Read an order.
    Get { id: String },
    /// Move an order to another status (`Accepted`, `Preparing`, ...).
    Status {
        id: String,
        status: String,
        /// Change it only if it is still at this version.
        #[arg(long)]
        expected_version: Option<i64>,
    },
    /// List orders, newest first.
    List {
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        restaurant: Option<String>,
        /// Only orders in this status.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 0)]
        limit: i32,
        /// A `next_cursor` from the previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
}

fn parse_item(text: &str) -> Result<pb::OrderItem, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let [code, name, cents, quantity] = parts.as_slice() else {
        return Err("an item is product_code:name:unit_price_cents:quantity".into());
    };
    Ok(pb::OrderItem {
        product_code: (*code).to_owned(),
        name: (*name).to_owned(),
        unit_price_cents: cents
            .parse()
            .map_err(|_| format!("`{cents}` is not a number of cents"))?,
        quantity: quantity
            .parse()
            .map_err(|_| format!("`{quantity}` is not a quantity"))?,
    })
}

/// The enum value of a status name (`ReadyForPickup`), or UNSPECIFIED when it names none (the service refuses it).
fn status_value(name: &str) -> i32 {
    let wanted: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    (1..=8)
        .filter_map(|value| pb::OrderStatus::try_from(value).ok())
        .find(|status| {
            let enum_name = status
                .as_str_name()
                .trim_start_matches("ORDER_STATUS_")
                .replace('_', "");
            enum_name.eq_ignore_ascii_case(&wanted)
        })
        .map_or(0, Into::into)
}

/// Sends the bearer token, when there is one, with every call.
#[derive(Debug, Clone)]
struct Bearer(Option<MetadataValue<Ascii>>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

type Client = OrderServiceClient<InterceptedService<Channel, Bearer>>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let bearer = match args
        .token
        .as_deref()
        .map(|token| format!("Bearer {token}").parse())
    {
        None => Bearer(None),
        Some(Ok(value)) => Bearer(Some(value)),
        Some(Err(_)) => {
            eprintln!("the token is not ASCII");
            return ExitCode::from(2);
        }
    };
    let channel = match Channel::from_shared(args.addr.clone()) {
        Ok(endpoint) => match endpoint.connect().await {
            Ok(channel) => channel,
            Err(error) => {
                eprintln!("cannot connect to {}: {error}", args.addr);
                return ExitCode::FAILURE;
            }
        },
        Err(error) => {
            eprintln!("`{}` is not a URL: {error}", args.addr);
            return ExitCode::from(2);
        }
    };
    match call(
        OrderServiceClient::with_interceptor(channel, bearer),
        args.command,
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(status) => {
            print_error(&status);
            ExitCode::FAILURE
        }
    }
}

async fn call(mut client: Client, command: Command) -> Result<(), tonic::Status> {
    match command {
        Command::Create {
            customer,
            restaurant,
            items,
            idempotency_key,
        } => {
            let mut request = Request::new(pb::CreateOrderRequest {
                customer_id: customer,
                restaurant_id: restaurant,
                order_items: items,
            });
            if let Some(key) = idempotency_key {
                let key = key
                    .parse()
                    .map_err(|_| tonic::Status::invalid_argument("the key is not ASCII"))?;
                request.metadata_mut().insert("idempotency-key", key);
            }
            let response = client.create_order(request).await?;
            print_request_id(response.metadata());
            println!("{:#?}", response.into_inner());
        }
        Command::Get { id } => {
            let response = client.get_order(pb::GetOrderRequest { id }).await?;
            print_request_id(response.metadata());
            println!("{:#?}", response.into_inner().order);
        }
        Command::Status {
            id,
            status,
            expected_version,
        } => {
            let request = pb::ChangeStatusRequest {
                id,
                status: status_value(&status),
                expected_version,
            };
            let response = client.change_status(request).await?;
            print_request_id(response.metadata());
            println!("{:#?}", response.into_inner().order);
        }
        Command::List {
            customer,
            restaurant,
            status,
            limit,
            cursor,
        } => {
            let request = pb::ListOrdersRequest {
                customer_id: customer.unwrap_or_default(),
                restaurant_id: restaurant.unwrap_or_default(),
                status: status.as_deref().map_or(0, status_value),
                limit,
                cursor: cursor.unwrap_or_default(),
            };
            let response = client.list_orders(request).await?;
            print_request_id(response.metadata());
            println!("{:#?}", response.into_inner());
        }
    }
    Ok(())
}

fn print_request_id(metadata: &tonic::metadata::MetadataMap) {
    if let Some(id) = metadata.get("x-request-id").and_then(|v| v.to_str().ok()) {
        eprintln!("x-request-id: {id}");
    }
}

fn print_error(status: &tonic::Status) {
    eprintln!("error: {:?}: {}", status.code(), status.message());
    if let Some(id) = status
        .metadata()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
    {
        eprintln!("  x-request-id: {id}");
    }
    let details = status.get_error_details();
    if let Some(info) = details.error_info() {
        eprintln!("  reason: {} (domain {})", info.reason, info.domain);
    }
    if let Some(bad_request) = details.bad_request() {
        for violation in &bad_request.field_violations {
            eprintln!("  {}: {}", violation.field, violation.description);
        }
    }
    if let Some(delay) = details.retry_info().and_then(|retry| retry.retry_delay) {
        eprintln!("  retry after {delay:?}");
    }
}
