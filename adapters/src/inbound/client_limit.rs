//! The per-client rate limit as a transport applies it: who the client is ([`TrustedProxies`]), then a token from
//! its bucket ([`RateLimiter`]).

use std::net::IpAddr;
use std::sync::Arc;

use super::client::TrustedProxies;
use super::failure::Failure;
use super::rate_limit::RateLimiter;
use super::request_id::RequestId;

/// The buckets, and whose `X-Forwarded-For` to believe when naming the client. One instance serves every transport,
/// so a client has one budget however it calls.
#[derive(Debug)]
pub struct ClientRateLimit {
    limiter: Arc<RateLimiter>,
    proxies: TrustedProxies,
}

impl ClientRateLimit {
    /// Limits every client with `limiter`; a client is the peer's address, or, when the peer is one of `proxies`,
    /// the client it names in `X-Forwarded-For`.
    pub const fn new(limiter: Arc<RateLimiter>, proxies: TrustedProxies) -> Self {
        Self { limiter, proxies }
    }

    /// Takes a token from the bucket of the client of a call from `peer` with the `X-Forwarded-For` values
    /// `forwarded`.
    ///
    /// # Errors
    /// `rate_limited`, saying when to retry, when the client has no token left.
    pub fn admit<'a, I>(
        &self,
        peer: IpAddr,
        forwarded: I,
        request_id: &RequestId,
    ) -> Result<(), Failure>
    where
        I: IntoIterator<Item = &'a [u8]>,
        I::IntoIter: DoubleEndedIterator,
    {
        let client = self.proxies.client_ip(peer, forwarded);
        self.limiter.acquire(client).map_err(|refused| {
            // The access log has the peer; behind a proxy, only this line names the client that was refused.
            log::debug!(
                "rate limited client={client} retry_after={:?} request_id={request_id}",
                refused.retry_after(),
            );
            Failure::from(refused)
        })
    }
}
