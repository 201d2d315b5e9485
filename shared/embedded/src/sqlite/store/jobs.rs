//! Job rows: a keyed unit of work done once (e.g. one reply sent), with the message lease.

use rusqlite::{params, Connection};

use bridge_core::ports::store::ClaimOutcome;

use super::lease::{self, JOBS};
use super::Fail;
use crate::sqlite::expiry::{expires_at, now_secs};

/// Creates the row on the first claim (an expired row starts afresh), then claims its lease.
pub(super) fn claim(
    conn: &Connection,
    account: &str,
    job: &str,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<ClaimOutcome, Fail> {
    conn.prepare_cached(
        "INSERT INTO jobs (account, job, expires_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account, job) DO UPDATE SET done = 0, attempts = 0, lease_owner = NULL, \
           lease_until = NULL, outcome = NULL, last_error = NULL, expires_at = excluded.expires_at \
         WHERE jobs.expires_at < ?4",
    )?
    .execute(params![account, job, expires_at(), now_secs()])?;
    lease::claim(conn, &JOBS, account, job, owner, now, lease_secs)
}

pub(super) fn complete(conn: &Connection, account: &str, job: &str, owner: &str, outcome: &str) -> Result<(), Fail> {
    lease::complete(conn, &JOBS, account, job, owner, "outcome = ?3", &[&outcome])
}
