//! `POST /task/{id}/comments/`, `POST /task/{id}/comments/list`,
//! `POST /task/{id}/comments/{commentId}`, `GET /comment/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::request::{as_int, existing_person, page, parse, IdRef};
use crate::envelope::{code, created, success, success_with, ApiError};
use crate::gate::{JsonBody, QueryPairs};
use crate::model::Comment;
use crate::render::{self, select_fields, time_point_now};
use crate::state::TOKEN_USER;
use crate::PlanfixSim;

/// The members of `CommentCreateRequest` the simulator keeps.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CommentWrite {
    description: Option<String>,
    owner: Option<IdRef>,
    recipients: Option<Value>,
    source_object_id: Option<String>,
    source_data_version: Option<String>,
    files: Vec<IdRef>,
    date_time: Option<Value>,
    is_hidden: bool,
}

/// The members of `CommentUpdateRequest` the simulator keeps; absent members stay unchanged.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CommentUpdate {
    description: Option<String>,
    recipients: Option<Value>,
    files: Option<Vec<IdRef>>,
    is_hidden: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListRequest {
    offset: Option<i64>,
    page_size: Option<i64>,
    fields: Option<String>,
    type_list: Option<String>,
    result_order: Vec<Order>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Order {
    field: Option<String>,
    direction: Option<String>,
}

pub(super) async fn create(
    State(sim): State<PlanfixSim>,
    Path(task): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let write: CommentWrite = parse(&body)?;
    // `CommentCreateRequest.sourceDataVersion`: `maxLength: 100`.
    if write.source_data_version.as_ref().is_some_and(|v| v.chars().count() > 100) {
        return Err(ApiError::invalid_value("Invalid sourceDataVersion: longer than 100 characters".to_owned()));
    }
    let mut state = sim.lock();
    let task_id = as_int(&Value::from(task.as_str()))
        .filter(|id| state.tasks.contains_key(id))
        .ok_or_else(|| task_not_found(&task))?;
    let owner = match &write.owner {
        Some(person) => existing_person(&state, &person.id, "owner")?,
        None => TOKEN_USER.to_owned(),
    };
    let recipients = write.recipients.unwrap_or(Value::Null);
    let users = recipients.get("users").and_then(Value::as_array).into_iter().flatten();
    for user in users.filter_map(|user| user.get("id")) {
        existing_person(&state, user, "recipient")?;
    }
    let mut files = Vec::with_capacity(write.files.len());
    for file in &write.files {
        files.push(as_int(&file.id).ok_or_else(|| ApiError::invalid_value(format!("Invalid file id {}", file.id)))?);
    }
    let comment = Comment {
        id: 0,
        task_id,
        description: write.description.unwrap_or_default(),
        owner,
        recipients,
        source_object_id: write.source_object_id,
        source_data_version: write.source_data_version,
        files,
        date_time: write.date_time,
        is_hidden: write.is_hidden,
        from_type: "None".to_owned(),
    };
    let id = state.insert_comment(comment, time_point_now());
    Ok(created(id))
}

/// A passed `files` list replaces the comment's files (as for tasks, NOTES.md 7); every id must
/// name an uploaded file (code 7000 otherwise).
pub(super) async fn update(
    State(sim): State<PlanfixSim>,
    Path((task, comment)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let update: CommentUpdate = parse(&body)?;
    let mut state = sim.lock();
    let task_id = as_int(&Value::from(task.as_str()))
        .filter(|id| state.tasks.contains_key(id))
        .ok_or_else(|| task_not_found(&task))?;
    let comment_id = as_int(&Value::from(comment.as_str()))
        .filter(|id| state.comments.get(id).is_some_and(|c| c.task_id == task_id))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                code::COMMENT_NOT_FOUND,
                format!("Comment not found by id {comment}"),
            )
        })?;
    if let Some(recipients) = &update.recipients {
        let users = recipients.get("users").and_then(Value::as_array).into_iter().flatten();
        for user in users.filter_map(|user| user.get("id")) {
            existing_person(&state, user, "recipient")?;
        }
    }
    let files = match &update.files {
        Some(list) => {
            let mut files = Vec::with_capacity(list.len());
            for file in list {
                let id = as_int(&file.id).filter(|id| state.files.contains_key(id)).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        code::FILE_NOT_FOUND,
                        format!("File not found by id {}", file.id),
                    )
                })?;
                files.push(id);
            }
            Some(files)
        }
        None => None,
    };
    if let Some(stored) = state.comments.get_mut(&comment_id) {
        if let Some(description) = update.description {
            stored.description = description;
        }
        if let Some(recipients) = update.recipients {
            stored.recipients = recipients;
        }
        if let Some(files) = files {
            stored.files = files;
        }
        if let Some(hidden) = update.is_hidden {
            stored.is_hidden = hidden;
        }
    }
    Ok(success(StatusCode::OK, serde_json::Map::new()))
}

/// `typeList` `Deleted` is always empty (nothing is deleted); the other lists hold every
/// comment. Ordering by `dateTime` uses creation order.
pub(super) async fn list(
    State(sim): State<PlanfixSim>,
    Path(task): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let request: ListRequest = parse(&body)?;
    let state = sim.lock();
    let task_id = as_int(&Value::from(task.as_str()))
        .filter(|id| state.tasks.contains_key(id))
        .ok_or_else(|| task_not_found(&task))?;
    let mut found: Vec<&Comment> = if request.type_list.as_deref() == Some("Deleted") {
        Vec::new()
    } else {
        state.comments.values().filter(|comment| comment.task_id == task_id).collect()
    };
    if let Some(order) = request.result_order.first() {
        if !matches!(order.field.as_deref(), None | Some("id" | "dateTime")) {
            return Err(ApiError::invalid_value(format!("Invalid sort field {:?}", order.field)));
        }
        if order.direction.as_deref() == Some("Desc") {
            found.reverse();
        }
    }
    let comments: Vec<Value> = page(found, request.offset, request.page_size)
        .into_iter()
        .map(|comment| select_fields(render::comment(&state, comment), request.fields.as_deref()))
        .collect();
    Ok(success_with("comments", Value::Array(comments)))
}

pub(super) async fn get(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let state = sim.lock();
    let comment = as_int(&Value::from(id.as_str())).and_then(|id| state.comments.get(&id)).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, code::COMMENT_NOT_FOUND, format!("Comment not found by id {id}"))
    })?;
    Ok(success_with("comment", select_fields(render::comment(&state, comment), query.get("fields"))))
}

fn task_not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code::TASK_NOT_FOUND, format!("Task not found by id {id}"))
}
