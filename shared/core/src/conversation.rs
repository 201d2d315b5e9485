//! Phone → contact → current task, kept consistent under concurrency.
//!
//! A conversation is created or moved to a new task only under the link lease (one conditional
//! write in the store), so a burst of first messages yields one contact and one task; the other
//! workers wait for the lease holder and then comment on the task it created.

use tokio::time::{sleep, Instant};

use super::html::text_to_html;
use super::lease::{with_lease, LeaseTiming, Leased, LinkLease};
use super::status_cache::StatusCache;
use super::AccountRuntime;
use crate::config::Settings;
use crate::domain::{unix_now, InboundMessage, Phone};
use crate::error::ProcessError;
use crate::ports::store::TaskConversation;
use crate::ports::{ConversationLink, LinkRecord, NewContact, NewTask, PlanfixApi, PlanfixError, Store, TaskInfo};

pub struct Conversations<'a> {
    pub store: &'a dyn Store,
    pub statuses: &'a StatusCache,
    pub timing: &'a LeaseTiming,
    /// An earlier attempt at this message failed: a task it created may exist although its
    /// answer was lost, so look for it before creating one.
    pub retry: bool,
}

pub(crate) enum TaskState {
    Active,
    Closed,
    Missing,
}

impl Conversations<'_> {
    /// The link whose task should receive this message, creating, reopening or replacing the
    /// task as the account's settings say.
    /// `verified_task`: a task the caller saw active moments ago (its status is not re-read).
    /// `known`: the link record as the caller just read it (None: read it here).
    pub async fn resolve(
        &self,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        settings: &Settings,
        verified_task: Option<i64>,
        known: Option<LinkRecord>,
    ) -> Result<ConversationLink, ProcessError> {
        let deadline = Instant::now() + self.timing.wait;
        // The drain read the link when it took its lease: start from that, re-read after.
        let mut known = known;
        loop {
            let now = unix_now();
            let record = match known.take() {
                Some(record) => Some(record),
                None => self.store.get_link(&acct.id, &msg.from).await?,
            };
            let leased = record.as_ref().and_then(|r| r.lease_until).is_some_and(|u| u >= now);
            let link = record.and_then(|r| r.link);
            if !leased {
                match link {
                    None => {
                        if let Some(created) = self.try_create(acct, msg, settings).await? {
                            return Ok(created);
                        }
                    }
                    Some(link) if verified_task == Some(link.task_id) => return Ok(link),
                    Some(link) => match self.task_state(acct, &link, settings).await? {
                        TaskState::Active => return Ok(link),
                        // A task that vanished meanwhile (or that the flag called closed but
                        // was deleted) cannot be reopened: a new one follows.
                        TaskState::Closed
                            if settings.single_task && self.reopen(acct, link.task_id, settings).await? =>
                        {
                            if link.task_closed {
                                self.store.set_task_closed(&acct.id, &msg.from, link.task_id, false).await?;
                            }
                            return Ok(ConversationLink { task_closed: false, ..link });
                        }
                        TaskState::Closed | TaskState::Missing => {
                            if let Some(rotated) = self.try_rotate(acct, msg, settings, &link).await? {
                                return Ok(rotated);
                            }
                        }
                    },
                }
            }
            if Instant::now() >= deadline {
                return Err(ProcessError::Busy("another worker is still setting up this conversation"));
            }
            sleep(self.timing.poll).await;
        }
    }

    async fn try_create(
        &self,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        settings: &Settings,
    ) -> Result<Option<ConversationLink>, ProcessError> {
        let lease = LinkLease { phone: &msg.from, expected_task: None };
        self.under_link_lease(acct, &lease, || async {
            let contact_id = find_or_create_contact(acct.planfix.as_ref(), msg, settings).await?;
            let task_id = self.task_once(acct, msg, contact_id, settings, 1).await?;
            self.remember_task(acct, task_id, &msg.from, contact_id).await?;
            Ok(ConversationLink { contact_id, task_id, task_count: 1, updated_at: unix_now(), task_closed: false })
        })
        .await
    }

    async fn try_rotate(
        &self,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        settings: &Settings,
        old: &ConversationLink,
    ) -> Result<Option<ConversationLink>, ProcessError> {
        let lease = LinkLease { phone: &msg.from, expected_task: Some(old.task_id) };
        let count = old.task_count + 1;
        let rotated = self
            .under_link_lease(acct, &lease, || async {
                let task_id = self.task_once(acct, msg, old.contact_id, settings, count).await?;
                self.remember_task(acct, task_id, &msg.from, old.contact_id).await?;
                Ok(ConversationLink {
                    contact_id: old.contact_id,
                    task_id,
                    task_count: count,
                    updated_at: unix_now(),
                    task_closed: false,
                })
            })
            .await?;
        if let Some(link) = &rotated {
            tracing::info!(account = %acct.id, phone = %msg.from, old_task = old.task_id, new_task = link.task_id,
                "conversation moved to a new task");
        }
        Ok(rotated)
    }

    /// Runs `make` under the link lease and writes the link it makes; None when another worker
    /// holds the lease or the link moved on (the caller looks again). Never waits here: the
    /// caller's loop re-reads the link between tries.
    async fn under_link_lease<F, Fut>(
        &self,
        acct: &AccountRuntime,
        lease: &LinkLease<'_>,
        make: F,
    ) -> Result<Option<ConversationLink>, ProcessError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<ConversationLink, ProcessError>>,
    {
        let leased = with_lease(self.store, &acct.id, lease, &self.timing.no_wait(), |_| async {
            let link = make().await?;
            Ok::<_, ProcessError>((link.clone(), link))
        })
        .await
        .map_err(|f| f.error)?;
        Ok(match leased {
            Leased::Ran { value, .. } => Some(value),
            Leased::AlreadyDone | Leased::Busy => None,
        })
    }

    /// Task → conversation, so replies written in the task find the WhatsApp number.
    async fn remember_task(
        &self,
        acct: &AccountRuntime,
        task_id: i64,
        phone: &Phone,
        contact_id: i64,
    ) -> Result<(), ProcessError> {
        let conv = TaskConversation { phone: phone.clone(), contact_id };
        Ok(self.store.put_task_conversation(&acct.id, task_id, &conv).await?)
    }

    /// With `task_status_webhook` the link's flag says (the scenario keeps it current; no
    /// Planfix call), otherwise Planfix is asked.
    async fn task_state(
        &self,
        acct: &AccountRuntime,
        link: &ConversationLink,
        settings: &Settings,
    ) -> Result<TaskState, ProcessError> {
        if settings.task_status_webhook {
            return Ok(if link.task_closed { TaskState::Closed } else { TaskState::Active });
        }
        self.read_task_state(acct, link.task_id).await
    }

    /// The task's state as Planfix has it now (1 call; 2 the first time a process's statuses
    /// are needed).
    pub(crate) async fn read_task_state(&self, acct: &AccountRuntime, task_id: i64) -> Result<TaskState, ProcessError> {
        let Some(task) = acct.planfix.get_task(task_id).await? else { return Ok(TaskState::Missing) };
        Ok(if self.is_active(acct, &task).await? { TaskState::Active } else { TaskState::Closed })
    }

    /// After a failed delivery: with `task_status_webhook` the link's task was taken as active
    /// without asking Planfix, so a "task does not exist" answer (HTTP 404, code 1000) means it
    /// was deleted. Marks the link closed; true when the caller should deliver again (the
    /// message then opens a new task instead of being lost).
    pub async fn close_vanished_task(
        &self,
        acct: &AccountRuntime,
        phone: &Phone,
        settings: &Settings,
        error: &ProcessError,
    ) -> Result<bool, ProcessError> {
        let ProcessError::Planfix(e) = error else { return Ok(false) };
        if !settings.task_status_webhook || !task_missing(e) {
            return Ok(false);
        }
        let Some(link) = self.store.get_link(&acct.id, phone).await?.and_then(|r| r.link) else { return Ok(false) };
        if link.task_closed {
            return Ok(false);
        }
        let marked = self.store.set_task_closed(&acct.id, phone, link.task_id, true).await?;
        if marked {
            tracing::info!(account = %acct.id, phone = %phone, task = link.task_id,
                "the conversation's task no longer exists in Planfix; the message goes to a new task");
        }
        Ok(marked)
    }

    /// Open vs closed is the status's `isActive`; when the task read omits it, the process's
    /// status list (cached) decides. Unknown statuses count as active: never spawn tasks on doubt.
    async fn is_active(&self, acct: &AccountRuntime, task: &TaskInfo) -> Result<bool, ProcessError> {
        if let Some(active) = task.status_is_active {
            return Ok(active);
        }
        let (Some(status_id), Some(process_id)) = (task.status_id, task.process_id) else {
            tracing::warn!(task = task.id, "task has no status/process in Planfix's answer; treating it as active");
            return Ok(true);
        };
        let statuses = self.statuses.statuses(&acct.id, acct.planfix.as_ref(), process_id).await?;
        Ok(statuses.iter().find(|s| s.id == status_id).is_none_or(|s| s.is_active))
    }

    /// False when the task no longer exists (nothing to reopen: the caller opens a new one).
    async fn reopen(&self, acct: &AccountRuntime, task_id: i64, settings: &Settings) -> Result<bool, ProcessError> {
        let status_id = match settings.reopen_status_id {
            Some(id) => id,
            None => {
                let Some(task) = acct.planfix.get_task(task_id).await? else {
                    tracing::info!(account = %acct.id, task = task_id, "task to reopen no longer exists");
                    return Ok(false);
                };
                let process_id =
                    task.process_id.ok_or(ProcessError::Config("task has no process; set reopen_status_id".into()))?;
                let statuses = self.statuses.statuses(&acct.id, acct.planfix.as_ref(), process_id).await?;
                statuses
                    .iter()
                    .find(|s| s.is_active)
                    .map(|s| s.id)
                    .ok_or(ProcessError::Config(format!("process {process_id} has no active status to reopen with")))?
            }
        };
        match acct.planfix.set_task_status(task_id, status_id).await {
            Ok(()) => {}
            Err(e) if task_missing(&e) => {
                tracing::info!(account = %acct.id, task = task_id, "task to reopen no longer exists");
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(account = %acct.id, task = task_id, status = status_id, "reopened completed task (single_task)");
        Ok(true)
    }
}

/// Planfix's "task does not exist" (NOTES §5.4: HTTP 404, code 1000).
fn task_missing(e: &PlanfixError) -> bool {
    matches!(e, PlanfixError::Api { http: 404, .. } | PlanfixError::Api { code: Some(1000), .. })
}

/// Reuse the contact whose phone really is this number (Planfix's filter matches substrings),
/// the lowest id if several; otherwise create one.
async fn find_or_create_contact(
    planfix: &dyn PlanfixApi,
    msg: &InboundMessage,
    settings: &Settings,
) -> Result<i64, ProcessError> {
    let phone = &msg.from;
    let hits = planfix.search_contacts_by_phone(phone.search_fragment()).await?;
    let mut matching: Vec<i64> =
        hits.iter().filter(|c| c.phones.iter().any(|p| phone.matches_stored(p))).map(|c| c.id).collect();
    matching.sort_unstable();
    if let Some(&id) = matching.first() {
        if matching.len() > 1 {
            tracing::warn!(phone = %phone, contacts = ?matching, "several Planfix contacts share this phone; using the lowest id");
        }
        return Ok(id);
    }
    let name = msg.profile_name.clone().unwrap_or_else(|| phone.e164());
    let id = planfix
        .create_contact(&NewContact {
            name,
            phone_e164: phone.e164(),
            template_id: settings.contact_template_id,
            description: "Created by the WhatsApp bridge from the first message of this number.".into(),
        })
        .await?;
    tracing::info!(phone = %phone, contact = id, "created Planfix contact");
    Ok(id)
}

impl Conversations<'_> {
    /// The conversation's `count`-th task. Its `sourceObjectId` is derived from the account,
    /// the number and `count`, so a retry finds the task an attempt created before losing
    /// Planfix's answer instead of creating a second one.
    async fn task_once(
        &self,
        acct: &AccountRuntime,
        msg: &InboundMessage,
        contact_id: i64,
        settings: &Settings,
        count: u32,
    ) -> Result<i64, ProcessError> {
        let source = uuid::Uuid::new_v5(
            &super::inbound::SOURCE_NAMESPACE,
            format!("{}/{}/task/{count}", acct.id, msg.from.digits()).as_bytes(),
        )
        .to_string();
        if self.retry {
            if let Some(id) = acct.planfix.find_task_by_source(contact_id, &source).await? {
                tracing::info!(
                    contact = contact_id,
                    task = id,
                    "task from an earlier attempt found; not creating another"
                );
                return Ok(id);
            }
        }
        new_task(acct.planfix.as_ref(), msg, contact_id, settings, count, source).await
    }
}

/// Creates the task in Planfix: named after the customer, with the contact as its assigner.
async fn new_task(
    planfix: &dyn PlanfixApi,
    msg: &InboundMessage,
    contact_id: i64,
    settings: &Settings,
    count: u32,
    source_object_id: String,
) -> Result<i64, ProcessError> {
    let who = match &msg.profile_name {
        Some(name) => format!("{name} ({})", msg.from.display()),
        None => msg.from.display(),
    };
    let description = if count > 1 {
        format!("WhatsApp conversation with {who}, continued after the previous task was completed.")
    } else {
        format!("WhatsApp conversation with {who}.")
    };
    let id = planfix
        .create_task(&NewTask {
            name: format!("WhatsApp: {who}"),
            description_html: text_to_html(&description),
            assigner_contact_id: contact_id,
            assignee_user_ids: settings.assignee_user_ids.clone(),
            template_id: settings.task_template_id,
            source_object_id,
        })
        .await?;
    tracing::info!(contact = contact_id, task = id, "created Planfix task");
    Ok(id)
}
