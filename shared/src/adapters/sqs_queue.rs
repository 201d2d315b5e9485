//! File jobs on SQS. A standard queue with a redrive policy to a dead-letter queue (template.yaml):
//! SQS redelivers a failed job after its visibility timeout, the relay reports on the last try,
//! and a job that still fails lands in the DLQ where an operator can see and redrive it.

use async_trait::async_trait;
use aws_sdk_sqs::Client;

use crate::domain::FileJob;
use crate::ports::{JobQueue, QueueError};

pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }
}

#[async_trait]
impl JobQueue for SqsQueue {
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
