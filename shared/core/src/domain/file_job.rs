use serde::{Deserialize, Serialize};

use super::{AccountId, MediaRef, Phone};

/// One file transfer, done by the file-relay function so the webhooks stay fast. Jobs travel
/// through a queue as JSON and carry everything the relay needs; the relay reads nothing from
/// the webhook again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum FileJob {
    /// WhatsApp → Planfix: a media message whose comment already exists (with the caption);
    /// the relay attaches the file to it.
    Inbound {
        account: AccountId,
        phone: Phone,
        message_id: String,
        task_id: i64,
        comment_id: i64,
        /// The comment's text as the bridge wrote it, minus the transfer note.
        caption_html: String,
        #[serde(alias = "media_id")]
        media: MediaRef,
        /// image | video | audio | voice | document | sticker
        media_kind: String,
        mime_type: Option<String>,
        filename: Option<String>,
    },
    /// Planfix → WhatsApp: one file of a comment that notifies the contact.
    Outbound {
        account: AccountId,
        phone: Phone,
        task_id: i64,
        comment_id: i64,
        file_id: i64,
        /// The comment's author (`user:5`), told if the file cannot be delivered.
        author: Option<String>,
    },
}

impl FileJob {
    pub fn account(&self) -> &AccountId {
        match self {
            FileJob::Inbound { account, .. } | FileJob::Outbound { account, .. } => account,
        }
    }

    /// The exactly-once key of the job in the store.
    pub fn job_key(&self) -> String {
        match self {
            FileJob::Inbound { message_id, .. } => format!("FILE_IN#{message_id}"),
            FileJob::Outbound { comment_id, file_id, .. } => format!("FILE_OUT#{comment_id}#{file_id}"),
        }
    }
}
