//! The one lease protocol behind message and job rows (claim, complete, release), as in the
//! DynamoDB adapter: a claim takes the lease if the row is not done and no live lease exists
//! (an expired one is taken over); only the lease's owner completes or releases.

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::ports::store::{ClaimOutcome, StoreError};

use super::Fail;
use crate::sqlite::expiry::now_secs;

/// A table with the lease columns (`done`, `attempts`, `lease_owner`, `lease_until`,
/// `last_error`, `expires_at`), keyed by `account` and `key`.
pub(super) struct LeaseTable {
    pub table: &'static str,
    pub key: &'static str,
    /// What a claim of a missing row means (messages exist from intake on).
    pub missing: &'static str,
}

pub(super) const MESSAGES: LeaseTable =
    LeaseTable { table: "messages", key: "id", missing: "claimed a message that was never recorded" };
pub(super) const JOBS: LeaseTable =
    LeaseTable { table: "jobs", key: "job", missing: "claimed a job that was never created" };

pub(super) fn claim(
    conn: &Connection,
    t: &LeaseTable,
    account: &str,
    key: &str,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<ClaimOutcome, Fail> {
    let LeaseTable { table, key: key_col, .. } = t;
    let alive = now_secs();
    let claimed: Option<i64> = conn
        .prepare_cached(&format!(
            "UPDATE {table} SET lease_owner = ?3, lease_until = ?4, attempts = attempts + 1 \
             WHERE account = ?1 AND {key_col} = ?2 AND done = 0 \
               AND (lease_until IS NULL OR lease_until < ?5) AND expires_at >= ?6 \
             RETURNING attempts"
        ))?
        .query_row(params![account, key, owner, now + lease_secs, now, alive], |r| r.get(0))
        .optional()?;
    if let Some(attempts) = claimed {
        return Ok(ClaimOutcome::Claimed { attempt: u32::try_from(attempts).unwrap_or(u32::MAX) });
    }
    let row: Option<(bool, Option<i64>)> = conn
        .prepare_cached(&format!(
            "SELECT done, lease_until FROM {table} WHERE account = ?1 AND {key_col} = ?2 AND expires_at >= ?3"
        ))?
        .query_row(params![account, key, alive], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Err(Fail::Store(StoreError::Corrupt(format!("{}: {key}", t.missing)))),
        Some((true, _)) => Ok(ClaimOutcome::Done),
        Some((false, until)) => Ok(ClaimOutcome::Busy { until: until.unwrap_or(now) }),
    }
}

/// Marks the row done, setting `assignments` (`?3`, `?4` … bound to `values`), and drops the
/// lease; only its owner may.
pub(super) fn complete(
    conn: &Connection,
    t: &LeaseTable,
    account: &str,
    key: &str,
    owner: &str,
    assignments: &str,
    values: &[&dyn rusqlite::ToSql],
) -> Result<(), Fail> {
    let LeaseTable { table, key: key_col, .. } = t;
    let owner_param = values.len() + 3;
    let alive_param = owner_param + 1;
    let sql = format!(
        "UPDATE {table} SET done = 1, {assignments}, lease_owner = NULL, lease_until = NULL \
         WHERE account = ?1 AND {key_col} = ?2 AND lease_owner = ?{owner_param} AND expires_at >= ?{alive_param}"
    );
    let alive = now_secs();
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&account, &key];
    all.extend_from_slice(values);
    all.push(&owner);
    all.push(&alive);
    match conn.prepare_cached(&sql)?.execute(all.as_slice())? {
        0 => Err(Fail::Store(StoreError::LeaseLost)),
        _ => Ok(()),
    }
}

/// Gives the lease back after a failure; not owning it any more is fine (someone took over).
pub(super) fn release(
    conn: &Connection,
    t: &LeaseTable,
    account: &str,
    key: &str,
    owner: &str,
    error: &str,
) -> Result<(), Fail> {
    let LeaseTable { table, key: key_col, .. } = t;
    conn.prepare_cached(&format!(
        "UPDATE {table} SET last_error = ?4, lease_owner = NULL, lease_until = NULL \
         WHERE account = ?1 AND {key_col} = ?2 AND lease_owner = ?3"
    ))?
    .execute(params![account, key, owner, error])?;
    Ok(())
}
