//! The simulator handle: configuration, serving, seeding and inspection.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::Router;
use serde_json::{json, Value};

use crate::conn::{Cut, CuttableListener};
use crate::model::{Comment, Contact, Failure, FiredFault, RecordedRequest, Task};
use crate::render::time_point_now;
use crate::spec::SpecValidator;
use crate::state::State;

pub struct PlanfixSimConfig {
    /// The bearer token requests must carry.
    pub token: String,
    /// When set, every request is checked against the spec before it is handled.
    pub spec: Option<Arc<SpecValidator>>,
}

/// A simulated Planfix account. Clones share the same state.
#[derive(Clone)]
pub struct PlanfixSim {
    inner: Arc<Inner>,
}

struct Inner {
    token: String,
    spec: Option<Arc<SpecValidator>>,
    state: Mutex<State>,
}

impl PlanfixSim {
    pub fn new(config: PlanfixSimConfig) -> Self {
        let PlanfixSimConfig { token, spec } = config;
        Self { inner: Arc::new(Inner { token, spec, state: Mutex::new(State::new()) }) }
    }

    /// The API's routes, without the `/rest` prefix.
    pub fn router(&self) -> Router {
        crate::routes::router(self.clone())
    }

    /// Serves the API under `/rest` on `addr` (default `127.0.0.1:0`) in a background task and
    /// returns its base URL, e.g. `http://127.0.0.1:40123/rest`.
    pub async fn serve(&self, addr: Option<SocketAddr>) -> std::io::Result<String> {
        let addr = addr.unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        // Each connection carries a switch for `Failure::DropAfterCommit`.
        let app = crate::routes::rooted(self.clone()).into_make_service_with_connect_info::<Cut>();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(CuttableListener(listener), app).await {
                tracing::error!(%error, "planfix-sim server stopped");
            }
        });
        Ok(format!("http://{local}/rest"))
    }

    /// Seeds a contact with one phone number (kept as written); returns its id.
    pub fn add_contact(&self, name: &str, phone: &str) -> i64 {
        let phones = if phone.is_empty() { Vec::new() } else { vec![phone.to_owned()] };
        self.lock().insert_contact(name.to_owned(), String::new(), phones)
    }

    pub fn contacts(&self) -> Vec<Contact> {
        self.lock().contacts.values().cloned().collect()
    }

    pub fn tasks(&self) -> Vec<Task> {
        self.lock().tasks.values().cloned().collect()
    }

    /// Comments of a task in creation order.
    pub fn comments(&self, task_id: i64) -> Vec<Comment> {
        self.lock().comments.values().filter(|c| c.task_id == task_id).cloned().collect()
    }

    /// Sets a task's status as an employee would (no check of the id); unknown tasks are ignored.
    pub fn set_task_status(&self, task_id: i64, status_id: i64) {
        if let Some(task) = self.lock().tasks.get_mut(&task_id) {
            task.status_id = status_id;
        }
    }

    /// Completes a task as an employee would: its status becomes the process's first inactive
    /// one ("Completed"). False for an unknown task. What the scenario "task status changed"
    /// then sends is the test's (or `bridge-local complete`'s) to POST.
    pub fn complete_task(&self, task_id: i64) -> bool {
        let completed = crate::state::PROCESS_STATUSES.iter().find(|s| !s.is_active).map(|s| s.id);
        match (self.lock().tasks.get_mut(&task_id), completed) {
            (Some(task), Some(status)) => {
                task.status_id = status;
                true
            }
            _ => false,
        }
    }

    /// Deletes a task with its comments, as an employee would: later requests about it get
    /// Planfix's "task not found" (HTTP 404, code 1000). False for an unknown task.
    pub fn delete_task(&self, task_id: i64) -> bool {
        let mut state = self.lock();
        state.comments.retain(|_, c| c.task_id != task_id);
        state.tasks.remove(&task_id).is_some()
    }

    /// A Planfix employee (`user:<owner_user_id>`) comments the task and notifies the given
    /// contacts; returns the comment id.
    pub fn add_employee_comment(
        &self,
        task_id: i64,
        owner_user_id: i64,
        html: &str,
        notify_contact_ids: &[i64],
    ) -> i64 {
        self.add_employee_comment_with_files(task_id, owner_user_id, html, notify_contact_ids, &[])
    }

    /// Like [`Self::add_employee_comment`], with files attached (ids from [`Self::add_file`] or
    /// uploads).
    pub fn add_employee_comment_with_files(
        &self,
        task_id: i64,
        owner_user_id: i64,
        html: &str,
        notify_contact_ids: &[i64],
        file_ids: &[i64],
    ) -> i64 {
        let users: Vec<Value> = notify_contact_ids.iter().map(|id| json!({ "id": format!("contact:{id}") })).collect();
        let comment = Comment {
            id: 0,
            task_id,
            description: html.to_owned(),
            owner: format!("user:{owner_user_id}"),
            recipients: json!({ "users": users }),
            source_object_id: None,
            source_data_version: None,
            files: file_ids.to_vec(),
            date_time: None,
            is_hidden: false,
            from_type: "Planfix".to_owned(),
        };
        self.lock().insert_comment(comment, time_point_now())
    }

    /// Seeds a file as if uploaded (content type from the extension); returns its id.
    pub fn add_file(&self, name: &str, bytes: Vec<u8>) -> i64 {
        let content_type = crate::routes::content_type_for(name).to_owned();
        self.lock().insert_file(name.to_owned(), content_type, Bytes::from(bytes))
    }

    /// A stored file's name and bytes.
    pub fn file(&self, id: i64) -> Option<(String, Vec<u8>)> {
        self.lock().files.get(&id).map(|file| (file.name.clone(), file.bytes.to_vec()))
    }

    /// The per-file upload limit (default 100 MB, paid plans); larger uploads get code 7002.
    pub fn set_max_file_size(&self, bytes: u64) {
        self.lock().max_file_bytes = bytes;
    }

    /// Requests to the storage URLs `/file/{id}/download` redirects to.
    pub fn storage_requests(&self) -> usize {
        self.lock().storage_requests
    }

    /// Requests to the storage URLs that carried an `Authorization` header: a client that
    /// forwards the Planfix token past the redirect leaks it to the storage host.
    pub fn storage_requests_with_auth(&self) -> usize {
        self.lock().storage_requests_with_auth
    }

    /// Where `/file/{id}/download` redirects from now on, instead of straight to the storage URL
    /// (None: back to that). `{token}` in `location` stands for the storage token, so
    /// `/redirect/3/{token}` reaches the file after three more redirects on this server (a CDN
    /// bouncing the client around); any other URL is an off-server target, followed or not at
    /// the client's risk.
    pub fn redirect_downloads(&self, location: Option<&str>) {
        self.lock().download_location = location.map(str::to_owned);
    }

    /// Every request received, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Requests rejected because the spec does not allow them (or that were not JSON).
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// The next `n` requests that pass authentication and the spec check get `failure`.
    pub fn fail_next(&self, n: usize, failure: Failure) {
        self.lock().failures.extend(std::iter::repeat_n(failure, n));
    }

    /// The next `n` requests with this method whose path contains `path_fragment` get `failure`
    /// (checked before the untargeted queue of [`Self::fail_next`]).
    pub fn fail_matching(&self, method: &str, path_fragment: &str, n: usize, failure: Failure) {
        self.lock().targeted_failures.push((method.to_owned(), path_fragment.to_owned(), n, failure));
    }

    /// Injected faults applied so far, in order. A fault is listed the moment it is applied to a
    /// request, whether or not the client then received anything.
    pub fn fired_faults(&self) -> Vec<FiredFault> {
        self.lock().fired.clone()
    }

    /// Injected faults armed by [`Self::fail_next`] and [`Self::fail_matching`] that have not
    /// fired yet.
    pub fn pending_faults(&self) -> usize {
        let state = self.lock();
        let targeted: usize = state.targeted_failures.iter().map(|(_, _, left, _)| left).sum();
        state.failures.len() + targeted
    }

    /// Enforce Planfix's per-account request rate: a REST request arriving sooner than
    /// `min_interval` after the previous one is refused with HTTP 429 (what live Planfix answers
    /// is unconfirmed; the bridge must simply never get there).
    pub fn enforce_min_interval(&self, min_interval: std::time::Duration) {
        self.lock().min_interval = Some(min_interval);
    }

    /// How many requests were refused for coming too fast.
    pub fn rate_rejections(&self) -> usize {
        self.lock().rate_rejections
    }

    /// Contacts, tasks, comments and files (name and size, not the bytes) as JSON.
    pub fn snapshot(&self) -> Value {
        let state = self.lock();
        let files: Vec<Value> = state
            .files
            .values()
            .map(|file| {
                json!({
                    "id": file.id,
                    "name": file.name,
                    "size": file.bytes.len(),
                    "contentType": file.content_type,
                })
            })
            .collect();
        json!({
            "contacts": state.contacts.values().collect::<Vec<_>>(),
            "tasks": state.tasks.values().collect::<Vec<_>>(),
            "comments": state.comments.values().collect::<Vec<_>>(),
            "files": files,
        })
    }

    pub(crate) fn token(&self) -> &str {
        &self.inner.token
    }

    pub(crate) fn spec(&self) -> Option<&SpecValidator> {
        self.inner.spec.as_deref()
    }

    /// The state survives a panicking holder: the data is still usable for a simulator.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
