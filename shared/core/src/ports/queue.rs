//! The two hand-offs behind the webhooks: [`WorkQueue`] (webhooks → worker, in order per
//! conversation) and [`FileJobQueue`] (worker → file relay).

use async_trait::async_trait;

use crate::domain::{FileJob, Work};

#[derive(Debug, thiserror::Error)]
#[error("could not enqueue the file job: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait FileJobQueue: Send + Sync {
    async fn enqueue(&self, job: &FileJob) -> Result<(), QueueError>;
}

/// Hand-off of [`Work`] from the webhooks to the worker. Implementations keep each
/// [`Work::group`] in order and let different groups run in parallel (SQS FIFO message groups
/// on AWS; per-group lanes locally).
#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Enqueues in the given order. Returns only once the work is durably queued.
    async fn enqueue(&self, work: &[Work]) -> Result<(), QueueError>;
    /// Enqueues work that was queued before (a replay): where the queue deduplicates, this
    /// must not be mistaken for the original.
    async fn enqueue_again(&self, work: &[Work]) -> Result<(), QueueError> {
        self.enqueue(work).await
    }
}
