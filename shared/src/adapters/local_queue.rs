//! The local run's stand-in for SQS: an in-process channel. The worker that drains it
//! (tools/bridge-local) retries with the same relay code the file-relay Lambda runs.

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::domain::FileJob;
use crate::ports::{JobQueue, QueueError};

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
