//! In-memory Planfix account: contacts, tasks, comments, files, plus the request log.

use std::collections::{BTreeMap, HashMap, VecDeque};

use axum::body::Bytes;

use serde_json::Value;

use crate::model::{Comment, Contact, Failure, FiredFault, RecordedRequest, Task};

/// The one task process the simulator knows.
pub const PROCESS_ID: i64 = 1;

/// A status of the built-in process.
#[derive(Clone, Copy, Debug)]
pub struct ProcessStatus {
    pub id: i64,
    pub name: &'static str,
    pub name_ru: &'static str,
    pub is_active: bool,
    pub color: &'static str,
}

/// Statuses of process 1; the first one is the default of a new task.
pub const PROCESS_STATUSES: [ProcessStatus; 4] = [
    ProcessStatus { id: 1, name: "New", name_ru: "Новая", is_active: true, color: "#4573b1" },
    ProcessStatus { id: 2, name: "In progress", name_ru: "В работе", is_active: true, color: "#f0a30a" },
    ProcessStatus { id: 3, name: "Completed", name_ru: "Завершенная", is_active: false, color: "#60a917" },
    ProcessStatus { id: 4, name: "Cancelled", name_ru: "Отмененная", is_active: false, color: "#a0a0a0" },
];

pub(crate) fn process_status(id: i64) -> Option<&'static ProcessStatus> {
    PROCESS_STATUSES.iter().find(|status| status.id == id)
}

/// The employee a token acts as; the default author and assigner.
pub(crate) const TOKEN_USER: &str = "user:1";

const FIRST_CONTACT_ID: i64 = 1;
const FIRST_TASK_ID: i64 = 101;
const FIRST_COMMENT_ID: i64 = 1001;
const FIRST_FILE_ID: i64 = 50_001;

/// Planfix's per-file limit on paid and premium plans (NOTES.md 7).
pub(crate) const PAID_PLAN_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// An uploaded or seeded file. The bytes stay in memory: the simulator is a test fake.
pub(crate) struct StoredFile {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

pub(crate) struct State {
    pub contacts: BTreeMap<i64, Contact>,
    pub tasks: BTreeMap<i64, Task>,
    pub comments: BTreeMap<i64, Comment>,
    /// When each comment was created (a `TimePoint`), answered when no `dateTime` was sent.
    pub comment_created: HashMap<i64, Value>,
    pub files: BTreeMap<i64, StoredFile>,
    /// Opaque tokens of the storage URLs handed out by `/file/{id}/download` → file id.
    pub storage_tokens: HashMap<String, i64>,
    /// Requests to the storage URLs, and how many of them carried an `Authorization` header.
    pub storage_requests: usize,
    pub storage_requests_with_auth: usize,
    /// Where `/file/{id}/download` points instead of the storage URL (`{token}`: its token).
    pub download_location: Option<String>,
    pub max_file_bytes: u64,
    next_contact_id: i64,
    next_task_id: i64,
    next_comment_id: i64,
    next_file_id: i64,
    pub requests: Vec<RecordedRequest>,
    pub violations: Vec<String>,
    pub failures: VecDeque<Failure>,
    /// Failures aimed at one kind of request: (method, path fragment, remaining count, failure).
    pub targeted_failures: Vec<(String, String, usize, Failure)>,
    /// Faults applied so far, in order.
    pub fired: Vec<FiredFault>,
    /// Planfix's per-second limit, when enforced: the minimum gap between two REST requests.
    pub min_interval: Option<std::time::Duration>,
    pub last_request_at: Option<std::time::Instant>,
    pub rate_rejections: usize,
}

impl State {
    pub fn new() -> Self {
        Self {
            contacts: BTreeMap::new(),
            tasks: BTreeMap::new(),
            comments: BTreeMap::new(),
            comment_created: HashMap::new(),
            files: BTreeMap::new(),
            storage_tokens: HashMap::new(),
            storage_requests: 0,
            storage_requests_with_auth: 0,
            download_location: None,
            max_file_bytes: PAID_PLAN_MAX_FILE_BYTES,
            next_contact_id: FIRST_CONTACT_ID,
            next_task_id: FIRST_TASK_ID,
            next_comment_id: FIRST_COMMENT_ID,
            next_file_id: FIRST_FILE_ID,
            requests: Vec::new(),
            violations: Vec::new(),
            failures: VecDeque::new(),
            targeted_failures: Vec::new(),
            fired: Vec::new(),
            min_interval: None,
            last_request_at: None,
            rate_rejections: 0,
        }
    }

    pub fn insert_contact(&mut self, name: String, lastname: String, phones: Vec<String>) -> i64 {
        let id = next(&mut self.next_contact_id);
        self.contacts.insert(id, Contact { id, name, lastname, phones });
        id
    }

    pub fn insert_task(&mut self, mut task: Task) -> i64 {
        task.id = next(&mut self.next_task_id);
        let id = task.id;
        self.tasks.insert(id, task);
        id
    }

    pub fn insert_comment(&mut self, mut comment: Comment, created: Value) -> i64 {
        comment.id = next(&mut self.next_comment_id);
        let id = comment.id;
        self.comments.insert(id, comment);
        self.comment_created.insert(id, created);
        id
    }

    pub fn insert_file(&mut self, name: String, content_type: String, bytes: Bytes) -> i64 {
        let id = next(&mut self.next_file_id);
        self.files.insert(id, StoredFile { id, name, content_type, bytes });
        id
    }

    /// Whether a prefixed person id names someone who exists: any `user:N` (employees are not
    /// modelled), or a stored `contact:N`.
    pub fn person_exists(&self, person: &str) -> bool {
        match parse_person(person) {
            Some(("user", _)) => true,
            Some(("contact", id)) => self.contacts.contains_key(&id),
            _ => false,
        }
    }

    /// Display name of a prefixed person id, as Planfix puts it into `{id, name}` objects.
    pub fn person_name(&self, person: &str) -> String {
        match parse_person(person) {
            Some(("contact", id)) => match self.contacts.get(&id) {
                Some(contact) => full_name(contact),
                None => format!("Contact {id}"),
            },
            Some(("user", id)) => format!("Employee {id}"),
            Some(("group", id)) => format!("Group {id}"),
            _ => person.to_owned(),
        }
    }
}

fn next(counter: &mut i64) -> i64 {
    let id = *counter;
    *counter += 1;
    id
}

/// `"contact:12"` → `("contact", 12)`.
pub(crate) fn parse_person(person: &str) -> Option<(&str, i64)> {
    let (kind, id) = person.split_once(':')?;
    let id = id.parse().ok().filter(|id| *id > 0)?;
    matches!(kind, "user" | "contact" | "group").then_some((kind, id))
}

pub(crate) fn full_name(contact: &Contact) -> String {
    format!("{} {}", contact.name, contact.lastname).trim().to_owned()
}
