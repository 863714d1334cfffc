//! Configuration: each setting is a flag or an environment variable (the flag wins), with a default that runs a
//! single instance on an embedded SQLite file.

use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::time::Duration;

use adapters::events::{EventSettings, EventSource, SubjectPrefix};
use adapters::inbound::{AuthSettings, RateLimit, RequestsPerSecond, TrustedProxies};
use adapters::persistence::{Backend, PoolOptions};
use application::{BreakerSettings, RelaySettings};

use crate::logging::LogFormat;
use application::Role;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The database pool's size on PostgreSQL, and the most it is on SQLite, unless `DB_POOL_SIZE` says.
const POOL_SIZE: u32 = 10;

/// ordersvc: an order service over HTTP and gRPC, on PostgreSQL or an embedded SQLite file.
#[derive(Debug, Clone, Parser)]
#[command(name = "ordersvc", version, about)]
pub struct Config {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on for HTTP. Loopback by default: serving other hosts needs authentication keys (or
    /// `INSECURE_NO_AUTH`).
    #[arg(long, env = "HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,

    /// Address to listen on for gRPC (`orders.v1.OrderService`, health and reflection), or `off` to serve HTTP alone.
    #[arg(long, env = "GRPC_ADDR", default_value = "127.0.0.1:9090")]
    pub grpc_addr: GrpcAddr,

    /// A file holding the HS256 secret that signs bearer tokens: its bytes, one trailing newline removed, at least
    /// 32 of them. Re-read on SIGHUP.
    #[arg(long, env = "AUTH_HS256_SECRET_FILE")]
    pub auth_hs256_secret_file: Option<PathBuf>,

    /// A file holding a JWKS of the RS256 and ES256 public keys that sign bearer tokens, chosen by a token's `kid`.
    /// Re-read on SIGHUP.
    #[arg(long, env = "AUTH_JWKS_FILE")]
    pub auth_jwks_file: Option<PathBuf>,

    /// The `iss` every token must have; required with a key.
    #[arg(long, env = "AUTH_ISSUER")]
    pub auth_issuer: Option<String>,

    /// The `aud` every token must have; required with a key.
    #[arg(long, env = "AUTH_AUDIENCE")]
    pub auth_audience: Option<String>,

    /// Serve without authentication on every address, on purpose: for a deployment behind a gateway that
    /// authenticates. Without keys and without this, only loopback addresses are served.
    #[arg(long, env = "INSECURE_NO_AUTH", default_value_t = false)]
    pub insecure_no_auth: bool,

    /// `postgres://user@host:port/db`, or the path of a SQLite file (created if missing).
    #[arg(long, env = "DATABASE_URL", default_value = "orders.db")]
    pub database_url: String,

    /// Most database connections held open by this instance [default: 10 on PostgreSQL; on SQLite, one more than
    /// the CPU cores, at most 10].
    #[arg(long, env = "DB_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: Option<u32>,

    /// Longest a request waits for a free database connection before it gets a 503, in milliseconds.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub db_acquire_timeout_ms: u64,

    /// Longest a statement may run (PostgreSQL) or wait for the write lock (SQLite), in milliseconds.
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub db_statement_timeout_ms: u64,

    /// How long an `Idempotency-Key` is remembered, in seconds; older keys are purged in the background.
    #[arg(long, env = "IDEMPOTENCY_RETENTION_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    pub idempotency_retention_secs: u64,

    /// The NATS server(s) order events are published to through JetStream, `nats://host:4222` (comma-separated for
    /// a cluster). Unset: no events are recorded.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,

    /// The events' subjects: `<prefix>.order_placed` and `<prefix>.order_status_changed`; the stream the service
    /// creates when it is missing (`ORDERS`) takes `<prefix>.>`.
    #[arg(long, env = "EVENTS_SUBJECT_PREFIX", default_value = "orders.events")]
    pub events_subject_prefix: SubjectPrefix,

    /// The events' CloudEvents `source`: a URI-reference naming this service (`/ordersvc`, `urn:acme:orders`).
    #[arg(long, env = "EVENTS_SOURCE", default_value = "/ordersvc")]
    pub events_source: EventSource,

    /// Most events the relay claims and publishes at once. A batch that is not full is followed by a 100 ms poll, so
    /// under load the events of a poll go out together: larger batches cost less per event (measured with events
    /// on: 500 kept 77 to 96% of create's rate, 100 kept 50 to 83%).
    #[arg(long, env = "EVENTS_BATCH_SIZE", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub events_batch_size: u32,

    /// How long published events stay in the outbox table before they are purged, in seconds; 0 deletes each as
    /// soon as the stream has it (the stream keeps the events; this is an audit trail in the database).
    #[arg(long, env = "EVENTS_RETENTION_SECS", default_value_t = 0)]
    pub events_retention_secs: u64,

    /// Consecutive database failures (unreachable, timed out) that open the circuit breaker; while open, requests
    /// fail fast with 503 instead of waiting on a dead database.
    #[arg(long, env = "BREAKER_FAILURE_THRESHOLD", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub breaker_failure_threshold: u32,

    /// How long the open breaker fails fast before letting one trial call through, in milliseconds.
    #[arg(long, env = "BREAKER_OPEN_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    pub breaker_open_ms: u64,

    /// Most connections each listener (HTTP, gRPC) holds open at once (default, and upper bound: what the file
    /// descriptor limit leaves after a reserve for the database pool and the runtime, shared between the listeners).
    #[arg(long, env = "MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// Longest a client may take to send a request's body (HTTP: 408 after it) or a call's message (gRPC:
    /// DEADLINE_EXCEEDED), counted from the first read, in seconds.
    #[arg(long, env = "REQUEST_BODY_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_body_timeout_secs: u64,

    /// Longest a client may take to send a request's line and headers (HTTP: 408 after it), in seconds.
    #[arg(long, env = "REQUEST_HEADER_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_header_timeout_secs: u64,

    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "HTTP_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub http_workers: Option<u16>,

    /// Log line format: `text`, or `json` (one object per line, for log shippers).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// At start, how long to keep trying to reach the database (with backoff) before giving up, in seconds.
    #[arg(long, env = "DB_CONNECT_TIMEOUT_SECS", default_value_t = 30)]
    pub db_connect_timeout_secs: u64,

    /// On SIGTERM or SIGINT, how long to keep serving with readiness failing, so load balancers take the instance
    /// out before it stops accepting, in seconds.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 5)]
    pub shutdown_grace_secs: u64,

    /// After the grace period, how long in-flight requests may take to finish before the process exits, in seconds.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// Requests per second each client may send on average, from 0.001 to 1000000 (default: no rate limit).
    #[arg(long, env = "RATE_LIMIT_RPS")]
    pub rate_limit_rps: Option<RequestsPerSecond>,

    /// Requests a client may send at once after a pause (default: the rate rounded up; ignored without a rate).
    #[arg(long, env = "RATE_LIMIT_BURST", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: Option<u32>,

    /// Proxies whose X-Forwarded-For names the client for the rate limit: comma-separated CIDRs or IP addresses
    /// (default: none, so the client is always the peer).
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        default_value = "",
        hide_default_value = true
    )]
    pub trusted_proxies: TrustedProxies,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Print a bearer token signed with the configured HS256 secret (`AUTH_HS256_SECRET_FILE`, `AUTH_ISSUER`,
    /// `AUTH_AUDIENCE`), to try the secured service: `ordersvc token --role customer --sub customer-42`.
    Token(TokenArgs),
}

/// What `ordersvc token` puts in the token.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The caller's role.
    #[arg(long, value_enum)]
    pub role: RoleArg,

    /// The caller's id: the customer's or the restaurant's id, or the operator's name.
    #[arg(long)]
    pub sub: String,

    /// How long the token is valid: a number of seconds, or with a unit (`90s`, `30m`, `1h`, `7d`).
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: Duration,
}

/// A role, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Places, reads and cancels its own orders.
    Customer,
    /// Reads the orders placed at it and moves them along.
    Restaurant,
    /// Does everything.
    Operator,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Customer => Self::Customer,
            RoleArg::Restaurant => Self::Restaurant,
            RoleArg::Operator => Self::Operator,
        }
    }
}

/// A token's lifetime: `3600`, `90s`, `30m`, `1h`, `7d`; from a second to a year.
fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration such as 90s, 30m, 1h or 7d"
            ));
        }
    };
    let seconds = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per))
        .filter(|seconds| (1..=366 * 86_400).contains(seconds))
        .ok_or_else(|| format!("`{text}` is not a duration from 1s to 366d"))?;
    Ok(Duration::from_secs(seconds))
}

/// Whether and how callers are authenticated, as the configuration decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Bearer tokens are required, checked with these keys and claims.
    On(AuthSettings),
    /// Callers are not authenticated, for the reason given (for the warning at start).
    Off(&'static str),
}

/// Where gRPC is served: an address, or nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcAddr {
    /// Listen here.
    On(SocketAddr),
    /// Serve HTTP alone.
    Off,
}

impl GrpcAddr {
    /// The address, unless gRPC is off.
    pub const fn address(self) -> Option<SocketAddr> {
        match self {
            Self::On(address) => Some(address),
            Self::Off => None,
        }
    }
}

impl std::str::FromStr for GrpcAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        text.trim()
            .parse()
            .map(Self::On)
            .map_err(|_| format!("`{text}` is neither an address such as 0.0.0.0:9090 nor `off`"))
    }
}

impl Config {
    /// Reads flags and environment; on a bad value, returns clap's error (the caller prints its first line).
    ///
    /// # Errors
    /// [`clap::Error`] for an unknown flag or an invalid value, and for `--help`/`--version` (not failures).
    pub fn from_env_and_args() -> Result<Self, clap::Error> {
        Self::try_parse()
    }

    /// How long idempotency keys are kept.
    pub const fn idempotency_retention(&self) -> Duration {
        Duration::from_secs(self.idempotency_retention_secs)
    }

    /// Where events are published, when `NATS_URL` is set.
    pub fn event_settings(&self) -> Option<EventSettings> {
        self.nats_url
            .as_ref()
            .filter(|url| !url.trim().is_empty())
            .map(|url| EventSettings {
                url: url.clone(),
                subject_prefix: self.events_subject_prefix.clone(),
                source: self.events_source.clone(),
            })
    }

    /// How the event relay works. Its lease outlasts a publish (the ack timeout is 5 s) and stays well inside the
    /// stream's duplicate window, so an event taken over from a relay that died is dropped as a duplicate.
    pub const fn relay_settings(&self) -> RelaySettings {
        RelaySettings {
            batch: self.events_batch_size,
            lease: Duration::from_secs(30),
            retention: Duration::from_secs(self.events_retention_secs),
        }
    }

    /// The circuit breaker's settings.
    pub fn breaker_settings(&self) -> BreakerSettings {
        BreakerSettings {
            failure_threshold: self.breaker_failure_threshold,
            open_for: Duration::from_millis(self.breaker_open_ms),
        }
    }

    /// The database pool's size: `DB_POOL_SIZE`, or the backend's default. PostgreSQL's connections wait on the
    /// network, so ten keep a couple of cores busy. SQLite's work runs in this process: a connection beyond one per
    /// core (and one to wait on the write lock) adds no throughput, only a page being built at once, and its
    /// memory (measured: a peak of 60 MiB with ten against 32 MiB with three, under 20 readers of the largest pages).
    pub fn pool_size(&self) -> u32 {
        self.db_pool_size
            .unwrap_or_else(|| match Backend::from_url(&self.database_url) {
                Ok(Backend::Sqlite(_)) => {
                    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
                    u32::try_from(cores + 1).map_or(POOL_SIZE, |size| size.min(POOL_SIZE))
                }
                Ok(Backend::Postgres(_)) | Err(_) => POOL_SIZE,
            })
    }

    /// The pool settings.
    pub fn pool_options(&self) -> PoolOptions {
        PoolOptions {
            max_connections: self.pool_size(),
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            statement_timeout: Duration::from_millis(self.db_statement_timeout_ms),
        }
    }

    /// The keys and claims tokens are checked against, when a key file is named.
    ///
    /// # Errors
    /// A line naming what is missing when a key is named without `AUTH_ISSUER` and `AUTH_AUDIENCE`.
    pub fn auth_settings(&self) -> Result<Option<AuthSettings>, String> {
        if self.auth_hs256_secret_file.is_none() && self.auth_jwks_file.is_none() {
            return Ok(None);
        }
        match (&self.auth_issuer, &self.auth_audience) {
            (Some(issuer), Some(audience)) if !issuer.is_empty() && !audience.is_empty() => {
                Ok(Some(AuthSettings {
                    hs256_secret_file: self.auth_hs256_secret_file.clone(),
                    jwks_file: self.auth_jwks_file.clone(),
                    issuer: issuer.clone(),
                    audience: audience.clone(),
                }))
            }
            _ => Err(
                "AUTH_ISSUER and AUTH_AUDIENCE are required with AUTH_HS256_SECRET_FILE or \
                      AUTH_JWKS_FILE (--auth-issuer, --auth-audience)"
                    .into(),
            ),
        }
    }

    /// Whether callers are authenticated: with a key, always; without one, only when every listener is on a
    /// loopback address, or `INSECURE_NO_AUTH` says so on purpose.
    ///
    /// # Errors
    /// One line for the operator: a key without its issuer and audience, issuer or audience without a key, keys
    /// together with `INSECURE_NO_AUTH`, or a listener other hosts can reach without keys.
    pub fn authentication(&self) -> Result<Authentication, String> {
        if let Some(settings) = self.auth_settings()? {
            if self.insecure_no_auth {
                return Err(
                    "INSECURE_NO_AUTH contradicts the AUTH_* keys: set one or the other".into(),
                );
            }
            return Ok(Authentication::On(settings));
        }
        if self.auth_issuer.is_some() || self.auth_audience.is_some() {
            return Err("AUTH_ISSUER and AUTH_AUDIENCE need a key: set AUTH_HS256_SECRET_FILE or AUTH_JWKS_FILE \
                        (--auth-hs256-secret-file, --auth-jwks-file)"
                .into());
        }
        if self.insecure_no_auth {
            return Ok(Authentication::Off("INSECURE_NO_AUTH is set"));
        }
        let exposed: Vec<String> = std::iter::once(self.http_addr)
            .chain(self.grpc_addr.address())
            .filter(|address| !address.ip().is_loopback())
            .map(|address| address.to_string())
            .collect();
        if exposed.is_empty() {
            return Ok(Authentication::Off(
                "every listener is on a loopback address",
            ));
        }
        Err(format!(
            "refusing to serve {} without authentication: set AUTH_HS256_SECRET_FILE or AUTH_JWKS_FILE with \
             AUTH_ISSUER and AUTH_AUDIENCE, or INSECURE_NO_AUTH=true behind an authenticating gateway",
            exposed.join(" and ")
        ))
    }

    /// The per-client rate limit, if one is configured.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        let rps = self.rate_limit_rps?;
        let burst = self
            .rate_limit_burst
            .and_then(NonZeroU32::new)
            .unwrap_or_else(|| rps.default_burst());
        Some(RateLimit::new(rps, burst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::try_parse_from(std::iter::once("ordersvc").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_serve_loopback_on_8080_with_a_sqlite_file() {
        // Only meaningful when the environment does not set these; CI does not.
        if std::env::var_os("HTTP_ADDR").is_none() && std::env::var_os("DATABASE_URL").is_none() {
            let config = parse(&[]).unwrap();
            assert_eq!(config.http_addr.to_string(), "127.0.0.1:8080");
            assert_eq!(
                config.grpc_addr,
                GrpcAddr::On("127.0.0.1:9090".parse().unwrap())
            );
            assert_eq!(config.database_url, "orders.db");
        }
    }

    #[test]
    fn flags_set_every_setting() {
        let config = parse(&[
            "--http-addr=127.0.0.1:9000",
            "--grpc-addr=127.0.0.1:9001",
            "--database-url=postgres://h/db",
            "--db-pool-size=3",
            "--db-acquire-timeout-ms=150",
            "--db-statement-timeout-ms=700",
            "--http-workers=2",
            "--shutdown-timeout-secs=4",
            "--shutdown-grace-secs=6",
            "--db-connect-timeout-secs=7",
            "--log-format=json",
            "--breaker-failure-threshold=9",
            "--breaker-open-ms=250",
            "--idempotency-retention-secs=60",
        ])
        .unwrap();
        let pool = config.pool_options();
        assert_eq!(config.grpc_addr.address().map(|a| a.port()), Some(9001));
        assert_eq!(
            (
                config.http_addr.port(),
                config.http_workers,
                config.shutdown_timeout_secs
            ),
            (9000, Some(2), 4)
        );
        assert_eq!(
            (config.shutdown_grace_secs, config.db_connect_timeout_secs),
            (6, 7)
        );
        assert_eq!(
            (
                pool.max_connections,
                pool.acquire_timeout.as_millis(),
                pool.statement_timeout.as_millis()
            ),
            (3, 150, 700)
        );
    }

    #[test]
    fn bad_values_are_refused() {
        for args in [
            &["--http-addr=nowhere"][..],
            &["--grpc-addr=nowhere"],
            &["--db-pool-size=0"],
            &["--http-workers=0"],
            &["--db-acquire-timeout-ms=-1"],
            &["--no-such-flag"],
            &["--log-format=xml"],
            &["--breaker-failure-threshold=0"],
            &["--rate-limit-rps=0"],
            &["--rate-limit-rps=-1"],
            &["--rate-limit-rps=fast"],
            &["--rate-limit-rps=1", "--rate-limit-burst=0"],
            &["--rate-limit-rps=1", "--rate-limit-burst=1.5"],
            &["--trusted-proxies=10.0.0.0/33"],
            &["--trusted-proxies=10.0.0.0/8,proxy.internal"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn the_pool_defaults_to_ten_on_postgres_and_to_one_per_core_and_one_on_sqlite() {
        if std::env::var_os("DB_POOL_SIZE").is_some() {
            return;
        }
        let postgres = parse(&["--database-url=postgres://h/db"]).unwrap();
        assert_eq!(postgres.pool_size(), 10);
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let sqlite = parse(&["--database-url=orders.db"]).unwrap();
        assert_eq!(
            sqlite.pool_size(),
            u32::try_from(cores + 1).unwrap().min(10)
        );
        let set = parse(&["--database-url=orders.db", "--db-pool-size=7"]).unwrap();
        assert_eq!(set.pool_size(), 7);
    }

    #[test]
    fn grpc_can_be_turned_off() {
        for off in ["off", "OFF", " off "] {
            let config = parse(&[&format!("--grpc-addr={off}")]).unwrap();
            assert_eq!(config.grpc_addr, GrpcAddr::Off, "{off:?}");
        }
    }

    #[test]
    fn there_is_no_rate_limit_unless_a_rate_is_set() {
        if std::env::var_os("RATE_LIMIT_RPS").is_none()
            && std::env::var_os("TRUSTED_PROXIES").is_none()
        {
            let config = parse(&[]).unwrap();
            assert_eq!(config.rate_limit(), None);
            assert!(config.trusted_proxies.is_empty());
        }
    }

    #[test]
    fn the_burst_defaults_to_the_rate_rounded_up() {
        let config = parse(&["--rate-limit-rps=2.5"]).unwrap();
        let limit = config.rate_limit().unwrap();
        assert_eq!((limit.rps().get(), limit.burst().get()), (2.5, 3));
    }

    #[test]
    fn rate_limit_flags_set_the_rate_burst_and_trusted_proxies() {
        let config = parse(&[
            "--rate-limit-rps=0.5",
            "--rate-limit-burst=20",
            "--trusted-proxies=10.0.0.0/8, 192.168.1.1",
        ])
        .unwrap();
        let limit = config.rate_limit().unwrap();
        assert_eq!((limit.rps().get(), limit.burst().get()), (0.5, 20));
        assert_eq!(
            config.trusted_proxies.to_string(),
            "10.0.0.0/8,192.168.1.1/32"
        );
    }

    #[test]
    fn a_burst_without_a_rate_sets_no_limit() {
        if std::env::var_os("RATE_LIMIT_RPS").is_none() {
            assert_eq!(parse(&["--rate-limit-burst=5"]).unwrap().rate_limit(), None);
        }
    }

    #[test]
    fn a_bad_rate_is_explained_in_the_first_line() {
        let error = parse(&["--rate-limit-rps=0"]).unwrap_err().to_string();
        let first_line = error.lines().next().unwrap();
        assert!(
            first_line.contains("--rate-limit-rps") && first_line.contains("from 0.001 to 1000000"),
            "{first_line}"
        );
    }

    /// Only meaningful when the environment sets none of the settings involved; CI sets none.
    fn auth_environment_is_clear() -> bool {
        [
            "HTTP_ADDR",
            "GRPC_ADDR",
            "AUTH_HS256_SECRET_FILE",
            "AUTH_JWKS_FILE",
            "AUTH_ISSUER",
            "AUTH_AUDIENCE",
            "INSECURE_NO_AUTH",
        ]
        .iter()
        .all(|name| std::env::var_os(name).is_none())
    }

    #[test]
    fn without_keys_only_loopback_is_served_unless_insecure_no_auth_says_so() {
        if !auth_environment_is_clear() {
            return;
        }
        let off = |args: &[&str]| {
            matches!(
                parse(args).unwrap().authentication(),
                Ok(Authentication::Off(_))
            )
        };
        assert!(off(&[]));
        assert!(off(&["--http-addr=[::1]:8080", "--grpc-addr=off"]));
        assert!(off(&["--http-addr=0.0.0.0:8080", "--insecure-no-auth"]));
        for exposed in [
            &["--http-addr=0.0.0.0:8080"][..],
            &["--grpc-addr=0.0.0.0:9090"],
            &["--http-addr=192.168.1.5:8080", "--grpc-addr=off"],
        ] {
            let refused = parse(exposed).unwrap().authentication().unwrap_err();
            assert!(
                refused.contains("AUTH_HS256_SECRET_FILE") && refused.contains("INSECURE_NO_AUTH"),
                "{refused}"
            );
        }
    }

    #[test]
    fn a_key_needs_its_issuer_and_audience_and_turns_authentication_on_anywhere() {
        if !auth_environment_is_clear() {
            return;
        }
        let keyed = [
            "--http-addr=0.0.0.0:8080",
            "--auth-jwks-file=/etc/ordersvc/jwks.json",
        ];
        let refused = parse(&keyed).unwrap().authentication().unwrap_err();
        assert!(
            refused.contains("AUTH_ISSUER and AUTH_AUDIENCE"),
            "{refused}"
        );
        let config = parse(
            &[
                &keyed[..],
                &[
                    "--auth-issuer=https://id.example",
                    "--auth-audience=ordersvc",
                ],
            ]
            .concat(),
        )
        .unwrap();
        assert!(
            matches!(config.authentication(), Ok(Authentication::On(settings)) if settings.issuer == "https://id.example")
        );
        let both = parse(
            &[
                &keyed[..],
                &["--auth-issuer=i", "--auth-audience=a", "--insecure-no-auth"],
            ]
            .concat(),
        )
        .unwrap();
        assert!(both.authentication().is_err());
        assert!(
            parse(&["--auth-issuer=i"])
                .unwrap()
                .authentication()
                .is_err()
        );
    }

    #[test]
    fn token_lifetimes_read_with_a_unit() {
        for (text, seconds) in [
            ("90", 90),
            ("90s", 90),
            ("30m", 1800),
            ("1h", 3600),
            ("7d", 604_800),
        ] {
            assert_eq!(parse_ttl(text), Ok(Duration::from_secs(seconds)), "{text}");
        }
        for bad in ["", "0s", "1w", "h", "-1h", "367d", "99999999999999999999s"] {
            assert!(parse_ttl(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_token_command_takes_a_role_a_subject_and_a_lifetime() {
        let config = parse(&[
            "token",
            "--role",
            "customer",
            "--sub",
            "customer-42",
            "--ttl",
            "2h",
        ])
        .unwrap();
        let Some(Command::Token(args)) = config.command else {
            panic!("no token command");
        };
        assert_eq!(
            (args.role, args.sub.as_str(), args.ttl),
            (RoleArg::Customer, "customer-42", Duration::from_secs(7200))
        );
        assert!(parse(&["token", "--role", "admin", "--sub", "x"]).is_err());
    }
}
