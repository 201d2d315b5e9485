//! The hot path of an inbound message, as the DynamoDB adapter does it: intake records the
//! mark and the inbox entry together; a worker takes the conversation's drain lease on the link
//! row (reading the link in the same transaction) and finishes each message in one transaction.

use rusqlite::{params, Connection, OptionalExtension};

use bridge_core::ports::store::{DrainNext, DrainStart, InboxEntry, LinkRecord, RecordOutcome, StoreError};

use super::{inbox, links, messages, Fail};

pub(super) fn record_inbound(
    conn: &Connection,
    account: &str,
    entry: &InboxEntry,
    now: i64,
) -> Result<RecordOutcome, Fail> {
    let outcome = messages::record(conn, account, &entry.message, now)?;
    let stored: Option<String> = match outcome {
        RecordOutcome::AlreadyDone => return Ok(outcome),
        RecordOutcome::New => None,
        RecordOutcome::Pending => conn
            .prepare_cached("SELECT inbox_order FROM messages WHERE account = ?1 AND id = ?2")?
            .query_row(params![account, entry.message.id], |r| r.get(0))
            .optional()?
            .flatten(),
    };
    // A message keeps the one entry it was first given: a redelivery puts that back (a crash
    // or a dead letter may have removed it) and never adds a second.
    let order = stored.unwrap_or_else(|| entry.order.clone());
    conn.prepare_cached("UPDATE messages SET inbox_order = ?3 WHERE account = ?1 AND id = ?2")?.execute(params![
        account,
        entry.message.id,
        order
    ])?;
    let phone = entry.message.from.digits();
    let present: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM inbox WHERE account = ?1 AND phone = ?2 AND ord = ?3")?
        .query_row(params![account, phone, order], |r| r.get(0))
        .optional()?;
    if present.is_none() {
        inbox::add(conn, account, &InboxEntry { order, ..entry.clone() })?;
    }
    Ok(outcome)
}

pub(super) fn begin(
    conn: &Connection,
    account: &str,
    phone: &str,
    owner: &str,
    now: i64,
    lease_secs: i64,
) -> Result<DrainStart, Fail> {
    // As DynamoDB's update creates the item, the lease creates the row.
    conn.prepare_cached("INSERT INTO links (account, phone) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?
        .execute(params![account, phone])?;
    let (record, drain_owner, drain_until) = conn
        .prepare_cached(
            "SELECT contact_id, task_id, task_count, updated_at, lease_until, drain_owner, drain_until, task_closed FROM links \
             WHERE account = ?1 AND phone = ?2",
        )?
        .query_row(params![account, phone], |r| {
            let record = LinkRecord { link: links::link_at(r, 0)?, lease_until: r.get(4)? };
            Ok((record, r.get::<_, Option<String>>(5)?, r.get::<_, Option<i64>>(6)?))
        })?;
    if let Some(until) = drain_until.filter(|u| *u >= now) {
        return Ok(DrainStart::Busy { until });
    }
    conn.prepare_cached("UPDATE links SET drain_owner = ?3, drain_until = ?4 WHERE account = ?1 AND phone = ?2")?
        .execute(params![account, phone, owner, now + lease_secs])?;
    Ok(DrainStart::Acquired { record, interrupted: drain_owner.is_some() })
}

fn holds(conn: &Connection, account: &str, phone: &str, owner: &str) -> Result<bool, Fail> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM links WHERE account = ?1 AND phone = ?2 AND drain_owner = ?3")?
        .query_row(params![account, phone, owner], |r| r.get::<_, i64>(0))
        .optional()?
        .is_some())
}

pub(super) fn finish(
    conn: &Connection,
    account: &str,
    entry: &InboxEntry,
    owner: &str,
    comment: Option<(i64, i64)>,
    next: DrainNext,
) -> Result<(), Fail> {
    let phone = entry.message.from.digits();
    if !holds(conn, account, phone, owner)? {
        return Err(Fail::Store(StoreError::LeaseLost));
    }
    let (task, comment) = comment.unzip();
    // Done, the mark is all that must last: the payload goes (the inbox entry carried it).
    conn.prepare_cached(
        "UPDATE messages SET done = 1, task_id = coalesce(?3, task_id), comment_id = coalesce(?4, comment_id), \
           payload = '', lease_owner = NULL, lease_until = NULL \
         WHERE account = ?1 AND id = ?2",
    )?
    .execute(params![account, entry.message.id, task, comment])?;
    inbox::remove(conn, account, phone, &entry.order)?;
    let until = match next {
        DrainNext::Extend { until } => Some(until),
        DrainNext::Release => None,
    };
    conn.prepare_cached(
        "UPDATE links SET drain_owner = CASE WHEN ?3 IS NULL THEN NULL ELSE drain_owner END, drain_until = ?3 \
         WHERE account = ?1 AND phone = ?2",
    )?
    .execute(params![account, phone, until])?;
    Ok(())
}

pub(super) fn end(conn: &Connection, account: &str, phone: &str, owner: &str) -> Result<(), Fail> {
    conn.prepare_cached(
        "UPDATE links SET drain_owner = NULL, drain_until = NULL WHERE account = ?1 AND phone = ?2 AND drain_owner = ?3",
    )?
    .execute(params![account, phone, owner])?;
    Ok(())
}
