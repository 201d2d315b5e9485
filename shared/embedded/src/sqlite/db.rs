//! The one SQLite database file behind the embedded store and the durable queues.
//!
//! Connections: one writer and a few readers per [`SqliteDb`]. WAL lets readers run while the
//! writer writes, and lets other processes (the admin CLI while the server runs) open the same
//! file: every write is a `BEGIN IMMEDIATE` transaction, so writers of different processes queue
//! on SQLite's lock — `busy_timeout` makes a second process wait for it instead of failing.
//!
//! The writer is a dedicated thread fed by a channel, so blocking SQLite calls never run on the
//! async runtime (readers run on tokio's blocking pool). It commits in groups: every operation
//! waiting when a transaction starts joins it, each inside its own savepoint (one operation's
//! failure rolls back only its own writes), and each caller hears its result only after the
//! `COMMIT` returned. One `fsync` thus covers a burst of concurrent webhooks, which is what makes
//! `synchronous = FULL` affordable.
//!
//! Why `synchronous = FULL` (the default here): a webhook is acknowledged only after its write
//! committed, and the provider never sends an acknowledged message again. In WAL mode `NORMAL`
//! survives a crash of the process, but a power loss or a kernel crash can take the last
//! transactions with it — messages already acknowledged, lost for good. `FULL` syncs the WAL on
//! every commit; group commit amortises that sync over all concurrent writers. `NORMAL` stays
//! available through [`SqliteOptions`] for machines where the sync is too slow and the risk is
//! acceptable.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::{oneshot, Notify};

use super::{expiry, schema};

/// Operations joined into one transaction at most (bounds how long one commit holds the lock).
const MAX_BATCH: usize = 256;
/// How often the writer purges expired rows (opportunistically, between batches).
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// Rows deleted per table in one purge pass (keeps a purge transaction short).
const PURGE_BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

impl DbError {
    /// Whether the file itself is damaged (not a passing condition like a lock held too long).
    pub fn is_corrupt(&self) -> bool {
        match self {
            DbError::Corrupt(_) => true,
            DbError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
            ),
            DbError::Unavailable(_) => false,
        }
    }
}

/// `synchronous` in WAL mode; see the module doc for the choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synchronous {
    /// Durable across a crash of the process, not across a power loss (no sync per commit).
    Normal,
    /// Durable across a power loss: the WAL is synced on every commit (grouped, see above).
    Full,
}

#[derive(Clone, Debug)]
pub struct SqliteOptions {
    pub synchronous: Synchronous,
    /// How long a write waits for another process's transaction (and a reader for recovery).
    pub busy_timeout: Duration,
    /// Reader connections kept open for reuse (more are opened while reads run in parallel).
    pub max_idle_readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { synchronous: Synchronous::Full, busy_timeout: Duration::from_secs(5), max_idle_readers: 4 }
    }
}

/// A handle on the database file; clones share the writer thread and the readers. The writer
/// stops (and its connection closes) when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteDb {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: SqliteOptions,
    writer: mpsc::Sender<Box<dyn WriteJob>>,
    readers: Mutex<Vec<Connection>>,
    /// Woken by the queues after a write that may make an item deliverable (long polls wait on it).
    changed: Arc<Notify>,
}

impl SqliteDb {
    /// Opens (or creates) the database, brings its schema up to date and starts the writer.
    /// Blocking (migrations, a lock held by another process): call it at start-up, or from
    /// `spawn_blocking`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, DbError> {
        Self::open_with(path, SqliteOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, DbError> {
        let path = path.as_ref().to_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(options.busy_timeout)?;
        // Persistent in the file: every later connection, of any process, is in WAL mode too.
        let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::Unavailable(format!("{}: WAL mode refused (journal mode {mode})", path.display())));
        }
        conn.pragma_update(None, "synchronous", synchronous_pragma(options.synchronous))?;
        // The WAL is truncated back to this size after a checkpoint (it only grows otherwise).
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn)?;

        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|e| DbError::Unavailable(format!("could not start the writer thread: {e}")))?;
        let inner =
            Inner { path, options, writer: tx, readers: Mutex::new(Vec::new()), changed: Arc::new(Notify::new()) };
        Ok(Self { inner: Arc::new(inner) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The schema version of the file (after [`Self::open`]: [`schema::VERSION`]).
    pub async fn schema_version(&self) -> Result<i64, DbError> {
        self.read(|conn| Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)).await
    }

    /// Deletes every row past its TTL (the writer also does this on its own every minute, a
    /// bounded number of rows at a time). Returns how many rows went.
    pub async fn purge_expired(&self) -> Result<usize, DbError> {
        let mut total = 0;
        loop {
            let n = self.write(|conn| expiry::purge(conn, PURGE_BATCH)).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs `f` in the writer's current transaction (its own savepoint); the result comes back
    /// once the transaction committed. `Err` rolls back `f`'s writes only.
    pub(crate) async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job { f: Some(f), result: None, reply: Some(reply) });
        self.inner.writer.send(job).map_err(|_| E::from(writer_gone()))?;
        answer.await.unwrap_or_else(|_| Err(E::from(writer_gone())))
    }

    /// Runs `f` on a reader connection on the blocking pool. It sees every write committed
    /// before it started (a write's caller hears back only after its commit).
    pub(crate) async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.take_reader().map_err(E::from)?;
            let result = f(&conn);
            inner.put_reader(conn);
            result
        })
        .await
        .unwrap_or_else(|e| Err(E::from(DbError::Unavailable(format!("a read failed: {e}")))))
    }

    /// What the queues notify after a write that may make an item deliverable (this process's
    /// writes only: a long poll also looks again now and then).
    pub(crate) fn changes(&self) -> Arc<Notify> {
        self.inner.changed.clone()
    }
}

fn writer_gone() -> DbError {
    DbError::Unavailable("the database writer has stopped".into())
}

fn synchronous_pragma(s: Synchronous) -> &'static str {
    match s {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    }
}

impl Inner {
    fn take_reader(&self) -> Result<Connection, DbError> {
        if let Some(conn) = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(conn);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(self.options.busy_timeout)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    fn put_reader(&self, conn: Connection) {
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.options.max_idle_readers {
            idle.push(conn);
        }
    }
}

/// One operation waiting for the writer.
trait WriteJob: Send {
    /// Runs the operation inside the batch's transaction; true if its writes are to be kept.
    fn run(&mut self, conn: &Connection) -> bool;
    /// The operation could not even start (its savepoint failed).
    fn abort(&mut self, error: DbError);
    /// Hands the result over once the batch committed (or says the commit failed).
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<F, T, E> {
    f: Option<F>,
    result: Option<Result<T, E>>,
    reply: Option<oneshot::Sender<Result<T, E>>>,
}

impl<F, T, E> WriteJob for Job<F, T, E>
where
    F: FnOnce(&Connection) -> Result<T, E> + Send,
    T: Send,
    E: From<DbError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else { return false };
        // A panicking operation must not take the writer (and every later write) down with it.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(E::from(DbError::Unavailable("a database operation panicked".into()))));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn abort(&mut self, error: DbError) {
        self.f = None;
        self.result = Some(Err(E::from(error)));
    }

    fn finish(mut self: Box<Self>, committed: Result<(), String>) {
        let result = match (self.result.take(), committed) {
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(_)), Err(why)) => Err(E::from(DbError::Unavailable(format!("commit failed: {why}")))),
            (None, _) => Err(E::from(DbError::Unavailable("the operation did not run".into()))),
        };
        if let Some(reply) = self.reply.take() {
            // The caller may have gone (its request was cancelled): the write stands regardless.
            let _ = reply.send(result);
        }
    }
}

fn writer_loop(mut conn: Connection, jobs: mpsc::Receiver<Box<dyn WriteJob>>) {
    let mut last_purge: Option<Instant> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut conn, batch);
        if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            last_purge = Some(Instant::now());
            purge_quietly(&mut conn);
        }
    }
    // Every handle is gone: closing the connection checkpoints the WAL into the database.
}

fn run_batch(conn: &mut Connection, mut batch: Vec<Box<dyn WriteJob>>) {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let why = e.to_string();
            for job in batch {
                job.finish(Err(why.clone()));
            }
            return;
        }
    };
    for job in batch.iter_mut() {
        match tx.savepoint() {
            Ok(sp) => {
                if job.run(&sp) {
                    if let Err(e) = sp.commit() {
                        job.abort(e.into());
                    }
                }
                // Otherwise the savepoint rolls back as it drops.
            }
            Err(e) => job.abort(e.into()),
        }
    }
    let committed = tx.commit().map_err(|e| e.to_string());
    if let Err(why) = &committed {
        tracing::error!(error = %why, "sqlite commit failed");
    }
    for job in batch {
        job.finish(committed.clone());
    }
}

fn purge_quietly(conn: &mut Connection) {
    let result = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(DbError::from).and_then(|tx| {
        let n = expiry::purge(&tx, PURGE_BATCH)?;
        tx.commit()?;
        Ok(n)
    });
    match result {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "purged expired rows"),
        Err(e) => tracing::warn!(error = %e, "could not purge expired rows"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path() -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("bridge-db-{}", uuid::Uuid::new_v4()));
        let path = dir.join("bridge.db");
        (dir, path)
    }

    /// Many writers at once share transactions; one operation's failure rolls back its own
    /// writes only, and every caller hears its own result.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failed_operation_in_a_group_commit_rolls_back_only_itself() {
        let (dir, path) = temp_path();
        let db = SqliteDb::open(&path).unwrap();
        let mut handles = Vec::new();
        for i in 0..64i64 {
            let db = db.clone();
            handles.push(tokio::spawn(async move {
                db.write(move |c| {
                    c.execute("INSERT INTO settings (account, settings) VALUES (?1, '{}')", [format!("a{i}")])?;
                    if i % 3 == 0 {
                        return Err(DbError::Unavailable(format!("refused {i}")));
                    }
                    Ok(i)
                })
                .await
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            let result = h.await.unwrap();
            if i % 3 == 0 {
                assert!(
                    matches!(result, Err(DbError::Unavailable(ref m)) if *m == format!("refused {i}")),
                    "{result:?}"
                );
            } else {
                assert_eq!(result.unwrap(), i as i64);
            }
        }
        let kept: i64 = db
            .read(|c| Ok::<_, DbError>(c.query_row("SELECT count(*) FROM settings", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(kept, 64 - 22);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_panicking_operation_does_not_stop_the_writer() {
        let (dir, path) = temp_path();
        let db = SqliteDb::open(&path).unwrap();
        let failed = db.write(|_| -> Result<(), DbError> { panic!("boom") }).await;
        assert!(matches!(failed, Err(DbError::Unavailable(_))), "{failed:?}");
        db.write(|c| Ok::<_, DbError>(c.execute("INSERT INTO settings (account, settings) VALUES ('x', '{}')", [])?))
            .await
            .unwrap();
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn the_file_is_in_wal_mode_with_the_chosen_sync() {
        let (dir, path) = temp_path();
        let db = SqliteDb::open(&path).unwrap();
        let (mode, sync): (String, i64) = db
            .write(|c| {
                let mode = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let sync = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
                Ok::<_, DbError>((mode, sync))
            })
            .await
            .unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL, synchronous = FULL (2)");
        std::fs::remove_dir_all(dir).ok();
    }
}
