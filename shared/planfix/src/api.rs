//! [`PlanfixApi`]: contacts, tasks, statuses and comments.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};

use bridge_core::ports::planfix::*;
use bridge_core::retry::Retry;

use crate::client::PlanfixRest;
use crate::wire::*;

/// Largest page Planfix serves; list responses have no total, so a short page ends the listing.
const PAGE_SIZE: usize = 100;
/// Bound for scanning a task's comments for a `sourceObjectId` (only done on retries).
const MAX_COMMENT_PAGES: usize = 20;
/// `maxLength` of `sourceDataVersion` in `CommentCreateRequest`.
const SOURCE_DATA_VERSION_MAX: usize = 100;

#[async_trait]
impl PlanfixApi for PlanfixRest {
    async fn search_contacts_by_phone(&self, fragment: &str) -> Result<Vec<PlanfixContact>, PlanfixError> {
        let mut found = Vec::new();
        for page in 0.. {
            let body = json!({
                "offset": page * PAGE_SIZE,
                "pageSize": PAGE_SIZE,
                "fields": "id,name,lastname,phones",
                "filters": [ { "type": 4003, "operator": "equal", "value": fragment } ],
            });
            let list: ContactList = self.call_required(Method::POST, "/contact/list", &[], Some(body)).await?;
            let n = list.contacts.len();
            found.extend(
                list.contacts
                    .into_iter()
                    .map(|c| PlanfixContact { id: c.id, phones: c.phones.into_iter().map(|p| p.number).collect() }),
            );
            if n < PAGE_SIZE || page >= 9 {
                break;
            }
        }
        Ok(found)
    }

    async fn create_contact(&self, c: &NewContact) -> Result<i64, PlanfixError> {
        let mut body = json!({
            "name": c.name,
            "description": c.description,
            "phones": [ { "number": c.phone_e164, "type": 1 } ],
        });
        if let Some(t) = c.template_id {
            body["template"] = json!({ "id": t });
        }
        let created: Created = self.call_required(Method::POST, "/contact/", &[], Some(body)).await?;
        Ok(created.id)
    }

    async fn create_task(&self, t: &NewTask) -> Result<i64, PlanfixError> {
        let mut body = json!({
            "name": t.name,
            "description": t.description_html,
            "assigner": { "id": format!("contact:{}", t.assigner_contact_id) },
            "sourceObjectId": t.source_object_id,
        });
        if !t.assignee_user_ids.is_empty() {
            let users: Vec<Value> = t.assignee_user_ids.iter().map(|u| json!({ "id": format!("user:{u}") })).collect();
            body["assignees"] = json!({ "users": users });
        }
        if let Some(id) = t.template_id {
            body["template"] = json!({ "id": id });
        }
        let created: Created = self.call_required(Method::POST, "/task/", &[], Some(body)).await?;
        Ok(created.id)
    }

    async fn get_task(&self, task_id: i64) -> Result<Option<TaskInfo>, PlanfixError> {
        let path = format!("/task/{task_id}");
        match self.call_required::<TaskEnvelope>(Method::GET, &path, &[("fields", "id,status,processId")], None).await {
            Ok(env) => Ok(Some(TaskInfo {
                id: env.task.id,
                status_id: env.task.status.as_ref().map(|s| s.id),
                status_is_active: env.task.status.and_then(|s| s.is_active),
                process_id: env.task.process_id,
            })),
            Err(PlanfixError::Api { http: 404, .. }) | Err(PlanfixError::Api { code: Some(1000), .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn process_statuses(&self, process_id: i64) -> Result<Vec<TaskStatusInfo>, PlanfixError> {
        let path = format!("/process/task/{process_id}/statuses");
        let list: StatusList = self.call_required(Method::GET, &path, &[("fields", "id,name,isActive")], None).await?;
        Ok(list
            .statuses
            .into_iter()
            .map(|s| TaskStatusInfo { id: s.id, name: s.name, is_active: s.is_active.unwrap_or(false) })
            .collect())
    }

    async fn set_task_status(&self, task_id: i64, status_id: i64) -> Result<(), PlanfixError> {
        let path = format!("/task/{task_id}");
        let body = json!({ "status": { "id": status_id } });
        // 202 = queued behind a lock inside Planfix: accepted, not an error.
        let (_, result) = self.call::<UpdateResult>(Method::POST, &path, &[], Some(body)).await?;
        let failures = result.and_then(|r| r.failures).filter(|f| match f {
            Value::Array(a) => !a.is_empty(),
            Value::Null => false,
            _ => true,
        });
        match failures {
            Some(f) => Err(PlanfixError::Api {
                http: 200,
                code: None,
                message: format!("status change refused: {f}"),
                retry: Retry::Never,
            }),
            None => Ok(()),
        }
    }

    async fn add_comment(&self, task_id: i64, c: &NewComment) -> Result<i64, PlanfixError> {
        let path = format!("/task/{task_id}/comments/");
        let mut body = json!({
            "description": c.description_html,
            "sourceObjectId": c.source_object_id,
            // Notify the task's employees; never the contact (that would echo back to WhatsApp).
            "recipients": { "roles": ["assignee"] },
        });
        // `sourceDataVersion` is the spare free-text field of the source* family that ties a
        // Planfix object to the system it came from (string, at most 100 characters); provider
        // message ids fit (a Meta wamid is ~60). A longer id is left out: that comment can then
        // only be answered plainly, never with a wrong reference.
        if let Some(id) = c.source_message_id.as_deref().filter(|id| id.chars().count() <= SOURCE_DATA_VERSION_MAX) {
            body["sourceDataVersion"] = json!(id);
        }
        match c.owner {
            CommentOwner::Contact(id) => body["owner"] = json!({ "id": format!("contact:{id}") }),
            CommentOwner::User(id) => body["owner"] = json!({ "id": format!("user:{id}") }),
            // No owner: Planfix writes it as the token's own user.
            CommentOwner::Bridge => {}
        }
        let created: Created = self.call_required(Method::POST, &path, &[], Some(body)).await?;
        Ok(created.id)
    }

    async fn edit_comment(&self, task_id: i64, comment_id: i64, html: &str) -> Result<bool, PlanfixError> {
        let path = format!("/task/{task_id}/comments/{comment_id}");
        // `CommentUpdateRequest`: only the members sent change.
        let body = json!({ "description": html });
        match self.call::<Value>(Method::POST, &path, &[], Some(body)).await {
            Ok(_) => Ok(true),
            // 400 code 5000: "Comment not found by id …" (spec example); code 1000 or 404: the
            // task is gone — the caller then adds a comment, whose failure handles that case.
            Err(PlanfixError::Api { code: Some(5000 | 1000), .. }) | Err(PlanfixError::Api { http: 404, .. }) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn get_comment(&self, comment_id: i64) -> Result<Option<CommentInfo>, PlanfixError> {
        let path = format!("/comment/{comment_id}");
        let fields = "id,task,description,owner,recipients,fromType,isDeleted,isHidden,files";
        match self.call_required::<CommentEnvelope>(Method::GET, &path, &[("fields", fields)], None).await {
            Ok(env) => {
                let c = env.comment;
                Ok(Some(CommentInfo {
                    id: c.id,
                    task_id: c.task.map(|t| t.id),
                    description_html: c.description.unwrap_or_default(),
                    owner: c.owner.map(|o| o.id_string()),
                    recipient_users: c
                        .recipients
                        .map(|r| r.users.iter().map(PersonRef::id_string).collect())
                        .unwrap_or_default(),
                    from_type: c.from_type,
                    is_deleted: c.is_deleted.unwrap_or(false),
                    is_hidden: c.is_hidden.unwrap_or(false),
                    file_ids: c.files.into_iter().map(|f| f.id).collect(),
                }))
            }
            Err(PlanfixError::Api { http: 404, .. }) | Err(PlanfixError::Api { code: Some(5000), .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn add_internal_comment(&self, task_id: i64, html: &str, notify: &[String]) -> Result<i64, PlanfixError> {
        let path = format!("/task/{task_id}/comments/");
        let mut body = json!({ "description": html });
        if !notify.is_empty() {
            let users: Vec<Value> = notify.iter().map(|u| json!({ "id": u })).collect();
            body["recipients"] = json!({ "users": users });
        }
        let created: Created = self.call_required(Method::POST, &path, &[], Some(body)).await?;
        Ok(created.id)
    }

    async fn find_comment_by_source(&self, task_id: i64, source_object_id: &str) -> Result<Option<i64>, PlanfixError> {
        let path = format!("/task/{task_id}/comments/list");
        for page in 0..MAX_COMMENT_PAGES {
            let body = json!({
                "offset": page * PAGE_SIZE,
                "pageSize": PAGE_SIZE,
                "fields": "id,sourceObjectId",
                "typeList": "Comments",
            });
            let list: CommentList = self.call_required(Method::POST, &path, &[], Some(body)).await?;
            if let Some(c) = list.comments.iter().find(|c| c.source_object_id.as_deref() == Some(source_object_id)) {
                return Ok(Some(c.id));
            }
            if list.comments.len() < PAGE_SIZE {
                break;
            }
        }
        Ok(None)
    }

    async fn recent_comments(&self, task_id: i64, limit: usize) -> Result<Vec<CommentSummary>, PlanfixError> {
        let path = format!("/task/{task_id}/comments/list");
        let body = json!({
            "offset": 0,
            "pageSize": limit.clamp(1, PAGE_SIZE),
            "fields": "id,description,sourceDataVersion,isDeleted",
            "typeList": "Comments",
            // The schema misspells the member `filed`; its example and Planfix use `field`.
            "resultOrder": [ { "field": "id", "direction": "Desc" } ],
        });
        let list: CommentList = self.call_required(Method::POST, &path, &[], Some(body)).await?;
        Ok(list
            .comments
            .into_iter()
            .filter(|c| !c.is_deleted.unwrap_or(false))
            .map(|c| CommentSummary {
                id: c.id,
                description_html: c.description.unwrap_or_default(),
                source_message_id: c.source_data_version.filter(|v| !v.is_empty()),
            })
            .collect())
    }

    async fn find_task_by_source(&self, contact_id: i64, source_object_id: &str) -> Result<Option<i64>, PlanfixError> {
        // A contact's tasks are few; the bound only stops a runaway on a misbehaving server.
        for page in 0..MAX_COMMENT_PAGES {
            let body = json!({
                "offset": page * PAGE_SIZE,
                "pageSize": PAGE_SIZE,
                "fields": "id,sourceObjectId",
                "filters": [{ "type": 1, "operator": "equal", "value": format!("contact:{contact_id}") }],
            });
            let list: TaskList = self.call_required(Method::POST, "/task/list", &[], Some(body)).await?;
            if let Some(t) = list.tasks.iter().find(|t| t.source_object_id.as_deref() == Some(source_object_id)) {
                return Ok(Some(t.id));
            }
            if list.tasks.len() < PAGE_SIZE {
                break;
            }
        }
        Ok(None)
    }
}
