//! The two SQS queues. File jobs: a standard queue with a redrive policy to a dead-letter queue
//! (template.yaml); a failed job is delayed by the retry policy (its visibility timeout), the
//! relay reports on the last try, and a job that still fails lands in the DLQ where an operator
//! can see and redrive it. Work: a FIFO queue, below.

use async_trait::async_trait;
use aws_sdk_sqs::Client;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use bridge_core::domain::{FileJob, Work};
use bridge_core::ports::{FileJobQueue, QueueError, WorkQueue};

pub struct SqsFileJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsFileJobQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }

    /// Backoff for a failed job: it stays invisible for `delay_secs` before SQS redelivers it.
    pub async fn retry_later(&self, receipt_handle: &str, delay_secs: i32) -> Result<(), QueueError> {
        change_visibility(&self.client, &self.queue_url, receipt_handle, delay_secs).await
    }
}

/// The one way a consumer of either queue delays a received message (SQS allows up to 12 h).
async fn change_visibility(
    client: &Client,
    queue_url: &str,
    receipt_handle: &str,
    delay_secs: i32,
) -> Result<(), QueueError> {
    client
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .visibility_timeout(delay_secs.clamp(0, 12 * 3600))
        .send()
        .await
        .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    Ok(())
}

#[async_trait]
impl FileJobQueue for SqsFileJobQueue {
    async fn enqueue(&self, job: &FileJob) -> Result<(), QueueError> {
        let body = serde_json::to_string(job).map_err(|e| QueueError(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

/// The work queue: an SQS FIFO queue. The message group is the conversation (one customer's
/// messages, one task's replies), so SQS hands one group to one worker at a time and in order,
/// while other groups run in parallel; the deduplication id is the work's key, so a webhook
/// delivered twice within five minutes is queued once (the store dedupes the rest).
pub struct SqsWorkQueue {
    client: Client,
    queue_url: String,
}

impl SqsWorkQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }

    /// Backoff for a failed receive: the message stays invisible (and its group blocked, which
    /// keeps the conversation's order) for `delay_secs`.
    pub async fn retry_later(&self, receipt_handle: &str, delay_secs: i32) -> Result<(), QueueError> {
        change_visibility(&self.client, &self.queue_url, receipt_handle, delay_secs).await
    }
}

#[async_trait]
impl WorkQueue for SqsWorkQueue {
    async fn enqueue(&self, work: &[Work]) -> Result<(), QueueError> {
        self.send(work, false).await
    }

    async fn enqueue_again(&self, work: &[Work]) -> Result<(), QueueError> {
        self.send(work, true).await
    }
}

impl SqsWorkQueue {
    /// `fresh`: a new deduplication id (the original may still be inside SQS's five-minute
    /// deduplication window).
    async fn send(&self, work: &[Work], fresh: bool) -> Result<(), QueueError> {
        for chunk in work.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, w) in chunk.iter().enumerate() {
                let body = serde_json::to_string(w).map_err(|e| QueueError(e.to_string()))?;
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .message_group_id(w.group())
                    .message_deduplication_id(if fresh {
                        uuid::Uuid::new_v4().simple().to_string()
                    } else {
                        w.dedupe_id()
                    })
                    .build()
                    .map_err(|e| QueueError(e.to_string()))?;
                entries.push(entry);
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
            // All or nothing for the caller: it answers 5xx and the sender retries (dedupe ids
            // make the entries that did go in harmless).
            if let Some(failed) = out.failed().first() {
                return Err(QueueError(format!(
                    "{} of {} work items not queued: {}",
                    out.failed().len(),
                    chunk.len(),
                    failed.message().unwrap_or(failed.code())
                )));
            }
        }
        Ok(())
    }
}
