//! What keeps one client from holding the gRPC port: a cap on open connections, a deadline on a connection's
//! opening (its HTTP/2 preface), and a deadline on a call's request message. The HTTP/2 limits (concurrent
//! streams, header list size, keep-alive pings, message size) are set where the server is built (`mod.rs`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use http::Request;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Sleep, sleep};
use tonic::transport::server::{Connected, TcpConnectInfo};

use super::status::status_of;
use crate::inbound::{ErrorCode, Failure, RequestId};

/// The bytes a client sends first on a connection: the HTTP/2 preface (24) and a SETTINGS frame's header (9).
const OPENING_BYTES: usize = 24 + 9;

/// After an accept fails for want of resources (descriptors, memory), the pause before the next attempt, so the
/// loop does not spin while the system recovers.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Connections accepted from `listener`, at most `max_connections` open at once: past it, the next is accepted
/// only when one closes (clients wait in the listen backlog). Each must send its opening bytes within `opening`,
/// or it is closed.
pub(crate) fn limited_incoming(
    listener: TcpListener,
    max_connections: usize,
    opening: Duration,
) -> impl Stream<Item = io::Result<LimitedConnection>> {
    let slots = Arc::new(Semaphore::new(max_connections));
    futures_util::stream::unfold((listener, slots), move |(listener, slots)| async move {
        // The semaphore is never closed, so this always yields a permit.
        let slot = Arc::clone(&slots).acquire_owned().await.ok()?;
        let accepted = match listener.accept().await {
            Ok((stream, _)) => {
                // Small unary answers must not wait for Nagle's algorithm.
                let _ = stream.set_nodelay(true);
                Ok(LimitedConnection {
                    stream,
                    _slot: slot,
                    opening: Some(Opening {
                        remaining: OPENING_BYTES,
                        deadline: Box::pin(sleep(opening)),
                    }),
                })
            }
            Err(error) => {
                if is_resource_shortage(&error) {
                    log::warn!("gRPC: cannot accept a connection: {error}; pausing");
                    sleep(ACCEPT_BACKOFF).await;
                }
                Err(error)
            }
        };
        Some((accepted, (listener, slots)))
    })
}

/// `EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`: the process or the system is out of something for now.
fn is_resource_shortage(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(24 | 23 | 105 | 12))
}

/// An accepted connection, holding its slot until it closes.
#[derive(Debug)]
pub(crate) struct LimitedConnection {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    /// Until the opening bytes have arrived.
    opening: Option<Opening>,
}

#[derive(Debug)]
struct Opening {
    remaining: usize,
    deadline: Pin<Box<Sleep>>,
}

impl AsyncRead for LimitedConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        let Some(opening) = &mut this.opening else {
            return polled;
        };
        match polled {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                if read >= opening.remaining {
                    this.opening = None;
                } else {
                    opening.remaining -= read;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if opening.deadline.as_mut().poll(cx).is_ready() => {
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client did not open its HTTP/2 connection in time",
                )))
            }
            other => other,
        }
    }
}

impl AsyncWrite for LimitedConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Connected for LimitedConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

/// The layer that puts every call's request message under the body timeout, for `Server::builder().layer(..)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageTimeoutLayer {
    pub(crate) timeout: Duration,
}

impl<S> tower::Layer<S> for MessageTimeoutLayer {
    type Service = MessageTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MessageTimeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// The service the layer makes: the request body becomes a [`TimedBody`].
#[derive(Debug, Clone)]
pub(crate) struct MessageTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S> tower::Service<Request<tonic::body::Body>> for MessageTimeout<S>
where
    S: tower::Service<Request<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<tonic::body::Body>) -> Self::Future {
        let timeout = self.timeout;
        let request_id = request.extensions().get::<RequestId>().cloned();
        self.inner.call(request.map(|body| {
            tonic::body::Body::new(TimedBody {
                inner: body,
                timeout,
                deadline: None,
                request_id,
            })
        }))
    }
}

/// A request body that fails with `DEADLINE_EXCEEDED` (reason `request_timeout`) when it has not ended `timeout`
/// after it was first read.
#[derive(Debug)]
struct TimedBody {
    inner: tonic::body::Body,
    timeout: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
    request_id: Option<RequestId>,
}

impl Body for TimedBody {
    type Data = <tonic::body::Body as Body>::Data;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame),
            Poll::Pending => {
                let timeout = this.timeout;
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(sleep(timeout)));
                if deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let failure = Failure::new(
                    ErrorCode::RequestTimeout,
                    format!(
                        "the request message did not arrive within {} s",
                        timeout.as_secs_f64()
                    ),
                );
                let request_id = this.request_id.clone().unwrap_or_else(RequestId::generate);
                Poll::Ready(Some(Err(status_of(&failure, &request_id))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
