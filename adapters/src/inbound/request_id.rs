//! The request id: taken from a client's `X-Request-ID` (an HTTP header or gRPC metadata) when sane, made up
//! otherwise, and carried to every log line of the request, those written on the executor's threads included.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

/// The header (HTTP) and metadata key (gRPC) that carries the request id, both ways.
pub const X_REQUEST_ID: &str = "x-request-id";

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
    pub fn from_client(value: &[u8]) -> Option<Self> {
        if !(1..=MAX_LEN).contains(&value.len()) || !value.iter().all(u8::is_ascii_graphic) {
            return None;
        }
        std::str::from_utf8(value).ok().map(|id| Self(id.into()))
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

thread_local! {
    static CURRENT: RefCell<Option<RequestId>> = const { RefCell::new(None) };
}

/// The request id of the request whose service call runs on this thread, if any.
///
/// The [executor](super::ServiceExecutor) sets it around every call it runs, so a log format can add it to each line
/// the service and its decorators write. It is `None` on the transports' own threads and between calls.
pub fn current_request_id() -> Option<String> {
    CURRENT.with(|current| current.borrow().as_ref().map(ToString::to_string))
}

/// Makes `request_id` this thread's current one until the guard drops (also when the call panics), then restores
/// the previous value.
pub(super) fn enter(request_id: RequestId) -> CurrentRequestGuard {
    let previous = CURRENT.with(|current| current.replace(Some(request_id)));
    CurrentRequestGuard { previous }
}

/// Restores the thread's previous request id when dropped.
#[derive(Debug)]
pub(super) struct CurrentRequestGuard {
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
        RequestId::from_client(text.as_bytes())
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
        assert_eq!(RequestId::from_client(b"caf\xe9"), None);
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
