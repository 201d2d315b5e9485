//! Sent rows: provider message id → the Planfix comment it came from, and its delivery status
//! (which only moves forward: statuses arrive out of order).

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::ports::store::SentRecord;

use super::Fail;
use crate::sqlite::expiry::{now_secs, sent_expires_at};

/// Like DynamoDB's update: the status survives a second put, and so does a known author when
/// the new record has none. An expired row starts afresh.
pub(super) fn put(conn: &Connection, account: &str, provider_id: &str, record: &SentRecord) -> Result<(), Fail> {
    conn.prepare_cached(
        "INSERT INTO sent (account, provider_id, comment_id, task_id, author, expires_at, excerpt) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8) \
         ON CONFLICT (account, provider_id) DO UPDATE SET \
           comment_id = excluded.comment_id, task_id = excluded.task_id, \
           author = CASE WHEN sent.expires_at < ?7 THEN excluded.author ELSE coalesce(excluded.author, sent.author) END, \
           excerpt = CASE WHEN sent.expires_at < ?7 THEN excluded.excerpt ELSE coalesce(excluded.excerpt, sent.excerpt) END, \
           delivery_status = CASE WHEN sent.expires_at < ?7 THEN NULL ELSE sent.delivery_status END, \
           status_rank = CASE WHEN sent.expires_at < ?7 THEN NULL ELSE sent.status_rank END, \
           expires_at = excluded.expires_at",
    )?
    .execute(params![
        account,
        provider_id,
        record.comment_id,
        record.task_id,
        record.author,
        sent_expires_at(),
        now_secs(),
        record.excerpt
    ])?;
    Ok(())
}

pub(super) fn get(conn: &Connection, account: &str, provider_id: &str) -> Result<Option<SentRecord>, Fail> {
    Ok(conn
        .prepare_cached(
            "SELECT comment_id, task_id, author, excerpt FROM sent WHERE account = ?1 AND provider_id = ?2 AND expires_at >= ?3",
        )?
        .query_row(params![account, provider_id, now_secs()], |r| {
            Ok(SentRecord { comment_id: r.get(0)?, task_id: r.get(1)?, author: r.get(2)?, excerpt: r.get(3)? })
        })
        .optional()?)
}

/// The delivery status recorded for a sent message, if any.
pub(super) fn status(conn: &Connection, account: &str, provider_id: &str) -> Result<Option<String>, Fail> {
    Ok(conn
        .prepare_cached(
            "SELECT delivery_status FROM sent WHERE account = ?1 AND provider_id = ?2 AND expires_at >= ?3",
        )?
        .query_row(params![account, provider_id, now_secs()], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// True when this call moved the status (a known message, and a higher rank than stored).
pub(super) fn advance(
    conn: &Connection,
    account: &str,
    provider_id: &str,
    status: &str,
    rank: u8,
) -> Result<bool, Fail> {
    let changed = conn
        .prepare_cached(
            "UPDATE sent SET delivery_status = ?3, status_rank = ?4 \
             WHERE account = ?1 AND provider_id = ?2 AND expires_at >= ?5 \
               AND (status_rank IS NULL OR status_rank < ?4)",
        )?
        .execute(params![account, provider_id, status, rank, now_secs()])?;
    Ok(changed == 1)
}
