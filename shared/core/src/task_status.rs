//! The Planfix scenario "task status changed" (`POST /planfix/{account}/task-status`): the
//! worker reads the task back and records on its conversation's link whether it is closed, so
//! with the account setting `task_status_webhook` a message costs one Planfix call (its
//! comment) instead of two (status, then comment).
//!
//! The webhook's body is not trusted for the state: it only names the task. Only a task that is
//! a conversation's current one changes anything; an older task of the conversation, or a task
//! that is no conversation's, is left alone (no Planfix call is made for it either).

use crate::conversation::{Conversations, TaskState};
use crate::error::ProcessError;
use crate::{AccountRuntime, Bridge};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatusOutcome {
    /// The link of the task's conversation now says `closed` (completed, cancelled or deleted).
    Recorded { closed: bool },
    /// The task belongs to a conversation that moved on to another task since.
    NotCurrent,
    /// The bridge did not create this task: not a WhatsApp conversation.
    NotAConversation,
}

/// Applies one status-change notice for `task_id`: at most one Planfix read (two the first
/// time a process's status list is needed) and one conditional store write.
pub async fn apply(app: &Bridge, acct: &AccountRuntime, task_id: i64) -> Result<TaskStatusOutcome, ProcessError> {
    let store = app.store.as_ref();
    let Some(conv) = store.get_task_conversation(&acct.id, task_id).await? else {
        tracing::info!(account = %acct.id, task = task_id, "status change of a task that is no conversation's; ignored");
        return Ok(TaskStatusOutcome::NotAConversation);
    };
    let current = store.get_link(&acct.id, &conv.phone).await?.and_then(|r| r.link);
    if current.as_ref().is_none_or(|link| link.task_id != task_id) {
        tracing::info!(account = %acct.id, task = task_id, "status change of a conversation's earlier task; ignored");
        return Ok(TaskStatusOutcome::NotCurrent);
    }
    let conversations =
        Conversations { store, statuses: &app.inbound.statuses, timing: &app.inbound.timing, retry: false };
    let closed = match conversations.read_task_state(acct, task_id).await? {
        TaskState::Active => false,
        TaskState::Closed | TaskState::Missing => true,
    };
    // Conditional on the link still pointing at the task: a rotation meanwhile wins.
    if !store.set_task_closed(&acct.id, &conv.phone, task_id, closed).await? {
        tracing::info!(account = %acct.id, task = task_id, "conversation moved to another task meanwhile; ignored");
        return Ok(TaskStatusOutcome::NotCurrent);
    }
    tracing::info!(account = %acct.id, task = task_id, closed, "task status recorded on its conversation");
    Ok(TaskStatusOutcome::Recorded { closed })
}
