//! Time to live. Dedupe records and the like expire as in DynamoDB (`expires_at`, Unix
//! seconds by the wall clock); here reads ignore an expired row at once, and the writer deletes
//! them in bounded passes (see [`super::db`]), so the file does not grow without end.

use rusqlite::Connection;

use super::db::DbError;

/// How long message, job, sent and inbox rows live (DynamoDB's retention, beyond Meta's
/// redelivery window of days).
pub(crate) const RETENTION_SECS: i64 = 30 * 24 * 3600;

/// The wall clock in Unix seconds: what `expires_at` is compared with.
pub(crate) fn now_secs() -> i64 {
    bridge_core::domain::unix_now()
}

/// The wall clock in Unix milliseconds (the queues' times).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `expires_at` of a row written now.
pub(crate) fn expires_at() -> i64 {
    now_secs() + RETENTION_SECS
}

/// The tables with a TTL in seconds, each with an index on `expires_at`.
const TTL_TABLES: [&str; 4] = ["messages", "jobs", "sent", "inbox"];

/// Deletes up to `limit` expired rows per table; returns how many went.
pub(crate) fn purge(conn: &Connection, limit: i64) -> Result<usize, DbError> {
    let now = now_secs();
    let mut total = 0;
    for table in TTL_TABLES {
        let sql =
            format!("DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE expires_at < ?1 LIMIT ?2)");
        total += conn.prepare_cached(&sql)?.execute(rusqlite::params![now, limit])?;
    }
    total += conn
        .prepare_cached(
            "DELETE FROM queue_dedupe WHERE rowid IN \
             (SELECT rowid FROM queue_dedupe WHERE expires_ms < ?1 LIMIT ?2)",
        )?
        .execute(rusqlite::params![now_ms(), limit])?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use bridge_core::domain::{AccountId, InboundMessage, MessageContent, Phone};
    use bridge_core::ports::store::{ClaimOutcome, InboxEntry, RecordOutcome, SentRecord, Store};

    use crate::sqlite::{SqliteDb, SqliteStore};

    fn message(id: &str) -> InboundMessage {
        InboundMessage {
            id: id.into(),
            from: Phone::parse("79051234567").unwrap(),
            profile_name: None,
            timestamp: 1_700_000_000,
            content: MessageContent::Text { body: "hi".into() },
            origin: Default::default(),
        }
    }

    /// Rows past their TTL read as absent at once, and the purge deletes them.
    #[tokio::test]
    async fn expired_rows_are_ignored_and_purged() {
        let dir = std::env::temp_dir().join(format!("bridge-expiry-{}", uuid::Uuid::new_v4()));
        let db = SqliteDb::open(dir.join("bridge.db")).unwrap();
        let store = SqliteStore::new(db.clone());
        let a = AccountId::parse("acme").unwrap();
        let phone = Phone::parse("79051234567").unwrap();
        store.record_message(&a, &message("old"), 1).await.unwrap();
        store.claim_message(&a, "old", "w", 1, 30).await.unwrap();
        store.complete_message(&a, "old", "w", 1, 2).await.unwrap();
        store.add_to_inbox(&a, &InboxEntry::new(message("old"), 0)).await.unwrap();
        store.put_sent(&a, "wamid.old", &SentRecord { comment_id: 1, task_id: 2, author: None }).await.unwrap();
        store.claim_job(&a, "OUT#1", "w", 1, 30).await.unwrap();
        store.complete_job(&a, "OUT#1", "w", "sent").await.unwrap();
        store.record_message(&a, &message("fresh"), 1).await.unwrap();
        // Age every row but "fresh" past its TTL.
        db.write(|c| {
            for table in ["messages", "jobs", "sent", "inbox"] {
                c.execute(&format!("UPDATE {table} SET expires_at = 1"), [])?;
            }
            c.execute("UPDATE messages SET expires_at = ?1 WHERE id = 'fresh'", [super::expires_at()])?;
            Ok::<_, super::DbError>(())
        })
        .await
        .unwrap();

        assert!(store.inbox(&a, &phone, 10).await.unwrap().is_empty());
        assert_eq!(store.get_sent(&a, "wamid.old").await.unwrap(), None);
        assert!(!store.advance_delivery_status(&a, "wamid.old", "read", 3).await.unwrap());
        // A message seen again after its record expired is new (as once DynamoDB deleted it).
        assert_eq!(store.record_message(&a, &message("old"), 2).await.unwrap(), RecordOutcome::New);
        assert_eq!(store.claim_job(&a, "OUT#1", "w2", 2, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 1 });

        // "old" message and job were renewed; the inbox and sent rows go.
        assert_eq!(db.purge_expired().await.unwrap(), 2);
        assert_eq!(store.record_message(&a, &message("fresh"), 3).await.unwrap(), RecordOutcome::Pending);
        std::fs::remove_dir_all(dir).ok();
    }
}
