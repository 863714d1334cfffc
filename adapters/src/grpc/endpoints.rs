//! The gRPC endpoints of `orders.v1.OrderService`: each decodes its message into the shared requests, runs one
//! service call on the executor, and encodes the result, like an HTTP handler (Go kit's endpoint, decode and encode
//! in one function). Errors become a status with `google.rpc` details ([`status_of`]).

use std::future::Future;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::call_log::CallerSlot;
use super::messages;
use super::metadata::{authorization_of, context_of, forwarded_of, idempotency_key_of};
use super::proto::orders::v1 as pb;
use super::proto::orders::v1::order_service_server::OrderService as OrderServiceEndpoints;
use super::status::status_of;
use crate::inbound::{
    Authenticator, ClientRateLimit, CursorCodec, Failure, RequestContext, ServiceExecutor,
};

/// The endpoints over the executor every transport shares.
#[derive(Debug, Clone)]
pub(crate) struct GrpcOrderService {
    pub(crate) executor: Arc<ServiceExecutor>,
    pub(crate) cursors: Arc<CursorCodec>,
    pub(crate) rate_limit: Option<Arc<ClientRateLimit>>,
    pub(crate) authenticator: Arc<Authenticator>,
}

impl GrpcOrderService {
    /// The call's context, once its client is within its rate limit and its `authorization` metadata names the
    /// caller (a refused caller still counts against the limit, so guessing tokens is rate limited too).
    fn admit<T>(&self, request: &Request<T>) -> Result<RequestContext, Status> {
        let context = context_of(request);
        if let (Some(limit), Some(peer)) = (&self.rate_limit, request.remote_addr()) {
            let forwarded = forwarded_of(request.metadata());
            limit
                .admit(peer.ip(), forwarded, context.request_id())
                .map_err(|refused| status_of(&refused, context.request_id()))?;
        }
        let caller = self
            .authenticator
            .authenticate(authorization_of(request.metadata()))
            .map_err(|refused| status_of(&Failure::from(refused), context.request_id()))?;
        if let Some(slot) = request.extensions().get::<CallerSlot>() {
            slot.fill(&caller);
        }
        Ok(context.with_caller(caller))
    }
}

/// The answer of the call in `context`: the message `work` makes, or its failure as a status.
async fn answer<T>(
    context: &RequestContext,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<Response<T>, Status> {
    work.await
        .map(Response::new)
        .map_err(|failure| status_of(&failure, context.request_id()))
}

#[tonic::async_trait]
impl OrderServiceEndpoints for GrpcOrderService {
    async fn create_order(
        &self,
        request: Request<pb::CreateOrderRequest>,
    ) -> Result<Response<pb::CreateOrderResponse>, Status> {
        let context = self.admit(&request)?;
        answer(&context, async {
            let key = idempotency_key_of(&request)?;
            let command = messages::place_order(request.into_inner(), key);
            let placed = self
                .executor
                .run(&context, move |service, caller| {
                    service.place_order(caller, command)
                })
                .await?;
            Ok(pb::CreateOrderResponse {
                id: placed.id.to_string(),
                replayed: placed.replayed,
            })
        })
        .await
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        let context = self.admit(&request)?;
        answer(&context, async {
            let id = request.into_inner().id.parse()?;
            let order = self
                .executor
                .run(&context, move |service, caller| {
                    service.find_order(caller, &id)
                })
                .await?;
            Ok(pb::GetOrderResponse {
                order: Some(messages::order(&order)),
            })
        })
        .await
    }

    async fn change_status(
        &self,
        request: Request<pb::ChangeStatusRequest>,
    ) -> Result<Response<pb::ChangeStatusResponse>, Status> {
        let context = self.admit(&request)?;
        answer(&context, async {
            let command = messages::status_change(request.into_inner())?.into_command()?;
            let order = self
                .executor
                .run(&context, move |service, caller| {
                    service.change_status(caller, command)
                })
                .await?;
            Ok(pb::ChangeStatusResponse {
                order: Some(messages::order(&order)),
            })
        })
        .await
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let context = self.admit(&request)?;
        answer(&context, async {
            let query = messages::listing(request.into_inner()).into_query(&self.cursors)?;
            let page = self
                .executor
                .run(&context, move |service, caller| {
                    service.list_orders(caller, query)
                })
                .await?;
            Ok(messages::page(&page, &self.cursors))
        })
        .await
    }
}
