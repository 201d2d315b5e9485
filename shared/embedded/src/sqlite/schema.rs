//! The schema, as versioned SQL: migration `n` takes a database from version `n - 1` to `n`,
//! and `PRAGMA user_version` (in the file's header) records where a database stands. All
//! pending migrations run in one `BEGIN IMMEDIATE` transaction together with the version bump,
//! so a crash mid-upgrade leaves the old version intact, and two processes opening the file at
//! once upgrade it once (the second waits for the lock, then finds nothing to do).
//!
//! Why not a migration crate (`rusqlite_migration`): it does exactly this with `user_version`,
//! but pins its own `rusqlite` release — and only one `libsqlite3-sys` may be linked — so every
//! rusqlite upgrade would wait on it. The scheme is a dozen lines; migrations are append-only:
//! never edit a released one, add the next.
//!
//! Tables are `STRICT` (SQLite checks the column types). Times: `*_at` and `lease_until` are
//! Unix seconds, `*_ms` Unix milliseconds.

use rusqlite::{Connection, TransactionBehavior};

use super::db::DbError;

/// Version 1: the store (the same items as the DynamoDB table, one table per kind).
const V1_STORE: &str = "
CREATE TABLE messages (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    received_at INTEGER NOT NULL,
    task_id INTEGER,
    comment_id INTEGER,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, id)
) STRICT;
CREATE INDEX messages_expiry ON messages (expires_at);

CREATE TABLE jobs (
    account TEXT NOT NULL,
    job TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    outcome TEXT,
    last_error TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, job)
) STRICT;
CREATE INDEX jobs_expiry ON jobs (expires_at);

CREATE TABLE links (
    account TEXT NOT NULL,
    phone TEXT NOT NULL,
    contact_id INTEGER,
    task_id INTEGER,
    task_count INTEGER,
    updated_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    PRIMARY KEY (account, phone)
) STRICT;

CREATE TABLE tasks (
    account TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    phone TEXT NOT NULL,
    contact_id INTEGER NOT NULL,
    PRIMARY KEY (account, task_id)
) STRICT;

CREATE TABLE sent (
    account TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    comment_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    author TEXT,
    delivery_status TEXT,
    status_rank INTEGER,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, provider_id)
) STRICT;
CREATE INDEX sent_expiry ON sent (expires_at);

CREATE TABLE settings (
    account TEXT NOT NULL PRIMARY KEY,
    settings TEXT NOT NULL
) STRICT;

-- A conversation's recorded, unprocessed messages; the primary key's index keeps each
-- conversation's entries in send order (`ord`, see InboxEntry::new).
CREATE TABLE inbox (
    account TEXT NOT NULL,
    phone TEXT NOT NULL,
    ord TEXT NOT NULL,
    entry TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, phone, ord)
) STRICT;
CREATE INDEX inbox_expiry ON inbox (expires_at);

CREATE TABLE dead_letters (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    letter TEXT NOT NULL,
    failed_at INTEGER NOT NULL,
    PRIMARY KEY (account, key)
) STRICT;

-- Pacing clocks (Planfix's 1 request/s per account): the next free slot, Unix ms.
CREATE TABLE clocks (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    next_ms INTEGER NOT NULL,
    PRIMARY KEY (account, key)
) STRICT;
";

/// Version 2: the durable queues (work: FIFO per group; file jobs: standard).
///
/// In a FIFO queue only the oldest item of each group is deliverable: `visible_ms` is NULL for
/// the items waiting behind it and set when the one ahead is deleted (or dead-lettered), so a
/// receive reads deliverable items straight off `queue_items_visible` however long the groups'
/// queues are. `not_before_ms` is the enqueue hold-back; `visible_ms` adds the visibility
/// timeout of a receive and the delay of a retry.
const V2_QUEUES: &str = "
CREATE TABLE queue_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    grp TEXT,
    body TEXT NOT NULL,
    enqueued_ms INTEGER NOT NULL,
    not_before_ms INTEGER NOT NULL,
    visible_ms INTEGER,
    receive_count INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX queue_items_visible ON queue_items (queue, visible_ms);
CREATE INDEX queue_items_group ON queue_items (queue, grp, id);

-- Deduplication ids seen within the window (SQS FIFO's five minutes).
CREATE TABLE queue_dedupe (
    queue TEXT NOT NULL,
    dedupe_id TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (queue, dedupe_id)
) STRICT;
CREATE INDEX queue_dedupe_expiry ON queue_dedupe (expires_ms);

-- Items received too often without being deleted (SQS's dead-letter queue), kept for replay.
CREATE TABLE queue_dead (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    grp TEXT,
    body TEXT NOT NULL,
    enqueued_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    failed_ms INTEGER NOT NULL,
    reason TEXT NOT NULL
) STRICT;
CREATE INDEX queue_dead_queue ON queue_dead (queue, id);
";

/// Version 3: when each inbox row was added (Unix seconds), indexed per account, so the sweeper
/// finds the conversations waiting too long without reading every inbox. Rows of earlier
/// versions read as added at 0: the first sweep pokes their conversations once (harmless).
const V3_INBOX_ADDED: &str = "
ALTER TABLE inbox ADD COLUMN added_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inbox_waiting ON inbox (account, added_at);
";

/// Version 4: the first words of a message and of what the bridge sent, so a later reaction,
/// reply, edit or deletion can quote the comment it concerns (the payload goes once done).
const V4_EXCERPTS: &str = "
ALTER TABLE messages ADD COLUMN excerpt TEXT;
ALTER TABLE sent ADD COLUMN excerpt TEXT;
";

/// Version 5: the drain lease on a conversation's link (one worker at a time comments its
/// inbox, and finishes each message in one transaction), and the inbox entry each message
/// was given, so a redelivery puts back that one entry instead of a second.
const V5_DRAINS: &str = "
ALTER TABLE links ADD COLUMN drain_owner TEXT;
ALTER TABLE links ADD COLUMN drain_until INTEGER;
ALTER TABLE messages ADD COLUMN inbox_order TEXT;
";

/// Version 6: whether the Planfix scenario "task status changed" reported the link's task
/// closed (0: open, as every link of earlier versions reads).
const V6_TASK_CLOSED: &str = "
ALTER TABLE links ADD COLUMN task_closed INTEGER NOT NULL DEFAULT 0;
";

/// Version 7: the comment showing each writer's reaction to a message, which a changed or removed
/// reaction edits (`key` is the writer and the message reacted to; `trail` the reactions given,
/// as JSON).
const V7_REACTIONS: &str = "
CREATE TABLE reactions (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    comment_id INTEGER NOT NULL,
    trail TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, key)
) STRICT;
CREATE INDEX reactions_expiry ON reactions (expires_at);
";

const MIGRATIONS: [&str; 7] =
    [V1_STORE, V2_QUEUES, V3_INBOX_ADDED, V4_EXCERPTS, V5_DRAINS, V6_TASK_CLOSED, V7_REACTIONS];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`VERSION`]; returns the version it was at.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64, DbError> {
    migrate_to(conn, VERSION)
}

fn migrate_to(conn: &mut Connection, target: i64) -> Result<i64, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(DbError::Unavailable(format!(
            "the database has schema version {current}, newer than this build knows ({VERSION}): upgrade the bridge"
        )));
    }
    if current >= target {
        return Ok(current);
    }
    for (version, sql) in (1..).zip(MIGRATIONS).filter(|(v, _)| *v > current && *v <= target) {
        tx.execute_batch(sql)
            .map_err(|e| DbError::Unavailable(format!("migration to schema version {version} failed: {e}")))?;
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    if current > 0 {
        tracing::info!(from = current, to = target, "database schema upgraded");
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteDb;

    fn temp_db() -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("bridge-schema-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bridge.db");
        (dir, path)
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn a_new_database_gets_every_migration() {
        let (dir, path) = temp_db();
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, VERSION);
        assert!(tables(&conn).contains(&"queue_items".to_owned()));
        // Again: nothing to do.
        assert_eq!(migrate(&mut conn).unwrap(), VERSION);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_version_1_database_upgrades_and_keeps_its_rows() {
        let (dir, path) = temp_db();
        {
            let mut conn = Connection::open(&path).unwrap();
            assert_eq!(migrate_to(&mut conn, 1).unwrap(), 0);
            assert!(!tables(&conn).contains(&"queue_items".to_owned()), "version 1 has no queues");
            conn.execute(
                "INSERT INTO settings (account, settings) VALUES ('acme', ?1)",
                [serde_json::to_string(&bridge_core::config::Settings::default()).unwrap()],
            )
            .unwrap();
        }
        let db = SqliteDb::open(&path).unwrap();
        assert_eq!(db.schema_version().await.unwrap(), VERSION);
        let store = crate::sqlite::SqliteStore::new(db.clone());
        let acme = bridge_core::domain::AccountId::parse("acme").unwrap();
        use bridge_core::ports::Store;
        assert_eq!(store.get_settings(&acme).await.unwrap(), Some(bridge_core::config::Settings::default()));
        let queue = crate::sqlite::SqliteFileJobQueue::new(db);
        assert_eq!(queue.counts().await.unwrap().queued, 0, "the queue tables exist");
        std::fs::remove_dir_all(dir).ok();
    }

    /// Inbox rows of a version 2 database read as added long ago: the first sweep pokes them.
    #[tokio::test]
    async fn a_version_2_inbox_is_found_by_the_sweep_after_the_upgrade() {
        use bridge_core::domain::{AccountId, InboundMessage, MessageContent, Phone};
        use bridge_core::ports::{InboxEntry, Store};
        let (dir, path) = temp_db();
        let entry = InboxEntry::new(
            InboundMessage {
                id: "wamid.v2".into(),
                from: Phone::parse("79051234567").unwrap(),
                profile_name: None,
                timestamp: 1_700_000_000,
                content: MessageContent::Text { body: "hi".into() },
                origin: Default::default(),
                reply_to: None,
            },
            0,
        );
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 2).unwrap();
            conn.execute(
                "INSERT INTO inbox (account, phone, ord, entry, expires_at) VALUES ('acme', '79051234567', ?1, ?2, ?3)",
                rusqlite::params![entry.order, serde_json::to_string(&entry).unwrap(), i64::MAX],
            )
            .unwrap();
        }
        let store = crate::sqlite::SqliteStore::new(SqliteDb::open(&path).unwrap());
        let acme = AccountId::parse("acme").unwrap();
        let an_hour_ago = bridge_core::domain::unix_now() - 3600;
        assert_eq!(store.stale_inboxes(&acme, an_hour_ago, 10).await.unwrap(), vec![entry]);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let (dir, path) = temp_db();
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", VERSION + 1).unwrap();
        }
        let err = SqliteDb::open(&path).err().expect("refused");
        assert!(err.to_string().contains("newer than this build"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn a_failed_migration_leaves_the_old_version() {
        let (dir, path) = temp_db();
        let mut conn = Connection::open(&path).unwrap();
        migrate_to(&mut conn, 1).unwrap();
        // Sabotage: a table version 2 wants to create already exists.
        conn.execute_batch("CREATE TABLE queue_dedupe (x INTEGER)").unwrap();
        assert!(migrate(&mut conn).is_err());
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 1);
        assert!(!tables(&conn).contains(&"queue_items".to_owned()), "nothing of version 2 stayed");
        std::fs::remove_dir_all(dir).ok();
    }
}
