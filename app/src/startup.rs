//! Start-up and shutdown: the composition root wires adapters to the core, then serves until a signal and drains.

use std::net::{SocketAddr, TcpListener};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle};
use adapters::events::JetStreamPublisher;
use adapters::http::ServerSettings;
use adapters::inbound::{
    Authenticator, ClientRateLimit, CursorCodec, Health, RateLimiter, ServiceExecutor,
    ServingContext,
};
use adapters::metrics::{PoolUsage, PrometheusMetrics};
use adapters::persistence::{Database, PoolState};
use adapters::system::{SystemClock, UuidV7Generator};
use adapters::telemetry::TracedService;
use anyhow::Context;
use application::{
    CircuitBreaker, CoreOrderService, EventRelay, ExpiredKeyPurge, LoggingService, Metrics,
    MetricsRepository, OrderService,
};

use crate::limits::connection_limits;
use crate::purge::{self, PurgeHandle};
use crate::relay::{self, RelayHandle};
use crate::{Authentication, Config};

/// How long the readiness probe waits for a database round trip.
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

/// The longest pause between two start-up attempts to reach the database.
const MAX_CONNECT_BACKOFF: Duration = Duration::from_secs(5);

/// A built service: database migrated, sockets bound, HTTP not yet serving (gRPC, on its own runtime, already is).
pub struct Application {
    server: Server,
    address: SocketAddr,
    grpc: Option<GrpcServer>,
    health: Arc<Health>,
    authenticator: Arc<Authenticator>,
    grace: Duration,
    _purge: PurgeHandle,
    relay: Option<RelayHandle>,
}

impl Application {
    /// Connects to and migrates the database (waiting for it, with backoff, up to the configured time), wires the
    /// service and binds the listener (port 0 picks a free port).
    ///
    /// # Errors
    /// When the database cannot be reached in time or migrated, or the address cannot be bound.
    pub fn build(config: &Config) -> anyhow::Result<Self> {
        let workers = config.http_workers.map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            usize::from,
        );
        let listeners = if config.grpc_addr.address().is_some() {
            2
        } else {
            1
        };
        let limits = connection_limits(
            config.max_connections,
            listeners,
            config.pool_size(),
            2 * workers as u64,
        )?;
        log::info!(
            "at most {} connections per listener (file descriptor limit {}, {} kept for the database pool and the \
             runtime)",
            limits.per_listener,
            limits.descriptor_limit,
            limits.reserve
        );
        let authenticator = Arc::new(authenticator_of(config)?);
        let database = connect_with_retry(config)?;
        log::info!(
            "database ready: {} (pool of {})",
            database.backend(),
            config.pool_size()
        );
        let health = Arc::new(health_of(&database));
        let metrics = Arc::new(metrics_of(&database)?);
        let events = config.event_settings();
        let (service, purge) = wire(&database, config, metrics.clone(), events.is_some());
        let relay = match events {
            Some(settings) => {
                log::info!(
                    "events: published to {} (stream {}, subjects {}.>)",
                    settings.redacted_url(),
                    adapters::events::STREAM_NAME,
                    settings.subject_prefix.wildcard().trim_end_matches(".>")
                );
                let publisher =
                    JetStreamPublisher::start(settings).context("cannot publish events")?;
                let relay = EventRelay::new(
                    database.repository(),
                    publisher,
                    SystemClock,
                    metrics.clone(),
                    config.relay_settings(),
                );
                Some(relay::start(relay).context("cannot start the event relay")?)
            }
            None => {
                log::info!("events: off (NATS_URL is unset): no events are recorded");
                None
            }
        };
        let executor = Arc::new(executor_of(service, config)?);
        let cursors = Arc::new(CursorCodec::new(database.cursor_key()));
        // One set of instances for both transports: the same service, health, cursor key, metrics and rate limit.
        let mut context = ServingContext::new(executor, Arc::clone(&health), cursors)
            .with_metrics(metrics)
            .with_authenticator(Arc::clone(&authenticator))
            .with_body_timeout(Duration::from_secs(config.request_body_timeout_secs));
        if let Some(limit) = rate_limit_of(config) {
            context = context.with_rate_limit(limit);
        }
        let listener = TcpListener::bind(config.http_addr)
            .with_context(|| format!("cannot listen on {}", config.http_addr))?;
        let address = listener.local_addr()?;
        let server = adapters::http::serve(
            listener,
            context.clone(),
            ServerSettings {
                workers,
                max_connections: limits.per_listener,
                header_timeout: Duration::from_secs(config.request_header_timeout_secs),
                shutdown_timeout: Duration::from_secs(config.shutdown_timeout_secs),
            },
        )?;
        let shutdown_timeout = Duration::from_secs(config.shutdown_timeout_secs);
        let grpc = match config.grpc_addr.address() {
            Some(address) => Some(GrpcServer::start(
                address,
                context,
                workers,
                limits.per_listener,
                shutdown_timeout,
            )?),
            None => {
                log::info!("gRPC: off");
                None
            }
        };
        let grace = Duration::from_secs(config.shutdown_grace_secs);
        let purge = purge::start(purge);
        Ok(Self {
            server,
            address,
            grpc,
            health,
            authenticator,
            grace,
            _purge: purge,
            relay,
        })
    }

    /// The port the service listens on for HTTP.
    pub const fn port(&self) -> u16 {
        self.address.port()
    }

    /// The port the service listens on for gRPC, unless gRPC is off.
    pub fn grpc_port(&self) -> Option<u16> {
        self.grpc.as_ref().map(|grpc| grpc.address.port())
    }

    /// A handle that stops the HTTP server (gracefully with `stop(true)`); gRPC then stops too.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then drains: readiness fails at once (`/readyz` and gRPC health), both
    /// transports keep serving for the grace period (so load balancers take the instance out), then both stop
    /// accepting, let in-flight requests finish and return. SIGHUP re-reads the authentication keys meanwhile.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Installed before the "listening" line, so a signal sent as soon as the service says it serves drains it.
        let signals = ShutdownSignals::install()?;
        reload_keys_on_hangup(Arc::clone(&self.authenticator))?;
        let (handle, health, grace) = (self.server.handle(), Arc::clone(&self.health), self.grace);
        let stop_grpc = self.grpc.as_ref().map(GrpcServer::stopper);
        actix_web::rt::spawn(async move {
            let signal = signals.recv().await;
            health.start_draining();
            log::info!(
                "{signal} received: readiness fails now; serving {grace:?} more, then draining"
            );
            actix_web::rt::time::sleep(grace).await;
            log::info!("grace period over: no new connections; finishing in-flight requests");
            if let Some(stop) = stop_grpc {
                stop.send_replace(true);
            }
            handle.stop(true).await;
        });
        self.run().await
    }

    /// Serves until stopped through [`Application::handle`]; installs no signal handler (for embedding and tests).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run(mut self) -> std::io::Result<()> {
        log::info!("listening on {}", self.address);
        let served = self.server.await;
        if let Some(grpc) = self.grpc.take() {
            grpc.stop().await;
        }
        // Last, so the events of the last requests are published too: the relay finishes its batch, publishes what
        // is left (for a few seconds at most) and stops.
        if let Some(relay) = self.relay.take() {
            relay.stop();
        }
        served
    }
}

/// The gRPC server, on a multi-threaded runtime of its own (actix's workers each run a single-threaded one).
struct GrpcServer {
    address: SocketAddr,
    /// `Some` until dropped; shut down in the background, as a runtime may not block inside another's task.
    runtime: Option<tokio::runtime::Runtime>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    served: Option<tokio::task::JoinHandle<Result<(), Box<dyn std::error::Error + Send + Sync>>>>,
    shutdown_timeout: Duration,
}

impl GrpcServer {
    /// Binds `address` and serves on `workers` threads, at most `max_connections` at once, until stopped.
    fn start(
        address: SocketAddr,
        context: ServingContext,
        workers: usize,
        max_connections: usize,
        shutdown_timeout: Duration,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(address)
            .with_context(|| format!("cannot listen on {address} for gRPC"))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("grpc")
            .enable_all()
            .build()
            .context("cannot start the gRPC runtime")?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let shutdown = async move {
            let _stopped = stopped.wait_for(|stopped| *stopped).await;
        };
        let served = runtime.spawn(adapters::grpc::serve(
            listener,
            context,
            max_connections,
            shutdown,
        ));
        log::info!("serving gRPC on {address}");
        Ok(Self {
            address,
            runtime: Some(runtime),
            stop: Arc::new(stop),
            served: Some(served),
            shutdown_timeout,
        })
    }

    /// What stops the server: `send_replace(true)`.
    fn stopper(&self) -> Arc<tokio::sync::watch::Sender<bool>> {
        Arc::clone(&self.stop)
    }

    /// Stops accepting, and waits for the calls in flight (at most the shutdown timeout).
    async fn stop(mut self) {
        self.stop.send_replace(true);
        let Some(served) = self.served.take() else {
            return;
        };
        match tokio::time::timeout(self.shutdown_timeout, served).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => {
                log::error!("gRPC server failed: {}", application::error_chain(&*error))
            }
            Ok(Err(error)) => log::error!("gRPC server stopped abnormally: {error}"),
            Err(_) => log::warn!(
                "gRPC connections still open after the shutdown timeout (calls in flight, or clients that did not \
                 answer the server's last ping); closed"
            ),
        }
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Connects to the database, trying again with exponential backoff while it is unreachable, for up to the configured
/// time. A misconfiguration (bad URL, failed migration) fails at once.
fn connect_with_retry(config: &Config) -> anyhow::Result<Database> {
    let deadline = Instant::now() + Duration::from_secs(config.db_connect_timeout_secs);
    let mut backoff = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match Database::connect(&config.database_url, &config.pool_options()) {
            Ok(database) => return Ok(database),
            Err(error) if error.is_transient() && Instant::now() + backoff < deadline => {
                log::warn!(
                    "database unreachable (attempt {attempt}), retrying in {backoff:?}: {:#}",
                    anyhow::Error::from(error)
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_CONNECT_BACKOFF);
                attempt += 1;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// The composition root: Go kit's `main.go` wiring, as decorators around the core and its repository. Metrics see
/// the breaker's fast failures as `unavailable` calls; the use case's span, when tracing is on, is the outermost. The background purge uses the same core, so it passes the same
/// breaker and metrics as every request.
fn wire(
    database: &Database,
    config: &Config,
    metrics: Arc<dyn Metrics>,
    record_events: bool,
) -> (Arc<dyn OrderService>, Arc<dyn ExpiredKeyPurge>) {
    let breaker = config.breaker_settings();
    let guarded = CircuitBreaker::new(database.repository(), breaker, Arc::clone(&metrics));
    let repository = MetricsRepository::new(guarded, metrics);
    let core = CoreOrderService::new(repository, SystemClock, UuidV7Generator)
        .with_idempotency_retention(config.idempotency_retention());
    let core = Arc::new(if record_events {
        core.recording_events()
    } else {
        core
    });
    let logged = LoggingService::new(Arc::clone(&core));
    let service: Arc<dyn OrderService> = if adapters::telemetry::is_on() {
        Arc::new(TracedService::new(logged))
    } else {
        Arc::new(logged)
    };
    (service, core)
}

/// The executor every transport runs service calls on: as many threads as the database pool has connections, so a
/// call never waits inside the connection pool (where a thread that just arrived can take a returned connection
/// before one that has waited: the benchmark saw a p99 of half a second beside a p50 of 1.25 ms) but in the
/// executor's first-come, first-served queue, and sheds a call that waited longer than the pool's check-out timeout.
fn executor_of(service: Arc<dyn OrderService>, config: &Config) -> anyhow::Result<ServiceExecutor> {
    let threads = usize::try_from(config.pool_size())
        .ok()
        .and_then(NonZeroUsize::new)
        .unwrap_or(NonZeroUsize::MIN);
    let queue_timeout = config.pool_options().acquire_timeout;
    ServiceExecutor::start(service, threads, Some(queue_timeout))
        .context("cannot start the service threads")
}

/// The Prometheus registry, reading the pool's connections at each scrape.
fn metrics_of(database: &Database) -> anyhow::Result<PrometheusMetrics> {
    let database = database.clone();
    let usage = move || {
        let PoolState { open, idle } = database.pool_state();
        PoolUsage {
            in_use: open.saturating_sub(idle),
            idle,
        }
    };
    Ok(PrometheusMetrics::new()?.with_pool_usage(Box::new(usage)))
}

/// The configured per-client rate limit, if there is one, shared by every transport.
fn rate_limit_of(config: &Config) -> Option<Arc<ClientRateLimit>> {
    let Some(limit) = config.rate_limit() else {
        if config.rate_limit_burst.is_some() {
            log::warn!("rate limit: off, as no rate is set; the burst alone limits nothing");
        } else {
            log::info!("rate limit: off");
        }
        return None;
    };
    let proxies = &config.trusted_proxies;
    log::info!(
        "rate limit per client: {limit}; trusted proxies: {}",
        if proxies.is_empty() {
            "none".to_owned()
        } else {
            proxies.to_string()
        }
    );
    let limiter = Arc::new(RateLimiter::new(limit));
    Some(Arc::new(ClientRateLimit::new(limiter, proxies.clone())))
}

/// Readiness: the database answers a round trip within [`READINESS_TIMEOUT`].
fn health_of(database: &Database) -> Health {
    let database = database.clone();
    Health::new(Box::new(move || {
        database.ping(READINESS_TIMEOUT).map_err(Into::into)
    }))
}

/// Who may call: with keys, an authenticator over them; without, none, and a warning that says so.
fn authenticator_of(config: &Config) -> anyhow::Result<Authenticator> {
    match config.authentication().map_err(anyhow::Error::msg)? {
        Authentication::On(settings) => {
            let authenticator =
                Authenticator::new(settings).context("cannot read the authentication keys")?;
            log::info!(
                "authentication: bearer tokens required ({})",
                authenticator.describe()
            );
            Ok(authenticator)
        }
        Authentication::Off(reason) => {
            log::warn!(
                "authentication is off ({reason}): every caller may read and change every order"
            );
            Ok(Authenticator::off())
        }
    }
}

/// On each SIGHUP, re-reads the key files: new requests use the new keys, requests under way finish with theirs, and
/// keys that cannot be read leave the ones in use in place. Installed also without authentication, so a SIGHUP
/// never stops the process.
#[cfg(unix)]
fn reload_keys_on_hangup(authenticator: Arc<Authenticator>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    actix_web::rt::spawn(async move {
        while hangups.recv().await.is_some() {
            match authenticator.reload() {
                Ok(in_use) => log::info!("SIGHUP received: keys reloaded: {in_use}"),
                Err(error) => {
                    log::error!(
                        "SIGHUP received: keys not reloaded, the keys in use stay: {error}"
                    );
                }
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn reload_keys_on_hangup(_: Arc<Authenticator>) -> std::io::Result<()> {
    Ok(())
}

/// SIGTERM and SIGINT, both meaning "drain and exit". actix's own handling would force-stop on SIGINT.
#[cfg(unix)]
struct ShutdownSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl ShutdownSignals {
    /// Takes over both signals from now on.
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for either signal and names it.
    async fn recv(mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
struct ShutdownSignals;

#[cfg(not(unix))]
impl ShutdownSignals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn recv(self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
