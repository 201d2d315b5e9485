//! `GET /process/task/{id}/statuses`: the built-in process 1.

use axum::extract::Path;
use axum::response::Response;
use serde_json::Value;

use super::request::as_int;
use crate::envelope::{success_with, ApiError};
use crate::gate::QueryPairs;
use crate::render::{self, select_fields};
use crate::state::{PROCESS_ID, PROCESS_STATUSES};

pub(super) async fn statuses(Path(id): Path<String>, query: QueryPairs) -> Result<Response, ApiError> {
    if as_int(&Value::from(id.as_str())) != Some(PROCESS_ID) {
        return Err(ApiError::invalid_value(format!("Process not find by id {id}")));
    }
    let statuses: Vec<Value> =
        PROCESS_STATUSES.iter().map(|status| select_fields(render::status(status), query.get("fields"))).collect();
    Ok(success_with("statuses", Value::Array(statuses)))
}
