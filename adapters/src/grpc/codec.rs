//! The order service's message codec: prost's, except that a request message that is not valid protobuf is the
//! client's fault. prost's codec answers it `INTERNAL` with the parser's wording (`failed to decode Protobuf message:
//! invalid wire type ...`); here it is `INVALID_ARGUMENT` with reason `malformed_request`, like a body that is not
//! JSON over HTTP. The code generator names this codec for the order service (`adapters/build.rs`).

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

use super::status::client_status;
use crate::inbound::Failure;

/// prost's codec, with [`StrictDecoder`] for what it reads.
#[derive(Debug, Clone, Default)]
pub struct OrdersCodec<T, U>(ProstCodec<T, U>);

impl<T, U> Codec for OrdersCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = StrictDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.0.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        StrictDecoder(self.0.decoder())
    }
}

/// prost's decoder, refusing a message it cannot decode as `malformed_request`.
#[derive(Debug)]
pub struct StrictDecoder<U>(ProstDecoder<U>);

impl<U: Message + Default> Decoder for StrictDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(buf).map_err(|_| {
            client_status(&Failure::malformed(
                "the message is not valid protobuf of the type orders.v1 gives this method; \
                 encode it from proto/orders/v1/orders.proto",
            ))
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
