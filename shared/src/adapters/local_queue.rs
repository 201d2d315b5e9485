//! The local run's stand-in for SQS: an in-process channel. The worker that drains it
//! (tools/bridge-local) retries with the same relay code the file-relay Lambda runs.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::domain::{FileJob, Work};
use crate::ports::{JobQueue, QueueError, WorkQueue};

pub struct LocalQueue {
    tx: mpsc::UnboundedSender<FileJob>,
}

impl LocalQueue {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<FileJob>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }
}

#[async_trait]
impl JobQueue for LocalQueue {
    async fn enqueue(&self, job: &FileJob) -> Result<(), QueueError> {
        self.tx.send(job.clone()).map_err(|_| QueueError("the local relay worker has stopped".into()))
    }
}

/// The local run's work queue: an in-process channel drained by [`crate::local_worker`], which
/// keeps each group in order like SQS FIFO. Messages are already in the (file-backed) store's
/// inbox when they are queued, so the next message of a conversation finds any that a
/// restart interrupted.
pub struct LocalWorkQueue {
    tx: mpsc::UnboundedSender<Work>,
}

impl LocalWorkQueue {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Work>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }
}

#[async_trait]
impl WorkQueue for LocalWorkQueue {
    async fn enqueue(&self, work: &[Work]) -> Result<(), QueueError> {
        for w in work {
            self.tx.send(w.clone()).map_err(|_| QueueError("the local worker has stopped".into()))?;
        }
        Ok(())
    }
}
