//! The simulator handle: configuration, serving, seeding and inspection.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::{json, Value};

use crate::model::{Comment, Contact, Failure, RecordedRequest, Task};
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
        Self {
            inner: Arc::new(Inner {
                token,
                spec,
                state: Mutex::new(State::new()),
            }),
        }
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
        let app = crate::routes::rooted(self.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "planfix-sim server stopped");
            }
        });
        Ok(format!("http://{local}/rest"))
    }

    /// Seeds a contact with one phone number (kept as written); returns its id.
    pub fn add_contact(&self, name: &str, phone: &str) -> i64 {
        let phones = if phone.is_empty() {
            Vec::new()
        } else {
            vec![phone.to_owned()]
        };
        self.lock()
            .insert_contact(name.to_owned(), String::new(), phones)
    }

    pub fn contacts(&self) -> Vec<Contact> {
        self.lock().contacts.values().cloned().collect()
    }

    pub fn tasks(&self) -> Vec<Task> {
        self.lock().tasks.values().cloned().collect()
    }

    /// Comments of a task in creation order.
    pub fn comments(&self, task_id: i64) -> Vec<Comment> {
        self.lock()
            .comments
            .values()
            .filter(|c| c.task_id == task_id)
            .cloned()
            .collect()
    }

    /// Sets a task's status as an employee would (no check of the id); unknown tasks are ignored.
    pub fn set_task_status(&self, task_id: i64, status_id: i64) {
        if let Some(task) = self.lock().tasks.get_mut(&task_id) {
            task.status_id = status_id;
        }
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
        let users: Vec<Value> = notify_contact_ids
            .iter()
            .map(|id| json!({ "id": format!("contact:{id}") }))
            .collect();
        let comment = Comment {
            id: 0,
            task_id,
            description: html.to_owned(),
            owner: format!("user:{owner_user_id}"),
            recipients: json!({ "users": users }),
            source_object_id: None,
            files: Vec::new(),
            date_time: None,
            is_hidden: false,
            from_type: "Planfix".to_owned(),
        };
        self.lock().insert_comment(comment, time_point_now())
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

    /// Contacts, tasks and comments as JSON.
    pub fn snapshot(&self) -> Value {
        let state = self.lock();
        json!({
            "contacts": state.contacts.values().collect::<Vec<_>>(),
            "tasks": state.tasks.values().collect::<Vec<_>>(),
            "comments": state.comments.values().collect::<Vec<_>>(),
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
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
