//! Secrets shared by every instance on one database, kept in the database itself: whichever instance asks first
//! stores a random one, and all of them read that one. Nothing to configure, and nothing to keep in sync.

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::connection::AnyConnection;
use super::schema::service_keys;

/// The secret called `name`: `candidate` if no instance stored one before, the stored one otherwise.
pub(crate) fn shared_secret(
    conn: &mut AnyConnection,
    name: &str,
    candidate: &[u8],
) -> Result<Vec<u8>, DieselError> {
    let row = (
        service_keys::name.eq(name),
        service_keys::secret.eq(candidate),
    );
    // ON CONFLICT is per backend in diesel, so the statement runs on the inner connection.
    let insert = diesel::insert_into(service_keys::table)
        .values(row)
        .on_conflict_do_nothing();
    match conn {
        AnyConnection::Postgresql(pg) => insert.execute(pg)?,
        AnyConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    service_keys::table
        .filter(service_keys::name.eq(name))
        .select(service_keys::secret)
        .first(conn)
}
