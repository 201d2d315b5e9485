//! The local run's stand-in for SQS: in-process channels, one per kind of item. File jobs are
//! drained by the local relay, work by the local worker ([`crate::local_worker`]), which keeps
//! each group in order like SQS FIFO. Messages are in the (file-backed) store's inbox before
//! their work is queued, and the local run re-queues waiting conversations when it starts, so
//! an item lost with the process loses no message.

use async_trait::async_trait;
use tokio::sync::mpsc;

use bridge_core::domain::{FileJob, Work};
use bridge_core::ports::{FileJobQueue, QueueError, WorkQueue};

pub struct LocalQueue<T> {
    tx: mpsc::UnboundedSender<T>,
}

impl<T> LocalQueue<T> {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<T>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }

    fn send(&self, item: T) -> Result<(), QueueError> {
        self.tx.send(item).map_err(|_| QueueError("the local worker has stopped".into()))
    }
}

#[async_trait]
impl FileJobQueue for LocalQueue<FileJob> {
    async fn enqueue(&self, job: &FileJob) -> Result<(), QueueError> {
        self.send(job.clone())
    }
}

#[async_trait]
impl WorkQueue for LocalQueue<Work> {
    async fn enqueue(&self, work: &[Work]) -> Result<(), QueueError> {
        work.iter().try_for_each(|w| self.send(w.clone()))
    }
}
