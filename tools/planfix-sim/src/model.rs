//! The simulated objects and the test-facing records, as returned by the inspection methods.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub lastname: String,
    /// Numbers exactly as written by the client (Planfix keeps them as entered).
    pub phones: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Task {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Prefixed person id: `"contact:5"`, or `"user:1"` when the request named no assigner.
    pub assigner: String,
    pub status_id: i64,
    pub process_id: i64,
    pub template_id: Option<i64>,
    /// The client's idempotency key (`sourceObjectId`), if it sent one.
    pub source_object_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comment {
    pub id: i64,
    pub task_id: i64,
    /// HTML, as sent.
    pub description: String,
    /// Prefixed person id of the author (`"contact:5"`, `"user:2"`).
    pub owner: String,
    /// The `recipients` object as sent (`{"users":[{"id":"contact:5"}],"roles":[…]}`), or `null`.
    pub recipients: Value,
    pub source_object_id: Option<String>,
    /// `sourceDataVersion` as sent (free text, at most 100 characters).
    pub source_data_version: Option<String>,
    pub files: Vec<i64>,
    /// The `dateTime` the client sent, if any.
    pub date_time: Option<Value>,
    pub is_hidden: bool,
    /// `"None"` for comments added through REST, `"Planfix"` for employee comments.
    pub from_type: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Relative to the API root: `/task/101`, without `/rest`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The parsed JSON body; a body that is not JSON is kept as a JSON string.
    pub body: Option<Value>,
    /// HTTP status of the answer (0 while the request is still being answered). For a fault that
    /// loses the answer ([`Failure::AnswerLate`], [`Failure::DropAfterCommit`]): the status the
    /// handler produced, logged once the effect is committed.
    pub status: u16,
    /// When it arrived.
    #[serde(skip)]
    pub at: std::time::Instant,
}

/// Fault injected into the next requests by [`crate::PlanfixSim::fail_next`].
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Answer with this HTTP status and JSON body instead of handling the request.
    Status { http: u16, body: Value },
    /// Wait, then answer normally. A client that gives up meanwhile drops the request unhandled
    /// (see [`Failure::AnswerLate`] for an effect that happens anyway).
    Delay(Duration),
    /// Handle the request (its effect happens), then answer with this status and body instead:
    /// the "response lost after the work was done" window a crash or timeout opens.
    AfterHandling { http: u16, body: Value },
    /// Handle the request and commit its effect, then answer only after this long. Unlike
    /// [`Failure::Delay`], the effect happens even when the client gives up before the answer:
    /// the handling runs detached from the connection.
    AnswerLate(Duration),
    /// Handle the request and commit its effect, then close the connection without answering:
    /// the client sees a transport error. Needs the server of [`crate::PlanfixSim::serve`]
    /// (elsewhere the answer is an HTTP 500 saying so).
    DropAfterCommit,
}

/// An injected fault as applied to a request, listed by [`crate::PlanfixSim::fired_faults`].
#[derive(Clone, Debug, PartialEq)]
pub struct FiredFault {
    pub method: String,
    /// Relative to the API root, as in [`RecordedRequest::path`].
    pub path: String,
    pub failure: Failure,
}
