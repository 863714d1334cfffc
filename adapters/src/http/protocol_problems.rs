//! Problem documents for the refusals actix-http makes on its own, before any request exists for the app to answer:
//! a request it cannot parse (a bad request line or header, `Content-Length` with `Transfer-Encoding`) gets a bare
//! `400`, a head over its size limit a bare `431`, headers that do not arrive in time a bare `408`. Each is written
//! with `content-length: 0` and closes the connection.
//!
//! [`ProblemIo`] sits between the connection and actix-http and recognises such a response as it is written (a 4xx
//! head with an empty body at the start of a write: the app's own refusals always carry a problem body), and writes
//! in its place the same status with an `application/problem+json` body, a request id, and the headers actix sent.
//! The client sees the same problem format for every refusal, wherever it was made.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::{ApiError, PROBLEM_JSON};
use crate::inbound::RequestId;

/// The statuses actix-http answers by itself, without a body, and what the client is told for each.
fn detail_for(status: StatusCode) -> Option<&'static str> {
    match status.as_u16() {
        400 => Some(
            "the request is not valid HTTP/1.1: its request line, a header, or its framing (Content-Length with \
             Transfer-Encoding, say) could not be read; nothing was done",
        ),
        408 => Some("the request's line and headers did not arrive in time; nothing was done"),
        431 => Some(
            "the request's headers are too large (at most 96 headers and 128 KiB); nothing was done",
        ),
        _ => None,
    }
}

/// A connection whose bodyless protocol refusals are rewritten as problem documents.
#[derive(Debug)]
pub(crate) struct ProblemIo<T> {
    inner: T,
    /// A rewritten response being written: its bytes, how many are written, and how many of the caller's it stands
    /// for.
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<T> ProblemIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

/// `head` (a response head, up to its blank line) with its status, when it is one of actix's own bodyless refusals.
fn bare_refusal(head: &str) -> Option<StatusCode> {
    let mut lines = head.split("\r\n");
    let status = lines
        .next()?
        .strip_prefix("HTTP/1.1 ")?
        .split(' ')
        .next()?
        .parse::<u16>()
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())?;
    detail_for(status)?;
    let empty = lines.any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    let typed = head.to_ascii_lowercase().contains("\r\ncontent-type:");
    (empty && !typed).then_some(status)
}

/// The response to write instead of `written` (which starts with a whole head), or `None` to write it as it is.
fn rewrite(written: &[u8]) -> Option<(Vec<u8>, usize)> {
    let end = written.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&written[..end]).ok()?;
    let status = bare_refusal(head)?;
    let request_id = RequestId::generate();
    let body = ApiError::for_status(status, detail_for(status).map(str::to_owned))
        .to_document(Some(&request_id));
    let mut lines = head.trim_end_matches("\r\n").split("\r\n");
    let mut response = String::with_capacity(head.len() + body.len() + 128);
    response.push_str(lines.next()?);
    response.push_str("\r\n");
    for line in lines.filter(|line| !line.to_ascii_lowercase().starts_with("content-length:")) {
        response.push_str(line);
        response.push_str("\r\n");
    }
    response.push_str(&format!(
        "content-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nx-request-id: {}\r\n\r\n{body}",
        body.len(),
        request_id.as_str()
    ));
    Some((response.into_bytes(), end))
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> ProblemIo<T> {
    /// Writes what is pending; ready with how many of the caller's bytes it stood for once all is written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<usize>>> {
        while let Some((bytes, written, stands_for)) = &mut self.pending {
            if *written == bytes.len() {
                let consumed = *stands_for;
                self.pending = None;
                return Poll::Ready(Ok(Some(consumed)));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(None))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none()
            && buf.starts_with(b"HTTP/1.1 4")
            && let Some((bytes, head_len)) = rewrite(buf)
        {
            this.pending = Some((bytes, 0, head_len));
        }
        match ready!(this.poll_pending(cx))? {
            // The caller's buffer may have shrunk while the rewrite was written (it never does in actix).
            Some(consumed) => Poll::Ready(Ok(consumed.min(buf.len()))),
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Anything pending is written by the caller's next write of the same bytes; a flush flushes what is sent.
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARE_400: &str = "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Wed, 02 Dec 2026 10:00:00 GMT\r\n\r\n";

    #[test]
    fn a_bare_protocol_refusal_becomes_a_problem_with_the_same_status_and_headers() {
        let (bytes, consumed) = rewrite(BARE_400.as_bytes()).unwrap();
        assert_eq!(consumed, BARE_400.len());
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        assert!(head.contains("date: Wed, 02 Dec 2026"), "{head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{head}"
        );
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(!head.contains("content-length: 0"), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "malformed_request");
        assert_eq!(problem["status"], 400);
        let id = problem["request_id"].as_str().unwrap();
        assert!(head.contains(&format!("x-request-id: {id}")), "{head}");
    }

    #[test]
    fn a_431_and_a_408_become_problems_too() {
        for (status, code) in [
            ("431 Request Header Fields Too Large", "request_refused"),
            ("408 Request Timeout", "request_timeout"),
        ] {
            let bare = BARE_400.replace("400 Bad Request", status);
            let (bytes, _) = rewrite(bare.as_bytes()).unwrap();
            let text = String::from_utf8(bytes).unwrap();
            let body = text.split_once("\r\n\r\n").unwrap().1;
            let problem: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(problem["code"], code, "{status}");
        }
    }

    #[test]
    fn the_apps_own_responses_are_left_alone() {
        for response in [
            // A problem the app made: it has a body and a type.
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 120\r\ncontent-type: application/problem+json\r\n\r\n{}",
            // Its HEAD: the length of the body it would have, and a type.
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            // Not a whole head.
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert!(rewrite(response.as_bytes()).is_none(), "{response}");
        }
    }
}
