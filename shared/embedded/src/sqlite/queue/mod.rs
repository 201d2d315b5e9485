//! Durable queues in the database, standing in for the two SQS queues: rows with a
//! visible-after time, a receive count and dead letters, so nothing acknowledged is lost across
//! a crash and a restart resumes where it stopped.
//!
//! * Work ([`SqliteWorkQueue`]) is FIFO per [`Work::group`] like SQS FIFO: one item of a group
//!   in flight at a time, in order, other groups in parallel; [`Work::dedupe_id`] dedupes
//!   within a window (SQS's five minutes); every item is held back before its first delivery
//!   (`DelaySeconds`, default 1 s) so the near-simultaneous messages of a conversation are all
//!   in its inbox before the worker drains it.
//! * File jobs ([`SqliteFileJobQueue`]) form a standard queue: no groups, no dedupe.
//!
//! The consumer side mirrors what the Lambdas get from SQS: [`SqliteQueue::receive`] hides what
//! it hands out for a visibility timeout and counts the receive; [`SqliteQueue::delete`]
//! acknowledges; [`SqliteQueue::retry_later`] is `ChangeMessageVisibility` (the backoff);
//! an item received `max_receives` times without being deleted moves to the dead letters on
//! the next receive (SQS's redrive policy), where [`SqliteQueue::dead_letters`] lists it and
//! [`SqliteQueue::replay_dead`] puts it back.

mod ops;

use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use bridge_core::domain::{FileJob, Work};
use bridge_core::ports::{FileJobQueue, QueueError, WorkQueue};

use super::db::{DbError, SqliteDb};
use super::expiry::now_ms;

/// What the bridge puts through a queue.
pub trait QueueItem: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The queue's name in the database.
    const QUEUE: &'static str;
    /// The FIFO group (None: a standard queue).
    fn group(&self) -> Option<String>;
    /// The deduplication id (None: never deduplicated).
    fn dedupe_id(&self) -> Option<String>;
    fn default_options() -> QueueOptions;
}

impl QueueItem for Work {
    const QUEUE: &'static str = "work";
    fn group(&self) -> Option<String> {
        Some(Work::group(self))
    }
    fn dedupe_id(&self) -> Option<String> {
        Some(Work::dedupe_id(self))
    }
    fn default_options() -> QueueOptions {
        QueueOptions::work()
    }
}

impl QueueItem for FileJob {
    const QUEUE: &'static str = "file_jobs";
    fn group(&self) -> Option<String> {
        None
    }
    fn dedupe_id(&self) -> Option<String> {
        None
    }
    fn default_options() -> QueueOptions {
        QueueOptions::file_jobs()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueOptions {
    /// How long a new item waits before its first delivery (SQS `DelaySeconds`).
    pub hold_back: Duration,
    /// Items with a deduplication id seen this recently are dropped (zero: no dedupe).
    pub dedupe_window: Duration,
    /// Receives without a delete before the item moves to the dead letters (SQS
    /// `maxReceiveCount`).
    pub max_receives: u32,
}

impl QueueOptions {
    /// As template.yaml's work queue: `WorkHoldBackSeconds` 1, FIFO's five-minute dedupe, and a
    /// redrive count of the worker's own budget (`WORK_MAX_RECEIVES`, 8) plus two, so the
    /// worker's dead letters (in the store) come first.
    pub fn work() -> Self {
        Self { hold_back: Duration::from_secs(1), dedupe_window: Duration::from_secs(300), max_receives: 10 }
    }

    /// As template.yaml's file-job queue: no delay, no dedupe, `RelayMaxReceives` 5.
    pub fn file_jobs() -> Self {
        Self { hold_back: Duration::ZERO, dedupe_window: Duration::ZERO, max_receives: 5 }
    }
}

/// Names one receive of one item (SQS's receipt handle): deleting or delaying the item with it
/// works only while no later receive happened (the visibility timeout ran out and another
/// consumer took the item).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Receipt {
    id: i64,
    receive_count: u32,
}

impl Receipt {
    /// The item's id in its queue.
    pub fn id(&self) -> i64 {
        self.id
    }
}

impl std::fmt::Display for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.id, self.receive_count)
    }
}

/// An item handed out by [`SqliteQueue::receive`].
#[derive(Clone, Debug, PartialEq)]
pub struct Received<T> {
    pub receipt: Receipt,
    pub body: T,
    pub group: Option<String>,
    /// 1 on the first delivery (SQS's `ApproximateReceiveCount`).
    pub receive_count: u32,
    pub enqueued_at_ms: i64,
}

impl<T> Received<T> {
    pub fn id(&self) -> i64 {
        self.receipt.id
    }

    /// How the core's worker is told about this delivery, as the worker Lambda tells it about
    /// an SQS record (`max_attempts`: the worker's own budget, below the queue's redrive).
    pub fn delivery(&self, max_attempts: u32, deadline: Option<tokio::time::Instant>) -> bridge_core::worker::Delivery {
        bridge_core::worker::Delivery { attempts: self.receive_count, max_attempts, deadline }
    }
}

/// An item past its receives (or unreadable), kept for an operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadItem {
    /// Its id while it was queued (replay gives it a new one).
    pub id: i64,
    pub group: Option<String>,
    /// The JSON body as queued.
    pub body: String,
    pub enqueued_at_ms: i64,
    pub receive_count: u32,
    pub failed_at_ms: i64,
    pub reason: String,
}

impl DeadItem {
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Items in the queue (deliverable, held back, in flight, or waiting behind their group).
    pub queued: u64,
    /// Deliverable now.
    pub ready: u64,
    pub dead: u64,
}

/// One queue of the database (clones share it).
pub struct SqliteQueue<T> {
    db: SqliteDb,
    options: QueueOptions,
    _item: PhantomData<fn() -> T>,
}

impl<T> Clone for SqliteQueue<T> {
    fn clone(&self) -> Self {
        Self { db: self.db.clone(), options: self.options.clone(), _item: PhantomData }
    }
}

pub type SqliteWorkQueue = SqliteQueue<Work>;
pub type SqliteFileJobQueue = SqliteQueue<FileJob>;

/// The longest a long poll sleeps without looking again (writes of other processes are not
/// signalled, only seen).
const POLL: Duration = Duration::from_millis(500);
/// SQS's limit on a visibility timeout or delay.
const MAX_DELAY: Duration = Duration::from_secs(12 * 3600);

fn millis(d: Duration) -> i64 {
    i64::try_from(d.min(MAX_DELAY).as_millis()).unwrap_or(i64::MAX)
}

fn queue_error(e: DbError) -> QueueError {
    QueueError(e.to_string())
}

impl<T: QueueItem> SqliteQueue<T> {
    pub fn new(db: SqliteDb) -> Self {
        Self::with_options(db, T::default_options())
    }

    pub fn with_options(db: SqliteDb, options: QueueOptions) -> Self {
        Self { db, options, _item: PhantomData }
    }

    pub fn options(&self) -> &QueueOptions {
        &self.options
    }

    /// Enqueues in order, in one transaction (all or nothing), deduplicating; returns how many
    /// items went in (the rest were duplicates within the window).
    pub async fn send(&self, items: &[T]) -> Result<usize, QueueError> {
        self.send_items(items, true).await
    }

    /// Enqueues without deduplication (a replay: the original may still be inside the window).
    pub async fn send_again(&self, items: &[T]) -> Result<usize, QueueError> {
        self.send_items(items, false).await
    }

    async fn send_items(&self, items: &[T], dedupe: bool) -> Result<usize, QueueError> {
        let new = items
            .iter()
            .map(|item| {
                Ok(ops::NewItem {
                    group: item.group(),
                    dedupe_id: if dedupe { item.dedupe_id() } else { None },
                    body: serde_json::to_string(item).map_err(|e| QueueError(e.to_string()))?,
                })
            })
            .collect::<Result<Vec<_>, QueueError>>()?;
        let (hold_back, window) = (millis(self.options.hold_back), millis(self.options.dedupe_window));
        let queued = self
            .db
            .write(move |c| ops::enqueue(c, T::QUEUE, &new, now_ms(), hold_back, window))
            .await
            .map_err(queue_error)?;
        self.db.changes().notify_waiters();
        Ok(queued)
    }

    /// Up to `max` deliverable items, each hidden for `visibility` (at most 12 h) and its
    /// receive counted. At most one item per FIFO group, its oldest.
    pub async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Received<T>>, QueueError> {
        let (visibility, max_receives) = (millis(visibility), self.options.max_receives);
        self.db
            .write(move |c| ops::receive::<T>(c, T::QUEUE, max, now_ms(), visibility, max_receives))
            .await
            .map_err(queue_error)
    }

    /// [`Self::receive`] with a long poll (SQS's `WaitTimeSeconds`): waits up to `wait` for an
    /// item, woken by this process's enqueues and deletes and by items whose time comes.
    pub async fn receive_wait(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Received<T>>, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        let changes = self.db.changes();
        loop {
            let changed = changes.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.db.read(|c| ops::any_visible(c, T::QUEUE, now_ms())).await.map_err(queue_error)? {
                let got = self.receive(max, visibility).await?;
                if !got.is_empty() {
                    return Ok(got);
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let next = self.db.read(|c| ops::next_visible(c, T::QUEUE, now_ms())).await.map_err(queue_error)?;
            let until_next = next.map_or(POLL, |at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)));
            let nap = until_next.min(POLL).min(deadline - now);
            tokio::select! {
                _ = &mut changed => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    /// Acknowledges a received item. False: the receipt is stale (the item was received again
    /// after its visibility ran out) or the item is gone.
    pub async fn delete(&self, receipt: Receipt) -> Result<bool, QueueError> {
        let deleted = self.db.write(move |c| ops::delete(c, T::QUEUE, receipt)).await.map_err(queue_error)?;
        if deleted {
            // The next item of its group may be deliverable now.
            self.db.changes().notify_waiters();
        }
        Ok(deleted)
    }

    /// Delays the next delivery of a received item by `delay` (at most 12 h) from now; a FIFO
    /// group waits behind it. The receive count stays (it counts the tries).
    pub async fn retry_later(&self, receipt: Receipt, delay: Duration) -> Result<bool, QueueError> {
        let delay = millis(delay);
        let changed = self
            .db
            .write(move |c| ops::retry_later(c, T::QUEUE, receipt, now_ms() + delay))
            .await
            .map_err(queue_error)?;
        if changed && delay == 0 {
            self.db.changes().notify_waiters();
        }
        Ok(changed)
    }

    /// Makes every item received earlier and not deleted deliverable now: the ones in flight and
    /// the ones waiting out a retry delay. What the one consumer of a queue calls when it starts
    /// (the local run's workers): whatever a previous process had in hand died with it, and
    /// waiting out its visibility timeout would only hold its group back. Returns how many.
    pub async fn release_received(&self) -> Result<usize, QueueError> {
        let released =
            self.db.write(move |c| ops::release_received(c, T::QUEUE, now_ms())).await.map_err(queue_error)?;
        if released > 0 {
            self.db.changes().notify_waiters();
        }
        Ok(released)
    }

    pub async fn dead_letters(&self) -> Result<Vec<DeadItem>, QueueError> {
        self.db.read(|c| ops::dead_items(c, T::QUEUE)).await.map_err(queue_error)
    }

    /// Puts a dead item back at the end of its group with a fresh receive count (after the
    /// hold-back); its new id, None if there is no such dead item.
    pub async fn replay_dead(&self, id: i64) -> Result<Option<i64>, QueueError> {
        let hold_back = millis(self.options.hold_back);
        let new_id = self
            .db
            .write(move |c| ops::replay_dead(c, T::QUEUE, id, now_ms(), hold_back))
            .await
            .map_err(queue_error)?;
        if new_id.is_some() {
            self.db.changes().notify_waiters();
        }
        Ok(new_id)
    }

    /// Drops a dead item for good.
    pub async fn delete_dead(&self, id: i64) -> Result<bool, QueueError> {
        self.db.write(move |c| ops::delete_dead(c, T::QUEUE, id)).await.map_err(queue_error)
    }

    pub async fn counts(&self) -> Result<QueueCounts, QueueError> {
        self.db.read(|c| ops::counts(c, T::QUEUE, now_ms())).await.map_err(queue_error)
    }
}

#[async_trait]
impl WorkQueue for SqliteQueue<Work> {
    async fn enqueue(&self, work: &[Work]) -> Result<(), QueueError> {
        self.send(work).await.map(drop)
    }

    async fn enqueue_again(&self, work: &[Work]) -> Result<(), QueueError> {
        self.send_again(work).await.map(drop)
    }
}

#[async_trait]
impl FileJobQueue for SqliteQueue<FileJob> {
    async fn enqueue(&self, job: &FileJob) -> Result<(), QueueError> {
        self.send(std::slice::from_ref(job)).await.map(drop)
    }
}
