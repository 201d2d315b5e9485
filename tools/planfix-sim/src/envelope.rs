//! Planfix's JSON envelopes: `{"result":"success",…}` and `{"result":"fail","code":N,"error":"…"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// Planfix error codes the simulator answers with (help: "REST API: коды ошибок").
pub(crate) mod code {
    pub const UNKNOWN: i64 = 0;
    pub const ACCESS_DENIED: i64 = 1;
    /// Invalid JSON; the simulator also uses it for spec violations.
    pub const INVALID_REQUEST: i64 = 30;
    pub const INVALID_VALUE: i64 = 41;
    pub const TASK_NOT_FOUND: i64 = 1000;
    pub const CONTACT_NOT_FOUND: i64 = 2000;
    pub const CONTACT_NAME_EMPTY: i64 = 2006;
    pub const COMMENT_NOT_FOUND: i64 = 5000;
    pub const FILE_NOT_FOUND: i64 = 7000;
    pub const FILE_UPLOAD_FAILED: i64 = 7001;
    /// The file is larger than the plan allows.
    pub const FILE_TOO_LARGE: i64 = 7002;
}

/// A failed call, answered with the fail envelope.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::INVALID_VALUE, message)
    }

    /// Valid for Planfix, but outside what the simulator models: 501 so that a test notices.
    pub fn not_simulated(what: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, code::UNKNOWN, format!("planfix-sim does not simulate {what}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        fail(self.status, self.code, &self.message)
    }
}

pub(crate) fn fail(status: StatusCode, code: i64, message: &str) -> Response {
    (status, Json(json!({ "result": "fail", "code": code, "error": message }))).into_response()
}

/// `{"result":"success"}` plus the given members.
pub(crate) fn success(status: StatusCode, members: Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("result".to_owned(), Value::from("success"));
    body.extend(members);
    (status, Json(Value::Object(body))).into_response()
}

/// `{"result":"success", key: value}` with status 200.
pub(crate) fn success_with(key: &str, value: Value) -> Response {
    let mut members = Map::new();
    members.insert(key.to_owned(), value);
    success(StatusCode::OK, members)
}

/// 201 `{"result":"success","id":N}`.
pub(crate) fn created(id: i64) -> Response {
    let mut members = Map::new();
    members.insert("id".to_owned(), Value::from(id));
    success(StatusCode::CREATED, members)
}
