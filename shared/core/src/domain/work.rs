//! Work handed from the webhooks (which only verify and record) to the worker (which talks to
//! Planfix and the provider). Small on purpose: the content lives in the store.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{AccountId, Phone, StatusUpdate};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    /// A conversation has recorded messages waiting: the worker drains its inbox in the
    /// customer's send order. `message_id` only makes each poke distinct (dedupe id).
    Conversation { account: AccountId, phone: Phone, message_id: String },
    /// A Planfix comment was added (scenario webhook): send it if it notifies the contact.
    Reply { account: AccountId, task_id: Option<i64>, comment_id: i64 },
    /// A delivery status for a message the bridge sent.
    Status { account: AccountId, status: StatusUpdate },
    /// A Planfix task's status changed (scenario webhook): read it back and mark the
    /// conversation's link closed or open. `phone`: the task's conversation when the webhook
    /// knew it (the work then goes in that conversation's group, in order with its messages).
    /// `event_id` makes each call distinct: two changes of one task within the queue's dedupe
    /// window are both applied (a Planfix retry of one call is harmless, the state is re-read).
    TaskStatus {
        account: AccountId,
        task_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<Phone>,
        event_id: String,
    },
    /// One webhook item the provider's parser refused, as a body holding only that item: kept as a
    /// dead letter by intake (its siblings were stored), replayed through the parser once fixed.
    /// Never queued by intake itself.
    WebhookItem {
        account: AccountId,
        /// The item came to the status route ([`crate::ports::WebhookRoute::Status`]).
        #[serde(default)]
        status_route: bool,
        body: String,
    },
}

impl Work {
    /// A status-change notice of `task_id` (`phone`: its conversation, when known), distinct
    /// from every other notice.
    pub fn task_status(account: AccountId, task_id: i64, phone: Option<Phone>) -> Self {
        Work::TaskStatus { account, task_id, phone, event_id: uuid::Uuid::new_v4().to_string() }
    }

    pub fn account(&self) -> &AccountId {
        match self {
            Work::Conversation { account, .. }
            | Work::Reply { account, .. }
            | Work::Status { account, .. }
            | Work::TaskStatus { account, .. }
            | Work::WebhookItem { account, .. } => account,
        }
    }

    /// What must happen in order: one customer's messages; one task's replies. Different
    /// groups proceed in parallel (an SQS FIFO message group).
    pub fn group(&self) -> String {
        match self {
            Work::Conversation { account, phone, .. } => format!("{account}#{}", phone.digits()),
            Work::Status { account, status } => match &status.recipient {
                Some(phone) => format!("{account}#{}", phone.digits()),
                None => format!("{account}#status"),
            },
            Work::Reply { account, task_id, comment_id } => match task_id {
                Some(t) => format!("{account}#task#{t}"),
                None => format!("{account}#comment#{comment_id}"),
            },
            Work::TaskStatus { account, phone: Some(phone), .. } => format!("{account}#{}", phone.digits()),
            // Not (yet) known as a conversation's task: in order with the task's replies.
            Work::TaskStatus { account, task_id, phone: None, .. } => format!("{account}#task#{task_id}"),
            // Its messages are recorded into their inboxes, which keep the order.
            Work::WebhookItem { account, .. } => format!("{account}#webhook"),
        }
    }

    /// Identity of this piece of work: the same webhook delivered twice yields the same key.
    pub fn key(&self) -> String {
        match self {
            Work::Conversation { account, message_id, .. } => format!("{account}#msg#{message_id}"),
            Work::Reply { account, comment_id, .. } => format!("{account}#reply#{comment_id}"),
            Work::Status { account, status } => {
                format!("{account}#status#{}#{}", status.message_id, status.status.as_str())
            }
            Work::TaskStatus { account, task_id, event_id, .. } => {
                format!("{account}#task-status#{task_id}#{event_id}")
            }
            // The same refused item redelivered is the same letter.
            Work::WebhookItem { account, body, .. } => {
                format!("{account}#webhook#{}", &hex::encode(Sha256::digest(body.as_bytes()))[..32])
            }
        }
    }

    /// [`Self::key`] as SQS accepts a deduplication id (≤ 128 chars of a limited alphabet).
    pub fn dedupe_id(&self) -> String {
        hex::encode(Sha256::digest(self.key().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_one_conversation_together_and_apart_from_others() {
        let acct = AccountId::parse("acme").unwrap();
        let a = Work::Conversation {
            account: acct.clone(),
            phone: Phone::parse("+79051234567").unwrap(),
            message_id: "m1".into(),
        };
        let b = Work::Conversation {
            account: acct.clone(),
            phone: Phone::parse("79051234567").unwrap(),
            message_id: "m2".into(),
        };
        let c =
            Work::Conversation { account: acct, phone: Phone::parse("+79051234568").unwrap(), message_id: "m1".into() };
        assert_eq!(a.group(), b.group());
        assert_ne!(a.group(), c.group());
        assert_ne!(a.dedupe_id(), b.dedupe_id());
        assert_eq!(a.dedupe_id().len(), 64);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Work>(&json).unwrap(), a);
    }

    #[test]
    fn task_status_goes_with_its_conversation_when_known() {
        let acct = AccountId::parse("acme").unwrap();
        let phone = Phone::parse("+79051234567").unwrap();
        let poke = Work::Conversation { account: acct.clone(), phone: phone.clone(), message_id: "m1".into() };
        let known = Work::TaskStatus { account: acct.clone(), task_id: 7, phone: Some(phone), event_id: "e1".into() };
        let unknown = Work::TaskStatus { account: acct.clone(), task_id: 7, phone: None, event_id: "e2".into() };
        let reply = Work::Reply { account: acct, task_id: Some(7), comment_id: 1 };
        assert_eq!(known.group(), poke.group());
        assert_eq!(unknown.group(), reply.group());
        assert_ne!(known.dedupe_id(), unknown.dedupe_id(), "each call is its own work");
        for w in [known, unknown] {
            let json = serde_json::to_string(&w).unwrap();
            assert_eq!(serde_json::from_str::<Work>(&json).unwrap(), w);
        }
    }
}
