//! The plain rows: task → conversation, an account's settings, and the pacing clocks.

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::config::Settings;
use bridge_core::domain::Phone;
use bridge_core::ports::store::{SlotGrant, StoreError, TaskConversation};

use super::{from_json, to_json, Fail};

pub(super) fn put_task(conn: &Connection, account: &str, task_id: i64, conv: &TaskConversation) -> Result<(), Fail> {
    conn.prepare_cached(
        "INSERT INTO tasks (account, task_id, phone, contact_id) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (account, task_id) DO UPDATE SET phone = excluded.phone, contact_id = excluded.contact_id",
    )?
    .execute(params![account, task_id, conv.phone.digits(), conv.contact_id])?;
    Ok(())
}

pub(super) fn get_task(conn: &Connection, account: &str, task_id: i64) -> Result<Option<TaskConversation>, Fail> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT phone, contact_id FROM tasks WHERE account = ?1 AND task_id = ?2")?
        .query_row(params![account, task_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((phone, contact_id)) = row else { return Ok(None) };
    let phone = Phone::parse(&phone)
        .map_err(|e| StoreError::Corrupt(format!("task {task_id} of {account} has a bad phone: {e}")))?;
    Ok(Some(TaskConversation { phone, contact_id }))
}

pub(super) fn get_settings(conn: &Connection, account: &str) -> Result<Option<Settings>, Fail> {
    let json: Option<String> = conn
        .prepare_cached("SELECT settings FROM settings WHERE account = ?1")?
        .query_row([account], |r| r.get(0))
        .optional()?;
    json.map(|j| from_json(&j, "settings")).transpose()
}

pub(super) fn put_settings(conn: &Connection, account: &str, settings: &Settings) -> Result<(), Fail> {
    conn.prepare_cached(
        "INSERT INTO settings (account, settings) VALUES (?1, ?2) \
         ON CONFLICT (account) DO UPDATE SET settings = excluded.settings",
    )?
    .execute(params![account, to_json(settings)?])?;
    Ok(())
}

/// Reserves the next free slot of the clock: `now_ms` when idle, else the clock's next slot;
/// either way the clock moves one interval past the slot. One statement in the writer's
/// transaction, so concurrent callers (of any process) never share a slot.
pub(super) fn reserve_slot(
    conn: &Connection,
    account: &str,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
) -> Result<i64, Fail> {
    let next: i64 = conn
        .prepare_cached(
            "INSERT INTO clocks (account, key, next_ms) VALUES (?1, ?2, ?3 + ?4) \
             ON CONFLICT (account, key) DO UPDATE SET next_ms = max(clocks.next_ms, ?3) + ?4 \
             RETURNING next_ms",
        )?
        .query_row(params![account, key, now_ms, interval_ms], |r| r.get(0))?;
    Ok(next - interval_ms)
}

/// Reserves `count` slots from the clock's next free one if that is within `max_wait_ms`;
/// otherwise reserves nothing and says when it frees up. One read and one write in the
/// writer's transaction.
pub(super) fn reserve_slots(
    conn: &Connection,
    account: &str,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
    count: u32,
    max_wait_ms: i64,
) -> Result<SlotGrant, Fail> {
    let next: Option<i64> = conn
        .prepare_cached("SELECT next_ms FROM clocks WHERE account = ?1 AND key = ?2")?
        .query_row(params![account, key], |r| r.get(0))
        .optional()?;
    let first = next.unwrap_or(now_ms).max(now_ms);
    if first - now_ms > max_wait_ms {
        return Ok(SlotGrant::Later { free_at_ms: first });
    }
    let end = first + interval_ms.saturating_mul(i64::from(count.max(1)));
    conn.prepare_cached(
        "INSERT INTO clocks (account, key, next_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account, key) DO UPDATE SET next_ms = excluded.next_ms",
    )?
    .execute(params![account, key, end])?;
    Ok(SlotGrant::Granted { first_ms: first })
}
