//! The request body as the app reads it: with a deadline, and with keep-alive honesty.
//!
//! - A client that stops sending a body it announced must not hold its connection forever: the body has to arrive
//!   within the body timeout ([`BodyTimeout`]), counted from the first read; after that, reading it fails with
//!   [`BodyTimedOut`], which the body extractor answers with 408.
//! - When a response is ready before the request's body was read to its end (a 415 or 413, an unknown route, a bad
//!   header, a timed-out body), actix closes the connection after sending it. The response must then say
//!   `Connection: close`, or a client would send its next request on a connection the server is closing.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ResponseHead, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::rt::time::{Sleep, sleep};
use actix_web::web::Bytes;
use futures_util::Stream;

/// How long a client may take to send a request's whole body, from the moment the app starts reading it (app data;
/// [`inbound::DEFAULT_BODY_TIMEOUT`](crate::inbound::DEFAULT_BODY_TIMEOUT) without it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeout(pub(crate) Duration);

/// The error a body read fails with when the body did not arrive in time (inside [`PayloadError::Io`]).
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {} s", .0.as_secs_f64())]
pub(crate) struct BodyTimedOut(pub(crate) Duration);

impl BodyTimedOut {
    /// The timeout, when `error` is a body that timed out.
    pub(crate) fn of(error: &PayloadError) -> Option<Duration> {
        match error {
            PayloadError::Io(io) => io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<Self>())
                .map(|timed_out| timed_out.0),
            _ => None,
        }
    }
}

/// Whether a request's body has been read to its end.
#[derive(Debug)]
pub(crate) struct BodyWatch(Option<Rc<Cell<bool>>>);

impl BodyWatch {
    /// Watches `req`'s body, if it has one (a request without a body costs nothing), and puts it under the body
    /// timeout of the app data.
    pub(crate) fn install(req: &mut ServiceRequest) -> Self {
        let headers = req.headers();
        let declared = headers
            .get(CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
        if !declared && !headers.contains_key(TRANSFER_ENCODING) {
            return Self(None);
        }
        let timeout = req
            .app_data::<BodyTimeout>()
            .map_or(crate::inbound::DEFAULT_BODY_TIMEOUT, |timeout| timeout.0);
        let finished = Rc::new(Cell::new(false));
        let inner = req.take_payload();
        let watched = Watched {
            inner,
            finished: Rc::clone(&finished),
            timeout,
            deadline: None,
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

/// The request's body, noting when it ends, and failing when it takes too long.
struct Watched {
    inner: Payload,
    finished: Rc<Cell<bool>>,
    timeout: Duration,
    /// Started by the first read.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl Stream for Watched {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.finished.get() {
            return Poll::Ready(None);
        }
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        match polled {
            Poll::Ready(None) => {
                self.finished.set(true);
                Poll::Ready(None)
            }
            Poll::Ready(Some(chunk)) => Poll::Ready(Some(chunk)),
            Poll::Pending => {
                let timeout = self.timeout;
                let deadline = self
                    .deadline
                    .get_or_insert_with(|| Box::pin(sleep(timeout)));
                match deadline.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(
                        std::io::Error::new(std::io::ErrorKind::TimedOut, BodyTimedOut(timeout)),
                    )))),
                }
            }
        }
    }
}
