//! Planfix REST API client (spec: Planfix OpenAPI 1.3.3; notes: ../shared/reference/planfix/NOTES.md).
//!
//! Endpoints used, relative to the account's base URL (`https://<account>.planfix.com/rest`):
//! `POST /contact/list`, `POST /contact/`, `POST /task/`, `GET /task/{id}`, `POST /task/{id}`,
//! `GET /process/task/{id}/statuses`, `POST /task/{id}/comments/`, `POST /task/{id}/comments/list`.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::{PlanfixConfig, Secret};
use crate::ports::planfix::*;

/// Largest page Planfix serves; list responses have no total, so a short page ends the listing.
const PAGE_SIZE: usize = 100;
/// Bound for scanning a task's comments for a `sourceObjectId` (only done on retries).
const MAX_COMMENT_PAGES: usize = 20;

pub struct PlanfixRest {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
}

impl PlanfixRest {
    /// `http` is shared by all accounts so connections and TLS sessions are reused across them.
    pub fn new(http: reqwest::Client, cfg: &PlanfixConfig) -> Self {
        Self { http, base_url: cfg.base_url.trim_end_matches('/').to_owned(), token: cfg.token.clone() }
    }

    /// A client with the timeouts the bridge wants for Planfix: bounded, so a hung Planfix turns
    /// into a retryable error well inside the Lambda timeout.
    pub fn default_http_client() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default()
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<(StatusCode, Option<T>), PlanfixError> {
        let url = format!("{}{}", self.base_url, path);
        let mut req = self.http.request(method.clone(), &url).bearer_auth(self.token.expose()).query(query);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
        let status = resp.status();
        if let Some(left) = resp.headers().get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()) {
            tracing::debug!(remaining = left, "planfix daily budget");
        }
        let bytes = resp.bytes().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
        tracing::debug!(%method, path, status = status.as_u16(), "planfix call");
        if status.is_success() {
            if bytes.is_empty() || status == StatusCode::ACCEPTED {
                return Ok((status, None));
            }
            let parsed = serde_json::from_slice(&bytes)
                .map_err(|e| PlanfixError::Decode(format!("{method} {path}: {e}")))?;
            return Ok((status, Some(parsed)));
        }
        let envelope: Option<FailEnvelope> = serde_json::from_slice(&bytes).ok();
        Err(PlanfixError::Api {
            http: status.as_u16(),
            code: envelope.as_ref().and_then(|e| e.code),
            message: envelope.and_then(|e| e.error).unwrap_or_else(|| format!("{method} {path} failed")),
        })
    }

    async fn call_required<T: DeserializeOwned>(&self, method: Method, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Result<T, PlanfixError> {
        match self.call(method.clone(), path, query, body).await? {
            (_, Some(v)) => Ok(v),
            (status, None) => Err(PlanfixError::Decode(format!("{method} {path}: empty body with HTTP {status}"))),
        }
    }
}

/// reqwest errors embed the URL; keep the message but not the query string (it may hold a token).
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

#[derive(Deserialize)]
struct FailEnvelope {
    code: Option<i64>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Created {
    id: i64,
}

#[derive(Deserialize)]
struct ContactList {
    #[serde(default)]
    contacts: Vec<ContactItem>,
}

#[derive(Deserialize)]
struct ContactItem {
    id: i64,
    #[serde(default)]
    phones: Vec<PhoneItem>,
}

#[derive(Deserialize)]
struct PhoneItem {
    #[serde(default)]
    number: String,
}

#[derive(Deserialize)]
struct TaskEnvelope {
    task: TaskItem,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskItem {
    id: i64,
    #[serde(default)]
    status: Option<StatusItem>,
    #[serde(default)]
    process_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusItem {
    id: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_active: Option<bool>,
}

#[derive(Deserialize)]
struct StatusList {
    #[serde(default)]
    statuses: Vec<StatusItem>,
}

#[derive(Deserialize)]
struct CommentList {
    #[serde(default)]
    comments: Vec<CommentItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentItem {
    id: i64,
    #[serde(default)]
    source_object_id: Option<String>,
}

#[derive(Deserialize)]
struct CommentEnvelope {
    comment: FullComment,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullComment {
    id: i64,
    #[serde(default)]
    task: Option<IdRef>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    owner: Option<PersonRef>,
    #[serde(default)]
    recipients: Option<Recipients>,
    #[serde(default)]
    from_type: Option<String>,
    #[serde(default)]
    is_deleted: Option<bool>,
    #[serde(default)]
    is_hidden: Option<bool>,
    #[serde(default)]
    files: Vec<IdRef>,
}

#[derive(Deserialize)]
struct IdRef {
    id: i64,
}

/// People come back with prefixed string ids (`user:5`); tolerate bare numbers too.
#[derive(Deserialize)]
struct PersonRef {
    id: Value,
}

impl PersonRef {
    fn id_string(&self) -> String {
        match &self.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct Recipients {
    #[serde(default)]
    users: Vec<PersonRef>,
}

/// `POST /task/{id}` answers 200 with `failures` (array per schema, single object in the
/// example) when it accepted the request but did not change a field.
#[derive(Deserialize)]
struct UpdateResult {
    #[serde(default)]
    failures: Option<Value>,
}

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
            found.extend(list.contacts.into_iter().map(|c| PlanfixContact {
                id: c.id,
                phones: c.phones.into_iter().map(|p| p.number).collect(),
            }));
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
            Some(f) => Err(PlanfixError::Api { http: 200, code: None, message: format!("status change refused: {f}") }),
            None => Ok(()),
        }
    }

    async fn add_comment(&self, task_id: i64, c: &NewComment) -> Result<i64, PlanfixError> {
        let path = format!("/task/{task_id}/comments/");
        let body = json!({
            "description": c.description_html,
            "owner": { "id": format!("contact:{}", c.owner_contact_id) },
            "sourceObjectId": c.source_object_id,
            // Notify the task's employees; never the contact (that would echo back to WhatsApp).
            "recipients": { "roles": ["assignee"] },
        });
        let created: Created = self.call_required(Method::POST, &path, &[], Some(body)).await?;
        Ok(created.id)
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
                    recipient_users: c.recipients.map(|r| r.users.iter().map(PersonRef::id_string).collect()).unwrap_or_default(),
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
}
