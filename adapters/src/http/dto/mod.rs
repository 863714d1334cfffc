//! The JSON shapes of the seed's API, and their conversion to and from the application's types; each derives its
//! schema in the API document.

mod request;
mod response;

pub(crate) use request::{ChangeStatusRequest, CreateOrderRequest};
pub(crate) use response::{CreatedOrderResponse, OrderEnvelope, OrderResponse};
