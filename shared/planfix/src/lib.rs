//! Planfix REST API client (spec: Planfix OpenAPI 1.3.3; notes: ../shared/reference/planfix/NOTES.md).
//!
//! Endpoints used, relative to the account's base URL (`https://<account>.planfix.com/rest`):
//! `POST /contact/list`, `POST /contact/`, `POST /task/`, `GET /task/{id}`, `POST /task/{id}`,
//! `GET /process/task/{id}/statuses`, `POST /task/{id}/comments/`, `POST /task/{id}/comments/list`,
//! `POST /task/{id}/comments/{commentId}`, `POST /file/`, `GET /file/{id}`, `GET /file/{id}/download`.

use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::multipart::{Form, Part};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use bridge_core::config::{PlanfixConfig, Secret};
use bridge_core::ports::planfix::*;
use bridge_core::ports::ByteStream;
use bridge_core::retry::Retry;

/// Largest page Planfix serves; list responses have no total, so a short page ends the listing.
const PAGE_SIZE: usize = 100;
/// Bound for scanning a task's comments for a `sourceObjectId` (only done on retries).
const MAX_COMMENT_PAGES: usize = 20;
/// Hops allowed after the download's 302 (a CDN may bounce to a bucket).
const MAX_STORAGE_REDIRECTS: usize = 3;
/// An upload may take this long plus one second per [`UPLOAD_BYTES_PER_SECOND`] bytes.
const UPLOAD_BASE_TIMEOUT: Duration = Duration::from_secs(60);
const UPLOAD_BYTES_PER_SECOND: u64 = 256 * 1024;

pub struct PlanfixRest {
    http: reqwest::Client,
    /// For file transfers: never follows redirects itself (it would carry the bearer header to
    /// the storage host) and has no total timeout (files go up to 100 MB), only per-read ones.
    /// `Err` holds why it could not be built; only file calls fail then.
    files: Result<reqwest::Client, String>,
    /// The account this client acts for, as a metrics/log label.
    label: String,
    /// Paces REST calls to the account's allowance (none: unpaced, e.g. in unit tests).
    throttle: Option<std::sync::Arc<dyn Throttle>>,
    base_url: String,
    token: Secret,
}

impl PlanfixRest {
    /// `http` is shared by all accounts so connections and TLS sessions are reused across them.
    pub fn new(http: reqwest::Client, cfg: &PlanfixConfig) -> Self {
        let files = reqwest::Client::builder()
            .redirect(Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("file client: {e}"));
        Self {
            http,
            files,
            label: String::new(),
            throttle: None,
            base_url: cfg.base_url.trim_end_matches('/').to_owned(),
            token: cfg.token.clone(),
        }
    }

    /// Every REST call waits for its turn first.
    pub fn with_throttle(mut self, throttle: std::sync::Arc<dyn Throttle>) -> Self {
        self.throttle = Some(throttle);
        self
    }

    async fn wait_turn(&self) -> Result<(), PlanfixError> {
        match &self.throttle {
            Some(t) => t.wait_turn().await,
            None => Ok(()),
        }
    }

    /// Labels metrics and budget warnings with the account.
    pub fn for_account(mut self, account: &bridge_core::domain::AccountId) -> Self {
        self.label = account.to_string();
        self
    }

    fn files_client(&self) -> Result<&reqwest::Client, PlanfixError> {
        self.files.as_ref().map_err(|e| PlanfixError::Transport(e.clone()))
    }

    /// A client with the timeouts the bridge wants for Planfix: bounded, so a hung Planfix turns
    /// into a retryable error well inside the Lambda timeout.
    pub fn default_http_client() -> reqwest::Client {
        Self::http_client(Duration::from_secs(15))
    }

    /// The same client with another overall timeout per request.
    pub fn http_client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
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
        // A request refused for coming too fast (HTTP 429) was not carried out, so sending it
        // again in the next slot is safe; anything else is the caller's to judge.
        const RATE_LIMIT_TRIES: usize = 3;
        for attempt in 1..=RATE_LIMIT_TRIES {
            let mut req = self.http.request(method.clone(), &url).bearer_auth(self.token.expose()).query(query);
            if let Some(body) = &body {
                req = req.json(body);
            }
            self.wait_turn().await?;
            let resp = req.send().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
            bridge_core::metrics::count(&self.label, bridge_core::metrics::Metric::PlanfixCalls, 1.0);
            self.watch_daily_budget(&resp);
            if resp.status() == StatusCode::TOO_MANY_REQUESTS && attempt < RATE_LIMIT_TRIES {
                tracing::warn!(account = %self.label, %method, path, attempt, "Planfix rate limit hit; retrying in the next slot");
                continue;
            }
            return read_response(&method, path, resp).await;
        }
        Err(PlanfixError::Api { http: 429, code: None, message: "rate limited".into(), retry: classify(429, None) })
    }

    /// Planfix reports the requests left today (refreshed about every 10 minutes); warn while
    /// there is still time to act, before code 22 stops the account.
    fn watch_daily_budget(&self, resp: &reqwest::Response) {
        const WARN_BELOW: u64 = 1000;
        let left = resp
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(left) = left.filter(|l| *l < WARN_BELOW) {
            tracing::warn!(account = %self.label, remaining = left, "Planfix daily request budget nearly spent");
        }
    }

    async fn call_required<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<T, PlanfixError> {
        match self.call(method.clone(), path, query, body).await? {
            (_, Some(v)) => Ok(v),
            (status, None) => Err(PlanfixError::Decode(format!("{method} {path}: empty body with HTTP {status}"))),
        }
    }
}

/// Reads an answer of the REST API: a JSON body on success (none for 202 or an empty body), the
/// fail envelope's code and message otherwise.
async fn read_response<T: DeserializeOwned>(
    method: &Method,
    path: &str,
    resp: reqwest::Response,
) -> Result<(StatusCode, Option<T>), PlanfixError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
    tracing::debug!(%method, path, status = status.as_u16(), "planfix call");
    if status.is_success() {
        if bytes.is_empty() || status == StatusCode::ACCEPTED {
            return Ok((status, None));
        }
        let parsed =
            serde_json::from_slice(&bytes).map_err(|e| PlanfixError::Decode(format!("{method} {path}: {e}")))?;
        return Ok((status, Some(parsed)));
    }
    Err(api_error(method, path, status, &bytes))
}

fn api_error(method: &Method, path: &str, status: StatusCode, bytes: &[u8]) -> PlanfixError {
    let envelope: Option<FailEnvelope> = serde_json::from_slice(bytes).ok();
    let code = envelope.as_ref().and_then(|e| e.code);
    PlanfixError::Api {
        http: status.as_u16(),
        code,
        message: envelope.and_then(|e| e.error).unwrap_or_else(|| format!("{method} {path} failed")),
        retry: classify(status.as_u16(), code),
    }
}

/// How long to hold work back once Planfix says the account's daily request limit is spent:
/// retrying within minutes would only burn the retry budget (the worker caps it at its own
/// longest pause).
const DAILY_LIMIT_PAUSE: Duration = Duration::from_secs(900);

/// Planfix's answers, in the one retry rule's terms (NOTES §errors): network trouble, HTTP 5xx
/// and 429, and code 0 (unknown error) are worth another try soon; code 22 (daily request limit
/// spent) only after a long pause; everything else (validation, not found, no access) never.
fn classify(http: u16, code: Option<i64>) -> Retry {
    match code {
        Some(22) => Retry::Later { not_before: Some(DAILY_LIMIT_PAUSE) },
        Some(0) => Retry::SOON,
        _ if http >= 500 || http == 429 => Retry::SOON,
        _ => Retry::Never,
    }
}

/// The redirect target, resolved against the URL that answered (a relative `Location` is legal).
fn redirect_target(resp: &reqwest::Response) -> Result<reqwest::Url, PlanfixError> {
    let location =
        resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            PlanfixError::Decode(format!("download: HTTP {} without a usable Location", resp.status()))
        })?;
    resp.url().join(location).map_err(|e| PlanfixError::Decode(format!("download: bad Location: {e}")))
}

/// The body as a byte stream, with the content type if the server named one.
fn into_download(resp: reqwest::Response) -> (Option<String>, ByteStream) {
    let content_type = resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let stream = resp.bytes_stream().map(|chunk| chunk.map_err(|e| std::io::Error::other(without_url(e))));
    (content_type, Box::pin(stream))
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
struct FileEnvelope {
    file: FileItem,
}

#[derive(Deserialize)]
struct FileItem {
    id: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    size: Option<u64>,
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

#[derive(Deserialize)]
struct TaskList {
    #[serde(default)]
    tasks: Vec<SourcedItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourcedItem {
    id: i64,
    source_object_id: Option<String>,
}

#[async_trait]
impl PlanfixFiles for PlanfixRest {
    async fn upload_file(
        &self,
        filename: &str,
        mime_type: &str,
        size: u64,
        body: ByteStream,
    ) -> Result<i64, PlanfixError> {
        let files = self.files_client()?;
        // A malformed type from the provider must not lose the file: fall back to a generic one.
        let mime = if Part::text("").mime_str(mime_type).is_ok() { mime_type } else { "application/octet-stream" };
        // Streamed with its length: the file is never held in memory, and the part still
        // carries a size, so the whole request has a Content-Length.
        let part = Part::stream_with_length(reqwest::Body::wrap_stream(body), size)
            .file_name(filename.to_owned())
            .mime_str(mime)
            .map_err(|e| PlanfixError::Transport(without_url(e)))?;
        let timeout = UPLOAD_BASE_TIMEOUT + Duration::from_secs(size / UPLOAD_BYTES_PER_SECOND);
        self.wait_turn().await?;
        let resp = files
            .post(format!("{}/file/", self.base_url))
            .bearer_auth(self.token.expose())
            .timeout(timeout)
            .multipart(Form::new().part("file", part))
            .send()
            .await
            .map_err(|e| PlanfixError::Transport(without_url(e)))?;
        // Code 7002: the file is over the plan's per-file limit (100 MB paid, 15 MB free).
        match read_response::<Created>(&Method::POST, "/file/", resp).await? {
            (_, Some(created)) => Ok(created.id),
            (status, None) => Err(PlanfixError::Decode(format!("POST /file/: empty body with HTTP {status}"))),
        }
    }

    async fn file_info(&self, file_id: i64) -> Result<Option<FileInfo>, PlanfixError> {
        let path = format!("/file/{file_id}");
        match self.call_required::<FileEnvelope>(Method::GET, &path, &[("fields", "id,name,size")], None).await {
            Ok(env) => Ok(Some(FileInfo { id: env.file.id, name: env.file.name, size: env.file.size.unwrap_or(0) })),
            Err(PlanfixError::Api { http: 404, .. }) | Err(PlanfixError::Api { code: Some(7000), .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn download_file(&self, file_id: i64) -> Result<(Option<String>, ByteStream), PlanfixError> {
        let files = self.files_client()?;
        let path = format!("/file/{file_id}/download");
        self.wait_turn().await?;
        let resp = files
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| PlanfixError::Transport(without_url(e)))?;
        let status = resp.status();
        tracing::debug!(path, status = status.as_u16(), "planfix call");
        if status.is_success() {
            // Some servers answer with the bytes instead of redirecting.
            return Ok(into_download(resp));
        }
        if !status.is_redirection() {
            let bytes = resp.bytes().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
            return Err(api_error(&Method::GET, &path, status, &bytes));
        }
        let mut target = redirect_target(&resp)?;
        for _ in 0..=MAX_STORAGE_REDIRECTS {
            // The storage URL is its own credential: no bearer header past the first hop.
            let resp = files.get(target).send().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
            let status = resp.status();
            if status.is_success() {
                return Ok(into_download(resp));
            }
            if !status.is_redirection() {
                // Not the REST API: no envelope, and the URL may hold a signature, so it is not logged.
                return Err(PlanfixError::Api {
                    http: status.as_u16(),
                    code: None,
                    message: format!("file storage answered HTTP {status} for GET {path}"),
                    retry: classify(status.as_u16(), None),
                });
            }
            target = redirect_target(&resp)?;
        }
        Err(PlanfixError::Decode(format!("GET {path}: more than {MAX_STORAGE_REDIRECTS} redirects after the first")))
    }

    async fn update_comment(
        &self,
        task_id: i64,
        comment_id: i64,
        html: &str,
        file_ids: &[i64],
    ) -> Result<(), PlanfixError> {
        let path = format!("/task/{task_id}/comments/{comment_id}");
        let files: Vec<Value> = file_ids.iter().map(|id| json!({ "id": id })).collect();
        let body = json!({ "description": html, "files": files });
        self.call::<Value>(Method::POST, &path, &[], Some(body)).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use futures_util::{stream, StreamExt};
    use planfix_sim::{Failure, PlanfixSim, PlanfixSimConfig, SpecValidator};

    use super::*;

    const TOKEN: &str = "files-token";

    /// Where the Planfix spec is, by the simulator's rule (tools/planfix-sim/tests/support/
    /// spec_path.rs, same message): `PLANFIX_SWAGGER` (the file), else
    /// `$BRIDGE_REFERENCE_DIR/planfix/swagger.json`, else the reference folder beside the checkout
    /// (`../shared/reference` next to the workspace root). Panics, naming the path, when there is
    /// no file there: passing without it would prove nothing about the requests.
    fn spec_path() -> std::path::PathBuf {
        use std::path::{Path, PathBuf};
        let set = |name| std::env::var_os(name).filter(|value| !value.is_empty());
        let (path, from) = if let Some(file) = set("PLANFIX_SWAGGER") {
            (PathBuf::from(file), "PLANFIX_SWAGGER")
        } else if let Some(dir) = set("BRIDGE_REFERENCE_DIR") {
            (Path::new(&dir).join("planfix/swagger.json"), "BRIDGE_REFERENCE_DIR")
        } else {
            // <workspace>/shared/planfix → <workspace>/../shared/reference
            let around_checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .nth(3)
                .expect("the crate sits at <workspace>/shared/planfix");
            (around_checkout.join("shared/reference/planfix/swagger.json"), "the default location")
        };
        let problem = match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => return path,
            Ok(_) => "not a file".to_owned(),
            Err(error) => error.to_string(),
        };
        panic!(
            "the Planfix OpenAPI spec must be at {} ({from}): {problem}. Put swagger.json there, or set \
             BRIDGE_REFERENCE_DIR to a reference folder holding planfix/swagger.json, or PLANFIX_SWAGGER \
             to the file itself.",
            path.display()
        );
    }

    /// Every request to the REST API is checked against the spec; a missing spec fails the test.
    /// The storage URL `/file/{id}/download` redirects to is not part of the REST API (nor of the
    /// spec) and is served outside the checking gate; the tests count its requests instead.
    async fn start() -> (PlanfixSim, PlanfixRest) {
        let spec = Arc::new(SpecValidator::from_file(&spec_path()).expect("the spec compiles"));
        let sim = PlanfixSim::new(PlanfixSimConfig { token: TOKEN.into(), spec: Some(spec) });
        let base_url = sim.serve(None).await.expect("serve");
        let cfg = PlanfixConfig {
            base_url,
            token: Secret::new(TOKEN),
            webhook_secret: Secret::new("unused"),
            requests_per_second: 1.0,
        };
        (sim, PlanfixRest::new(PlanfixRest::default_http_client(), &cfg))
    }

    /// `data` as a stream of `chunk`-sized pieces, as a provider download would arrive.
    fn chunked(data: &[u8], chunk: usize) -> ByteStream {
        let pieces: Vec<Result<Bytes, std::io::Error>> =
            data.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        Box::pin(stream::iter(pieces))
    }

    async fn collect(mut body: ByteStream) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.expect("chunk"));
        }
        out
    }

    #[tokio::test]
    async fn files_round_trip_through_the_simulator() {
        let (sim, rest) = start().await;
        let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
        let id = rest
            .upload_file("scan.pdf", "application/pdf", data.len() as u64, chunked(&data, 64 * 1024))
            .await
            .expect("upload");
        assert_eq!(sim.file(id), Some(("scan.pdf".to_owned(), data.clone())));

        let info = rest.file_info(id).await.expect("file_info");
        assert_eq!(info, Some(FileInfo { id, name: "scan.pdf".into(), size: data.len() as u64 }));
        assert_eq!(rest.file_info(id + 1000).await.expect("file_info"), None);

        let (content_type, body) = rest.download_file(id).await.expect("download");
        assert_eq!(content_type.as_deref(), Some("application/pdf"));
        assert_eq!(collect(body).await, data);
        assert_eq!(sim.storage_requests(), 1);
        assert_eq!(sim.storage_requests_with_auth(), 0, "the bearer token reached the storage URL");
        let missing = rest.download_file(id + 1000).await.err();
        assert!(matches!(missing, Some(PlanfixError::Api { http: 400, code: Some(7000), .. })), "{missing:?}");

        // A server that answers with the bytes directly instead of redirecting.
        sim.fail_matching("GET", "/download", 1, Failure::Status { http: 200, body: json!({"raw": true}) });
        let (content_type, body) = rest.download_file(id).await.expect("direct download");
        assert_eq!(content_type.as_deref(), Some("application/json"));
        assert_eq!(collect(body).await, br#"{"raw":true}"#);

        let task = rest
            .create_task(&NewTask {
                name: "t".into(),
                description_html: String::new(),
                assigner_contact_id: sim.add_contact("Ivan", "+79051234567"),
                assignee_user_ids: vec![],
                template_id: None,
                source_object_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("task");
        let note = sim.add_file("note.txt", b"hi".to_vec());
        let comment = sim.add_employee_comment_with_files(task, 7, "<p>draft</p>", &[], &[note]);
        rest.update_comment(task, comment, "<p>with files</p>", &[note, id]).await.expect("update");
        let read = rest.get_comment(comment).await.expect("get").expect("exists");
        assert_eq!((read.description_html.as_str(), read.file_ids), ("<p>with files</p>", vec![note, id]));
        let unknown = rest.update_comment(task, comment + 1000, "x", &[]).await.err();
        assert!(matches!(unknown, Some(PlanfixError::Api { code: Some(5000), .. })), "{unknown:?}");

        assert_eq!(sim.violations(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn uploads_over_the_plan_limit_are_refused_with_7002() {
        let (sim, rest) = start().await;
        sim.set_max_file_size(100 * 1024);
        let data = vec![1u8; 300 * 1024];
        let refused =
            rest.upload_file("big.bin", "not a mime type", data.len() as u64, chunked(&data, 16 * 1024)).await.err();
        assert!(matches!(&refused, Some(PlanfixError::Api { http: 400, code: Some(7002), .. })), "{refused:?}");
        assert!(refused.is_some_and(|e| e.retry() == Retry::Never));
        let id = rest.upload_file("ok.bin", "not a mime type", 10, chunked(&data[..10], 4)).await.expect("upload");
        assert_eq!(sim.snapshot()["files"][0]["id"], json!(id));
        assert_eq!(sim.violations(), Vec::<String>::new());
    }
}
