//! The file-job dead-letter queue: see what failed, and move it back to the file-job queue.
//!
//! Listing has to receive, which hides messages; they are made visible again right after (the
//! short peek timeout covers a crash in between). Replay sends to the main queue before it
//! deletes from the DLQ, so a failure in between leaves a duplicate, never a lost job; the
//! relay runs each job key once, so the duplicate is harmless.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use clap::{ArgGroup, Subcommand};
use shared::domain::FileJob;

use crate::target::Target;
use crate::{utc, Result};

/// How long received messages stay hidden if the tool dies before giving them back.
const PEEK_SECS: i32 = 30;
/// Long enough to send and delete one batch.
const REPLAY_SECS: i32 = 60;
/// Long poll: asks every SQS server, so "empty" means empty (short polls sample a few).
const WAIT_SECS: i32 = 1;

#[derive(Debug, Subcommand)]
pub enum DeadLettersCmd {
    /// Summarise the jobs in the DLQ (ids only; they stay in the queue).
    List {
        #[arg(long, default_value_t = 50)]
        max: usize,
    },
    /// Move jobs back to the file-job queue (`--queue-url`).
    #[command(group(ArgGroup::new("which").required(true).args(["all", "id"])))]
    Replay {
        /// Every job in the DLQ.
        #[arg(long)]
        all: bool,
        /// One job, by its SQS message id (as `list` shows).
        #[arg(long)]
        id: Option<String>,
    },
}

pub async fn run(cmd: DeadLettersCmd, target: &Target) -> Result<String> {
    let sqs = target.sqs()?;
    let dlq = target.dlq_url()?;
    match cmd {
        DeadLettersCmd::List { max } => list(sqs, dlq, max).await,
        DeadLettersCmd::Replay { id, .. } => {
            let main = main_queue(target, sqs, dlq).await?;
            replay(sqs, dlq, &main, id.as_deref()).await
        }
    }
}

fn sqs_error<E: std::error::Error + 'static, R: std::fmt::Debug>(what: &str, e: aws_sdk_sqs::error::SdkError<E, R>) -> String {
    format!("SQS {what} failed: {}", aws_sdk_sqs::error::DisplayErrorContext(e))
}

async fn receive(sqs: &Client, queue: &str, max: usize, visibility: i32) -> Result<Vec<Message>> {
    let out = sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(max.clamp(1, 10) as i32)
        .visibility_timeout(visibility)
        .wait_time_seconds(WAIT_SECS)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp)
        .send()
        .await
        .map_err(|e| sqs_error("receive", e))?;
    Ok(out.messages.unwrap_or_default())
}

/// Makes messages visible again at once; best effort (they reappear after the timeout anyway).
async fn give_back(sqs: &Client, queue: &str, messages: impl IntoIterator<Item = &Message>) -> usize {
    let mut failed = 0;
    for m in messages {
        let ok = sqs
            .change_message_visibility()
            .queue_url(queue)
            .receipt_handle(m.receipt_handle().unwrap_or_default())
            .visibility_timeout(0)
            .send()
            .await
            .is_ok();
        failed += usize::from(!ok);
    }
    failed
}

async fn list(sqs: &Client, dlq: &str, max: usize) -> Result<String> {
    // Keyed by message id, keeping the latest receipt handle: a message received twice is one job.
    let mut seen: BTreeMap<String, Message> = BTreeMap::new();
    let mut result = Ok(());
    while seen.len() < max {
        let batch = match receive(sqs, dlq, max - seen.len(), PEEK_SECS).await {
            Ok(b) => b,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let before = seen.len();
        for m in batch {
            seen.insert(m.message_id().unwrap_or_default().to_owned(), m);
        }
        if seen.len() == before {
            break;
        }
    }
    let not_returned = give_back(sqs, dlq, seen.values()).await;
    result?;
    let mut out = format!("{} job(s) in the dead-letter queue{}\n", seen.len(), if seen.len() >= max { " (or more; raise --max)" } else { "" });
    for m in seen.values() {
        out.push_str(&summary(m));
        out.push('\n');
    }
    if not_returned > 0 {
        out.push_str(&format!("{not_returned} message(s) stay hidden for up to {PEEK_SECS}s\n"));
    }
    Ok(out)
}

/// One line per job: ids and counts only, never the phone, caption or file name.
fn summary(m: &Message) -> String {
    let attr = |name: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&name)).cloned();
    let receives = attr(MessageSystemAttributeName::ApproximateReceiveCount).unwrap_or_else(|| "?".into());
    let first = attr(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp)
        .and_then(|ms| ms.parse::<i64>().ok())
        .map(|ms| utc(ms / 1000))
        .unwrap_or_else(|| "?".into());
    let job = match serde_json::from_str::<FileJob>(m.body().unwrap_or_default()) {
        Ok(FileJob::Inbound { account, task_id, comment_id, message_id, media_kind, .. }) => {
            format!("inbound account={account} task={task_id} comment={comment_id} message={message_id} media={media_kind}")
        }
        Ok(FileJob::Outbound { account, task_id, comment_id, file_id, .. }) => {
            format!("outbound account={account} task={task_id} comment={comment_id} file={file_id}")
        }
        Err(_) => format!("unreadable body ({} bytes)", m.body().map_or(0, str::len)),
    };
    format!("{}  {job}  receives={receives}  first_received={first}", m.message_id().unwrap_or("?"))
}

/// `--queue-url`, or the one queue whose redrive policy targets this DLQ.
async fn main_queue(target: &Target, sqs: &Client, dlq: &str) -> Result<String> {
    if let Some(url) = target.queue_url() {
        if url == dlq {
            return Err("--queue-url and --dlq-url are the same queue".into());
        }
        return Ok(url.to_owned());
    }
    let out = sqs.list_dead_letter_source_queues().queue_url(dlq).send().await.map_err(|e| sqs_error("list dead-letter sources", e))?;
    match out.queue_urls() {
        [one] => Ok(one.clone()),
        [] => Err("no queue sends to this DLQ: pass --queue-url".into()),
        _ => Err("several queues send to this DLQ: pass --queue-url".into()),
    }
}

async fn replay(sqs: &Client, dlq: &str, main: &str, only: Option<&str>) -> Result<String> {
    let mut moved = 0usize;
    // Messages received but not chosen (with --id): handed back at the end.
    let mut skipped: BTreeMap<String, Message> = BTreeMap::new();
    let result: Result<()> = async {
        loop {
            let batch = receive(sqs, dlq, 10, REPLAY_SECS).await?;
            let mut progressed = false;
            for m in batch {
                let id = m.message_id().unwrap_or_default().to_owned();
                if only.is_some_and(|want| want != id) {
                    progressed |= skipped.insert(id, m).is_none();
                    continue;
                }
                // The body is the whole job (the relay reads nothing else), so it moves as is.
                sqs.send_message()
                    .queue_url(main)
                    .message_body(m.body().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| format!("job {id} stays in the DLQ: {}", sqs_error("send", e)))?;
                sqs.delete_message()
                    .queue_url(dlq)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| format!("job {id} was re-queued but is still in the DLQ (a harmless duplicate): {}", sqs_error("delete", e)))?;
                moved += 1;
                progressed = true;
                if only.is_some() {
                    return Ok(());
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }
    .await;
    give_back(sqs, dlq, skipped.values()).await;
    let done = format!("moved {moved} job(s) from the dead-letter queue to {main}");
    match (result, only) {
        (Err(e), _) => Err(format!("{e} ({done} before the failure)")),
        (Ok(()), Some(id)) if moved == 0 => Err(format!("no job with message id {id} in the dead-letter queue")),
        (Ok(()), _) => Ok(done),
    }
}
