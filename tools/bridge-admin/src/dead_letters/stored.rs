//! The store's dead letters: work the worker gave up on, kept per account with the message it
//! concerned. Listed without anything private (the phone masked, a message's content kind but
//! never its text), and replayed through [`bridge_core::worker::replay_letter`], exactly as the
//! bridge would: the message back into its conversation's inbox, fresh work on the work queue
//! (SQS, or a local run's queue in its database, which a running `bridge-local serve` drains),
//! the letter removed.

use bridge_core::domain::{MessageContent, Work};
use bridge_core::ports::DeadLetter;
use bridge_core::worker::{replay_letter, Replayed};

use crate::target::Target;
use crate::{utc, Result};

/// Longest error text shown per letter (errors are the bridge's own texts, already in its logs).
const ERROR_CHARS: usize = 300;

pub async fn show(target: &Target, account: &str, key: &str) -> Result<String> {
    let account = crate::account_id(account)?;
    let letters = target.store()?.list_dead_letters(&account).await.map_err(|e| e.to_string())?;
    let letter = letters
        .into_iter()
        .find(|l| l.key == key)
        .ok_or_else(|| format!("no dead letter with key {key} in account {account}"))?;
    let mut json = serde_json::to_value(&letter).map_err(|e| e.to_string())?;
    // A refused item's body is JSON (Twilio's: a form) kept as text: shown as what it is.
    if let Work::WebhookItem { body, .. } = &letter.work {
        if let Ok(raw) = serde_json::from_str::<serde_json::Value>(body) {
            json["work"]["body"] = raw;
        }
    }
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

pub async fn list(target: &Target, account: &str, max: usize) -> Result<String> {
    let account = crate::account_id(account)?;
    let mut letters = target.store()?.list_dead_letters(&account).await.map_err(|e| e.to_string())?;
    letters.sort_by(|a, b| (a.failed_at, &a.key).cmp(&(b.failed_at, &b.key)));
    let total = letters.len();
    if total == 0 {
        return Ok(format!("no dead letters in account {account}"));
    }
    let mut out = format!(
        "{total} dead letter(s) in account {account}, oldest first{}\n",
        if total > max { format!(" ({max} shown; raise --max)") } else { String::new() }
    );
    for letter in letters.iter().take(max) {
        out.push_str(&line(letter));
        out.push('\n');
    }
    out.push_str(&format!("replay: dead-letters replay --account {account} --key <key> (or --all)\n"));
    Ok(out)
}

/// `key  failed <time>  attempts=N  <kind> <summary>  error: <why>`.
fn line(l: &DeadLetter) -> String {
    let what = match (&l.work, &l.entry) {
        (Work::Conversation { .. }, Some(entry)) => {
            let m = &entry.message;
            format!("message from {}: {}, sent {}", m.from, content_kind(&m.content), utc(m.timestamp))
        }
        // The worker gave up before draining (e.g. the account was not configured): the
        // conversation's messages are still in its inbox.
        (Work::Conversation { phone, .. }, None) => {
            format!("message from {phone}: the conversation's inbox (messages still there)")
        }
        (Work::Reply { task_id, comment_id, .. }, _) => match task_id {
            Some(task) => format!("reply comment {comment_id} in task {task}"),
            None => format!("reply comment {comment_id}"),
        },
        (Work::Status { status, .. }, _) => format!(
            "status {} of sent message {} to {}",
            status.status,
            status.message_id,
            status.recipient.as_ref().map_or_else(|| "?".to_owned(), ToString::to_string)
        ),
        (Work::TaskStatus { task_id, .. }, _) => format!("status change of task {task_id}"),
        // The raw item is personal data: `show` prints it, a listing only its size.
        (Work::WebhookItem { body, .. }, _) => {
            format!("webhook item the parser refused ({} bytes; `dead-letters show` prints it)", body.len())
        }
    };
    format!("{}  failed {}  attempts={}  {what}  error: {}", l.key, utc(l.failed_at), l.attempts, one_line(&l.error))
}

/// What kind of message it was: never its text, caption, file name or place.
fn content_kind(c: &MessageContent) -> String {
    match c {
        MessageContent::Text { .. } => "text".into(),
        MessageContent::Media { media_kind, .. } => media_kind.clone(),
        MessageContent::Location { .. } => "location".into(),
        MessageContent::Reaction { .. } => "reaction".into(),
        MessageContent::Unsupported { kind } => format!("unsupported ({kind})"),
        MessageContent::Choice { .. } => "button or list reply".into(),
        MessageContent::Contacts { .. } => "contacts".into(),
        MessageContent::Poll { .. } => "poll".into(),
        MessageContent::PollVote { .. } => "poll vote".into(),
        MessageContent::Withheld { kind } => format!("withheld by WhatsApp ({})", kind.as_deref().unwrap_or("?")),
        MessageContent::Forwarded { content, .. } => format!("forwarded {}", content_kind(content)),
        MessageContent::Edited { .. } => "edit".into(),
        MessageContent::Deleted { .. } => "deletion".into(),
    }
}

fn one_line(s: &str) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match flat.char_indices().nth(ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

pub async fn replay(target: &Target, account: &str, key: Option<&str>) -> Result<String> {
    let account = crate::account_id(account)?;
    let store = target.store()?;
    let letters = store.list_dead_letters(&account).await.map_err(|e| e.to_string())?;
    let chosen = match key {
        Some(key) => vec![letters.into_iter().find(|l| l.key == key).ok_or_else(|| {
            format!("no dead letter with key {key} in account {account} (keys: dead-letters list --account {account})")
        })?],
        None => {
            let mut all = letters;
            all.sort_by(|a, b| (a.failed_at, &a.key).cmp(&(b.failed_at, &b.key)));
            all
        }
    };
    if chosen.is_empty() {
        return Ok(format!("no dead letters in account {account}"));
    }
    let Some((queue, name)) = target.work_queue()? else {
        return Err("pass --work-queue-url (stack output WorkQueueUrl; env BRIDGE_WORK_QUEUE_URL), or --config / \
                    --local for a local run: replay queues the work again"
            .into());
    };
    let mut out = Vec::new();
    for letter in &chosen {
        let done = replay_letter(store, queue.as_ref(), &account, letter)
            .await
            .map_err(|e| format!("{}: not replayed: {e} ({} replayed before the failure)", letter.key, out.len()))?;
        out.push(match done {
            Replayed::Queued => format!("{}: queued again", letter.key),
            Replayed::AlreadyDone => format!("{}: already commented meanwhile; letter removed", letter.key),
        });
    }
    Ok(format!("replayed {} dead letter(s) of {account} to {name}\n{}", out.len(), out.join("\n")))
}
