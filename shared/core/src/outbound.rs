//! The reply loop: a Planfix comment that notifies the WhatsApp contact is sent to WhatsApp,
//! exactly once; a failed send becomes an internal note in the task; delivery statuses are
//! recorded and a failed delivery is noted too.

use super::html::text_to_html;
use super::lease::{with_lease, JobLease, LeaseTiming, Leased};
use super::AccountRuntime;
use crate::domain::{DeliveryFailure, DeliveryState, FailureKind, StatusUpdate};
use crate::error::ProcessError;
use crate::ports::planfix::CommentInfo;
use crate::ports::store::SentRecord;
use crate::ports::{SendFailure, Store};
use crate::retry::RetryPolicy;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyOutcome {
    Sent {
        provider_message_ids: Vec<String>,
    },
    Ignored(&'static str),
    /// Not delivered; the task got an internal note saying why.
    NotDelivered(String),
    AlreadyDone,
}

impl ReplyOutcome {
    fn summary(&self) -> String {
        match self {
            ReplyOutcome::Sent { provider_message_ids } => format!("sent {}", provider_message_ids.join(",")),
            ReplyOutcome::Ignored(why) => format!("ignored: {why}"),
            ReplyOutcome::NotDelivered(why) => format!("not delivered: {why}"),
            ReplyOutcome::AlreadyDone => "already done".into(),
        }
    }
}

pub struct OutboundProcessor {
    /// Where the files of a notifying comment go to the file relay.
    pub file_jobs: std::sync::Arc<dyn crate::ports::FileJobQueue>,
    /// In-process retries of one WhatsApp send.
    pub retry: RetryPolicy,
    /// The do-once jobs' lease; its wait is how long a concurrent duplicate waits for the first
    /// delivery to finish.
    pub lease: LeaseTiming,
}

impl OutboundProcessor {
    /// Handle "comment `comment_id` was added" (task id as Planfix reported it, used only when
    /// the comment itself does not name its task).
    pub async fn process_comment(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        task_hint: Option<i64>,
        comment_id: i64,
    ) -> Result<ReplyOutcome, ProcessError> {
        let job = format!("OUT#{comment_id}");
        let leased = with_lease(store, &acct.id, &JobLease(&job), &self.lease, |_| async {
            let outcome = self.send_comment(store, acct, task_hint, comment_id).await?;
            let summary = outcome.summary();
            Ok::<_, ProcessError>((outcome, summary))
        })
        .await
        .map_err(|f| f.error)?;
        match leased {
            Leased::Ran { value: outcome, .. } => {
                tracing::info!(account = %acct.id, comment = comment_id, outcome = %outcome.summary(),
                    "planfix comment handled");
                Ok(outcome)
            }
            Leased::AlreadyDone => Ok(ReplyOutcome::AlreadyDone),
            Leased::Busy => Err(ProcessError::Busy("this comment is being sent by another delivery")),
        }
    }

    async fn send_comment(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        task_hint: Option<i64>,
        comment_id: i64,
    ) -> Result<ReplyOutcome, ProcessError> {
        let Some(comment) = acct.planfix.get_comment(comment_id).await? else {
            return Ok(ReplyOutcome::Ignored("comment not found"));
        };
        let Some(task_id) = comment.task_id.or(task_hint) else {
            return Ok(ReplyOutcome::Ignored("comment has no task"));
        };
        let Some(conv) = store.get_task_conversation(&acct.id, task_id).await? else {
            return Ok(ReplyOutcome::Ignored("task is not a WhatsApp conversation"));
        };
        if let Some(why) = not_for_whatsapp(&comment, conv.contact_id) {
            return Ok(ReplyOutcome::Ignored(why));
        }
        let capabilities = acct.sender.capabilities();
        let answer = crate::reply_context::answer(
            acct.planfix.as_ref(),
            capabilities.replies,
            task_id,
            comment_id,
            &comment.description_html,
        )
        .await?;
        let text = answer.text;
        if text.trim().is_empty() && comment.file_ids.is_empty() {
            return Ok(ReplyOutcome::Ignored("comment has no text and no files"));
        }
        // Files first into the queue: if that fails nothing was sent yet and the retry is clean.
        // The text goes now as its own message (a caption would be cut at 1024 characters and is
        // not allowed on audio); the relay sends the files right after it.
        for file_id in &comment.file_ids {
            let job = crate::domain::FileJob::Outbound {
                account: acct.id.clone(),
                phone: conv.phone.clone(),
                task_id,
                comment_id,
                file_id: *file_id,
                author: comment.owner.clone(),
            };
            self.file_jobs.enqueue(&job).await.map_err(ProcessError::Queue)?;
        }
        let mut sent = Vec::new();
        // Longer comments go out as several messages, split where a reader would pause.
        let parts = crate::text_split::split(&text, capabilities.max_text_chars).into_iter();
        for (index, part) in parts.enumerate() {
            let reference = format!("{}-comment-{comment_id}-{index}", acct.id);
            // Only the first part answers the quoted message; the rest follow it.
            let reply_to = answer.reply_to.as_deref().filter(|_| index == 0);
            match self.send_with_retries(acct, &conv.phone, &part, &reference, reply_to).await {
                Ok(id) => {
                    let excerpt = crate::ports::store::excerpt(&part);
                    let record = SentRecord { comment_id, task_id, author: comment.owner.clone(), excerpt };
                    store.put_sent(&acct.id, &id, &record).await?;
                    sent.push(id);
                }
                Err(failure) => {
                    let reason = explain(&failure);
                    let partial = if sent.is_empty() { "" } else { " (the first part of the text was delivered)" };
                    let note = format!("⚠ WhatsApp: this comment was not delivered to the customer{partial}. {reason}");
                    let notify = employees_to_notify(comment.owner.as_deref());
                    acct.planfix.add_internal_comment(task_id, &note_html(&note, comment_id), &notify).await?;
                    tracing::warn!(account = %acct.id, comment = comment_id, error = %failure, "reply not delivered; noted in the task");
                    return Ok(ReplyOutcome::NotDelivered(failure.to_string()));
                }
            }
        }
        Ok(ReplyOutcome::Sent { provider_message_ids: sent })
    }

    async fn send_with_retries(
        &self,
        acct: &AccountRuntime,
        to: &crate::domain::Phone,
        text: &str,
        reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        self.retry.run(|| acct.sender.send_text(to, text, reference, reply_to), SendFailure::retry).await
    }

    /// A provider delivery status for a message the bridge sent.
    pub async fn apply_status(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        st: &StatusUpdate,
    ) -> Result<(), ProcessError> {
        store.advance_delivery_status(&acct.id, &st.message_id, st.status.as_str(), st.status.rank()).await?;
        // A failure is noted even when it was recorded before: the note's own job makes it once.
        if st.status != DeliveryState::Failed {
            return Ok(());
        }
        let Some(sent) = store.get_sent(&acct.id, &st.message_id).await? else { return Ok(()) };
        // Once per message, even if the failure is reported again or concurrently: whoever
        // does not get the job leaves it to the one who did.
        let job = format!("NOTE#{}", st.message_id);
        let reason = st
            .failure
            .as_ref()
            .map(explain_delivery_failure)
            .unwrap_or_else(|| "WhatsApp reported the delivery as failed.".into());
        let note = format!("⚠ WhatsApp: the reply did not reach the customer. {reason}");
        let notify = employees_to_notify(sent.author.as_deref());
        with_lease(store, &acct.id, &JobLease(&job), &self.lease.no_wait(), |_| async {
            acct.planfix.add_internal_comment(sent.task_id, &note_html(&note, sent.comment_id), &notify).await?;
            Ok::<_, ProcessError>(((), "noted".to_owned()))
        })
        .await
        .map_err(|f| f.error)?;
        Ok(())
    }
}

/// The Planfix employee to tell about a comment's fate: its author, when an employee wrote it
/// (`user:5`; a contact or the bridge itself is told nothing).
pub fn employees_to_notify(author: Option<&str>) -> Vec<String> {
    author.filter(|a| a.starts_with("user:")).map(str::to_owned).into_iter().collect()
}

/// The rules for what leaves Planfix (None = send). Planfix's own WhatsApp integration sends
/// only comments that notify the contact; the owner check also stops echoes of the customer's
/// own messages, which the bridge writes as the contact.
fn not_for_whatsapp(c: &CommentInfo, contact_id: i64) -> Option<&'static str> {
    if c.is_deleted {
        return Some("comment is deleted");
    }
    if c.is_hidden {
        return Some("comment is hidden");
    }
    if !c.owner.as_deref().is_some_and(|o| o.starts_with("user:")) {
        return Some("comment was not written by an employee");
    }
    let contact = format!("contact:{contact_id}");
    if !c.recipient_users.contains(&contact) {
        return Some("comment does not notify the WhatsApp contact");
    }
    None
}

fn note_html(text: &str, comment_id: i64) -> String {
    format!("{}<br><i>(comment #{comment_id})</i>", text_to_html(text))
}

const WINDOW_CLOSED: &str = "More than 24 hours have passed since the customer's last message, so WhatsApp only \
     allows approved template messages now. The customer has to write first (or use a template).";

/// What the Planfix user reads when a send fails: plain words and what to do.
fn explain(f: &SendFailure) -> String {
    match f {
        SendFailure::WindowClosed => WINDOW_CLOSED.into(),
        SendFailure::InvalidRecipient { reason } => {
            format!("The customer's number cannot receive WhatsApp messages ({reason}).")
        }
        SendFailure::Transient { reason } => {
            format!("WhatsApp was unavailable or rate-limited and several retries failed ({reason}). Please send the comment again later.")
        }
        SendFailure::Rejected { code, reason } => format!(
            "WhatsApp refused the message{} ({reason}). This usually needs the bridge's administrator.",
            code.as_deref().map(|c| format!(" with error {c}")).unwrap_or_default()
        ),
    }
}

/// A failed delivery in the same words as a failed send; the adapter classified the code.
fn explain_delivery_failure(f: &DeliveryFailure) -> String {
    let code = f.code.as_deref().map(|c| format!(" (error {c})")).unwrap_or_default();
    match f.kind {
        FailureKind::WindowClosed => WINDOW_CLOSED.into(),
        FailureKind::InvalidRecipient => {
            format!("The message was undeliverable: the number may not use WhatsApp{code}.")
        }
        FailureKind::Other if f.detail.is_empty() => format!("WhatsApp reported the delivery as failed{code}."),
        FailureKind::Other => {
            format!("WhatsApp reported the delivery as failed{code}: {}.", f.detail.trim_end_matches('.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_for_leaving_planfix() {
        let base = CommentInfo {
            id: 1,
            task_id: Some(2),
            description_html: "hi".into(),
            owner: Some("user:5".into()),
            recipient_users: vec!["contact:7".into()],
            from_type: None,
            is_deleted: false,
            is_hidden: false,
            file_ids: vec![],
        };
        assert_eq!(not_for_whatsapp(&base, 7), None);
        assert!(not_for_whatsapp(&base, 8).is_some());
        assert!(not_for_whatsapp(&CommentInfo { owner: Some("contact:7".into()), ..base.clone() }, 7).is_some());
        assert!(not_for_whatsapp(&CommentInfo { is_hidden: true, ..base.clone() }, 7).is_some());
        assert!(not_for_whatsapp(&CommentInfo { recipient_users: vec![], ..base }, 7).is_some());
    }
}
