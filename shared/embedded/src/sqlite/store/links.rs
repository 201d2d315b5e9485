//! Conversation link rows (phone → contact and task), guarded by a lease while a conversation
//! is set up or moved to a new task.

use rusqlite::{params, Connection, OptionalExtension, Row};

use bridge_core::ports::store::{ConversationLink, LinkLock, LinkRecord, StoreError};

use super::Fail;

/// The link columns of a row: `contact_id, task_id, task_count, updated_at` from `at`, and
/// `task_closed` by name (the query must select it too).
pub(super) fn link_at(row: &Row<'_>, at: usize) -> rusqlite::Result<Option<ConversationLink>> {
    let contact: Option<i64> = row.get(at)?;
    let task: Option<i64> = row.get(at + 1)?;
    let count: Option<i64> = row.get(at + 2)?;
    let updated: Option<i64> = row.get(at + 3)?;
    let closed: bool = row.get("task_closed")?;
    Ok(match (contact, task) {
        (Some(contact_id), Some(task_id)) => Some(ConversationLink {
            contact_id,
            task_id,
            task_count: count.and_then(|c| u32::try_from(c).ok()).unwrap_or(1),
            updated_at: updated.unwrap_or(0),
            task_closed: closed,
        }),
        _ => None,
    })
}

pub(super) fn get(conn: &Connection, account: &str, phone: &str) -> Result<Option<LinkRecord>, Fail> {
    Ok(conn
        .prepare_cached(
            "SELECT contact_id, task_id, task_count, updated_at, lease_until, task_closed FROM links \
             WHERE account = ?1 AND phone = ?2",
        )?
        .query_row(params![account, phone], |r| Ok(LinkRecord { link: link_at(r, 0)?, lease_until: r.get(4)? }))
        .optional()?)
}

pub(super) fn lock(
    conn: &Connection,
    account: &str,
    phone: &str,
    expected_task: Option<i64>,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<LinkLock, Fail> {
    if expected_task.is_none() {
        // A new conversation: create the (empty) row first, as DynamoDB creates its item.
        conn.prepare_cached("INSERT INTO links (account, phone) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?
            .execute(params![account, phone])?;
    }
    // `task_id IS ?5`: no link yet when None, the expected task otherwise.
    let acquired = conn
        .prepare_cached(
            "UPDATE links SET lease_owner = ?3, lease_until = ?4 \
             WHERE account = ?1 AND phone = ?2 AND task_id IS ?5 AND (lease_until IS NULL OR lease_until < ?6) \
             RETURNING contact_id, task_id, task_count, updated_at, task_closed",
        )?
        .query_row(params![account, phone, owner, now + lease_secs, expected_task, now], |r| link_at(r, 0))
        .optional()?;
    match acquired {
        Some(current) => Ok(LinkLock::Acquired { current }),
        None => {
            let record = get(conn, account, phone)?.unwrap_or(LinkRecord { link: None, lease_until: None });
            Ok(LinkLock::Contended(record))
        }
    }
}

pub(super) fn commit(
    conn: &Connection,
    account: &str,
    phone: &str,
    owner: &str,
    link: &ConversationLink,
) -> Result<(), Fail> {
    let changed = conn
        .prepare_cached(
            "UPDATE links SET contact_id = ?4, task_id = ?5, task_count = ?6, updated_at = ?7, task_closed = ?8, \
               lease_owner = NULL, lease_until = NULL \
             WHERE account = ?1 AND phone = ?2 AND lease_owner = ?3",
        )?
        .execute(params![
            account,
            phone,
            owner,
            link.contact_id,
            link.task_id,
            link.task_count,
            link.updated_at,
            link.task_closed
        ])?;
    match changed {
        0 => Err(Fail::Store(StoreError::LeaseLost)),
        _ => Ok(()),
    }
}

pub(super) fn unlock(conn: &Connection, account: &str, phone: &str, owner: &str) -> Result<(), Fail> {
    conn.prepare_cached(
        "UPDATE links SET last_error = 'conversation setup failed', lease_owner = NULL, lease_until = NULL \
         WHERE account = ?1 AND phone = ?2 AND lease_owner = ?3",
    )?
    .execute(params![account, phone, owner])?;
    Ok(())
}

/// The link's `task_closed`, only while it still points at `task_id` (leases untouched).
pub(super) fn set_task_closed(
    conn: &Connection,
    account: &str,
    phone: &str,
    task_id: i64,
    closed: bool,
) -> Result<bool, Fail> {
    let changed = conn
        .prepare_cached("UPDATE links SET task_closed = ?4 WHERE account = ?1 AND phone = ?2 AND task_id = ?3")?
        .execute(params![account, phone, task_id, closed])?;
    Ok(changed > 0)
}
