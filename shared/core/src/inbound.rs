//! Processing of one recorded inbound message: exactly one Planfix comment per provider message.

use std::sync::Arc;

use tokio::time::{sleep, Instant};

use super::conversation::{Conversations, LeaseTiming};
use super::render::{comment_html, media_caption_html};
use super::settings_cache::SettingsCache;
use super::status_cache::StatusCache;
use super::AccountRuntime;
use crate::domain::{unix_now, FileJob, InboundMessage, MessageContent};
use crate::ports::{
    ClaimOutcome, ConversationLink, FileJobQueue, NewComment, PlanfixError, QueueError, Store, StoreError,
};

/// Namespace of the UUIDv5 written as the comment's `sourceObjectId` (fixed forever: changing it
/// would make retries blind to comments created before the change).
pub(crate) const SOURCE_NAMESPACE: uuid::Uuid = uuid::uuid!("3f0d7a52-1c5e-4b8e-9a57-6f1f2b7c9d10");

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Planfix(#[from] PlanfixError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another worker holds the work; retrying later is right.
    #[error("busy: {0}")]
    Busy(&'static str),
    #[error("configuration problem: {0}")]
    Config(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// A failed attempt at one message.
#[derive(Debug)]
pub struct Failed {
    pub error: ProcessError,
    /// Which claim of the message failed (None: it failed before this worker claimed it).
    pub attempt: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    Commented { task_id: i64, comment_id: i64 },
    AlreadyDone,
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
    pub async fn process(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
    ) -> Result<Processed, ProcessError> {
        self.process_verified(store, acct, msg, None).await.map_err(|f| f.error)
    }

    /// Like [`Self::process`]; `verified_task` is a task this worker found active moments ago,
    /// whose status need not be read again if the conversation still points at it.
    /// A failure says which attempt at this message it was (each claim counts one), so the
    /// retry budget is the message's own, whatever delivery carried it.
    pub async fn process_verified(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        verified_task: Option<i64>,
    ) -> Result<Processed, Failed> {
        let owner = uuid::Uuid::new_v4().to_string();
        let claim = store.claim_message(&acct.id, &msg.id, &owner, unix_now(), self.message_lease_secs).await;
        let attempt = match claim.map_err(|e| Failed { error: e.into(), attempt: None })? {
            ClaimOutcome::Done => return Ok(Processed::AlreadyDone),
            ClaimOutcome::Busy { .. } => {
                return self
                    .wait_for_other_worker(store, acct, msg, verified_task)
                    .await
                    .map_err(|error| Failed { error, attempt: None })
            }
            ClaimOutcome::Claimed { attempt } => attempt,
        };
        let failed = |error| Failed { error, attempt: Some(attempt) };
        match self.deliver(store, acct, msg, attempt, &owner, verified_task).await {
            Ok((task_id, comment_id)) => {
                store
                    .complete_message(&acct.id, &msg.id, &owner, task_id, comment_id)
                    .await
                    .map_err(|e| failed(e.into()))?;
                tracing::info!(account = %acct.id, message = %msg.id, task = task_id, comment = comment_id, attempt, "message delivered to Planfix");
                Ok(Processed::Commented { task_id, comment_id })
            }
            Err(e) => {
                // Without this the dedupe mark would swallow the provider's retry.
                if let Err(release) = store.release_message(&acct.id, &msg.id, &owner, &e.to_string()).await {
                    tracing::warn!(error = %release, "could not release message lease; it will expire");
                }
                Err(failed(e))
            }
        }
    }

    async fn deliver(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        attempt: u32,
        owner: &str,
        verified_task: Option<i64>,
    ) -> Result<(i64, i64), ProcessError> {
        let settings = self.settings.get(store, &acct.id).await?;
        let conversations = Conversations { store, statuses: &self.statuses, timing: &self.timing, retry: attempt > 1 };
        let link = conversations.resolve(acct, msg, &settings, owner, verified_task).await?;
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
        let comment = NewComment {
            description_html: comment_html(&msg.content),
            owner_contact_id: link.contact_id,
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
        let MessageContent::Media { media_kind, media_id, mime_type, filename, .. } = &msg.content else {
            return Ok(());
        };
        let job = FileJob::Inbound {
            account: acct.id.clone(),
            phone: msg.from.clone(),
            message_id: msg.id.clone(),
            task_id: link.task_id,
            comment_id,
            caption_html: media_caption_html(&msg.content),
            media_id: media_id.clone(),
            media_kind: media_kind.clone(),
            mime_type: mime_type.clone(),
            filename: filename.clone(),
        };
        self.file_jobs.enqueue(&job).await?;
        Ok(())
    }

    /// A concurrent duplicate: wait for the worker that holds the message. If it finishes, this
    /// delivery is acknowledged; if not, the caller answers 5xx and the provider retries.
    async fn wait_for_other_worker(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        verified_task: Option<i64>,
    ) -> Result<Processed, ProcessError> {
        let deadline = Instant::now() + self.timing.wait;
        while Instant::now() < deadline {
            sleep(self.timing.poll).await;
            let probe = uuid::Uuid::new_v4().to_string();
            match store.claim_message(&acct.id, &msg.id, &probe, unix_now(), self.message_lease_secs).await? {
                ClaimOutcome::Done => return Ok(Processed::AlreadyDone),
                ClaimOutcome::Busy { .. } => continue,
                // The other worker failed and released: this worker takes over.
                ClaimOutcome::Claimed { attempt } => {
                    return match self.deliver(store, acct, msg, attempt, &probe, verified_task).await {
                        Ok((task_id, comment_id)) => {
                            store.complete_message(&acct.id, &msg.id, &probe, task_id, comment_id).await?;
                            Ok(Processed::Commented { task_id, comment_id })
                        }
                        Err(e) => {
                            let _ = store.release_message(&acct.id, &msg.id, &probe, &e.to_string()).await;
                            Err(e)
                        }
                    };
                }
            }
        }
        Err(ProcessError::Busy("the same message is being processed by another delivery"))
    }
}
