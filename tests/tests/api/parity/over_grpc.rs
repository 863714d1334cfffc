//! The scenarios over gRPC: an absent string is `""`, an absent status `ORDER_STATUS_UNSPECIFIED`, an absent limit
//! 0, money in cents, an idempotency key the `idempotency-key` metadata.

use adapters::grpc::proto::orders::v1 as pb;
use tonic::{Code, Request, Status};

use super::{
    Action, ItemView, NewOrder, OrderView, Outcome, Page, Performed, Run, STATUS_NAMES,
    StatusValue, Transport, contract,
};
use crate::grpc_client::{GrpcClient, reason, retry_after_secs, violations, with_metadata};

pub(super) struct Grpc(pub(super) GrpcClient);

/// The enum values, in the order of [`STATUS_NAMES`].
const STATUS_VALUES: [pb::OrderStatus; 8] = [
    pb::OrderStatus::Pending,
    pb::OrderStatus::Accepted,
    pb::OrderStatus::Rejected,
    pb::OrderStatus::Cancelled,
    pb::OrderStatus::Preparing,
    pb::OrderStatus::ReadyForPickup,
    pb::OrderStatus::OutForDelivery,
    pb::OrderStatus::Delivered,
];

impl Transport for Grpc {
    const NAME: &'static str = "grpc";

    fn perform(&self, action: &Action, run: &Run) -> Performed {
        let client = &self.0;
        match action {
            Action::Create { order, key } => {
                let message = create_message(order, run);
                let request = match key {
                    Some(key) => with_metadata(message, &[("idempotency-key", &run.scoped(key))]),
                    None => Request::new(message),
                };
                match client.create(request) {
                    Ok(response) => {
                        let response = response.into_inner();
                        let outcome = Outcome {
                            replayed: Some(response.replayed),
                            order: Some(self.read(&response.id)),
                            ..Outcome::ok()
                        };
                        Performed {
                            outcome,
                            created: Some(response.id),
                        }
                    }
                    Err(status) => done(refused(&status, action)),
                }
            }
            Action::Get { id } => done(match client.get(&run.id(id)) {
                Ok(response) => with_order(response.into_inner().order),
                Err(status) => refused(&status, action),
            }),
            Action::ChangeStatus {
                id,
                status,
                expected_version,
            } => {
                let request = pb::ChangeStatusRequest {
                    id: id.as_ref().map(|id| run.id(id)).unwrap_or_default(),
                    status: status.map_or(pb::OrderStatus::Unspecified.into(), status_number),
                    expected_version: expected_version.map(|v| i64::try_from(v).unwrap()),
                };
                done(match client.change_status(request) {
                    Ok(response) => with_order(response.into_inner().order),
                    Err(status) => refused(&status, action),
                })
            }
            Action::List(listing) => {
                let scoped = |text: &Option<String>| run.field(text.as_deref()).unwrap_or_default();
                let request = pb::ListOrdersRequest {
                    customer_id: scoped(&listing.customer_id),
                    restaurant_id: scoped(&listing.restaurant_id),
                    status: listing
                        .status
                        .map_or(pb::OrderStatus::Unspecified.into(), status_number),
                    limit: listing
                        .limit
                        .map_or(0, |limit| i32::try_from(limit).unwrap()),
                    cursor: run.field(listing.cursor).unwrap_or_default(),
                };
                done(match client.list(request) {
                    Ok(response) => {
                        let page = response.into_inner();
                        Outcome {
                            page: Some(Page {
                                orders: page.orders.iter().map(order_view).collect(),
                                has_next: !page.next_cursor.is_empty(),
                            }),
                            ..Outcome::ok()
                        }
                    }
                    Err(status) => refused(&status, action),
                })
            }
        }
    }
}

impl Grpc {
    /// The order `id`, read back.
    fn read(&self, id: &str) -> OrderView {
        let order = self.0.get(id).unwrap().into_inner().order;
        order_view(&order.expect("GetOrder answers with an order"))
    }
}

fn done(outcome: Outcome) -> Performed {
    Performed {
        outcome,
        created: None,
    }
}

fn with_order(order: Option<pb::Order>) -> Outcome {
    Outcome {
        order: Some(order_view(&order.expect("the response has its order"))),
        ..Outcome::ok()
    }
}

/// The outcome of an error, whose code must be the one the contract gives its reason.
fn refused(status: &Status, action: &Action) -> Outcome {
    let code = reason(status);
    assert_eq!(status.code(), contract(&code, action).1, "{status:?}");
    assert_ne!(status.code(), Code::Ok);
    Outcome::refused(
        &code,
        status.message().to_owned(),
        violations(status),
        retry_after_secs(status).is_some(),
    )
}

/// The enum number of a status: a defined one's, or the undefined number the scenario gives.
fn status_number(status: StatusValue) -> i32 {
    match status {
        StatusValue::Named(name) => {
            let index = STATUS_NAMES.iter().position(|n| *n == name).unwrap();
            STATUS_VALUES[index].into()
        }
        StatusValue::Undefined { number, .. } => {
            assert!(
                pb::OrderStatus::try_from(number).is_err(),
                "{number} is defined"
            );
            number
        }
    }
}

/// The HTTP name of a message's status.
fn status_name(status: pb::OrderStatus) -> String {
    STATUS_VALUES
        .iter()
        .position(|value| *value == status)
        .map_or_else(
            || format!("{status:?}"),
            |index| STATUS_NAMES[index].to_owned(),
        )
}

fn create_message(order: &NewOrder, run: &Run) -> pb::CreateOrderRequest {
    let scoped = |text: &Option<String>| run.field(text.as_deref()).unwrap_or_default();
    pb::CreateOrderRequest {
        customer_id: scoped(&order.customer_id),
        restaurant_id: scoped(&order.restaurant_id),
        order_items: order
            .items
            .iter()
            .map(|item| pb::OrderItem {
                product_code: scoped(&item.product_code),
                name: scoped(&item.name),
                unit_price_cents: item.unit_price_cents,
                quantity: i32::try_from(item.quantity).unwrap(),
            })
            .collect(),
    }
}

fn order_view(order: &pb::Order) -> OrderView {
    OrderView {
        id: order.id.clone(),
        customer_id: order.customer_id.clone(),
        restaurant_id: order.restaurant_id.clone(),
        status: status_name(order.status()),
        version: order.version,
        total_cents: order.total_cents,
        items: order
            .order_items
            .iter()
            .map(|item| ItemView {
                product_code: item.product_code.clone(),
                name: item.name.clone(),
                unit_price_cents: item.unit_price_cents,
                quantity: i64::from(item.quantity),
            })
            .collect(),
    }
}
