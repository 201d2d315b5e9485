//! Inbox rows: a conversation's recorded, unprocessed messages, read in send order off the
//! primary key's index (`account, phone, ord`).

use rusqlite::{params, Connection};

use bridge_core::ports::store::InboxEntry;

use super::{from_json, to_json, Fail};
use crate::sqlite::expiry::{expires_at, now_secs};

/// Idempotent: the same entry (same order key) is the same row (added again, as DynamoDB's put).
pub(super) fn add(conn: &Connection, account: &str, entry: &InboxEntry) -> Result<(), Fail> {
    conn.prepare_cached(
        "INSERT INTO inbox (account, phone, ord, entry, expires_at, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (account, phone, ord) DO UPDATE SET entry = excluded.entry, expires_at = excluded.expires_at, \
           added_at = excluded.added_at",
    )?
    .execute(params![
        account,
        entry.message.from.digits(),
        entry.order,
        to_json(entry)?,
        expires_at(),
        now_secs()
    ])?;
    Ok(())
}

pub(super) fn list(conn: &Connection, account: &str, phone: &str, limit: usize) -> Result<Vec<InboxEntry>, Fail> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT entry FROM inbox WHERE account = ?1 AND phone = ?2 AND expires_at >= ?3 ORDER BY ord LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![account, phone, now_secs(), limit], |r| r.get::<_, String>(0))?;
    rows.map(|json| from_json(&json?, "inbox entry")).collect()
}

pub(super) fn remove(conn: &Connection, account: &str, phone: &str, order: &str) -> Result<(), Fail> {
    conn.prepare_cached("DELETE FROM inbox WHERE account = ?1 AND phone = ?2 AND ord = ?3")?
        .execute(params![account, phone, order])?;
    Ok(())
}

/// The conversations of `account` with an entry added before `older_than`, longest waiting
/// first (off the `inbox_waiting` index), each as the first entry of its inbox in send order.
pub(super) fn stale(conn: &Connection, account: &str, older_than: i64, limit: usize) -> Result<Vec<InboxEntry>, Fail> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT phone, min(added_at) AS since FROM inbox \
         WHERE account = ?1 AND added_at < ?2 AND expires_at >= ?3 \
         GROUP BY phone ORDER BY since, phone LIMIT ?4",
    )?;
    let phones = stmt
        .query_map(params![account, older_than, now_secs(), limit], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut heads = Vec::with_capacity(phones.len());
    for phone in phones {
        heads.extend(list(conn, account, &phone, 1)?);
    }
    Ok(heads)
}

/// Conversations with messages waiting, as `(account, phone digits)`.
pub(super) fn waiting(conn: &Connection) -> Result<Vec<(String, String)>, Fail> {
    let mut stmt = conn
        .prepare_cached("SELECT DISTINCT account, phone FROM inbox WHERE expires_at >= ?1 ORDER BY account, phone")?;
    let rows = stmt.query_map([now_secs()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
