//! Who the client is: the peer's address, or, behind the operator's own proxies, the address they forwarded.
//!
//! Each proxy appends the address it received the request from to `X-Forwarded-For`, so the list reads client first,
//! then each hop. Only the entries appended by our own proxies can be believed: everything to their left is whatever
//! the client chose to send. So the header is read only when the peer is a trusted proxy, and from the right: the
//! first entry that is not a trusted proxy itself is the client. Anything else (an untrusted peer, a header that is
//! not a list of addresses) leaves the peer's own address, which no client can forge over TCP.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

/// The header (HTTP) or metadata key (gRPC) through which proxies name the client.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The networks of the proxies whose `X-Forwarded-For` is believed; empty (the default) believes none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `--trusted-proxies` entry that is neither an IP address nor a CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or a CIDR network such as 10.0.0.0/8")]
pub struct ParseTrustedProxiesError(String);

impl TrustedProxies {
    /// Whether no proxy is trusted, so every client is its peer.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is inside one of the trusted networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client of a request that came from `peer` with the `X-Forwarded-For` values `forwarded` (every header
    /// or metadata value of that name, in the order received): `peer` itself, unless `peer` is a trusted proxy; then
    /// the right-most entry that is not a trusted proxy (the left-most entry when all are). A value that is missing,
    /// empty, not ASCII or has an entry that is not an address (before the walk found the client) leaves `peer`.
    /// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
    pub fn client_ip<'a, I>(&self, peer: IpAddr, forwarded: I) -> IpAddr
    where
        I: IntoIterator<Item = &'a [u8]>,
        I::IntoIter: DoubleEndedIterator,
    {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        self.forwarded_client(forwarded.into_iter()).unwrap_or(peer)
    }

    /// The walk from the right through every value (several count as one list, in order).
    fn forwarded_client<'a>(
        &self,
        forwarded: impl DoubleEndedIterator<Item = &'a [u8]>,
    ) -> Option<IpAddr> {
        let mut leftmost = None;
        for value in forwarded.rev() {
            for entry in std::str::from_utf8(value).ok()?.rsplit(',') {
                let ip = parse_entry(entry.trim())?;
                if !self.contains(ip) {
                    return Some(ip);
                }
                leftmost = Some(ip);
            }
        }
        leftmost
    }
}

/// An `X-Forwarded-For` entry: an address, or an address with a port (`1.2.3.4:80`, `[2001:db8::1]:80`) as some
/// proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let ip = entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()?;
    Some(ip.to_canonical())
}

impl FromStr for TrustedProxies {
    type Err = ParseTrustedProxiesError;

    /// A comma-separated list of CIDR networks (`10.0.0.0/8`, `2001:db8::/32`) and bare addresses (one host);
    /// spaces around entries and empty entries are ignored, so `""` trusts nobody.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| ParseTrustedProxiesError(entry.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl fmt::Display for TrustedProxies {
    /// The networks as `10.0.0.0/8,192.168.1.1/32`: what [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, network) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{network}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(text: &str) -> TrustedProxies {
        text.parse().unwrap()
    }

    fn forwarded<'a>(values: &[&'a str]) -> Vec<&'a [u8]> {
        values.iter().map(|value| value.as_bytes()).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_is_resolved_from_the_peer_and_the_forwarded_chain() {
        let proxies = trusted("10.0.0.0/8, 192.168.1.1, 2001:db8::/32");
        #[rustfmt::skip]
        let cases: &[(&str, &str, &[&str], &str)] = &[
            ("no header: the peer", "203.0.113.9", &[], "203.0.113.9"),
            ("an untrusted peer's forged header is ignored", "203.0.113.9", &["198.51.100.1"], "203.0.113.9"),
            ("a trusted peer without a header is the client", "10.1.1.1", &[], "10.1.1.1"),
            ("a trusted peer names its client", "10.1.1.1", &["198.51.100.1"], "198.51.100.1"),
            ("a bare trusted address counts", "192.168.1.1", &["198.51.100.1"], "198.51.100.1"),
            ("the right-most untrusted entry wins over forged ones", "10.1.1.1", &["1.1.1.1, 198.51.100.1"], "198.51.100.1"),
            ("a chain of trusted proxies is walked", "10.1.1.1", &["1.1.1.1, 198.51.100.1, 192.168.1.1, 10.2.2.2"], "198.51.100.1"),
            ("several headers are one list", "10.1.1.1", &["1.1.1.1, 198.51.100.1", "10.2.2.2"], "198.51.100.1"),
            ("an all-trusted chain names its left-most entry", "10.1.1.1", &["10.3.3.3, 10.2.2.2"], "10.3.3.3"),
            ("an entry with a port is read", "10.1.1.1", &["198.51.100.1:4711"], "198.51.100.1"),
            ("a malformed entry leaves the peer", "10.1.1.1", &["198.51.100.1, garbage"], "10.1.1.1"),
            ("an empty header leaves the peer", "10.1.1.1", &[""], "10.1.1.1"),
            ("a malformed entry behind the client is never read", "10.1.1.1", &["garbage, 198.51.100.1"], "198.51.100.1"),
            ("an IPv6 client behind an IPv6 proxy", "2001:db8::1", &["2001:db8::2, 2a00:1450::7"], "2a00:1450::7"),
            ("an IPv6 client with a port", "10.1.1.1", &["[2a00:1450::7]:443"], "2a00:1450::7"),
            ("an IPv4-mapped peer is its IPv4 address", "::ffff:10.1.1.1", &["198.51.100.1"], "198.51.100.1"),
            ("an IPv4-mapped untrusted peer is its IPv4 address", "::ffff:203.0.113.9", &[], "203.0.113.9"),
        ];
        for (case, peer, headers, client) in cases {
            assert_eq!(
                proxies.client_ip(ip(peer), forwarded(headers)),
                ip(client),
                "{case}"
            );
        }
    }

    #[test]
    fn a_header_that_is_not_ascii_leaves_the_peer() {
        let value: &[u8] = b"198.51.100.1, caf\xe9";
        assert_eq!(
            trusted("10.0.0.0/8").client_ip(ip("10.1.1.1"), [value]),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn nobody_is_trusted_by_default() {
        let proxies = TrustedProxies::default();
        assert!(proxies.is_empty());
        assert_eq!(
            proxies.client_ip(ip("10.1.1.1"), forwarded(&["198.51.100.1"])),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn a_list_of_networks_and_addresses_parses_and_prints_back() {
        let proxies = trusted(" 10.0.0.0/8,,192.168.1.1 , ::1 ,");
        assert_eq!(proxies.to_string(), "10.0.0.0/8,192.168.1.1/32,::1/128");
        assert_eq!(trusted(&proxies.to_string()), proxies);
        assert!(trusted("").is_empty());
    }

    #[test]
    fn an_entry_that_is_no_network_is_refused_by_name() {
        for text in [
            "10.0.0.0/33",
            "10.0.0.0/8, example.com",
            "10.0.0",
            "::1/129",
        ] {
            let error = text.parse::<TrustedProxies>().unwrap_err();
            assert!(
                error.to_string().contains("is not an IP address"),
                "{text}: {error}"
            );
        }
        let error = "10.0.0.0/8,nope".parse::<TrustedProxies>().unwrap_err();
        assert!(error.to_string().starts_with("`nope`"), "{error}");
    }
}
