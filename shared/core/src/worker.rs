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
use crate::ports::{DeadLetter, DrainNext, DrainStart, InboxEntry, LinkRecord, PlanfixError, StoreError};
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
    /// Handed back only to wait for Planfix's pacing slot (`not_before` says how long): no try
    /// was spent, so the queue delays it by exactly that, without backoff, and must not let
    /// its receive count run the work into the dead-letter queue.
    pub paced: bool,
}

impl RetryLater {
    fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), not_before: None, paced: false }
    }

    fn paced(wait: Duration) -> Self {
        Self { reason: format!("waiting {wait:?} for the Planfix pacing slot"), not_before: Some(wait), paced: true }
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
    /// A replayed webhook item went through the parser: what it carried is recorded and queued
    /// (`rejected`: it still could not be read, and is a dead letter again).
    WebhookItemRecorded {
        messages: usize,
        statuses: usize,
        rejected: usize,
    },
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
    let acct = match app.accounts.lookup(work.account()).await {
        crate::accounts::Lookup::Ready(acct) => acct,
        // Its configuration is broken (logged at every load): the work waits in the queue until
        // the operator fixes the parameter, instead of failing for a reason that is not its own.
        crate::accounts::Lookup::Broken => {
            const BROKEN_ACCOUNT_PAUSE: Duration = Duration::from_secs(300);
            tracing::warn!(account = %work.account(), work = %work.key(), "the account's configuration is broken; the work waits until it is fixed");
            return Err(RetryLater {
                reason: "the account's configuration is broken; waiting for the operator to fix it".into(),
                not_before: Some(BROKEN_ACCOUNT_PAUSE),
                paced: false,
            });
        }
        crate::accounts::Lookup::Unknown => {
            // The account was removed from the configuration: keep the work for the operator.
            let why = "the account is not configured (any more)";
            return dead_letter(app, None, work, None, why, why, delivery.attempts).await;
        }
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
        Work::WebhookItem { status_route, body, .. } => replay_webhook_item(app, &acct, *status_route, body).await,
        Work::TaskStatus { task_id, .. } => match crate::task_status::apply(app, &acct, *task_id).await {
            Ok(_) => Ok(WorkOutcome::StatusApplied),
            Err(e) => failed(app, &acct, work, None, e, None, delivery).await,
        },
    }
}

/// A refused webhook item, replayed: through the provider's parser again (it was verified when
/// it arrived; its letter came from the store, not from a caller), then recorded like intake.
async fn replay_webhook_item(
    app: &Bridge,
    acct: &AccountRuntime,
    status_route: bool,
    body: &str,
) -> Result<WorkOutcome, RetryLater> {
    use crate::intake::{self, IntakeError};
    use crate::ports::{WebhookRequest, WebhookRoute};
    let route = if status_route { WebhookRoute::Status } else { WebhookRoute::Main };
    let headers = http::HeaderMap::new();
    let req = WebhookRequest { route, public_url: None, headers: &headers, body: body.as_bytes() };
    let parsed = match acct.webhook.parse(&req) {
        Ok(parsed) => parsed,
        // Not even the envelope reads now: keep it as it was, with today's reason.
        Err(e) => crate::ports::Parsed {
            rejected: vec![crate::ports::Rejected { body: body.to_owned(), reason: e.to_string() }],
            ..Default::default()
        },
    };
    let unrecoverable = |e: IntakeError| RetryLater::new(e.to_string());
    let accepted = intake::record(app.store.as_ref(), acct, route, parsed).await.map_err(unrecoverable)?;
    intake::hand_over(app.work.as_ref(), acct, &accepted).await.map_err(unrecoverable)?;
    tracing::info!(account = %acct.id, messages = accepted.to_process.len(), statuses = accepted.statuses.len(), rejected = accepted.rejected, "webhook item replayed");
    Ok(WorkOutcome::WebhookItemRecorded {
        messages: accepted.to_process.len(),
        statuses: accepted.statuses.len(),
        rejected: accepted.rejected,
    })
}

/// Comments every message waiting in the conversation's inbox, oldest first. The inbox (not
/// the queue) decides the order, so a message that arrived late but was sent earlier still
/// goes first among those waiting.
///
/// In store requests: one read of the inbox, one write that takes the conversation's drain
/// lease and returns its link, and one transaction per message (mark done, entry removed, lease
/// extended, or ended after the last). Every entry has its own poke queued behind this one, so
/// a page that was not full is the whole inbox as far as this poke is concerned.
async fn drain_conversation(
    app: &Bridge,
    acct: &AccountRuntime,
    work: &Work,
    phone: &Phone,
    delivery: Delivery,
) -> Result<WorkOutcome, RetryLater> {
    let store = app.store.as_ref();
    let mut entries = store.inbox(&acct.id, phone, INBOX_PAGE).await.map_err(retry_store)?;
    if entries.is_empty() {
        return Ok(WorkOutcome::Drained { processed: 0 });
    }
    let owner = uuid::Uuid::new_v4().to_string();
    let lease_secs = app.inbound.message_lease_secs;
    let Some((mut known, mut look_first)) = take_drain(app, acct, phone, &owner).await? else {
        return Err(RetryLater::new("another worker is still draining this conversation"));
    };
    let end = || end_drain(store, acct, phone, &owner);
    let mut processed = 0;
    // The task this drain just commented on: seconds old, so its status is not re-read
    // (halves the Planfix calls of a burst; Planfix allows one per second).
    let mut verified_task = None;
    loop {
        let count = entries.len();
        let full_page = count == INBOX_PAGE;
        for (index, entry) in entries.into_iter().enumerate() {
            if delivery.deadline.is_some_and(|d| Instant::now() >= d) {
                // Out of time: a fresh poke continues behind everything already queued for this
                // conversation, without spending this delivery's retries.
                let next = Work::Conversation {
                    account: acct.id.clone(),
                    phone: phone.clone(),
                    message_id: format!("continue-{}", uuid::Uuid::new_v4()),
                };
                let queued = app.work.enqueue(&[next]).await.map_err(|e| RetryLater::new(e.to_string()));
                end().await;
                queued?;
                return Ok(WorkOutcome::Continued { processed });
            }
            let look = std::mem::take(&mut look_first) || entry.attempts > 0;
            match app.inbound.process_in_drain(store, acct, &entry.message, known.take(), verified_task, look).await {
                Ok(done) => {
                    let comment = match done {
                        Processed::Commented { link, comment_id } => {
                            metrics::count(acct.id.as_str(), Metric::MessagesIn, 1.0);
                            verified_task = Some(link.task_id);
                            let ids = (link.task_id, comment_id);
                            known = Some(LinkRecord { link: Some(link), lease_until: None });
                            Some(ids)
                        }
                        Processed::OwnEcho => None,
                    };
                    let last = index + 1 == count && !full_page;
                    let next =
                        if last { DrainNext::Release } else { DrainNext::Extend { until: unix_now() + lease_secs } };
                    if let Err(e) = store.finish_message(&acct.id, &entry, &owner, comment, next).await {
                        // The comment exists but is not recorded. Lease lost: its new holder's
                        // drain reads as interrupted and looks for the comment first (putting
                        // the entry back here could land it beside a mark that holder already
                        // finished). Otherwise count the try, so the next one looks first.
                        if !matches!(e, StoreError::LeaseLost) {
                            let again = InboxEntry { attempts: entry.attempts + 1, ..entry };
                            let _ = store.add_to_inbox(&acct.id, &again).await;
                        }
                        end().await;
                        return Err(retry_store(e));
                    }
                    processed += 1;
                    if last {
                        return Ok(WorkOutcome::Drained { processed });
                    }
                }
                Err(e) if e.paced().is_some() => {
                    // Nothing was sent: the message waits its turn with its budget untouched.
                    end().await;
                    return Err(RetryLater::paced(e.paced().unwrap_or_default()));
                }
                Err(e) => {
                    let attempt = entry.attempts + 1;
                    return match failed(app, acct, work, Some(&entry), e, Some(attempt), delivery).await {
                        Ok(outcome) => {
                            // Dead-lettered: the rest of the inbox has its own queued pokes,
                            // each with a full retry budget, to take over.
                            let removed = store.remove_from_inbox(&acct.id, phone, &entry.order).await;
                            end().await;
                            removed.map_err(retry_store)?;
                            Ok(outcome)
                        }
                        Err(retry) => {
                            // Counted on the entry: the message's budget is its own, and its
                            // next try looks for a comment this one may have written.
                            let again = InboxEntry { attempts: attempt, ..entry };
                            let counted = store.add_to_inbox(&acct.id, &again).await;
                            end().await;
                            counted.map_err(retry_store)?;
                            Err(retry)
                        }
                    };
                }
            }
        }
        entries = match store.inbox(&acct.id, phone, INBOX_PAGE).await {
            Ok(entries) => entries,
            Err(e) => {
                end().await;
                return Err(retry_store(e));
            }
        };
        if entries.is_empty() {
            end().await;
            return Ok(WorkOutcome::Drained { processed });
        }
    }
}

/// Ends the drain lease on the way out; a failure only delays the next drain until the lease
/// expires, so it is counted and logged, not returned.
async fn end_drain(store: &dyn crate::ports::Store, acct: &AccountRuntime, phone: &Phone, owner: &str) {
    if let Err(e) = store.end_drain(&acct.id, phone, owner).await {
        metrics::count(acct.id.as_str(), Metric::LeaseReleaseFailures, 1.0);
        tracing::warn!(account = %acct.id, error = %e, "could not end the drain lease; it expires on its own");
    }
}

/// Takes the conversation's drain lease, waiting a while for another worker's (a redelivery
/// racing the first delivery, a sweep's poke): the link as it is, and whether the last drain
/// was interrupted. None: still busy past the wait.
async fn take_drain(
    app: &Bridge,
    acct: &AccountRuntime,
    phone: &Phone,
    owner: &str,
) -> Result<Option<(Option<LinkRecord>, bool)>, RetryLater> {
    let timing = &app.inbound.timing;
    let deadline = Instant::now() + timing.wait;
    loop {
        let start = app
            .store
            .begin_drain(&acct.id, phone, owner, unix_now(), app.inbound.message_lease_secs)
            .await
            .map_err(retry_store)?;
        match start {
            DrainStart::Acquired { record, interrupted } => return Ok(Some((Some(record), interrupted))),
            DrainStart::Busy { .. } if Instant::now() < deadline => tokio::time::sleep(timing.poll).await,
            DrainStart::Busy { .. } => return Ok(None),
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
    if let Some(wait) = e.paced() {
        return Err(RetryLater::paced(wait));
    }
    metrics::count(acct.id.as_str(), Metric::Failures, 1.0);
    if let (Retry::Later { not_before }, false) = (e.retry(), delivery.last_try(attempt)) {
        tracing::warn!(account = %acct.id, work = %work.key(), attempt = attempt.unwrap_or(delivery.attempts), error = %e, "work failed; will retry");
        return Err(RetryLater { reason: e.to_string(), not_before, paced: false });
    }
    let attempts = attempt.unwrap_or(delivery.attempts);
    dead_letter(app, Some(acct), work, entry, &e.to_string(), &in_plain_words(&e), attempts).await
}

async fn dead_letter(
    app: &Bridge,
    acct: Option<&AccountRuntime>,
    work: &Work,
    entry: Option<&InboxEntry>,
    reason: &str,
    // What `reason` means, for the note in the task (the letter keeps `reason` itself).
    plain: &str,
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
        note_in_planfix(app, acct, &letter, plain).await;
    }
    Ok(WorkOutcome::DeadLettered { key, reason: reason.to_owned() })
}

/// Best effort: tell the people in the task that something is missing (Planfix may well be
/// the reason it failed, so a failure here is only logged). `plain`: why, in plain words — the
/// letter's own reason is for the operator (raw AWS and HTTP error texts, with role ARNs and
/// request ids), not for a comment every task member reads.
async fn note_in_planfix(app: &Bridge, acct: &AccountRuntime, letter: &DeadLetter, plain: &str) {
    let target = match (&letter.work, &letter.entry) {
        (Work::Conversation { phone, .. }, Some(entry)) => match app.store.get_link(&acct.id, phone).await {
            Ok(Some(record)) => record.link.map(|l| {
                (l.task_id, format!("⚠ A WhatsApp message from the customer (sent {}) could not be added to this task: {plain}. It is kept by the bridge; an operator can replay it with `bridge-admin dead-letters replay`.", when(entry.message.timestamp)))
            }),
            _ => None,
        },
        (Work::Reply { task_id: Some(task_id), comment_id, .. }, _) => Some((
            *task_id,
            format!("⚠ Comment #{comment_id} could not be sent to WhatsApp: {plain}. It is kept by the bridge; an operator can replay it."),
        )),
        _ => None,
    };
    let Some((task_id, text)) = target else { return };
    if let Err(e) = acct.planfix.add_internal_comment(task_id, &text_to_html(&text), &[]).await {
        tracing::warn!(account = %acct.id, task = task_id, error = %e, "could not note the dead letter in Planfix");
    }
}

/// A failure in a sentence for the people in a task, from its type alone: the texts inside
/// (an AWS SDK error, an HTTP body) never reach it. The bridge's own configuration messages are
/// the one exception: they are written by the bridge and say what to set.
fn in_plain_words(e: &ProcessError) -> String {
    match e {
        ProcessError::Planfix(e) => planfix_in_plain_words(e),
        ProcessError::Store(StoreError::Unavailable(_)) => {
            "the bridge's storage was unavailable (a temporary outage of its database)".into()
        }
        ProcessError::Store(StoreError::Corrupt(_)) => {
            "the bridge's stored data for this conversation is damaged".into()
        }
        ProcessError::Store(StoreError::LeaseLost) => {
            "another run of the bridge took this work over while it was in progress".into()
        }
        ProcessError::Busy(_) => "another run of the bridge was busy with the same work for too long".into(),
        ProcessError::Config(why) => format!("the bridge's configuration for this account needs attention ({why})"),
        ProcessError::Queue(_) => "the bridge's work queue was unavailable (a temporary outage)".into(),
    }
}

fn planfix_in_plain_words(e: &PlanfixError) -> String {
    match e {
        PlanfixError::Transport(_) => "Planfix could not be reached (a network error or a timeout)".into(),
        PlanfixError::Decode(_) => "Planfix sent an answer the bridge could not read".into(),
        PlanfixError::Paced { .. } => "Planfix's request rate for this account stayed used up".into(),
        PlanfixError::Api { code: Some(22), .. } => "Planfix's daily request limit for this account is spent".into(),
        PlanfixError::Api { http: 401, .. } => {
            "Planfix refused the request (HTTP 401: check the bridge's API token)".into()
        }
        PlanfixError::Api { http: 403, .. } => {
            "Planfix refused the request (HTTP 403: check the bridge's API token permissions)".into()
        }
        PlanfixError::Api { http: 404, .. } => "Planfix does not have what the bridge asked for (HTTP 404)".into(),
        PlanfixError::Api { http: 429, .. } => "Planfix kept refusing requests as too frequent (HTTP 429)".into(),
        PlanfixError::Api { http, .. } if *http >= 500 => format!("Planfix had a temporary outage (HTTP {http})"),
        PlanfixError::Api { http, code: Some(code), .. } => {
            format!("Planfix refused the request (HTTP {http}, Planfix error code {code})")
        }
        PlanfixError::Api { http, code: None, .. } => format!("Planfix refused the request (HTTP {http})"),
    }
}

#[cfg(test)]
mod plain_words_tests {
    use super::*;
    use crate::retry::Retry;

    /// What the AWS SDK and an HTTP error body put in an error's text.
    const RAW: &str = "service error: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/bridge-worker/fn is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-central-1:123456789012:table/bridge (RequestId: 4KBNVRGD25RG2ONN9FF3F0JKNVVV4KQNSO5AEMVJF66Q9ASUAAJG), https://dynamodb.eu-central-1.amazonaws.com/?token=s3cr3t";

    #[test]
    fn every_failure_class_reads_as_a_sentence_without_the_raw_text() {
        let api = |http, code| PlanfixError::Api { http, code, message: RAW.into(), retry: Retry::Never };
        let cases: Vec<(ProcessError, &str)> = vec![
            (ProcessError::Store(StoreError::Unavailable(RAW.into())), "storage was unavailable"),
            (ProcessError::Store(StoreError::Corrupt(RAW.into())), "stored data"),
            (ProcessError::Store(StoreError::LeaseLost), "another run of the bridge"),
            (ProcessError::Queue(crate::ports::QueueError(RAW.into())), "work queue was unavailable"),
            (ProcessError::Busy("a job"), "busy"),
            (ProcessError::Planfix(PlanfixError::Transport(RAW.into())), "could not be reached"),
            (ProcessError::Planfix(PlanfixError::Decode(RAW.into())), "could not read"),
            (ProcessError::Planfix(api(403, Some(1))), "HTTP 403: check the bridge's API token permissions"),
            (ProcessError::Planfix(api(401, None)), "HTTP 401"),
            (ProcessError::Planfix(api(400, Some(22))), "daily request limit"),
            (ProcessError::Planfix(api(503, None)), "temporary outage (HTTP 503)"),
            (ProcessError::Planfix(api(400, Some(7000))), "HTTP 400, Planfix error code 7000"),
        ];
        for (error, expected) in cases {
            let plain = in_plain_words(&error);
            assert!(plain.contains(expected), "{error:?} → {plain}");
            for raw in ["arn:", "amazonaws", "RequestId", "s3cr3t", "AccessDenied"] {
                assert!(!plain.contains(raw), "{error:?} → {plain}");
            }
        }
        let config = ProcessError::Config("task has no process; set reopen_status_id".into());
        assert!(in_plain_words(&config).contains("set reopen_status_id"), "the bridge's own advice is kept");
    }
}

fn when(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// What replaying a dead letter came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// Queued again (a message back in its conversation's inbox first), the letter removed.
    Queued,
    /// The letter's message was commented meanwhile (the provider delivered it again): the
    /// letter was removed, nothing queued.
    AlreadyDone,
}

/// Puts a dead letter back to work: messages return to their conversation's inbox (in their
/// original place in the order), then the work is queued again and the letter removed. False
/// when there is no such letter; what became of it is logged ([`replay_letter`]).
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
) -> Result<Replayed, String> {
    let replayed = return_to_inbox(store, account, letter).await?;
    if replayed == Replayed::Queued {
        // A fresh dedupe identity: the original may still be inside SQS's five-minute window.
        queue.enqueue_again(std::slice::from_ref(&letter.work)).await.map_err(|e| e.to_string())?;
    }
    store.remove_dead_letter(account, &letter.key).await.map_err(|e| e.to_string())?;
    match replayed {
        Replayed::Queued => tracing::info!(account = %account, work = %letter.key, "dead letter replayed"),
        Replayed::AlreadyDone => tracing::info!(account = %account, work = %letter.key,
            "dead letter dropped: its message was commented meanwhile"),
    }
    Ok(replayed)
}

/// A message letter's entry goes back into its conversation's inbox with a fresh retry budget
/// (nothing to do for other work). Its message item may be gone by now (it expires, the letter
/// does not): it is recorded again first, else the worker's claim would find nothing and
/// dead-letter the message once more. [`Replayed::AlreadyDone`]: it was commented meanwhile,
/// so it stays out of the inbox.
pub async fn return_to_inbox(
    store: &dyn crate::ports::Store,
    account: &AccountId,
    letter: &DeadLetter,
) -> Result<Replayed, String> {
    let Some(entry) = &letter.entry else { return Ok(Replayed::Queued) };
    let fresh_budget =
        InboxEntry { attempts: 0, attempts_before: entry.attempts_before + letter.attempts, ..entry.clone() };
    match store.record_inbound(account, &fresh_budget, unix_now()).await.map_err(|e| e.to_string())? {
        crate::ports::RecordOutcome::AlreadyDone => Ok(Replayed::AlreadyDone),
        crate::ports::RecordOutcome::New | crate::ports::RecordOutcome::Pending => Ok(Replayed::Queued),
    }
}
