//! Fresh, throw-away databases for tests: a temporary SQLite file, or a PostgreSQL database with a unique name that
//! is dropped afterwards. Compiled for this crate's tests and, with the `test-support` feature, for other crates'.
#![allow(clippy::panic, clippy::expect_used)] // test support: a broken test environment should stop the test loudly

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary};
use uuid::Uuid;

/// The server tests create their databases on; override with `ORDERSVC_TEST_POSTGRES_URL`.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists for one test and is removed when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    /// The SQLite file's own directory: removing it also keeps a connection the pool opens late from recreating
    /// the file.
    Directory(PathBuf),
    DropDatabase {
        admin_url: String,
        name: String,
    },
}

fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDatabase {
    /// A new SQLite file, in a directory of its own under the system's temporary directory.
    pub fn sqlite() -> Self {
        let directory = std::env::temp_dir().join(unique_name("ordersvc_test"));
        std::fs::create_dir(&directory).expect("create a temporary directory");
        let url = directory.join("orders.db").display().to_string();
        Self {
            url,
            cleanup: Cleanup::Directory(directory),
        }
    }

    /// A new, empty PostgreSQL database, or `None` when no server answers and this is not CI: then the test is
    /// reported as skipped, loudly. In CI (`CI=true`) a missing server fails the test.
    pub fn postgres() -> Option<Self> {
        let admin_url = std::env::var("ORDERSVC_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let mut admin = match PgConnection::establish(&admin_url) {
            Ok(conn) => conn,
            Err(error) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL is required in CI but {admin_url} refused: {error}")
            }
            Err(error) => {
                eprintln!(
                    "SKIPPED: no PostgreSQL at {admin_url} ({error}); PostgreSQL tests did not run"
                );
                return None;
            }
        };
        let name = unique_name("ordersvc_test");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        Some(Self {
            url: format!("{base}/{name}"),
            cleanup: Cleanup::DropDatabase { admin_url, name },
        })
    }

    /// The URL to give the service (`DATABASE_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Locks `table` against every other session until the returned connection is dropped (PostgreSQL only), so the
    /// service's statements on it wait until their timeout.
    pub fn lock_table(&self, table: &str) -> PgConnection {
        assert!(
            matches!(self.cleanup, Cleanup::DropDatabase { .. }),
            "lock_table is for PostgreSQL"
        );
        let mut conn = PgConnection::establish(&self.url).expect("connect");
        conn.batch_execute(&format!(
            "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
        ))
        .expect("lock the table");
        conn
    }

    /// How many rows `table` (`orders` or `order_items`) holds, read straight from the database.
    pub fn row_count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let counts: Vec<Count> = self.rows(&format!("SELECT COUNT(*) AS n FROM {table}"));
        counts.first().expect("one count").n
    }

    /// The id of every stored order, as the API writes it (a hyphenated UUID), read straight from the database.
    pub fn order_ids(&self) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = Binary)]
            id: Vec<u8>,
        }
        let ids: Vec<Id> = self.rows("SELECT id FROM orders");
        ids.iter()
            .map(|row| Uuid::from_slice(&row.id).expect("a 16-byte id").to_string())
            .collect()
    }

    /// The rows `sql` selects, on whichever backend this database is.
    fn rows<T>(&self, sql: &str) -> Vec<T>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        let query = diesel::sql_query(sql);
        match &self.cleanup {
            Cleanup::Directory(_) => {
                query.load(&mut SqliteConnection::establish(&self.url).expect("open SQLite"))
            }
            Cleanup::DropDatabase { .. } => {
                query.load(&mut PgConnection::establish(&self.url).expect("connect"))
            }
        }
        .expect("query the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(directory) => {
                let _ = std::fs::remove_dir_all(directory);
            }
            Cleanup::DropDatabase { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}
