//! Durable state: message dedupe records, phone → contact → task links, per-account settings.
//!
//! Every mutation that decides "who does the work" is a single conditional write (or one
//! transaction), so concurrent Lambda instances agree without read-then-write races. Leases:
//! * a drain lease — one worker at a time comments a conversation's inbox; it lives on the link
//!   item, so taking it also reads the link, and each finished message renews or ends it in the
//!   same transaction that marks the message done;
//! * a link lease — one worker at a time creates a conversation (contact + task) or rotates it to a
//!   new task, so a burst of first messages yields one contact and one task;
//! * job leases — one worker at a time does a keyed job (a reply sent, a file relayed); message
//!   leases ([`Store::claim_message`]) remain for tools that process a single message.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::domain::{AccountId, InboundMessage, Phone, Work};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The lease this worker held was taken over (it expired); the caller must not assume it
    /// still owns the work.
    #[error("lease lost")]
    LeaseLost,
}

impl StoreError {
    /// A store that failed now may answer on the next try; a lease lost means someone else
    /// took the work over, which a later look settles.
    pub fn retry(&self) -> crate::retry::Retry {
        crate::retry::Retry::SOON
    }
}

/// Result of recording an inbound message at intake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordOutcome {
    /// First time this message id is seen.
    New,
    /// Seen before and its effect is complete: acknowledge, do nothing.
    AlreadyDone,
    /// Seen before but not finished (failed or in progress): process again.
    Pending,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This worker owns the message; `attempt` counts claims, 1 on the first.
    Claimed {
        attempt: u32,
    },
    Done,
    /// Another worker holds a live lease until `until`.
    Busy {
        until: i64,
    },
}

/// The current conversation of one phone in one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationLink {
    pub contact_id: i64,
    pub task_id: i64,
    /// How many tasks this conversation has had (1 for the first).
    pub task_count: u32,
    /// When the link last changed (Unix seconds).
    pub updated_at: i64,
    /// The Planfix scenario "task status changed" reported `task_id` completed (or deleted)
    /// ([`Store::set_task_closed`]); a new link starts false.
    #[serde(default)]
    pub task_closed: bool,
}

/// The link item as stored, with its lease if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRecord {
    pub link: Option<ConversationLink>,
    pub lease_until: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkLock {
    /// This worker holds the lease; `current` is the link as it was.
    Acquired { current: Option<ConversationLink> },
    /// Someone else holds a live lease, or the link already moved past what the caller expected.
    Contended(LinkRecord),
}

/// Which conversation a Planfix task belongs to (the reverse of the link), so a comment in the
/// task can be routed back to the WhatsApp number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskConversation {
    pub phone: Phone,
    pub contact_id: i64,
}

/// A message the bridge sent to WhatsApp, found again by the provider's message id when a
/// delivery status arrives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRecord {
    pub comment_id: i64,
    pub task_id: i64,
    /// The Planfix user who wrote the comment (`user:5`), told when delivery fails.
    pub author: Option<String>,
    /// The first words of what was sent ([`excerpt`]), quoted when the customer reacts or
    /// replies to it; absent in records made before references were shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

/// Who wrote the message a reaction, reply, edit or deletion points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefAuthor {
    /// The customer's own message, already a comment in the task.
    Customer,
    /// A message the bridge sent for an employee.
    Business,
}

/// The Planfix comment a provider message id stands for, with its first words when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReference {
    pub task_id: i64,
    pub comment_id: i64,
    /// The first ~60 characters of its text, cut at a word boundary, with "…" ([`excerpt`]).
    pub excerpt: Option<String>,
    pub by: RefAuthor,
}

/// The comment showing one writer's reaction to one message. A changed or removed reaction edits
/// that comment instead of adding another, so a customer trying emojis is one line in the task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionNote {
    pub task_id: i64,
    pub comment_id: i64,
    /// The reactions in the order given, the current one last; `""` is a removal.
    pub trail: Vec<String>,
}

/// Characters an excerpt keeps at most (before the "…").
pub const EXCERPT_CHARS: usize = 60;

/// The first words of `text`: whitespace collapsed, cut at the last word boundary within
/// [`EXCERPT_CHARS`] characters (mid-word only when one word is longer), "…" when cut. None for
/// blank text.
pub fn excerpt(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let mut out = String::new();
    for word in &words {
        let len = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if len > EXCERPT_CHARS {
            if out.is_empty() {
                out = word.chars().take(EXCERPT_CHARS).collect();
            }
            out.push('…');
            return Some(out);
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Some(out)
}

/// A recorded message waiting in its conversation's inbox. `order` sorts entries by the
/// customer's send time (provider timestamp), then by arrival (see [`InboxEntry::new`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub order: String,
    pub message: InboundMessage,
    /// Attempts spent before an operator replayed it: a replay gets a full retry budget.
    #[serde(default)]
    pub attempts_before: u32,
    /// Failed tries at this message since it entered the inbox (its own retry budget, whatever
    /// poke carries it; a try after a failure first looks for the comment it may have made).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl InboxEntry {
    /// `sequence` orders same-second messages: intake passes the arrival time in milliseconds
    /// times 1000 plus the message's position in its webhook, so messages of one second keep
    /// the order they came in, across webhooks too (Twilio's carry no send time, one message
    /// each: its messages of one second would otherwise sort by their random ids).
    pub fn new(message: InboundMessage, sequence: u64) -> Self {
        // Fixed width so the string order is the numeric order (timestamps before 2286,
        // arrival before 2286 too).
        let order = format!("{:011}#{:016}#{}", message.timestamp.max(0), sequence, message.id);
        Self { order, message, attempts_before: 0, attempts: 0 }
    }

    /// The sequence of the `position`-th message of a webhook that arrived at `arrival_ms`.
    pub fn sequence(arrival_ms: u64, position: usize) -> u64 {
        arrival_ms.saturating_mul(1000).saturating_add(position.min(999) as u64)
    }
}

/// Taking a conversation's drain lease ([`Store::begin_drain`]): one worker at a time comments
/// a conversation's inbox, and the lease's item is the conversation's link, read in the same write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrainStart {
    /// This worker drains the conversation until it ends the lease. `interrupted`: the last
    /// drain expired without ending (its worker died), maybe between a comment and its
    /// record, so the first message must be looked for in Planfix before it is written.
    Acquired { record: LinkRecord, interrupted: bool },
    /// Another worker holds a live drain lease until `until` (Unix seconds).
    Busy { until: i64 },
}

/// What [`Store::finish_message`] does with the drain lease besides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainNext {
    /// More messages follow: keep the lease until `until` (Unix seconds).
    Extend { until: i64 },
    /// This was the last message of the drain: end the lease in the same write.
    Release,
}

/// What [`Store::reserve_slots`] gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotGrant {
    /// The slots `first_ms`, `first_ms + interval`, … are this caller's.
    Granted { first_ms: i64 },
    /// Nothing reserved: the clock is taken until `free_at_ms`.
    Later { free_at_ms: i64 },
}

/// Work that failed past its retry budget, kept for an operator to inspect and replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// [`Work::key`] (for a message, the key of its conversation poke).
    pub key: String,
    pub work: Work,
    /// The message itself, for inbox work (it left the inbox so the conversation could go on).
    pub entry: Option<InboxEntry>,
    pub error: String,
    pub attempts: u32,
    pub failed_at: i64,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Intake: store the normalized message under its provider id unless it exists. A record
    /// past its retention (the adapters keep these once-only marks 400 days) counts as absent
    /// and is replaced; so does a dead letter's replay ([`crate::worker::return_to_inbox`]).
    async fn record_message(
        &self,
        account: &AccountId,
        msg: &InboundMessage,
        now: i64,
    ) -> Result<RecordOutcome, StoreError>;
    /// Processing: take the message's lease (expired leases can be taken over).
    async fn claim_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError>;
    /// Mark done with the Planfix comment it produced; only the lease owner may.
    async fn complete_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        task_id: i64,
        comment_id: i64,
    ) -> Result<(), StoreError>;
    /// Give the lease back after a failure so the provider's retry can proceed at once.
    async fn release_message(
        &self,
        account: &AccountId,
        message_id: &str,
        owner: &str,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Intake in one write where the store can: [`Store::record_message`] and, unless it is
    /// already done, [`Store::add_to_inbox`]. A message seen before and still pending keeps
    /// the one inbox entry it had (a redelivery never adds a second entry for one message),
    /// and no entry is ever put beside a mark that is done. The default makes the two calls.
    async fn record_inbound(
        &self,
        account: &AccountId,
        entry: &InboxEntry,
        now: i64,
    ) -> Result<RecordOutcome, StoreError> {
        let outcome = self.record_message(account, &entry.message, now).await?;
        if outcome != RecordOutcome::AlreadyDone {
            self.add_to_inbox(account, entry).await?;
        }
        Ok(outcome)
    }
    /// Takes the conversation's drain lease (an expired one can be taken over) and returns its
    /// link as it is, in one conditional write on the link item.
    async fn begin_drain(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<DrainStart, StoreError>;
    /// One message of a drain is done, in one atomic write: its mark records the comment it
    /// became (`comment`: (task, comment); None when nothing was to be written, e.g. an echo
    /// of the bridge's own send), its inbox entry goes, and the drain lease is extended or
    /// ended. [`StoreError::LeaseLost`] when `owner` no longer holds the drain lease: then
    /// nothing is written.
    async fn finish_message(
        &self,
        account: &AccountId,
        entry: &InboxEntry,
        owner: &str,
        comment: Option<(i64, i64)>,
        next: DrainNext,
    ) -> Result<(), StoreError>;
    /// Ends the drain lease without finishing a message (a failure, an empty inbox, out of
    /// time); a lease already taken over is left alone.
    async fn end_drain(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError>;

    /// Put a recorded message into its conversation's inbox (idempotent: same entry, same item).
    async fn add_to_inbox(&self, account: &AccountId, entry: &InboxEntry) -> Result<(), StoreError>;
    /// The oldest `limit` entries of one conversation's inbox, in send order (strongly consistent).
    async fn inbox(&self, account: &AccountId, phone: &Phone, limit: usize) -> Result<Vec<InboxEntry>, StoreError>;
    async fn remove_from_inbox(&self, account: &AccountId, phone: &Phone, order: &str) -> Result<(), StoreError>;
    /// For the sweeper ([`crate::sweep`]): the conversations of `account` holding an entry put
    /// into their inbox before `older_than` (Unix seconds, by when it was added, not the
    /// customer's send time), as the first entry of each inbox in send order; the longest
    /// waiting first, at most `limit` conversations. Needs no table scan, and may lag a moment
    /// behind (an entry just removed can still be named: a poke for it finds nothing to do).
    async fn stale_inboxes(
        &self,
        account: &AccountId,
        older_than: i64,
        limit: usize,
    ) -> Result<Vec<InboxEntry>, StoreError>;

    async fn put_dead_letter(&self, account: &AccountId, letter: &DeadLetter) -> Result<(), StoreError>;
    async fn list_dead_letters(&self, account: &AccountId) -> Result<Vec<DeadLetter>, StoreError>;
    async fn remove_dead_letter(&self, account: &AccountId, key: &str) -> Result<(), StoreError>;

    async fn get_link(&self, account: &AccountId, phone: &Phone) -> Result<Option<LinkRecord>, StoreError>;
    /// Take the link lease if the link's task is still `expected_task` (None: no link yet) and no
    /// live lease exists.
    async fn lock_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        expected_task: Option<i64>,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<LinkLock, StoreError>;
    /// Write the new link and drop the lease; only the lease owner may.
    async fn commit_link(
        &self,
        account: &AccountId,
        phone: &Phone,
        owner: &str,
        link: &ConversationLink,
    ) -> Result<(), StoreError>;
    /// Drop the lease without changing the link (after a failure).
    async fn unlock_link(&self, account: &AccountId, phone: &Phone, owner: &str) -> Result<(), StoreError>;
    /// Sets the link's [`ConversationLink::task_closed`], in one conditional write, only if the
    /// link still points at `task_id` (a link that moved on to a new task is left alone, as is a
    /// phone without a link); true when it was written. Leaves any lease and the rest of the
    /// link as they are.
    async fn set_task_closed(
        &self,
        account: &AccountId,
        phone: &Phone,
        task_id: i64,
        closed: bool,
    ) -> Result<bool, StoreError>;

    async fn put_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
        conv: &TaskConversation,
    ) -> Result<(), StoreError>;
    async fn get_task_conversation(
        &self,
        account: &AccountId,
        task_id: i64,
    ) -> Result<Option<TaskConversation>, StoreError>;

    /// "Do this once" jobs (e.g. `OUT#<comment id>`: send one Planfix comment to WhatsApp). The
    /// item is created on the first claim; the lease semantics equal [`Store::claim_message`].
    async fn claim_job(
        &self,
        account: &AccountId,
        job: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> Result<ClaimOutcome, StoreError>;
    /// Mark the job done with a short outcome for operators; only the lease owner may.
    async fn complete_job(&self, account: &AccountId, job: &str, owner: &str, outcome: &str) -> Result<(), StoreError>;
    async fn release_job(&self, account: &AccountId, job: &str, owner: &str, error: &str) -> Result<(), StoreError>;

    async fn put_sent(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        record: &SentRecord,
    ) -> Result<(), StoreError>;
    async fn get_sent(&self, account: &AccountId, provider_message_id: &str) -> Result<Option<SentRecord>, StoreError>;
    /// The comment a provider message id stands for: a customer's message already commented
    /// (its message item), else a message the bridge sent (its sent record); None when neither
    /// is known (too old, or never through the bridge). The default reads the sent record only,
    /// for wrappers; both adapters answer from both items.
    async fn message_reference(
        &self,
        account: &AccountId,
        provider_message_id: &str,
    ) -> Result<Option<MessageReference>, StoreError> {
        Ok(self.get_sent(account, provider_message_id).await?.map(|r| MessageReference {
            task_id: r.task_id,
            comment_id: r.comment_id,
            excerpt: r.excerpt,
            by: RefAuthor::Business,
        }))
    }
    /// The note of the reaction keyed `key` (the writer and the message reacted to), if one was
    /// recorded in the last 30 days (as long as sent records are kept).
    async fn reaction_note(&self, account: &AccountId, key: &str) -> Result<Option<ReactionNote>, StoreError>;
    async fn put_reaction_note(&self, account: &AccountId, key: &str, note: &ReactionNote) -> Result<(), StoreError>;
    /// Move the delivery status forward (`rank` orders sent < delivered < read < failed); never
    /// downgrades, since statuses arrive out of order. True when this call changed it.
    async fn advance_delivery_status(
        &self,
        account: &AccountId,
        provider_message_id: &str,
        status: &str,
        rank: u8,
    ) -> Result<bool, StoreError>;

    /// A shared pacing clock (e.g. Planfix's 1 request/s per account, across every instance):
    /// reserves the next free slot of `interval_ms` under `key` and returns when it starts
    /// (Unix milliseconds; `now_ms` if free now). One conditional write decides each slot.
    async fn reserve_slot(
        &self,
        account: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
    ) -> Result<i64, StoreError>;

    /// The same clock, for callers that may not wait long: when its next free slot starts
    /// within `max_wait_ms` of `now_ms`, reserves `count` consecutive slots from there (one
    /// write when the clock is idle) and returns the first; otherwise reserves nothing and says
    /// when the clock frees up. Several slots at once spare a write per call to a caller that
    /// keeps the account busy.
    async fn reserve_slots(
        &self,
        account: &AccountId,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        count: u32,
        max_wait_ms: i64,
    ) -> Result<SlotGrant, StoreError>;

    async fn get_settings(&self, account: &AccountId) -> Result<Option<Settings>, StoreError>;
    async fn put_settings(&self, account: &AccountId, settings: &Settings) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpts_cut_at_a_word_boundary() {
        assert_eq!(excerpt("  short\n text "), Some("short text".into()));
        assert_eq!(excerpt(" \n"), None);
        let long = "Hello there, I would like to order three boxes of the green tea you showed me";
        assert_eq!(excerpt(long), Some("Hello there, I would like to order three boxes of the green…".into()));
        let word = "x".repeat(70);
        assert_eq!(excerpt(&word), Some(format!("{}…", "x".repeat(60))));
        assert_eq!(excerpt(&"я".repeat(60)), Some("я".repeat(60)), "characters, not bytes");
    }
}
