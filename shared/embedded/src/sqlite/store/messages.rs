//! Message rows: the dedupe record written at intake, and its processing lease.

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::domain::InboundMessage;
use bridge_core::ports::store::RecordOutcome;

use super::lease::{self, MESSAGES};
use super::{to_json, Fail};
use crate::sqlite::expiry::{expires_at, now_secs};

/// Creates the row unless a live one exists (an expired row counts as absent and is replaced).
pub(super) fn record(conn: &Connection, account: &str, msg: &InboundMessage, now: i64) -> Result<RecordOutcome, Fail> {
    let payload = to_json(msg)?;
    let alive = now_secs();
    let created = conn
        .prepare_cached(
            "INSERT INTO messages (account, id, payload, received_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (account, id) DO UPDATE SET payload = excluded.payload, done = 0, attempts = 0, \
               lease_owner = NULL, lease_until = NULL, last_error = NULL, received_at = excluded.received_at, \
               task_id = NULL, comment_id = NULL, expires_at = excluded.expires_at \
             WHERE messages.expires_at < ?6",
        )?
        .execute(params![account, msg.id, payload, now, expires_at(), alive])?;
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
