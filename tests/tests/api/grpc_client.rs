//! `GrpcClient`: a blocking gRPC client of one `TestApp`, on a runtime of its own, with helpers to read the
//! `google.rpc` details of an error.

use std::future::Future;

use adapters::grpc::proto::orders::v1 as pb;
use adapters::grpc::proto::orders::v1::order_service_client::OrderServiceClient;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

/// A client of the service's gRPC port. Each call blocks until it is answered.
pub struct GrpcClient {
    runtime: tokio::runtime::Runtime,
    channel: Channel,
}

impl GrpcClient {
    /// Connects to `127.0.0.1:port`.
    pub fn connect(port: u16) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let channel = runtime
            .block_on(
                Channel::from_shared(format!("http://127.0.0.1:{port}"))
                    .unwrap()
                    .connect(),
            )
            .unwrap();
        Self { runtime, channel }
    }

    /// Runs `future` to its end on the client's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The order service's client, over this connection.
    pub fn orders(&self) -> OrderServiceClient<Channel> {
        OrderServiceClient::new(self.channel.clone())
    }

    pub fn create(
        &self,
        request: impl tonic::IntoRequest<pb::CreateOrderRequest>,
    ) -> Result<Response<pb::CreateOrderResponse>, Status> {
        self.block_on(self.orders().create_order(request))
    }

    pub fn get(&self, id: &str) -> Result<Response<pb::GetOrderResponse>, Status> {
        self.block_on(
            self.orders()
                .get_order(pb::GetOrderRequest { id: id.to_owned() }),
        )
    }

    pub fn change_status(
        &self,
        request: impl tonic::IntoRequest<pb::ChangeStatusRequest>,
    ) -> Result<Response<pb::ChangeStatusResponse>, Status> {
        self.block_on(self.orders().change_status(request))
    }

    pub fn list(
        &self,
        request: impl tonic::IntoRequest<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        self.block_on(self.orders().list_orders(request))
    }

    /// Places a valid order ([`grpc_order`]) and returns its id.
    pub fn place(&self) -> String {
        self.create(grpc_order()).unwrap().into_inner().id
    }

    /// What `grpc.health.v1.Health/Check` says of `service`.
    pub fn health(&self, service: &str) -> Result<ServingStatus, Status> {
        let mut client = HealthClient::new(self.channel.clone());
        let request = tonic_health::pb::HealthCheckRequest {
            service: service.to_owned(),
        };
        let response = self.block_on(client.check(request))?;
        Ok(response.into_inner().status())
    }

    /// What `grpc.health.v1.Health/Check` says of the whole server, asked with a deadline of `timeout`.
    pub fn health_within(&self, timeout: std::time::Duration) -> Result<ServingStatus, Status> {
        let mut client = HealthClient::new(self.channel.clone());
        let mut request = Request::new(tonic_health::pb::HealthCheckRequest::default());
        request.set_timeout(timeout);
        let response = self.block_on(client.check(request))?;
        Ok(response.into_inner().status())
    }

    /// The connection, for clients of the other services on the port (reflection, health).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }
}

/// The `x-request-id` of a response's or an error's metadata.
pub fn request_id_in(metadata: &tonic::metadata::MetadataMap) -> Option<String> {
    metadata
        .get("x-request-id")
        .map(|value| value.to_str().unwrap().to_owned())
}

/// The order of `helpers::order_json` as a message: 2 x 9.99 + 1 x 0.50.
pub fn grpc_order() -> pb::CreateOrderRequest {
    let item = |code: &str, name: &str, cents, quantity| pb::OrderItem {
        product_code: code.into(),
        name: name.into(),
        unit_price_cents: cents,
        quantity,
    };
    pb::CreateOrderRequest {
        customer_id: "customer-42".into(),
        restaurant_id: "restaurant-7".into(),
        order_items: vec![
            item("pizza-margherita", "Margherita", 999, 2),
            item("soda", "Soda", 50, 1),
        ],
    }
}

/// `message` with the metadata `pairs`.
pub fn with_metadata<T>(message: T, pairs: &[(&'static str, &str)]) -> Request<T> {
    let mut request = Request::new(message);
    for (name, value) in pairs {
        request.metadata_mut().append(*name, value.parse().unwrap());
    }
    request
}

/// The `ErrorInfo` reason of an error (the HTTP problem's code), asserting its domain.
pub fn reason(status: &Status) -> String {
    let info = status
        .get_details_error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.domain, "ordersvc");
    info.reason
}

/// The field paths of an error's `BadRequest` violations, in order (empty without one).
pub fn violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

/// The `RetryInfo` delay of an error, in whole seconds (rounded up), if it has one.
pub fn retry_after_secs(status: &Status) -> Option<u64> {
    let delay = status.get_details_retry_info()?.retry_delay?;
    Some(delay.as_secs() + u64::from(delay.subsec_nanos() > 0))
}

/// The `grpc-status` and `grpc-message` of a call to `orders.v1.OrderService/{method}` over a bare HTTP/2 connection:
/// with `message` as its one message, sent as it is (framed, not encoded), or with none, the stream left open as a
/// stalled client leaves it.
pub fn raw_call(port: u16, method: &str, message: Option<&[u8]>) -> (String, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let frame = message.map(|payload| {
        let mut frame = vec![0];
        frame.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(payload);
        frame
    });
    runtime.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (client, connection) = h2::client::handshake(tcp).await.unwrap();
        tokio::spawn(connection);
        let mut client = client.ready().await.unwrap();
        let request = http::Request::post(format!(
            "http://127.0.0.1:{port}/orders.v1.OrderService/{method}"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
        let (response, mut stream) = client.send_request(request, false).unwrap();
        if let Some(frame) = frame {
            stream.send_data(frame.into(), true).unwrap();
        }
        let response = response.await.unwrap();
        let field = |headers: &http::HeaderMap, name: &str| {
            headers
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        if let Some(status) = field(response.headers(), "grpc-status") {
            let message = field(response.headers(), "grpc-message").unwrap_or_default();
            return (status, message);
        }
        let mut body = response.into_body();
        while body.data().await.is_some() {}
        let trailers = body.trailers().await.unwrap().unwrap();
        (
            field(&trailers, "grpc-status").unwrap(),
            field(&trailers, "grpc-message").unwrap_or_default(),
        )
    })
}
