//! The request id: taken from a client's `X-Request-ID` when sane, made up otherwise, and carried to every log line
//! of the request, those written on the blocking pool included.

use std::cell::RefCell;
use std::convert::Infallible;
use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest};

/// The header that carries the request id, both ways.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-sent request id that is kept.
const MAX_LEN: usize = 128;

/// The id of one request: 1 to 128 visible ASCII characters. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// A new, time-ordered id: a UUID v7 as 32 hex digits.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string().into())
    }

    /// The client's id from an `X-Request-ID` value, if it is sane: 1 to 128 visible ASCII characters (no space).
    /// Anything else is dropped rather than logged, so a client cannot forge log lines or flood them.
    pub fn from_header(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        if !(1..=MAX_LEN).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_graphic) {
            return None;
        }
        value.to_str().ok().map(|id| Self(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequest for RequestId {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    /// The id the middleware stored for this request (a new one if the handler runs without the middleware).
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let stored = req.extensions().get::<Self>().cloned();
        ready(Ok(stored.unwrap_or_else(Self::generate)))
    }
}

thread_local! {
    static CURRENT: RefCell<Option<RequestId>> = const { RefCell::new(None) };
}

/// The request id of the request whose service call runs on this thread, if any.
///
/// The HTTP adapter sets it around every call it runs on the blocking pool, so a log format can add it to each line
/// the service and its decorators write. It is `None` on actix's own worker threads and between calls.
pub fn current_request_id() -> Option<String> {
    CURRENT.with(|current| current.borrow().as_ref().map(ToString::to_string))
}

/// Makes `request_id` this thread's current one until the guard drops (also when the call panics), then restores
/// the previous value.
pub(crate) fn enter(request_id: RequestId) -> CurrentRequestGuard {
    let previous = CURRENT.with(|current| current.replace(Some(request_id)));
    CurrentRequestGuard { previous }
}

/// Restores the thread's previous request id when dropped.
#[derive(Debug)]
pub(crate) struct CurrentRequestGuard {
    previous: Option<RequestId>,
}

impl Drop for CurrentRequestGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|current| current.replace(previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_text(text: &str) -> Option<RequestId> {
        RequestId::from_header(&HeaderValue::from_str(text).unwrap())
    }

    #[test]
    fn a_sane_client_id_is_kept() {
        let id = "abc-123_XYZ.~!".to_owned() + &"x".repeat(114);
        assert_eq!(from_text(&id).unwrap().as_str(), id);
    }

    #[test]
    fn an_empty_long_or_spaced_client_id_is_refused() {
        for text in ["", "a b", "tab\there", &"x".repeat(129)] {
            assert_eq!(from_text(text), None, "{text:?}");
        }
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert_eq!(RequestId::from_header(&latin1), None);
    }

    #[test]
    fn a_generated_id_is_32_hex_digits() {
        let id = RequestId::generate();
        assert_eq!(id.as_str().len(), 32);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn the_current_id_is_set_while_the_guard_lives() {
        assert_eq!(current_request_id(), None);
        {
            let _outer = enter(RequestId("outer".into()));
            {
                let _inner = enter(RequestId("inner".into()));
                assert_eq!(current_request_id().as_deref(), Some("inner"));
            }
            assert_eq!(current_request_id().as_deref(), Some("outer"));
        }
        assert_eq!(current_request_id(), None);
    }
}
