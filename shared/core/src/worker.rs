//! The worker: does the Planfix and provider calls for work the webhooks recorded. One piece
//! of [`Work`] at a time per group (the queue guarantees it), any number of groups at once.
//!
//! Failure policy: a transient failure is returned so the queue redelivers later (with
//! backoff; the conversation's later work waits behind it, which keeps the order). On the
//! last try, or at once for failures retrying cannot fix, the work becomes a [`DeadLetter`] in
//! the store (an operator lists and replays it), the task gets a note when Planfix is
//! reachable, and the queue moves on.

use std::time::Duration;

use tokio::time::Instant;

use super::html::text_to_html;
use super::inbound::Processed;
use super::outbound::ReplyOutcome;
use super::AccountRuntime;
use crate::domain::{unix_now, AccountId, Phone, Work};
use crate::error::ProcessError;
use crate::metrics::{self, Metric};
use crate::ports::{DeadLetter, InboxEntry, StoreError};
use crate::retry::Retry;
use crate::Bridge;

/// Inbox entries read per store query while draining a conversation.
const INBOX_PAGE: usize = 25;

/// Work that must be tried again later: the one answer the worker gives its queue besides an
/// outcome. `not_before`: the failure said how long to wait (Planfix's daily limit).
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct RetryLater {
    pub reason: String,
    pub not_before: Option<Duration>,
}

impl RetryLater {
    fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), not_before: None }
    }

    /// In the retry rule's terms, for [`crate::retry::RetryPolicy::delay`].
    pub fn retry(&self) -> Retry {
        Retry::Later { not_before: self.not_before }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkOutcome {
    /// Messages commented (or found already done) while draining a conversation.
    Drained {
        processed: usize,
    },
    /// The time budget ran out with messages left; a continuation poke was queued.
    Continued {
        processed: usize,
    },
    Reply(ReplyOutcome),
    StatusApplied,
    DeadLettered {
        key: String,
        reason: String,
    },
}

/// How the queue delivered the work: how many times so far (1 on the first), the retry budget,
/// and when the worker must stop taking new messages (a Lambda's remaining time).
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub attempts: u32,
    pub max_attempts: u32,
    pub deadline: Option<Instant>,
}

impl Delivery {
    /// `attempt`: the message's own attempt count where known — a conversation's delivery may
    /// carry several messages, and each has its own budget.
    fn last_try(&self, attempt: Option<u32>) -> bool {
        attempt.unwrap_or(self.attempts) >= self.max_attempts
    }
}

pub async fn handle(app: &Bridge, work: &Work, delivery: Delivery) -> Result<WorkOutcome, RetryLater> {
    let Some(acct) = app.accounts.get(work.account()).await else {
        // The account was removed from the configuration: keep the work for the operator.
        return dead_letter(app, None, work, None, "the account is not configured (any more)", delivery.attempts).await;
    };
    match work {
        Work::Conversation { phone, .. } => drain_conversation(app, &acct, work, phone, delivery).await,
        Work::Reply { task_id, comment_id, .. } => {
            match app.outbound.process_comment(app.store.as_ref(), &acct, *task_id, *comment_id).await {
                Ok(outcome) => {
                    match &outcome {
                        ReplyOutcome::Sent { .. } => metrics::count(acct.id.as_str(), Metric::RepliesSent, 1.0),
                        ReplyOutcome::NotDelivered(_) => {
                            metrics::count(acct.id.as_str(), Metric::RepliesNotDelivered, 1.0)
                        }
                        _ => {}
                    }
                    Ok(WorkOutcome::Reply(outcome))
                }
                Err(e) => failed(app, &acct, work, None, e, None, delivery).await,
            }
        }
        Work::Status { status, .. } => match app.outbound.apply_status(app.store.as_ref(), &acct, status).await {
            Ok(()) => Ok(WorkOutcome::StatusApplied),
            Err(e) => failed(app, &acct, work, None, e, None, delivery).await,
        },
    }
}

/// Comments every message waiting in the conversation's inbox, oldest first. The inbox (not
/// the queue) decides the order, so a message that arrived late but was sent earlier still
/// goes first among those waiting.
async fn drain_conversation(
    app: &Bridge,
    acct: &AccountRuntime,
    work: &Work,
    phone: &Phone,
    delivery: Delivery,
) -> Result<WorkOutcome, RetryLater> {
    let store = app.store.as_ref();
    let mut processed = 0;
    // The task this drain just commented on: seconds old, so its status is not re-read
    // (halves the Planfix calls of a burst; Planfix allows one per second).
    let mut verified_task = None;
    loop {
        let entries = store.inbox(&acct.id, phone, INBOX_PAGE).await.map_err(retry_store)?;
        if entries.is_empty() {
            return Ok(WorkOutcome::Drained { processed });
        }
        for entry in entries {
            if delivery.deadline.is_some_and(|d| Instant::now() >= d) {
                // Out of time: a fresh poke continues behind everything already queued for this
                // conversation, without spending this delivery's retries.
                let next = Work::Conversation {
                    account: acct.id.clone(),
                    phone: phone.clone(),
                    message_id: format!("continue-{}", uuid::Uuid::new_v4()),
                };
                app.work.enqueue(&[next]).await.map_err(|e| RetryLater::new(e.to_string()))?;
                return Ok(WorkOutcome::Continued { processed });
            }
            match app.inbound.process_verified(store, acct, &entry.message, verified_task).await {
                Ok(done) => {
                    if let Processed::Commented { task_id, .. } = done {
                        verified_task = Some(task_id);
                        metrics::count(acct.id.as_str(), Metric::MessagesIn, 1.0);
                    }
                    store.remove_from_inbox(&acct.id, phone, &entry.order).await.map_err(retry_store)?;
                    processed += 1;
                }
                Err(f) => {
                    let attempt = f.attempt.map(|a| a.saturating_sub(entry.attempts_before));
                    let outcome = failed(app, acct, work, Some(&entry), f.error, attempt, delivery).await?;
                    store.remove_from_inbox(&acct.id, phone, &entry.order).await.map_err(retry_store)?;
                    // The rest of the inbox has its own queued pokes, each with a full retry
                    // budget: let them take over.
                    return Ok(outcome);
                }
            }
        }
    }
}

fn retry_store(e: StoreError) -> RetryLater {
    RetryLater::new(format!("store: {e}"))
}

async fn failed(
    app: &Bridge,
    acct: &AccountRuntime,
    work: &Work,
    entry: Option<&InboxEntry>,
    e: ProcessError,
    attempt: Option<u32>,
    delivery: Delivery,
) -> Result<WorkOutcome, RetryLater> {
    metrics::count(acct.id.as_str(), Metric::Failures, 1.0);
    if let (Retry::Later { not_before }, false) = (e.retry(), delivery.last_try(attempt)) {
        tracing::warn!(account = %acct.id, work = %work.key(), attempt = attempt.unwrap_or(delivery.attempts), error = %e, "work failed; will retry");
        return Err(RetryLater { reason: e.to_string(), not_before });
    }
    dead_letter(app, Some(acct), work, entry, &e.to_string(), attempt.unwrap_or(delivery.attempts)).await
}

async fn dead_letter(
    app: &Bridge,
    acct: Option<&AccountRuntime>,
    work: &Work,
    entry: Option<&InboxEntry>,
    reason: &str,
    attempts: u32,
) -> Result<WorkOutcome, RetryLater> {
    let account = work.account();
    let work = match (work, entry) {
        // The letter names (and is keyed by) the message it holds, whatever poke found it.
        (Work::Conversation { account, phone, .. }, Some(entry)) => {
            Work::Conversation { account: account.clone(), phone: phone.clone(), message_id: entry.message.id.clone() }
        }
        _ => work.clone(),
    };
    let key = work.key();
    let letter = DeadLetter {
        key: key.clone(),
        work,
        entry: entry.cloned(),
        error: reason.to_owned(),
        attempts,
        failed_at: unix_now(),
    };
    app.store.put_dead_letter(account, &letter).await.map_err(retry_store)?;
    metrics::count(account.as_str(), Metric::DeadLetters, 1.0);
    tracing::error!(account = %account, work = %key, attempts, error = reason, "work moved to the dead letters");
    if let Some(acct) = acct {
        note_in_planfix(app, acct, &letter).await;
    }
    Ok(WorkOutcome::DeadLettered { key, reason: reason.to_owned() })
}

/// Best effort: tell the people in the task that something is missing (Planfix may well be
/// the reason it failed, so a failure here is only logged).
async fn note_in_planfix(app: &Bridge, acct: &AccountRuntime, letter: &DeadLetter) {
    let target = match (&letter.work, &letter.entry) {
        (Work::Conversation { phone, .. }, Some(entry)) => match app.store.get_link(&acct.id, phone).await {
            Ok(Some(record)) => record.link.map(|l| {
                (l.task_id, format!("⚠ A WhatsApp message from the customer (sent {}) could not be added to this task: {}. It is kept by the bridge; an operator can replay it with `bridge-admin dead-letters replay`.", when(entry.message.timestamp), letter.error))
            }),
            _ => None,
        },
        (Work::Reply { task_id: Some(task_id), comment_id, .. }, _) => Some((
            *task_id,
            format!("⚠ Comment #{comment_id} could not be sent to WhatsApp: {}. It is kept by the bridge; an operator can replay it.", letter.error),
        )),
        _ => None,
    };
    let Some((task_id, text)) = target else { return };
    if let Err(e) = acct.planfix.add_internal_comment(task_id, &text_to_html(&text), &[]).await {
        tracing::warn!(account = %acct.id, task = task_id, error = %e, "could not note the dead letter in Planfix");
    }
}

fn when(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// Puts a dead letter back to work: messages return to their conversation's inbox (in their
/// original place in the order), then the work is queued again and the letter removed.
pub async fn replay(app: &Bridge, account: &AccountId, key: &str) -> Result<bool, String> {
    let letters = app.store.list_dead_letters(account).await.map_err(|e| e.to_string())?;
    let Some(letter) = letters.into_iter().find(|l| l.key == key) else { return Ok(false) };
    replay_letter(app.store.as_ref(), app.work.as_ref(), account, &letter).await?;
    Ok(true)
}

pub async fn replay_letter(
    store: &dyn crate::ports::Store,
    queue: &dyn crate::ports::WorkQueue,
    account: &AccountId,
    letter: &DeadLetter,
) -> Result<(), String> {
    return_to_inbox(store, account, letter).await?;
    // A fresh dedupe identity: the original may still be inside SQS's five-minute window.
    queue.enqueue_again(std::slice::from_ref(&letter.work)).await.map_err(|e| e.to_string())?;
    store.remove_dead_letter(account, &letter.key).await.map_err(|e| e.to_string())?;
    tracing::info!(account = %account, work = %letter.key, "dead letter replayed");
    Ok(())
}

/// A message letter's entry goes back into its conversation's inbox with a fresh retry budget
/// (nothing to do for other work).
pub async fn return_to_inbox(
    store: &dyn crate::ports::Store,
    account: &AccountId,
    letter: &DeadLetter,
) -> Result<(), String> {
    let Some(entry) = &letter.entry else { return Ok(()) };
    let fresh_budget = InboxEntry { attempts_before: entry.attempts_before + letter.attempts, ..entry.clone() };
    store.add_to_inbox(account, &fresh_budget).await.map_err(|e| e.to_string())
}
