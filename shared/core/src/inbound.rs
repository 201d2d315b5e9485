//! Processing of one recorded inbound message: exactly one Planfix comment per provider message.

use std::sync::Arc;

use super::conversation::Conversations;
use super::lease::{with_lease, Claim, LeaseFailure, LeaseTiming, Leased, MessageLease};
use super::render::{media_caption_html, message_html_with};
use super::settings_cache::SettingsCache;
use super::status_cache::StatusCache;
use super::AccountRuntime;
use crate::domain::{FileJob, InboundMessage, MessageContent, Origin};
pub use crate::error::ProcessError;
use crate::ports::{CommentOwner, ConversationLink, FileJobQueue, NewComment, Store};

/// Namespace of the UUIDv5 written as the comment's `sourceObjectId` (fixed forever: changing it
/// would make retries blind to comments created before the change).
pub(crate) const SOURCE_NAMESPACE: uuid::Uuid = uuid::uuid!("3f0d7a52-1c5e-4b8e-9a57-6f1f2b7c9d10");

/// A failed attempt at one message, with the claim it failed in.
pub type Failed = LeaseFailure<ProcessError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Commented {
        task_id: i64,
        comment_id: i64,
    },
    AlreadyDone,
    /// The provider reported a message the bridge itself sent (an echo): nothing to write.
    OwnEcho,
}

pub struct InboundProcessor {
    pub settings: SettingsCache,
    pub statuses: StatusCache,
    pub timing: LeaseTiming,
    /// Lease on one message while it is processed; longer than the worst Planfix path.
    pub message_lease_secs: i64,
    /// Where media messages hand their file to the file relay.
    pub file_jobs: Arc<dyn FileJobQueue>,
}

impl InboundProcessor {
    /// Comments one recorded message, exactly once. `verified_task` is a task this worker found
    /// active moments ago, whose status need not be read again if the conversation still points
    /// at it. A concurrent duplicate waits for the worker holding the message. A failure says
    /// which attempt at this message it was (each claim counts one), so the retry budget is the
    /// message's own, whatever delivery carried it; the lease is released so the retry (or the
    /// provider's redelivery) can finish the work, never swallowed by the dedupe mark.
    pub async fn process_verified(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        verified_task: Option<i64>,
    ) -> Result<Processed, Failed> {
        // Providers that echo every outgoing message (Wazzup) also echo the bridge's own sends:
        // those are already in the task, as the employee's comment.
        if msg.origin == Origin::BusinessPhone
            && store.get_sent(&acct.id, &msg.id).await.map_err(|e| Failed { error: e.into(), attempt: None })?.is_some()
        {
            tracing::info!(account = %acct.id, message = %msg.id, "echo of the bridge's own send; nothing to write");
            return Ok(Processed::OwnEcho);
        }
        let timing = LeaseTiming { lease_secs: self.message_lease_secs, ..self.timing.clone() };
        let leased = with_lease(store, &acct.id, &MessageLease(&msg.id), &timing, |claim: Claim| async move {
            let done = self.deliver(store, acct, msg, claim.attempt, verified_task).await?;
            Ok::<_, ProcessError>((done, done))
        })
        .await?;
        match leased {
            Leased::Ran { value: (task_id, comment_id), attempt } => {
                tracing::info!(account = %acct.id, message = %msg.id, task = task_id, comment = comment_id, attempt,
                    "message delivered to Planfix");
                Ok(Processed::Commented { task_id, comment_id })
            }
            Leased::AlreadyDone => Ok(Processed::AlreadyDone),
            Leased::Busy => Err(Failed {
                error: ProcessError::Busy("the same message is being processed by another delivery"),
                attempt: None,
            }),
        }
    }

    async fn deliver(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        attempt: u32,
        verified_task: Option<i64>,
    ) -> Result<(i64, i64), ProcessError> {
        let settings = self.settings.get(store, &acct.id).await?;
        let conversations = Conversations { store, statuses: &self.statuses, timing: &self.timing, retry: attempt > 1 };
        let link = conversations.resolve(acct, msg, &settings, verified_task).await?;
        let source_object_id =
            uuid::Uuid::new_v5(&SOURCE_NAMESPACE, format!("{}/{}", acct.id, msg.id).as_bytes()).to_string();
        // A previous attempt may have created the comment and died before recording it.
        if attempt > 1 {
            if let Some(existing) = acct.planfix.find_comment_by_source(link.task_id, &source_object_id).await? {
                tracing::info!(message = %msg.id, comment = existing, "comment from an earlier attempt found; not adding another");
                self.hand_over_file(acct, msg, &link, existing).await?;
                return Ok((link.task_id, existing));
            }
        }
        // What the message points at (reaction, reply, edit, deletion), for its comment to say.
        let reference = match referenced_id(msg) {
            Some(id) => store.message_reference(&acct.id, id).await?,
            None => None,
        };
        let comment = NewComment {
            description_html: message_html_with(msg, reference.as_ref()),
            // What the company wrote from its phone is not the customer's word.
            owner: match (msg.origin, settings.phone_author_user_id) {
                (Origin::Customer, _) => CommentOwner::Contact(link.contact_id),
                (Origin::BusinessPhone, Some(user)) => CommentOwner::User(user),
                (Origin::BusinessPhone, None) => CommentOwner::Bridge,
            },
            source_object_id,
        };
        let comment_id = acct.planfix.add_comment(link.task_id, &comment).await?;
        self.hand_over_file(acct, msg, &link, comment_id).await?;
        Ok((link.task_id, comment_id))
    }

    /// Media: the comment exists (in order, with the caption); the relay attaches the file. A
    /// failed enqueue fails the message, so the provider's retry enqueues again (the relay's job
    /// key makes a double enqueue harmless).
    async fn hand_over_file(
        &self,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        link: &ConversationLink,
        comment_id: i64,
    ) -> Result<(), ProcessError> {
        let MessageContent::Media { media_kind, media, mime_type, filename, .. } = &msg.content else {
            return Ok(());
        };
        let job = FileJob::Inbound {
            account: acct.id.clone(),
            phone: msg.from.clone(),
            message_id: msg.id.clone(),
            task_id: link.task_id,
            comment_id,
            caption_html: media_caption_html(&msg.content),
            media: media.clone(),
            media_kind: media_kind.clone(),
            mime_type: mime_type.clone(),
            filename: filename.clone(),
        };
        self.file_jobs.enqueue(&job).await?;
        Ok(())
    }
}

/// The provider id of the earlier message `msg` concerns, if any.
fn referenced_id(msg: &InboundMessage) -> Option<&str> {
    match &msg.content {
        MessageContent::Reaction { to_message_id, .. } => Some(to_message_id),
        MessageContent::Edited { original_id, .. } | MessageContent::Deleted { original_id } => Some(original_id),
        _ => msg.reply_to.as_deref(),
    }
}
