//! Reaction rows: which comment shows a writer's reaction to a message, and the reactions given
//! so far (a changed reaction edits that comment instead of adding one). Kept as long as sent
//! rows.

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::ports::store::{ReactionNote, StoreError};

use super::Fail;
use crate::sqlite::expiry::{now_secs, sent_expires_at};

pub(super) fn put(conn: &Connection, account: &str, key: &str, note: &ReactionNote) -> Result<(), Fail> {
    let trail = serde_json::to_string(&note.trail).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO reactions (account, key, task_id, comment_id, trail, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (account, key) DO UPDATE SET task_id = excluded.task_id, comment_id = excluded.comment_id, \
           trail = excluded.trail, expires_at = excluded.expires_at",
    )?
    .execute(params![account, key, note.task_id, note.comment_id, trail, sent_expires_at()])?;
    Ok(())
}

pub(super) fn get(conn: &Connection, account: &str, key: &str) -> Result<Option<ReactionNote>, Fail> {
    let row = conn
        .prepare_cached(
            "SELECT task_id, comment_id, trail FROM reactions WHERE account = ?1 AND key = ?2 AND expires_at >= ?3",
        )?
        .query_row(params![account, key, now_secs()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })
        .optional()?;
    let Some((task_id, comment_id, trail)) = row else { return Ok(None) };
    let trail = serde_json::from_str(&trail).map_err(|e| StoreError::Corrupt(format!("reaction trail: {e}")))?;
    Ok(Some(ReactionNote { task_id, comment_id, trail }))
}
