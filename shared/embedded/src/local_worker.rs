//! The local run's workers: the same core code the worker and file-relay Lambdas run, fed by
//! the durable SQLite queues ([`SqliteWorkQueue`], [`SqliteFileJobQueue`]) the way SQS feeds the
//! Lambdas.
//!
//! Each consumer long-polls its queue and hands every item to a task of its own, at most
//! `concurrency` at a time. The work queue hands out one item per conversation (FIFO group) at
//! a time, so conversations run in parallel and each one in order. An item is deleted when the
//! core is done with it (an outcome, a dead letter of the bridge's own, a permanent failure);
//! a failure worth retrying delays it with the one retry policy (`retry_later`, SQS's
//! `ChangeMessageVisibility`) and the queue hands it out again with its receive count raised,
//! which is the core's attempt count. While the core works on an item its visibility is
//! extended, so a long drain or a large file is never handed out twice; if the process dies,
//! the next start releases whatever it had in hand ([`SqliteQueue::release_received`]).
//!
//! A third task runs the sweep ([`bridge_core::sweep`]) at start and then every `sweep_every`,
//! as the worker Lambda's schedule does on AWS: it queues again the conversations whose work
//! was lost (the store and the queues may be separate files, or a queue's item dead-lettered).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use bridge_core::domain::{FileJob, Work};
use bridge_core::file_relay::RelayOutcome;
use bridge_core::retry::RetryPolicy;
use bridge_core::worker;
use bridge_core::Bridge;

use crate::sqlite::{QueueItem, Receipt, Received, SqliteFileJobQueue, SqliteQueue, SqliteWorkQueue};
use bridge_core::ports::WorkQueue;

/// The local worker's retries: tries per piece of work before it becomes a dead letter in the
/// store, and the backoff between them (a daily-limit pause waits the longest delay). Even at
/// their shortest (half of each cap) the waits add up to more than a message lease (the local
/// run's `message_lease_secs`, 120 s), so a message whose lease a crashed process left behind
/// is not given up while it is held.
pub fn default_work_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 8,
        min_delay: Duration::from_secs(2),
        max_delay: Duration::from_secs(120),
        max_pause: Duration::from_secs(120),
    }
}

/// The local relay's retries: tries per file job before its failure is reported in Planfix
/// (the queue dead-letters a job that still fails). Their shortest waits also outlast a lease.
pub fn default_file_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 5,
        min_delay: Duration::from_secs(20),
        max_delay: Duration::from_secs(160),
        max_pause: Duration::from_secs(160),
    }
}

/// The shortest total wait a policy's retries make (each delay at half its cap).
pub fn shortest_total_wait(policy: &RetryPolicy) -> Duration {
    (1..u32::try_from(policy.attempts).unwrap_or(u32::MAX))
        .map(|attempt| {
            let cap = policy.min_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(20)).min(policy.max_delay);
            cap / 2
        })
        .sum()
}

/// How the local workers run.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// The worker's own budget per piece of work; the work queue's redrive count must be higher
    /// ([`Self::work_queue_max_receives`]) so the bridge's dead letters come first.
    pub work_retry: RetryPolicy,
    /// The relay's budget per file job, the file-job queue's redrive count
    /// ([`Self::file_queue_max_receives`]).
    pub file_retry: RetryPolicy,
    /// Conversations (and replies, statuses) handled at once.
    pub work_concurrency: usize,
    /// File jobs relayed at once.
    pub file_concurrency: usize,
    /// How long a received item stays hidden; extended by as much every third of it while the
    /// core works on the item.
    pub visibility: Duration,
    /// A conversation's drain stops taking new messages this long after its delivery and queues
    /// a continuation behind the conversation's other work (as a Lambda does before its
    /// timeout), so one long conversation does not hold a worker for good.
    pub drain_budget: Duration,
    /// How long a long poll waits for an item before it looks again.
    pub poll_wait: Duration,
    /// On shutdown, how long items in hand get to finish (the rest are released at the next start).
    pub shutdown_grace: Duration,
    /// How often the sweep runs (`[worker] sweep_secs`); zero: never.
    pub sweep_every: Duration,
    /// How long an inbox entry may wait before the sweep queues its conversation again.
    pub sweep_stale_after: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            work_retry: default_work_retry(),
            file_retry: default_file_retry(),
            work_concurrency: 8,
            file_concurrency: 4,
            visibility: Duration::from_secs(120),
            drain_budget: Duration::from_secs(60),
            poll_wait: Duration::from_secs(20),
            shutdown_grace: Duration::from_secs(10),
            sweep_every: Duration::from_secs(300),
            sweep_stale_after: bridge_core::sweep::STALE_AFTER,
        }
    }
}

impl WorkerOptions {
    /// The work queue's redrive count for this budget: two more receives than the worker's own
    /// (as template.yaml's `WorkMaxReceives + 2`), so the queue's dead letters only catch what
    /// the worker could not even record.
    pub fn work_queue_max_receives(&self) -> u32 {
        attempts(&self.work_retry).saturating_add(2)
    }

    /// The file-job queue's redrive count: the relay's budget (template.yaml's
    /// `RelayMaxReceives`): a job that still fails on its last try is dead-lettered by the queue.
    pub fn file_queue_max_receives(&self) -> u32 {
        attempts(&self.file_retry)
    }
}

fn attempts(policy: &RetryPolicy) -> u32 {
    u32::try_from(policy.attempts).unwrap_or(u32::MAX)
}

/// The running consumers. Dropping the handle leaves them running; [`Workers::shutdown`] stops
/// them.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Stops taking new items and waits for the items in hand, at most `shutdown_grace`; those
    /// still running then are abandoned (the next start releases them).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Starts both consumers: work from `work` into [`worker::handle`], file jobs from `files` into
/// [`bridge_core::file_relay::handle_job`].
pub fn spawn(app: Arc<Bridge>, work: SqliteWorkQueue, files: SqliteFileJobQueue, options: WorkerOptions) -> Workers {
    warn_if_mismatched("work", &work, options.work_queue_max_receives());
    warn_if_mismatched("file-job", &files, options.file_queue_max_receives());
    let (stop, stopped) = watch::channel(false);
    let work_task = {
        let (app, options, queue) = (app.clone(), options.clone(), work.clone());
        let concurrency = options.work_concurrency;
        tokio::spawn(consume(work, concurrency, options.clone(), stopped.clone(), move |item| {
            run_work(app.clone(), queue.clone(), item, options.clone())
        }))
    };
    let file_task = {
        let (app, options, queue) = (app.clone(), options.clone(), files.clone());
        let concurrency = options.file_concurrency;
        tokio::spawn(consume(files, concurrency, options.clone(), stopped.clone(), move |item| {
            run_file_job(app.clone(), queue.clone(), item, options.clone())
        }))
    };
    let mut tasks = vec![work_task, file_task];
    if !options.sweep_every.is_zero() {
        tasks.push(tokio::spawn(sweep_periodically(app, options.sweep_every, options.sweep_stale_after, stopped)));
    }
    Workers { stop, tasks }
}

/// The sweep at start (a crash may have lost work) and then every `every`, until a stop.
async fn sweep_periodically(app: Arc<Bridge>, every: Duration, stale_after: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = bridge_core::sweep::sweep_with(&app, stale_after) => {}
            () = stop_requested(&mut stop) => return,
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop_requested(&mut stop) => return,
        }
    }
}

fn warn_if_mismatched<T: QueueItem>(name: &str, queue: &SqliteQueue<T>, expected: u32) {
    let redrive = queue.options().max_receives;
    if redrive < expected {
        tracing::warn!(
            queue = name,
            redrive,
            expected,
            "the queue dead-letters items before the worker's retry budget is spent"
        );
    }
}

/// Resolves once a stop is asked for; never, if the [`Workers`] handle is gone.
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One queue's consumer: long polls for as many items as there are free slots, one task per item.
async fn consume<T, F, Fut>(
    queue: SqliteQueue<T>,
    concurrency: usize,
    options: WorkerOptions,
    mut stop: watch::Receiver<bool>,
    handle: F,
) where
    T: QueueItem,
    F: Fn(Received<T>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    match queue.release_received().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(queue = T::QUEUE, items = n, "resuming items an earlier run had in hand"),
        Err(e) => tracing::warn!(queue = T::QUEUE, error = %e, "could not release the items of an earlier run"),
    }
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        let first = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stop_requested(&mut stop) => break,
        };
        let mut permits = vec![first];
        while let Ok(permit) = slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        // Cancelled by a stop, a receive may already have hidden items: the next start releases them.
        let received = tokio::select! {
            received = queue.receive_wait(permits.len(), options.visibility, options.poll_wait) => received,
            () = stop_requested(&mut stop) => break,
        };
        match received {
            Ok(items) => {
                for (item, permit) in items.into_iter().zip(permits.drain(..)) {
                    let job = handle(item);
                    running.spawn(async move {
                        job.await;
                        drop(permit);
                    });
                }
            }
            Err(e) => {
                tracing::warn!(queue = T::QUEUE, error = %e, "could not receive; trying again shortly");
                drop(permits);
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = stop_requested(&mut stop) => break,
                }
            }
        }
        while running.try_join_next().is_some() {}
    }
    let finished =
        tokio::time::timeout(options.shutdown_grace, async { while running.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(
            queue = T::QUEUE,
            items = running.len(),
            "stopping with items in hand; the next start resumes them"
        );
        running.abort_all();
    }
}

/// Runs `work` while extending the item's visibility every third of it.
async fn with_heartbeat<T: QueueItem, O>(
    queue: &SqliteQueue<T>,
    receipt: Receipt,
    visibility: Duration,
    work: impl Future<Output = O>,
) -> O {
    tokio::pin!(work);
    let every = (visibility / 3).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(every) => match queue.retry_later(receipt, visibility).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(queue = T::QUEUE, item = %receipt, "the item was handed out again meanwhile"),
                Err(e) => tracing::warn!(queue = T::QUEUE, item = %receipt, error = %e, "could not extend the visibility"),
            },
        }
    }
}

async fn acknowledge<T: QueueItem>(queue: &SqliteQueue<T>, receipt: Receipt) {
    match queue.delete(receipt).await {
        Ok(true) => {}
        // Handed out again after its visibility ran out: the other delivery finds it done.
        Ok(false) => tracing::warn!(queue = T::QUEUE, item = %receipt, "the item was handed out again meanwhile"),
        Err(e) => tracing::warn!(queue = T::QUEUE, item = %receipt, error = %e, "could not delete a finished item"),
    }
}

async fn delay<T: QueueItem>(queue: &SqliteQueue<T>, receipt: Receipt, wait: Duration) {
    if let Err(e) = queue.retry_later(receipt, wait).await {
        tracing::warn!(queue = T::QUEUE, item = %receipt, error = %e, "could not delay the retry; the visibility timeout applies");
    }
}

async fn run_work(app: Arc<Bridge>, queue: SqliteWorkQueue, item: Received<Work>, options: WorkerOptions) {
    let delivery = item.delivery(attempts(&options.work_retry), Some(Instant::now() + options.drain_budget));
    let work = &item.body;
    let result = with_heartbeat(&queue, item.receipt, options.visibility, worker::handle(&app, work, delivery)).await;
    bridge_core::metrics::flush();
    match result {
        Ok(outcome) => {
            tracing::info!(work = %work.key(), ?outcome, "work done");
            acknowledge(&queue, item.receipt).await;
        }
        Err(e) if e.paced && item.receive_count + 1 >= options.work_queue_max_receives() => {
            // Waiting for the pacing slot spends no try, but every receive counts towards the
            // queue's dead-lettering: a fresh copy goes behind the conversation instead.
            match queue.enqueue_again(std::slice::from_ref(work)).await {
                Ok(()) => acknowledge(&queue, item.receipt).await,
                Err(q) => {
                    tracing::warn!(work = %work.key(), error = %q, "could not queue paced work afresh; retrying");
                    delay(&queue, item.receipt, e.not_before.unwrap_or_default()).await;
                }
            }
        }
        Err(e) => {
            let wait = match (e.paced, e.not_before) {
                (true, Some(wait)) => wait,
                _ => options.work_retry.delay(item.receive_count, e.retry()),
            };
            tracing::warn!(work = %work.key(), receives = item.receive_count, error = %e, ?wait, "work failed; retrying");
            delay(&queue, item.receipt, wait).await;
        }
    }
}

async fn run_file_job(app: Arc<Bridge>, queue: SqliteFileJobQueue, item: Received<FileJob>, options: WorkerOptions) {
    let job = &item.body;
    let last_try = options.file_retry.exhausted(item.receive_count);
    let relay = bridge_core::file_relay::handle_job(&app, job, last_try);
    let result = with_heartbeat(&queue, item.receipt, options.visibility, relay).await;
    bridge_core::metrics::flush();
    match result {
        Ok(outcome) => {
            match outcome {
                RelayOutcome::Delivered => tracing::info!(job = %job.job_key(), "file relayed"),
                RelayOutcome::Reported(reason) => {
                    tracing::warn!(job = %job.job_key(), reason, "file not transferred; noted in Planfix")
                }
                other => tracing::info!(job = %job.job_key(), outcome = ?other, "file job finished"),
            }
            acknowledge(&queue, item.receipt).await;
        }
        // On its last try too: the queue dead-letters it at its next receive.
        Err(e) if e.retry.is_retryable() => {
            let wait = options.file_retry.delay(item.receive_count, e.retry);
            tracing::warn!(job = %job.job_key(), receives = item.receive_count, error = %e, ?wait,
                "file relay failed; retrying");
            delay(&queue, item.receipt, wait).await;
        }
        Err(e) => {
            tracing::error!(job = %job.job_key(), error = %e, "file job failed permanently");
            acknowledge(&queue, item.receipt).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queues_redrive_after_the_workers_budgets_as_on_aws() {
        let options = WorkerOptions::default();
        assert_eq!(options.work_queue_max_receives(), 10, "as template.yaml's work queue");
        assert_eq!(options.file_queue_max_receives(), 5, "as template.yaml's file-job queue");
        assert!(options.drain_budget < options.visibility);
        let quick = RetryPolicy {
            attempts: 3,
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(3),
            max_pause: Duration::from_secs(3),
        };
        // Caps 1 s, 2 s: at least half of each.
        assert_eq!(shortest_total_wait(&quick), Duration::from_millis(1500));
    }
}
