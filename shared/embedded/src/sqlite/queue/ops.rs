//! The queues' statements, run inside the writer's transaction (or on a reader). Invariant of
//! a FIFO group: only its oldest item has `visible_ms` set (see the schema), so a group never
//! has more than one item in flight and never delivers out of order.

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;

use super::{DeadItem, QueueCounts, Receipt, Received};
use crate::sqlite::db::DbError;

/// An item to enqueue: its group (FIFO queues), deduplication id (None: none) and JSON body.
pub(super) struct NewItem {
    pub group: Option<String>,
    pub dedupe_id: Option<String>,
    pub body: String,
}

/// Enqueues in order, skipping items whose deduplication id was seen within the window;
/// returns how many went in.
pub(super) fn enqueue(
    conn: &Connection,
    queue: &str,
    items: &[NewItem],
    now_ms: i64,
    hold_back_ms: i64,
    dedupe_window_ms: i64,
) -> Result<usize, DbError> {
    let mut queued = 0;
    for item in items {
        if let (Some(dedupe_id), true) = (&item.dedupe_id, dedupe_window_ms > 0) {
            let fresh = conn
                .prepare_cached(
                    "INSERT INTO queue_dedupe (queue, dedupe_id, expires_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (queue, dedupe_id) DO UPDATE SET expires_ms = excluded.expires_ms \
                     WHERE queue_dedupe.expires_ms <= ?4",
                )?
                .execute(params![queue, dedupe_id, now_ms + dedupe_window_ms, now_ms])?;
            if fresh == 0 {
                continue;
            }
        }
        insert(conn, queue, item.group.as_deref(), &item.body, now_ms, now_ms + hold_back_ms)?;
        queued += 1;
    }
    Ok(queued)
}

/// A new item at the end of its group: deliverable from `not_before_ms` if it heads the group
/// (or has none), else once the items ahead of it are gone.
fn insert(
    conn: &Connection,
    queue: &str,
    group: Option<&str>,
    body: &str,
    now_ms: i64,
    not_before_ms: i64,
) -> Result<i64, DbError> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO queue_items (queue, grp, body, enqueued_ms, not_before_ms, visible_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?2 IS NULL OR NOT EXISTS \
               (SELECT 1 FROM queue_items WHERE queue = ?1 AND grp = ?2) THEN ?5 END) \
             RETURNING id",
        )?
        .query_row(params![queue, group, body, now_ms, not_before_ms], |r| r.get(0))?)
}

/// The next item of the group becomes deliverable (after its own hold-back).
fn promote(conn: &Connection, queue: &str, group: Option<&str>) -> Result<(), DbError> {
    let Some(group) = group else { return Ok(()) };
    conn.prepare_cached(
        "UPDATE queue_items SET visible_ms = not_before_ms \
         WHERE id = (SELECT min(id) FROM queue_items WHERE queue = ?1 AND grp = ?2) AND visible_ms IS NULL",
    )?
    .execute(params![queue, group])?;
    Ok(())
}

struct Candidate {
    id: i64,
    group: Option<String>,
    body: String,
    enqueued_ms: i64,
    receive_count: i64,
}

/// Takes up to `max` deliverable items, hiding each for `visibility_ms` and counting the
/// receive. Items already received `max_receives` times, and bodies this build cannot read,
/// move to the dead letters instead (SQS's redrive).
pub(super) fn receive<T: DeserializeOwned>(
    conn: &Connection,
    queue: &str,
    max: usize,
    now_ms: i64,
    visibility_ms: i64,
    max_receives: u32,
) -> Result<Vec<Received<T>>, DbError> {
    let candidates = {
        let mut stmt = conn.prepare_cached(
            "SELECT id, grp, body, enqueued_ms, receive_count FROM queue_items \
             WHERE queue = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![queue, now_ms, i64::try_from(max).unwrap_or(i64::MAX)], |r| {
            Ok(Candidate {
                id: r.get(0)?,
                group: r.get(1)?,
                body: r.get(2)?,
                enqueued_ms: r.get(3)?,
                receive_count: r.get(4)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let mut out = Vec::with_capacity(candidates.len());
    for c in candidates {
        if c.receive_count >= i64::from(max_receives) {
            let reason = format!("received {} times without being deleted", c.receive_count);
            tracing::warn!(queue, id = c.id, receives = c.receive_count, "queue item moved to the dead letters");
            dead_letter(conn, queue, &c, now_ms, &reason)?;
            continue;
        }
        let body = match serde_json::from_str::<T>(&c.body) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(queue, id = c.id, error = %e, "unreadable queue item moved to the dead letters");
                dead_letter(conn, queue, &c, now_ms, &format!("unreadable: {e}"))?;
                continue;
            }
        };
        conn.prepare_cached("UPDATE queue_items SET visible_ms = ?2, receive_count = receive_count + 1 WHERE id = ?1")?
            .execute(params![c.id, now_ms + visibility_ms])?;
        let receive_count = u32::try_from(c.receive_count + 1).unwrap_or(u32::MAX);
        out.push(Received {
            receipt: Receipt { id: c.id, receive_count },
            body,
            group: c.group,
            receive_count,
            enqueued_at_ms: c.enqueued_ms,
        });
    }
    Ok(out)
}

fn dead_letter(conn: &Connection, queue: &str, c: &Candidate, now_ms: i64, reason: &str) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO queue_dead (id, queue, grp, body, enqueued_ms, receive_count, failed_ms, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![c.id, queue, c.group, c.body, c.enqueued_ms, c.receive_count, now_ms, reason])?;
    conn.prepare_cached("DELETE FROM queue_items WHERE id = ?1")?.execute([c.id])?;
    promote(conn, queue, c.group.as_deref())
}

/// Deletes the item its receipt names, if that receive is still the latest one.
pub(super) fn delete(conn: &Connection, queue: &str, receipt: Receipt) -> Result<bool, DbError> {
    let deleted: Option<Option<String>> = conn
        .prepare_cached("DELETE FROM queue_items WHERE id = ?1 AND queue = ?2 AND receive_count = ?3 RETURNING grp")?
        .query_row(params![receipt.id, queue, receipt.receive_count], |r| r.get(0))
        .optional()?;
    let Some(group) = deleted else { return Ok(false) };
    promote(conn, queue, group.as_deref())?;
    Ok(true)
}

/// Hides the received item (and so its group) until `visible_ms`.
pub(super) fn retry_later(conn: &Connection, queue: &str, receipt: Receipt, visible_ms: i64) -> Result<bool, DbError> {
    let changed = conn
        .prepare_cached(
            "UPDATE queue_items SET visible_ms = ?4 \
             WHERE id = ?1 AND queue = ?2 AND receive_count = ?3 AND visible_ms IS NOT NULL",
        )?
        .execute(params![receipt.id, queue, receipt.receive_count, visible_ms])?;
    Ok(changed == 1)
}

/// Makes every item received before (in flight, or waiting out a retry delay) deliverable at
/// `now_ms`; returns how many. Only items with `visible_ms` set (group heads) change, so the
/// FIFO invariant holds.
pub(super) fn release_received(conn: &Connection, queue: &str, now_ms: i64) -> Result<usize, DbError> {
    Ok(conn
        .prepare_cached(
            "UPDATE queue_items SET visible_ms = ?2 \
             WHERE queue = ?1 AND receive_count > 0 AND visible_ms > ?2",
        )?
        .execute(params![queue, now_ms])?)
}

/// When the next item becomes deliverable, if any is waiting for its time (Unix ms).
pub(super) fn next_visible(conn: &Connection, queue: &str, now_ms: i64) -> Result<Option<i64>, DbError> {
    Ok(conn
        .prepare_cached("SELECT min(visible_ms) FROM queue_items WHERE queue = ?1 AND visible_ms > ?2")?
        .query_row(params![queue, now_ms], |r| r.get(0))?)
}

/// Whether an item is deliverable now (a reader's cheap look before taking the writer).
pub(super) fn any_visible(conn: &Connection, queue: &str, now_ms: i64) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM queue_items WHERE queue = ?1 AND visible_ms <= ?2)")?
        .query_row(params![queue, now_ms], |r| r.get(0))?)
}

pub(super) fn dead_items(conn: &Connection, queue: &str) -> Result<Vec<DeadItem>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, grp, body, enqueued_ms, receive_count, failed_ms, reason FROM queue_dead \
         WHERE queue = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([queue], |r| {
        Ok(DeadItem {
            id: r.get(0)?,
            group: r.get(1)?,
            body: r.get(2)?,
            enqueued_at_ms: r.get(3)?,
            receive_count: r.get(4)?,
            failed_at_ms: r.get(5)?,
            reason: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Moves a dead item back to the end of its group, with a fresh receive count; the new id.
pub(super) fn replay_dead(
    conn: &Connection,
    queue: &str,
    id: i64,
    now_ms: i64,
    hold_back_ms: i64,
) -> Result<Option<i64>, DbError> {
    let dead: Option<(Option<String>, String)> = conn
        .prepare_cached("DELETE FROM queue_dead WHERE id = ?1 AND queue = ?2 RETURNING grp, body")?
        .query_row(params![id, queue], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((group, body)) = dead else { return Ok(None) };
    Ok(Some(insert(conn, queue, group.as_deref(), &body, now_ms, now_ms + hold_back_ms)?))
}

pub(super) fn delete_dead(conn: &Connection, queue: &str, id: i64) -> Result<bool, DbError> {
    Ok(conn.prepare_cached("DELETE FROM queue_dead WHERE id = ?1 AND queue = ?2")?.execute(params![id, queue])? == 1)
}

pub(super) fn counts(conn: &Connection, queue: &str, now_ms: i64) -> Result<QueueCounts, DbError> {
    let (queued, ready): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(visible_ms IS NOT NULL AND visible_ms <= ?2), 0) \
             FROM queue_items WHERE queue = ?1",
        )?
        .query_row(params![queue, now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let dead: i64 =
        conn.prepare_cached("SELECT count(*) FROM queue_dead WHERE queue = ?1")?.query_row([queue], |r| r.get(0))?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(QueueCounts { queued: n(queued), ready: n(ready), dead: n(dead) })
}
