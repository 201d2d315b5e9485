//! Dead letters, in two places:
//!
//! * **the store** (`--account`): work the worker gave up on (a message Planfix refused, a reply
//!   that failed every try…), with the message itself. Listed and replayed into the work queue
//!   (`--work-queue-url`) through the same code the bridge uses: see [`stored`].
//! * **the SQS dead-letter queues** (the backstops): file jobs that failed every try
//!   (`--queue files`, the default: `--dlq-url` → `--queue-url`), and work items the worker could
//!   not even dead-letter itself (`--queue work`: `--work-dlq-url` → `--work-queue-url`); for a
//!   local run (`--config`, `--local`), the same two kinds in its database: see [`local`].
//!
//! Listing an SQS queue has to receive, which hides messages; they are made visible again right
//! after (the short peek timeout covers a crash in between). Replay sends to the main queue
//! before it deletes from the DLQ, so a failure in between leaves a duplicate, never a lost job;
//! the relay runs each job key once and the worker finds done work done, so the duplicate is
//! harmless. The work queues are FIFO: SQS hands out a message group's next item only once the
//! one before it is gone, so a listing shows at most what is at the head of each group, and
//! `--id` can only pick an item at the head of its group.

mod local;
mod stored;

use std::collections::BTreeMap;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use bridge_app::local::LocalDatabase;
use bridge_core::domain::{FileJob, Work};
use clap::{ArgGroup, Subcommand, ValueEnum};

use crate::target::Target;
use crate::{utc, Result};

/// How long received messages stay hidden if the tool dies before giving them back.
const PEEK_SECS: i32 = 30;
/// Long enough to send and delete one batch.
const REPLAY_SECS: i32 = 60;
/// Long poll: asks every SQS server, so "empty" means empty (short polls sample a few).
const WAIT_SECS: i32 = 1;

/// Which SQS dead-letter queue (and its source queue) an SQS command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueueKind {
    /// The file-job DLQ (`--dlq-url`) and queue (`--queue-url`).
    Files,
    /// The work DLQ (`--work-dlq-url`) and the FIFO work queue (`--work-queue-url`).
    Work,
}

#[derive(Debug, Subcommand)]
pub enum DeadLettersCmd {
    /// With --account: the store's dead letters of that account (why each failed; no message
    /// text). Without: the items in an SQS dead-letter queue, or a local run's queue dead letters
    /// (ids only; they stay there).
    List {
        /// An account's dead letters in the store (--table, --config or --local).
        #[arg(long, conflicts_with = "queue")]
        account: Option<String>,
        /// Which dead-letter queue (SQS, or a local run's) [default: files].
        #[arg(long, value_enum)]
        queue: Option<QueueKind>,
        #[arg(long, default_value_t = 50)]
        max: usize,
    },
    /// One of the account's dead letters in full, as JSON: the work, the message it holds, and a
    /// refused webhook item's raw body (customer data: for the operator's eyes, not for tickets).
    Show {
        #[arg(long)]
        account: String,
        /// The letter's key, as `list --account` shows.
        #[arg(long)]
        key: String,
    },
    /// With --account: replay the store's dead letters (--key or --all) into the work queue
    /// (--work-queue-url, or a local run's). Without: move SQS dead letters, or a local run's
    /// queue dead letters (--id or --all), back to their queue.
    #[command(group(ArgGroup::new("which").required(true).args(["all", "id", "key"])))]
    Replay {
        /// Replay the store's dead letters of this account.
        #[arg(long, conflicts_with_all = ["queue", "id"])]
        account: Option<String>,
        /// One of the account's dead letters, by its key (as `list --account` shows).
        #[arg(long, requires = "account")]
        key: Option<String>,
        /// Which dead-letter queue (SQS, or a local run's) [default: files].
        #[arg(long, value_enum)]
        queue: Option<QueueKind>,
        /// Every dead letter (of the account, or in the dead-letter queue).
        #[arg(long)]
        all: bool,
        /// One dead-letter queue item, by its id (as `list` shows: an SQS message id, or a local
        /// run's item number).
        #[arg(long)]
        id: Option<String>,
    },
}

/// The SQS dead-letter queue a command acts on.
struct Dlq<'a> {
    kind: QueueKind,
    url: &'a str,
}

/// A local run's queue dead letters, when the target is a local run and no SQS dead-letter
/// queue of that kind is named.
fn local_dead_letters(target: &Target, queue: Option<QueueKind>) -> Option<(&LocalDatabase, QueueKind)> {
    let kind = queue.unwrap_or(QueueKind::Files);
    let sqs_named = match kind {
        QueueKind::Files => target.dlq_url().is_ok(),
        QueueKind::Work => target.work_dlq_url().is_ok(),
    };
    if sqs_named {
        return None;
    }
    target.local().map(|db| (db, kind))
}

fn dlq(target: &Target, queue: Option<QueueKind>) -> Result<Dlq<'_>> {
    let kind = queue.unwrap_or(QueueKind::Files);
    let url = match kind {
        QueueKind::Files => target.dlq_url()?,
        QueueKind::Work => target.work_dlq_url()?,
    };
    Ok(Dlq { kind, url })
}

pub async fn run(cmd: DeadLettersCmd, target: &Target) -> Result<String> {
    match cmd {
        DeadLettersCmd::List { account: Some(account), max, .. } => stored::list(target, &account, max).await,
        DeadLettersCmd::Show { account, key } => stored::show(target, &account, &key).await,
        DeadLettersCmd::Replay { account: Some(account), key, .. } => {
            stored::replay(target, &account, key.as_deref()).await
        }
        DeadLettersCmd::List { account: None, queue, max } => {
            if let Some((db, kind)) = local_dead_letters(target, queue) {
                return local::list(db, kind, max).await;
            }
            let dlq = dlq(target, queue)?;
            list(target.sqs()?, &dlq, max).await
        }
        DeadLettersCmd::Replay { account: None, queue, id, .. } => {
            if let Some((db, kind)) = local_dead_letters(target, queue) {
                return local::replay(db, kind, id.as_deref()).await;
            }
            let dlq = dlq(target, queue)?;
            let sqs = target.sqs()?;
            let main = main_queue(target, sqs, &dlq).await?;
            replay(sqs, &dlq, &main, id.as_deref()).await
        }
    }
}

fn sqs_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    what: &str,
    e: aws_sdk_sqs::error::SdkError<E, R>,
) -> String {
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

async fn list(sqs: &Client, dlq: &Dlq<'_>, max: usize) -> Result<String> {
    // Keyed by message id, keeping the latest receipt handle: a message received twice is one job.
    let mut seen: BTreeMap<String, Message> = BTreeMap::new();
    let mut result = Ok(());
    while seen.len() < max {
        let batch = match receive(sqs, dlq.url, max - seen.len(), PEEK_SECS).await {
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
    let not_returned = give_back(sqs, dlq.url, seen.values()).await;
    result?;
    let what = match dlq.kind {
        QueueKind::Files => "job(s) in the dead-letter queue",
        QueueKind::Work => "work item(s) in the work dead-letter queue",
    };
    let mut out = format!("{} {what}{}\n", seen.len(), if seen.len() >= max { " (or more; raise --max)" } else { "" });
    for m in seen.values() {
        out.push_str(&summary(m, dlq.kind));
        out.push('\n');
    }
    if not_returned > 0 {
        out.push_str(&format!("{not_returned} message(s) stay hidden for up to {PEEK_SECS}s\n"));
    }
    Ok(out)
}

/// One line per item: ids and counts only, never a caption or file name; a phone only masked.
fn summary(m: &Message, kind: QueueKind) -> String {
    let attr = |name: MessageSystemAttributeName| m.attributes().and_then(|a| a.get(&name)).cloned();
    let receives = attr(MessageSystemAttributeName::ApproximateReceiveCount).unwrap_or_else(|| "?".into());
    let first = attr(MessageSystemAttributeName::ApproximateFirstReceiveTimestamp)
        .and_then(|ms| ms.parse::<i64>().ok())
        .map(|ms| utc(ms / 1000))
        .unwrap_or_else(|| "?".into());
    let item = body_summary(m.body().unwrap_or_default(), kind);
    format!("{}  {item}  receives={receives}  first_received={first}", m.message_id().unwrap_or("?"))
}

/// A queued body in one line: ids only, never a caption or file name; a phone only masked.
fn body_summary(body: &str, kind: QueueKind) -> String {
    let unreadable = || format!("unreadable body ({} bytes)", body.len());
    match kind {
        QueueKind::Files => match serde_json::from_str::<FileJob>(body) {
            Ok(job) => file_summary(&job),
            Err(_) => unreadable(),
        },
        QueueKind::Work => match serde_json::from_str::<Work>(body) {
            Ok(work) => work_summary(&work),
            Err(_) => format!("{} (not a work item: replay leaves it here)", unreadable()),
        },
    }
}

/// A file job in one line.
fn file_summary(job: &FileJob) -> String {
    match job {
        FileJob::Inbound { account, task_id, comment_id, message_id, media_kind, .. } => {
            format!(
                "inbound account={account} task={task_id} comment={comment_id} message={message_id} media={media_kind}"
            )
        }
        FileJob::Outbound { account, task_id, comment_id, file_id, .. } => {
            format!("outbound account={account} task={task_id} comment={comment_id} file={file_id}")
        }
    }
}

/// A work item in one line (the phone masked by `Phone`'s Display).
fn work_summary(work: &Work) -> String {
    match work {
        Work::Conversation { account, phone, message_id } => {
            format!("message account={account} from={phone} message={message_id}")
        }
        Work::Reply { account, task_id, comment_id } => {
            format!(
                "reply account={account} task={} comment={comment_id}",
                task_id.map_or_else(|| "?".to_owned(), |t| t.to_string())
            )
        }
        Work::Status { account, status } => format!(
            "status account={account} message={} status={} to={}",
            status.message_id,
            status.status,
            status.recipient.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string)
        ),
        Work::WebhookItem { account, body, .. } => {
            format!("webhook-item account={account} ({} bytes)", body.len())
        }
        Work::TaskStatus { account, task_id, .. } => format!("task-status account={account} task={task_id}"),
    }
}

/// The main queue given (`--queue-url` / `--work-queue-url`), or the one queue whose redrive
/// policy targets this DLQ.
async fn main_queue(target: &Target, sqs: &Client, dlq: &Dlq<'_>) -> Result<String> {
    let (given, flag, dlq_flag) = match dlq.kind {
        QueueKind::Files => (target.queue_url(), "--queue-url", "--dlq-url"),
        QueueKind::Work => (target.work_queue_url(), "--work-queue-url", "--work-dlq-url"),
    };
    if let Some(url) = given {
        if url == dlq.url {
            return Err(format!("{flag} and {dlq_flag} are the same queue"));
        }
        return Ok(url.to_owned());
    }
    let out = sqs
        .list_dead_letter_source_queues()
        .queue_url(dlq.url)
        .send()
        .await
        .map_err(|e| sqs_error("list dead-letter sources", e))?;
    match out.queue_urls() {
        [one] => Ok(one.clone()),
        [] => Err(format!("no queue sends to this DLQ: pass {flag}")),
        _ => Err(format!("several queues send to this DLQ: pass {flag}")),
    }
}

/// What replay sends to the main queue for one DLQ message; None: not a work item (it stays).
fn resend(
    sqs: &Client,
    kind: QueueKind,
    main: &str,
    m: &Message,
) -> Option<aws_sdk_sqs::operation::send_message::builders::SendMessageFluentBuilder> {
    let body = m.body().unwrap_or_default();
    // The body is the whole item (the relay and the worker read nothing else), so it moves as is.
    let send = sqs.send_message().queue_url(main).message_body(body);
    match kind {
        QueueKind::Files => Some(send),
        // FIFO: back into its conversation's group, with a fresh deduplication id (the original
        // may still be inside SQS's five-minute window, which would drop the send silently).
        QueueKind::Work => serde_json::from_str::<Work>(body).ok().map(|work| {
            send.message_group_id(work.group()).message_deduplication_id(uuid::Uuid::new_v4().simple().to_string())
        }),
    }
}

async fn replay(sqs: &Client, dlq: &Dlq<'_>, main: &str, only: Option<&str>) -> Result<String> {
    let mut moved = 0usize;
    // Messages received but not chosen (with --id): handed back at the end.
    let mut skipped: BTreeMap<String, Message> = BTreeMap::new();
    // Work DLQ messages that are no work item: left in the DLQ, handed back at the end.
    let mut unreadable: BTreeMap<String, Message> = BTreeMap::new();
    let result: Result<()> = async {
        loop {
            let batch = receive(sqs, dlq.url, 10, REPLAY_SECS).await?;
            let mut progressed = false;
            for m in batch {
                let id = m.message_id().unwrap_or_default().to_owned();
                if only.is_some_and(|want| want != id) {
                    progressed |= skipped.insert(id, m).is_none();
                    continue;
                }
                let Some(send) = resend(sqs, dlq.kind, main, &m) else {
                    progressed |= unreadable.insert(id, m).is_none();
                    if only.is_some() {
                        return Ok(());
                    }
                    continue;
                };
                send.send().await.map_err(|e| format!("job {id} stays in the DLQ: {}", sqs_error("send", e)))?;
                sqs.delete_message()
                    .queue_url(dlq.url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "job {id} was re-queued but is still in the DLQ (a harmless duplicate): {}",
                            sqs_error("delete", e)
                        )
                    })?;
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
    give_back(sqs, dlq.url, skipped.values().chain(unreadable.values())).await;
    let what = match dlq.kind {
        QueueKind::Files => "job(s)",
        QueueKind::Work => "work item(s)",
    };
    let mut done = format!("moved {moved} {what} from the dead-letter queue to {main}");
    if !unreadable.is_empty() {
        let ids = unreadable.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
        done.push_str(&format!(
            "\nleft {} message(s) in the dead-letter queue: not work items ({ids}); inspect them in the SQS console",
            unreadable.len()
        ));
    }
    match (result, only) {
        (Err(e), _) => Err(format!("{e} ({done} before the failure)")),
        (Ok(()), Some(id)) if unreadable.contains_key(id) => {
            Err(format!("message {id} is not a work item: left in the dead-letter queue"))
        }
        (Ok(()), Some(id)) if moved == 0 => Err(format!("no job with message id {id} in the dead-letter queue")),
        (Ok(()), _) => Ok(done),
    }
}
