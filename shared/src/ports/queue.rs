//! Hand-off of file jobs from the webhooks to the file-relay function.

use async_trait::async_trait;

use crate::domain::FileJob;

#[derive(Debug, thiserror::Error)]
#[error("could not enqueue the file job: {0}")]
pub struct QueueError(pub String);

#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn enqueue(&self, job: &FileJob) -> Result<(), QueueError>;
}
