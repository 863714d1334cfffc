//! The persistence adapter (Go kit's `cockroachdb/`): diesel over an r2d2 pool, one repository for PostgreSQL and
//! SQLite, with embedded migrations run at start-up.
//!
//! The schema and row types are private: nothing outside this module knows a table or a column.

mod connection;
#[cfg(test)]
mod contract_tests;
mod errors;
mod idempotency;
mod keys;
mod listing;
mod outbox;
mod repository;
mod rows;
mod schema;
#[cfg(test)]
mod statement_tests;
#[cfg(any(test, feature = "test-support"))]
pub mod test_database;
mod writes;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use domain::RepositoryError;
use thiserror::Error;

pub use connection::{AnyConnection, Backend, ConnectError, InvalidDatabaseUrl};
use connection::{AnyConnectionManager, SessionSettings};
pub use repository::DieselOrderRepository;

const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("src/persistence/migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("src/persistence/migrations/sqlite");

/// An arbitrary, fixed key: instances starting together take turns migrating a PostgreSQL database.
const MIGRATION_LOCK_KEY: i64 = 0x6f72_6465_7273;

/// How the pool behaves.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// The most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a free connection before it is told the service is unavailable.
    pub acquire_timeout: Duration,
    /// The longest a statement may run (PostgreSQL), or wait for SQLite's write lock.
    pub statement_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// The pool's connections at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Open connections, in use or idle.
    pub open: u32,
    /// Open connections waiting in the pool.
    pub idle: u32,
}

/// The database could not be made ready. The driver's reason is the error's `source()`.
#[derive(Debug, Error)]
pub enum DatabaseError {
    /// The URL names nothing usable.
    #[error(transparent)]
    InvalidUrl(#[from] InvalidDatabaseUrl),
    /// The first connection failed, with the driver's reason.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A migration failed.
    #[error("cannot migrate the database")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The shared secrets could not be read or made.
    #[error("cannot read the service's keys")]
    Secret(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The pool could not be filled.
    #[error("cannot open the connection pool")]
    Pool(#[from] r2d2::Error),
}

impl DatabaseError {
    /// Whether trying again later may succeed: the server was unreachable, not misconfigured.
    pub const fn is_transient(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Pool(_))
    }
}

/// A migrated database and its connection pool.
#[derive(Debug, Clone)]
pub struct Database {
    repository: DieselOrderRepository,
    backend: &'static str,
    cursor_key: [u8; 32],
}

impl Database {
    /// Connects to the database `url` names (`postgres://...` or a SQLite file path), applies pending migrations,
    /// then opens the pool.
    ///
    /// # Errors
    /// [`DatabaseError`] with the driver's own reason when any step fails.
    pub fn connect(url: &str, options: &PoolOptions) -> Result<Self, DatabaseError> {
        let backend = Backend::from_url(url)?;
        let system = backend.system_name();
        let backend_name = match backend {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        };
        let manager = AnyConnectionManager::new(
            backend,
            SessionSettings {
                statement_timeout: options.statement_timeout,
            },
        );
        let mut conn = manager.connect()?;
        migrate(&mut conn)?;
        let cursor_key = cursor_key(&mut conn)?;
        let pool = r2d2::Pool::builder()
            .max_size(options.max_connections)
            .min_idle(Some(1))
            .connection_timeout(options.acquire_timeout)
            .build(manager)?;
        Ok(Self {
            repository: DieselOrderRepository::new(pool, system, backend_name == "sqlite"),
            backend: backend_name,
            cursor_key,
        })
    }

    /// The repository over this database's pool.
    pub fn repository(&self) -> DieselOrderRepository {
        self.repository.clone()
    }

    /// One round trip to the database within `timeout`, pool check-out included: the readiness probe.
    ///
    /// # Errors
    /// `Unavailable` when no connection is free in time or the database does not answer.
    pub fn ping(&self, timeout: Duration) -> Result<(), RepositoryError> {
        self.repository.ping(timeout)
    }

    /// How many connections the pool holds open, and how many of those are idle.
    pub fn pool_state(&self) -> PoolState {
        let state = self.repository.pool_state();
        PoolState {
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    /// The key that signs listing cursors: the same for every instance on this database, and across restarts.
    pub const fn cursor_key(&self) -> &[u8; 32] {
        &self.cursor_key
    }

    /// `postgres` or `sqlite`.
    pub const fn backend(&self) -> &'static str {
        self.backend
    }
}

/// The database's cursor key, made from 32 random bytes by the first instance that asks.
fn cursor_key(conn: &mut AnyConnection) -> Result<[u8; 32], DatabaseError> {
    let mut candidate = [0_u8; 32];
    getrandom::fill(&mut candidate).map_err(|e| DatabaseError::Secret(e.to_string().into()))?;
    let stored = keys::shared_secret(conn, "cursor", &candidate)
        .map_err(|e| DatabaseError::Secret(Box::new(e)))?;
    <[u8; 32]>::try_from(stored.as_slice())
        .map_err(|_| DatabaseError::Secret("the stored cursor key is not 32 bytes".into()))
}

/// Applies the pending migrations of the connection's backend.
fn migrate(conn: &mut AnyConnection) -> Result<(), DatabaseError> {
    let failed = |e| DatabaseError::Migrate(e);
    match conn {
        AnyConnection::Postgresql(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| failed(e.into()))?;
            let applied = pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            let unlocked =
                pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
            applied.map_err(failed)?;
            unlocked.map_err(|e| failed(e.into()))
        }
        AnyConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(failed),
    }
}
