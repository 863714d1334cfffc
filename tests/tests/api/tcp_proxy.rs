//! A TCP proxy the test controls, between the service and its database: cut it to simulate an outage (open
//! connections are closed, new ones are closed at once), restore it to end the outage.

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
struct Shared {
    upstream: String,
    cut: AtomicBool,
    open: Mutex<Vec<TcpStream>>,
}

/// Forwards every connection on its port to `upstream` until cut.
#[derive(Debug)]
pub struct TcpProxy {
    port: u16,
    shared: Arc<Shared>,
}

impl TcpProxy {
    /// Starts forwarding `127.0.0.1:<port>` to `upstream` (`host:port`); starts cut when `cut` is true.
    pub fn start(upstream: &str, cut: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            cut: AtomicBool::new(cut),
            open: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if !accepting.cut.load(Ordering::SeqCst) {
                    let _ = forward(client, &accepting);
                }
            }
        });
        Self { port, shared }
    }

    /// The port to connect to instead of the upstream's.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every forwarded connection and refuses new ones until [`TcpProxy::restore`].
    pub fn cut(&self) {
        // Under the lock `forward` registers a connection with, so none can slip in between the flag and the close.
        let mut open = self.shared.open.lock().unwrap();
        self.shared.cut.store(true, Ordering::SeqCst);
        for stream in open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.shared.cut.store(false, Ordering::SeqCst);
    }
}

fn forward(client: TcpStream, shared: &Shared) -> io::Result<()> {
    let server = TcpStream::connect(&shared.upstream)?;
    let mut open = shared.open.lock().unwrap();
    // A cut that came while the upstream connection was being made closes this one too.
    if shared.cut.load(Ordering::SeqCst) {
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
        return Ok(());
    }
    open.extend([client.try_clone()?, server.try_clone()?]);
    for (mut from, mut to) in [(client.try_clone()?, server.try_clone()?), (server, client)] {
        std::thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Both);
        });
    }
    Ok(())
}

/// `url` with its `host:port` replaced: `postgres://u@h:1/db` -> `postgres://u@127.0.0.1:<port>/db`.
pub fn via_port(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority
        .rsplit_once('@')
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}/{path}")
}

/// The `host:port` of a URL.
pub fn address_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_owned()
}
