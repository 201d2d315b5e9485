//! What the bridge needs from Planfix, in its own words. The REST adapter maps these to
//! documented endpoints; see `adapters::planfix_rest` for the exact calls.

use async_trait::async_trait;

use crate::retry::Retry;

#[derive(Debug, thiserror::Error)]
pub enum PlanfixError {
    #[error("Planfix unreachable: {0}")]
    Transport(String),
    /// `retry`: the adapter's reading of Planfix's answer (HTTP status and error code).
    #[error("Planfix answered HTTP {http} (code {code:?}): {message}")]
    Api { http: u16, code: Option<i64>, message: String, retry: Retry },
    #[error("unexpected Planfix response: {0}")]
    Decode(String),
    /// The account's pacing slot is further off than a worker may wait for it (billed time):
    /// nothing was sent; the work goes back to its queue until about then.
    #[error("Planfix's request rate for this account is used up for the next {wait:?}")]
    Paced { wait: std::time::Duration },
}

impl PlanfixError {
    pub fn retry(&self) -> Retry {
        match self {
            PlanfixError::Transport(_) => Retry::SOON,
            PlanfixError::Api { retry, .. } => *retry,
            PlanfixError::Decode(_) => Retry::Never,
            PlanfixError::Paced { wait } => Retry::Later { not_before: Some(*wait) },
        }
    }

    /// Only waiting for the pacing slot: no try was spent.
    pub fn is_paced(&self) -> bool {
        matches!(self, PlanfixError::Paced { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanfixContact {
    pub id: i64,
    pub phones: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewContact {
    pub name: String,
    pub phone_e164: String,
    pub template_id: Option<i64>,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask {
    pub name: String,
    pub description_html: String,
    pub assigner_contact_id: i64,
    pub assignee_user_ids: Vec<i64>,
    pub template_id: Option<i64>,
    /// Idempotency key, found again by [`PlanfixApi::find_task_by_source`] after a lost answer.
    pub source_object_id: String,
}

/// Whom a comment the bridge writes is shown as written by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentOwner {
    /// The customer's own messages: the conversation's contact.
    Contact(i64),
    /// What the company wrote from its WhatsApp phone, mapped to an employee by the account's
    /// settings (`phone_author_user_id`).
    User(i64),
    /// The bridge's own Planfix user (the API token's robot employee).
    Bridge,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewComment {
    pub description_html: String,
    pub owner: CommentOwner,
    /// Stable id derived from the provider message id: lets a retry find a comment that was
    /// created before a crash instead of creating a second one.
    pub source_object_id: String,
    /// The provider's id of the WhatsApp message this comment shows, kept with the comment
    /// (`sourceDataVersion`): an employee's reply quoting the comment is sent as a WhatsApp reply
    /// to that message ([`PlanfixApi::recent_comments`]).
    pub source_message_id: Option<String>,
}

/// A comment of a task's recent history, as listed for finding the one a reply quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentSummary {
    pub id: i64,
    pub description_html: String,
    /// [`NewComment::source_message_id`] of the bridge's comments; None for all others.
    pub source_message_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: i64,
    pub status_id: Option<i64>,
    pub process_id: Option<i64>,
    /// Filled only when Planfix reports it; otherwise the process's status list decides.
    pub status_is_active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskStatusInfo {
    pub id: i64,
    pub name: String,
    pub is_active: bool,
}

/// A comment as read back from Planfix (ids keep Planfix's prefixes: `user:5`, `contact:7`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentInfo {
    pub id: i64,
    pub task_id: Option<i64>,
    pub description_html: String,
    pub owner: Option<String>,
    /// Notified users (`recipients.users[].id`).
    pub recipient_users: Vec<String>,
    pub from_type: Option<String>,
    pub is_deleted: bool,
    pub is_hidden: bool,
    pub file_ids: Vec<i64>,
}

#[async_trait]
pub trait PlanfixApi: Send + Sync {
    /// Contacts whose phone *contains* `fragment` (Planfix's filter semantics); callers confirm.
    async fn search_contacts_by_phone(&self, fragment: &str) -> Result<Vec<PlanfixContact>, PlanfixError>;
    async fn create_contact(&self, contact: &NewContact) -> Result<i64, PlanfixError>;
    async fn create_task(&self, task: &NewTask) -> Result<i64, PlanfixError>;
    /// `Ok(None)` when the task does not exist (deleted or purged).
    async fn get_task(&self, task_id: i64) -> Result<Option<TaskInfo>, PlanfixError>;
    async fn process_statuses(&self, process_id: i64) -> Result<Vec<TaskStatusInfo>, PlanfixError>;
    async fn set_task_status(&self, task_id: i64, status_id: i64) -> Result<(), PlanfixError>;
    async fn add_comment(&self, task_id: i64, comment: &NewComment) -> Result<i64, PlanfixError>;
    /// Replaces a comment's text (owner, recipients and files stay); `Ok(false)` when the
    /// comment no longer exists.
    async fn edit_comment(&self, task_id: i64, comment_id: i64, html: &str) -> Result<bool, PlanfixError>;
    /// `Ok(None)` when the comment does not exist.
    async fn get_comment(&self, comment_id: i64) -> Result<Option<CommentInfo>, PlanfixError>;
    /// A comment by the token's user that does not notify the contact; `notify` lists the
    /// Planfix users (`user:5`) to tell.
    async fn add_internal_comment(&self, task_id: i64, html: &str, notify: &[String]) -> Result<i64, PlanfixError>;
    /// The id of a comment on the task carrying this `sourceObjectId`, if any.
    async fn find_comment_by_source(&self, task_id: i64, source_object_id: &str) -> Result<Option<i64>, PlanfixError>;
    /// A task of this contact (as assigner) created with `source_object_id`, if any.
    async fn find_task_by_source(&self, contact_id: i64, source_object_id: &str) -> Result<Option<i64>, PlanfixError>;
    /// The task's latest `limit` (at most 100) comments that are not deleted, newest first: one request.
    async fn recent_comments(&self, task_id: i64, limit: usize) -> Result<Vec<CommentSummary>, PlanfixError>;
}

/// Paces calls to one Planfix account (its REST API allows 1 request per second).
#[async_trait]
pub trait Throttle: Send + Sync {
    /// Returns when this caller may send its next request.
    async fn wait_turn(&self) -> Result<(), PlanfixError>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub id: i64,
    pub name: String,
    pub size: u64,
}

/// Planfix's file endpoints (`POST /file/`, `GET /file/{id}`, `GET /file/{id}/download`) and
/// attaching files to an existing comment.
#[async_trait]
pub trait PlanfixFiles: Send + Sync {
    /// Streams a multipart upload (part `file`, with `filename`); returns the new file id.
    async fn upload_file(
        &self,
        filename: &str,
        mime_type: &str,
        size: u64,
        body: crate::ports::ByteStream,
    ) -> Result<i64, PlanfixError>;
    async fn file_info(&self, file_id: i64) -> Result<Option<FileInfo>, PlanfixError>;
    /// Follows the 302 of `/file/{id}/download` (without forwarding the bearer token) and
    /// streams the bytes; the content type if the server sent one.
    async fn download_file(&self, file_id: i64) -> Result<(Option<String>, crate::ports::ByteStream), PlanfixError>;
    /// Replaces a comment's text and attaches files (`POST /task/{id}/comments/{commentId}`).
    async fn update_comment(
        &self,
        task_id: i64,
        comment_id: i64,
        html: &str,
        file_ids: &[i64],
    ) -> Result<(), PlanfixError>;
}
