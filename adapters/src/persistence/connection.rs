//! One connection type over both backends, and the r2d2 manager that opens and configures it.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use thiserror::Error;

use crate::telemetry::{self, QuerySpans};

/// A connection to PostgreSQL or SQLite; diesel runs the same queries on either.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL, for production.
    Postgresql(PgConnection),
    /// SQLite, the embedded default.
    Sqlite(SqliteConnection),
}

/// Which database a `DATABASE_URL` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
    /// A SQLite file path (a `sqlite://` prefix is allowed).
    Sqlite(String),
}

/// The database systems, as OpenTelemetry names them (`db.system.name`).
const POSTGRESQL: &str = "postgresql";
const SQLITE: &str = "sqlite";

impl Backend {
    /// The database system, as OpenTelemetry names it: `postgresql` or `sqlite`.
    pub(crate) const fn system_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => POSTGRESQL,
            Self::Sqlite(_) => SQLITE,
        }
    }
}

/// The database URL names nothing this service can use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidDatabaseUrl {
    /// Empty.
    #[error("the database URL is empty")]
    Empty,
    /// An in-memory SQLite database: each pooled connection would see a different, empty database.
    #[error("an in-memory SQLite database cannot be shared by a connection pool; give a file path")]
    InMemory,
    /// A scheme other than postgres, postgresql or sqlite.
    #[error("unsupported database URL scheme {0:?}: use postgres://... or a SQLite file path")]
    UnsupportedScheme(String),
}

impl Backend {
    /// Picks the backend from the URL's scheme; anything without a scheme is a SQLite file path.
    ///
    /// # Errors
    /// [`InvalidDatabaseUrl`] for an empty URL, an in-memory SQLite database or an unknown scheme.
    pub fn from_url(url: &str) -> Result<Self, InvalidDatabaseUrl> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        match path.split_once("://") {
            _ if path.is_empty() => Err(InvalidDatabaseUrl::Empty),
            Some((scheme, _)) => Err(InvalidDatabaseUrl::UnsupportedScheme(scheme.to_owned())),
            None if path == ":memory:"
                || path.contains("mode=memory")
                || path.starts_with("file::memory:") =>
            {
                Err(InvalidDatabaseUrl::InMemory)
            }
            None => Ok(Self::Sqlite(path.to_owned())),
        }
    }
}

/// How connections are set up once opened.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionSettings {
    /// PostgreSQL's `statement_timeout`; SQLite's `busy_timeout` (how long a writer waits for the lock).
    pub statement_timeout: Duration,
}

/// Opening a connection failed; the message is the driver's own (never diesel's multi-backend guess).
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The server or file could not be opened.
    #[error("cannot connect to the database")]
    Connection(#[from] ConnectionError),
    /// The session settings could not be applied.
    #[error("cannot configure the database session")]
    Setup(#[from] diesel::result::Error),
}

/// Opens connections for r2d2: chooses the backend from the URL itself, so a refused PostgreSQL connection reports
/// the real reason, and applies the session settings.
#[derive(Debug, Clone)]
pub(crate) struct AnyConnectionManager {
    backend: Backend,
    settings: SessionSettings,
}

impl AnyConnectionManager {
    pub fn new(backend: Backend, settings: SessionSettings) -> Self {
        Self { backend, settings }
    }

    pub fn connect(&self) -> Result<AnyConnection, ConnectError> {
        let millis = self.settings.statement_timeout.as_millis();
        match &self.backend {
            Backend::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute(&format!("SET statement_timeout = {millis}"))?;
                if telemetry::is_on() {
                    conn.set_instrumentation(QuerySpans::new(POSTGRESQL));
                }
                Ok(AnyConnection::Postgresql(conn))
            }
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside the one writer; writers queue on the lock for up to busy_timeout.
                // The page cache (and with it the sorter's memory, which a listing's ORDER BY uses before it
                // spills to a temporary file) is 1 MiB per connection instead of 2: with a pool of 10, a burst of
                // the largest listings measured 76 MiB of peak RSS at 2 MiB (bench/memory.py); the file's pages
                // stay in the OS's cache either way.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {millis}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -{SQLITE_CACHE_KIB};"
                ))?;
                if telemetry::is_on() {
                    conn.set_instrumentation(QuerySpans::new(SQLITE));
                }
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

/// The SQLite page cache of each connection, in KiB.
const SQLITE_CACHE_KIB: u32 = 1024;

/// A connection handed back to the pool less than this long ago is handed out again without a ping: under load,
/// checking every check-out would add a round trip to every request (the benchmark measured 20% of the status change
/// rate), while a connection that sat idle, the one a database restart is likely to have cut, is still pinged.
/// PgBouncer's `server_check_delay` makes the same trade, with 30 s.
const PING_IDLE_AFTER: Duration = Duration::from_secs(1);

/// A connection as the pool keeps it: with when it was last handed back in good order.
pub(crate) struct ManagedConnection {
    connection: AnyConnection,
    released: Option<Instant>,
}

impl Deref for ManagedConnection {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.connection
    }
}

impl DerefMut for ManagedConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.connection
    }
}

impl r2d2::ManageConnection for AnyConnectionManager {
    type Connection = ManagedConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<ManagedConnection, ConnectError> {
        Ok(ManagedConnection {
            connection: Self::connect(self)?,
            released: None,
        })
    }

    fn is_valid(&self, conn: &mut ManagedConnection) -> Result<(), ConnectError> {
        if conn
            .released
            .is_some_and(|released| released.elapsed() < PING_IDLE_AFTER)
        {
            return Ok(());
        }
        conn.connection.ping().map_err(ConnectError::Setup)
    }

    fn has_broken(&self, conn: &mut ManagedConnection) -> bool {
        let broken = conn.connection.is_broken();
        if !broken {
            conn.released = Some(Instant::now());
        }
        broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_follows_the_url() {
        let cases: &[(&str, Result<Backend, InvalidDatabaseUrl>)] = &[
            (
                "postgres://u@h/db",
                Ok(Backend::Postgres("postgres://u@h/db".into())),
            ),
            (
                "postgresql://h/db",
                Ok(Backend::Postgres("postgresql://h/db".into())),
            ),
            ("orders.db", Ok(Backend::Sqlite("orders.db".into()))),
            (
                "/var/lib/ordersvc/orders.db",
                Ok(Backend::Sqlite("/var/lib/ordersvc/orders.db".into())),
            ),
            (
                "sqlite://orders.db",
                Ok(Backend::Sqlite("orders.db".into())),
            ),
            ("", Err(InvalidDatabaseUrl::Empty)),
            (":memory:", Err(InvalidDatabaseUrl::InMemory)),
            (
                "mysql://h/db",
                Err(InvalidDatabaseUrl::UnsupportedScheme("mysql".into())),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(&Backend::from_url(url), expected, "{url:?}");
        }
    }
}
