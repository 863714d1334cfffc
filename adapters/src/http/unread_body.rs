//! Keep-alive honesty. When a response is ready before the request's body was read to its end (a 415 or 413, an
//! unknown route, a bad header), actix closes the connection after sending it. The response must then say
//! `Connection: close`, or a client would send its next request on a connection the server is closing.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ResponseHead, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::web::Bytes;
use futures_util::Stream;

/// Whether a request's body has been read to its end.
#[derive(Debug)]
pub(crate) struct BodyWatch(Option<Rc<Cell<bool>>>);

impl BodyWatch {
    /// Watches `req`'s body, if it has one (a request without a body costs nothing).
    pub(crate) fn install(req: &mut ServiceRequest) -> Self {
        let headers = req.headers();
        let declared = headers
            .get(CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
        if !declared && !headers.contains_key(TRANSFER_ENCODING) {
            return Self(None);
        }
        let finished = Rc::new(Cell::new(false));
        let inner = req.take_payload();
        let watched = Watched {
            inner,
            finished: Rc::clone(&finished),
        };
        req.set_payload(Payload::Stream {
            payload: Box::pin(watched),
        });
        Self(Some(finished))
    }

    /// Marks `head` to close the connection when the body was not read to its end.
    pub(crate) fn close_if_unread(&self, head: &mut ResponseHead) {
        if self.0.as_ref().is_some_and(|finished| !finished.get()) {
            head.set_connection_type(ConnectionType::Close);
        }
    }
}

/// The request's body, noting when it ends.
struct Watched {
    inner: Payload,
    finished: Rc<Cell<bool>>,
}

impl Stream for Watched {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.finished.set(true);
        }
        polled
    }
}
