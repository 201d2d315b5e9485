//! Message rows: the dedupe record written at intake, and its processing lease.

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::domain::InboundMessage;
use bridge_core::ports::store::{MessageReference, RecordOutcome, RefAuthor};

use super::lease::{self, MESSAGES};
use super::{to_json, Fail};
use crate::sqlite::expiry::{expires_at, now_secs};

/// Creates the row unless a live one exists (an expired row counts as absent and is replaced).
pub(super) fn record(conn: &Connection, account: &str, msg: &InboundMessage, now: i64) -> Result<RecordOutcome, Fail> {
    let payload = to_json(msg)?;
    // The first words outlive the payload: a later reaction, reply or edit quotes them.
    let excerpt = msg.content.quotable_text().and_then(bridge_core::ports::store::excerpt);
    let alive = now_secs();
    let created = conn
        .prepare_cached(
            "INSERT INTO messages (account, id, payload, received_at, expires_at, excerpt) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?7) \
             ON CONFLICT (account, id) DO UPDATE SET payload = excluded.payload, done = 0, attempts = 0, \
               excerpt = excluded.excerpt, \
               lease_owner = NULL, lease_until = NULL, last_error = NULL, received_at = excluded.received_at, \
               task_id = NULL, comment_id = NULL, expires_at = excluded.expires_at \
             WHERE messages.expires_at < ?6",
        )?
        .execute(params![account, msg.id, payload, now, expires_at(), alive, excerpt])?;
    if created == 1 {
        return Ok(RecordOutcome::New);
    }
    let done: Option<bool> = conn
        .prepare_cached("SELECT done FROM messages WHERE account = ?1 AND id = ?2")?
        .query_row(params![account, msg.id], |r| r.get(0))
        .optional()?;
    Ok(if done.unwrap_or(false) { RecordOutcome::AlreadyDone } else { RecordOutcome::Pending })
}

pub(super) fn complete(
    conn: &Connection,
    account: &str,
    message_id: &str,
    owner: &str,
    task_id: i64,
    comment_id: i64,
) -> Result<(), Fail> {
    // Done, the mark is all that must last: the payload goes (the inbox entry carried it).
    lease::complete(
        conn,
        &MESSAGES,
        account,
        message_id,
        owner,
        "task_id = ?3, comment_id = ?4, payload = ''",
        &[&task_id, &comment_id],
    )
}

/// The comment a provider id stands for: the customer's message once commented, else what the
/// bridge sent under that id. Two indexed lookups in one read transaction.
pub(super) fn reference(conn: &Connection, account: &str, id: &str) -> Result<Option<MessageReference>, Fail> {
    let alive = now_secs();
    let own = conn
        .prepare_cached(
            "SELECT task_id, comment_id, excerpt FROM messages \
             WHERE account = ?1 AND id = ?2 AND done = 1 AND expires_at >= ?3 \
               AND task_id IS NOT NULL AND comment_id IS NOT NULL",
        )?
        .query_row(params![account, id, alive], |r| {
            Ok(MessageReference {
                task_id: r.get(0)?,
                comment_id: r.get(1)?,
                excerpt: r.get(2)?,
                by: RefAuthor::Customer,
            })
        })
        .optional()?;
    if own.is_some() {
        return Ok(own);
    }
    Ok(conn
        .prepare_cached(
            "SELECT task_id, comment_id, excerpt FROM sent WHERE account = ?1 AND provider_id = ?2 AND expires_at >= ?3",
        )?
        .query_row(params![account, id, alive], |r| {
            Ok(MessageReference { task_id: r.get(0)?, comment_id: r.get(1)?, excerpt: r.get(2)?, by: RefAuthor::Business })
        })
        .optional()?)
}
