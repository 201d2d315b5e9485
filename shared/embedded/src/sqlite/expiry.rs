//! Time to live. Dedupe records and the like expire as in DynamoDB (`expires_at`, Unix
//! seconds by the wall clock); here reads ignore an expired row at once, and the writer deletes
//! them in bounded passes (see [`super::db`]), so the file does not grow without end.

use rusqlite::Connection;

use super::db::DbError;

/// How long the once-only marks (message and job rows) and inbox rows live, as in DynamoDB:
/// 400 days, far beyond every redelivery window (Meta's 7 days, Planfix's scenario retries of
/// hours), because dead letters are replayable forever and a replayed body or a re-posted
/// comment id must still find its mark. A done message row keeps no payload.
pub(crate) const MARK_RETENTION_SECS: i64 = 400 * 24 * 3600;

/// How long sent rows live: they only map delivery statuses (which come within days) back to
/// their comment.
pub(crate) const SENT_RETENTION_SECS: i64 = 30 * 24 * 3600;

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

/// `expires_at` of a mark or inbox row written now.
pub(crate) fn expires_at() -> i64 {
    now_secs() + MARK_RETENTION_SECS
}

/// `expires_at` of a sent row written now.
pub(crate) fn sent_expires_at() -> i64 {
    now_secs() + SENT_RETENTION_SECS
}

/// The tables with a TTL in seconds, each with an index on `expires_at`.
const TTL_TABLES: [&str; 5] = ["messages", "jobs", "sent", "inbox", "reactions"];

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
            reply_to: None,
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
        store
            .put_sent(&a, "wamid.old", &SentRecord { comment_id: 1, task_id: 2, author: None, excerpt: None })
            .await
            .unwrap();
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

    fn temp_store() -> (std::path::PathBuf, SqliteDb, SqliteStore) {
        let dir = std::env::temp_dir().join(format!("bridge-expiry-{}", uuid::Uuid::new_v4()));
        let db = SqliteDb::open(dir.join("bridge.db")).unwrap();
        (dir, db.clone(), SqliteStore::new(db))
    }

    /// `(expires_at - now, payload)` of a message row, `expires_at - now` of the other rows.
    async fn row_ages(db: &SqliteDb) -> (i64, String, i64, i64, i64) {
        db.read(|c| {
            let now = super::now_secs();
            let left = |table: &str| -> rusqlite::Result<i64> {
                c.query_row(&format!("SELECT max(expires_at) - ?1 FROM {table}"), [now], |r| r.get(0))
            };
            let payload: String = c.query_row("SELECT payload FROM messages", [], |r| r.get(0))?;
            Ok::<_, super::DbError>((left("messages")?, payload, left("jobs")?, left("inbox")?, left("sent")?))
        })
        .await
        .unwrap()
    }

    /// The once-only marks and inbox rows last 400 days (sent rows 30), and a done message
    /// keeps its mark without its payload.
    #[tokio::test]
    async fn marks_outlive_every_redelivery_window_without_their_payload() {
        let (dir, db, store) = temp_store();
        let a = AccountId::parse("acme").unwrap();
        store.record_message(&a, &message("m"), 1).await.unwrap();
        store.add_to_inbox(&a, &InboxEntry::new(message("m"), 0)).await.unwrap();
        store.claim_job(&a, "OUT#1", "w", 1, 30).await.unwrap();
        store
            .put_sent(&a, "wamid.out", &SentRecord { comment_id: 1, task_id: 2, author: None, excerpt: None })
            .await
            .unwrap();
        let day = 24 * 3600;
        let (message_left, payload, job_left, inbox_left, sent_left) = row_ages(&db).await;
        for left in [message_left, job_left, inbox_left] {
            assert!((399 * day..=400 * day).contains(&left), "{left} s left, not 400 days");
        }
        assert!((29 * day..=30 * day).contains(&sent_left), "{sent_left} s left, not 30 days");
        assert!(payload.contains("\"id\":\"m\""), "the payload is kept until done: {payload}");

        store.claim_message(&a, "m", "w", 1, 30).await.unwrap();
        store.complete_message(&a, "m", "w", 2, 3).await.unwrap();
        let (_, payload, ..) = row_ages(&db).await;
        assert_eq!(payload, "", "done: the payload goes");
        assert_eq!(store.record_message(&a, &message("m"), 2).await.unwrap(), RecordOutcome::AlreadyDone);
        std::fs::remove_dir_all(dir).ok();
    }

    /// A dead letter whose message row expired: the replay records the message again, so the
    /// worker's claim finds it (instead of a "never recorded" failure and a second dead letter).
    #[tokio::test]
    async fn replaying_a_dead_letter_records_its_expired_message_again() {
        use bridge_core::domain::Work;
        use bridge_core::ports::store::DeadLetter;
        use bridge_core::worker::{replay_letter, Replayed};

        let (dir, db, store) = temp_store();
        let work = crate::sqlite::SqliteWorkQueue::new(db.clone());
        let a = AccountId::parse("acme").unwrap();
        let phone = Phone::parse("79051234567").unwrap();
        store.record_message(&a, &message("old"), 1).await.unwrap();
        for owner in ["w1", "w2"] {
            store.claim_message(&a, "old", owner, 1, 30).await.unwrap();
            store.release_message(&a, "old", owner, "planfix down").await.unwrap();
        }
        let letter = DeadLetter {
            key: "acme#msg#old".into(),
            work: Work::Conversation { account: a.clone(), phone: phone.clone(), message_id: "old".into() },
            entry: Some(InboxEntry::new(message("old"), 0)),
            error: "planfix down".into(),
            attempts: 2,
            failed_at: 1,
        };
        store.put_dead_letter(&a, &letter).await.unwrap();
        db.write(|c| {
            c.execute("UPDATE messages SET expires_at = 1", [])?;
            Ok::<_, super::DbError>(())
        })
        .await
        .unwrap();

        assert_eq!(replay_letter(&store, &work, &a, &letter).await, Ok(Replayed::Queued));
        assert!(store.list_dead_letters(&a).await.unwrap().is_empty());
        let waiting = store.inbox(&a, &phone, 10).await.unwrap();
        assert_eq!(waiting.len(), 1);
        // Recorded afresh, with a fresh budget on its entry (the letter's tries kept as history).
        assert_eq!(waiting[0].attempts, 0);
        assert_eq!(waiting[0].attempts_before, 2);
        assert_eq!(store.claim_message(&a, "old", "w3", 2, 30).await.unwrap(), ClaimOutcome::Claimed { attempt: 1 });
        assert_eq!(work.counts().await.unwrap().queued, 1, "the conversation is queued again");
        std::fs::remove_dir_all(dir).ok();
    }
}
