//! Processing of one recorded inbound message: exactly one Planfix comment per provider message.

use std::sync::Arc;

use super::conversation::Conversations;
use super::lease::LeaseTiming;
use super::render::{media_caption_html, message_html_with, reaction_note_html};
use super::settings_cache::SettingsCache;
use super::status_cache::StatusCache;
use super::AccountRuntime;
use crate::domain::{FileJob, InboundMessage, MessageContent, Origin};
pub use crate::error::ProcessError;
use crate::ports::{CommentOwner, ConversationLink, FileJobQueue, LinkRecord, NewComment, ReactionNote, Store};

/// Namespace of the UUIDv5 written as the comment's `sourceObjectId` (fixed forever: changing it
/// would make retries blind to comments created before the change).
pub(crate) const SOURCE_NAMESPACE: uuid::Uuid = uuid::uuid!("3f0d7a52-1c5e-4b8e-9a57-6f1f2b7c9d10");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// The comment exists; `link` is the conversation as it is now (the next message of the
    /// drain starts from it instead of reading it again).
    Commented { link: ConversationLink, comment_id: i64 },
    /// The provider reported a message the bridge itself sent (an echo): nothing to write.
    OwnEcho,
}

pub struct InboundProcessor {
    pub settings: SettingsCache,
    pub statuses: StatusCache,
    pub timing: LeaseTiming,
    /// The drain lease on a conversation, renewed with each message; longer than the worst
    /// Planfix path of one message.
    pub message_lease_secs: i64,
    /// Where media messages hand their file to the file relay.
    pub file_jobs: Arc<dyn FileJobQueue>,
}

impl InboundProcessor {
    /// Comments one message of a conversation whose drain lease the caller holds (so no other
    /// worker writes this conversation meanwhile); the caller records the outcome. `known`: the
    /// link as the drain last saw it (not read again). `verified_task`: a task this drain found
    /// active moments ago, whose status need not be read again if the link still points at it.
    /// `look_first`: an earlier try may have written the comment and died before recording it
    /// (it failed, or its drain was interrupted), so look for it before writing.
    pub async fn process_in_drain(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        known: Option<LinkRecord>,
        verified_task: Option<i64>,
        look_first: bool,
    ) -> Result<Processed, ProcessError> {
        // Providers that echo every outgoing message (Wazzup) also echo the bridge's own sends:
        // those are already in the task, as the employee's comment.
        if msg.origin == Origin::BusinessPhone && store.get_sent(&acct.id, &msg.id).await?.is_some() {
            tracing::info!(account = %acct.id, message = %msg.id, "echo of the bridge's own send; nothing to write");
            return Ok(Processed::OwnEcho);
        }
        let mut delivered = self.deliver(store, acct, msg, look_first, verified_task, known).await;
        if let Err(e) = &delivered {
            // `task_status_webhook`: a task taken for active may have been deleted meanwhile.
            let settings = self.settings.get(store, &acct.id).await?;
            let conversations =
                Conversations { store, statuses: &self.statuses, timing: &self.timing, retry: look_first };
            if conversations.close_vanished_task(acct, &msg.from, &settings, e).await? {
                delivered = self.deliver(store, acct, msg, look_first, None, None).await;
            }
        }
        let (link, comment_id) = delivered?;
        tracing::info!(account = %acct.id, message = %msg.id, task = link.task_id, comment = comment_id, retry = look_first,
            "message delivered to Planfix");
        Ok(Processed::Commented { link, comment_id })
    }

    async fn deliver(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        look_first: bool,
        verified_task: Option<i64>,
        known: Option<LinkRecord>,
    ) -> Result<(ConversationLink, i64), ProcessError> {
        let settings = self.settings.get(store, &acct.id).await?;
        let conversations = Conversations { store, statuses: &self.statuses, timing: &self.timing, retry: look_first };
        let link = conversations.resolve(acct, msg, &settings, verified_task, known).await?;
        let source_object_id =
            uuid::Uuid::new_v5(&SOURCE_NAMESPACE, format!("{}/{}", acct.id, msg.id).as_bytes()).to_string();
        // A previous attempt may have created the comment and died before recording it.
        if look_first {
            if let Some(existing) = acct.planfix.find_comment_by_source(link.task_id, &source_object_id).await? {
                tracing::info!(message = %msg.id, comment = existing, "comment from an earlier attempt found; not adding another");
                self.hand_over_file(acct, msg, &link, existing).await?;
                if let Some((key, emoji)) = reaction_key(msg) {
                    // The attempt may have died before noting it: later reactions edit this one.
                    let note =
                        ReactionNote { task_id: link.task_id, comment_id: existing, trail: vec![emoji.to_owned()] };
                    if store.reaction_note(&acct.id, &key).await?.is_none_or(|n| n.task_id != link.task_id) {
                        store.put_reaction_note(&acct.id, &key, &note).await?;
                    }
                }
                return Ok((link, existing));
            }
        }
        // What the message points at (reaction, reply, edit, deletion), for its comment to say.
        let reference = match referenced_id(msg) {
            Some(id) => store.message_reference(&acct.id, id).await?,
            None => None,
        };
        // A changed or removed reaction edits the comment of the writer's earlier reaction to
        // the same message (in this task) instead of adding one.
        let reaction = match reaction_key(msg) {
            Some((key, emoji)) => {
                let earlier = store.reaction_note(&acct.id, &key).await?.filter(|n| n.task_id == link.task_id);
                if let Some(note) = &earlier {
                    if let Some(edited) =
                        self.edit_reaction(store, acct, msg, &key, note, emoji, reference.as_ref()).await?
                    {
                        return Ok((link, edited));
                    }
                }
                Some((key, emoji))
            }
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
            source_message_id: answerable_id(msg).map(str::to_owned),
        };
        let comment_id = acct.planfix.add_comment(link.task_id, &comment).await?;
        self.hand_over_file(acct, msg, &link, comment_id).await?;
        if let Some((key, emoji)) = reaction {
            let note = ReactionNote { task_id: link.task_id, comment_id, trail: vec![emoji.to_owned()] };
            store.put_reaction_note(&acct.id, &key, &note).await?;
        }
        Ok((link, comment_id))
    }

    /// Edits the comment of `note` to show `emoji` after the reactions before it; None when that
    /// comment is gone from Planfix (the caller then adds one). The same reaction again changes
    /// nothing. Editing is idempotent, so a retry after a crash between the edit and the note
    /// just edits again.
    async fn edit_reaction(
        &self,
        store: &dyn Store,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        key: &str,
        note: &ReactionNote,
        emoji: &str,
        reference: Option<&crate::ports::store::MessageReference>,
    ) -> Result<Option<i64>, ProcessError> {
        if note.trail.last().map(String::as_str) == Some(emoji) {
            return Ok(Some(note.comment_id));
        }
        let mut trail = note.trail.clone();
        trail.push(emoji.to_owned());
        let skip = trail.len().saturating_sub(REACTION_TRAIL);
        trail.drain(..skip);
        let html = reaction_note_html(msg, &trail, reference);
        if !acct.planfix.edit_comment(note.task_id, note.comment_id, &html).await? {
            return Ok(None);
        }
        let updated = ReactionNote { trail, ..note.clone() };
        store.put_reaction_note(&acct.id, key, &updated).await?;
        tracing::info!(account = %acct.id, message = %msg.id, comment = note.comment_id, "reaction changed; its comment edited");
        Ok(Some(note.comment_id))
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

/// The WhatsApp message an employee's reply quoting this comment answers: the message itself, the
/// original of an edit; none for a reaction, vote or deletion (nothing to reply to).
fn answerable_id(msg: &InboundMessage) -> Option<&str> {
    match &msg.content {
        MessageContent::Edited { original_id, .. } => Some(original_id),
        MessageContent::Reaction { .. } | MessageContent::PollVote { .. } | MessageContent::Deleted { .. } => None,
        _ => Some(&msg.id),
    }
}

/// Reactions a note remembers (the current one and those before it).
const REACTION_TRAIL: usize = 6;

/// The key of the note of a reaction (its writer and the message reacted to) and its emoji.
fn reaction_key(msg: &InboundMessage) -> Option<(String, &str)> {
    let MessageContent::Reaction { to_message_id, emoji } = &msg.content else { return None };
    let writer = match msg.origin {
        Origin::Customer => "customer",
        Origin::BusinessPhone => "business_phone",
    };
    Some((format!("{writer}:{to_message_id}"), emoji))
}
