//! The shapes of the seed's API on the wire: JSON bodies and their conversion to and from the application's types
//! (each derives its schema in the API document), how a body that cannot be decoded is refused, and the strict
//! percent-decoding of what a URL carries.

mod decode;
mod request;
mod response;
mod url;

pub(crate) use decode::from_json;
pub(crate) use request::{ChangeStatusRequest, CreateOrderRequest};
pub(crate) use response::{CreatedOrderResponse, OrderEnvelope, OrderResponse};
pub(crate) use url::{OrderIdPath, query_pairs};
