//! `POST /task/`, `GET` / `POST /task/{id}`, `POST /task/list`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::request::{all_match, as_int, existing_person, int_list, page, parse, Filter, IdRef};
use crate::envelope::{code, created, success, success_with, ApiError};
use crate::gate::{JsonBody, QueryPairs};
use crate::model::Task;
use crate::render::{self, select_fields};
use crate::state::{process_status, PROCESS_ID, PROCESS_STATUSES, TOKEN_USER};
use crate::PlanfixSim;

/// Task filter types the simulator evaluates (help: "Сложные фильтры задач").
mod filter {
    pub const ASSIGNER: i64 = 1;
    pub const STATUS: i64 = 10;
    pub const PROCESS: i64 = 24;
    pub const TEMPLATE: i64 = 51;
    pub const NUMBER: i64 = 57;
}

/// The members of `TaskCreateRequest` / `TaskUpdateRequest` the simulator keeps.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TaskWrite {
    name: Option<String>,
    description: Option<String>,
    status: Option<IdRef>,
    process_id: Option<i64>,
    assigner: Option<IdRef>,
    template: Option<IdRef>,
    source_object_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListRequest {
    offset: Option<i64>,
    page_size: Option<i64>,
    filters: Vec<Filter>,
    fields: Option<String>,
}

pub(super) async fn create(State(sim): State<PlanfixSim>, body: JsonBody) -> Result<Response, ApiError> {
    let write: TaskWrite = parse(&body)?;
    let mut state = sim.lock();
    let process_id = match write.process_id {
        Some(id) => checked_process(id)?,
        None => PROCESS_ID,
    };
    let status_id = match &write.status {
        Some(status) => checked_status(&status.id)?,
        None => PROCESS_STATUSES[0].id,
    };
    let assigner = match &write.assigner {
        Some(person) => existing_person(&state, &person.id, "assigner")?,
        None => TOKEN_USER.to_owned(),
    };
    let template_id = write.template.as_ref().map(|template| entity_id(&template.id, "template")).transpose()?;
    let id = state.insert_task(Task {
        id: 0,
        name: write.name.unwrap_or_default(),
        description: write.description.unwrap_or_default(),
        assigner,
        status_id,
        process_id,
        template_id,
        source_object_id: write.source_object_id,
    });
    Ok(created(id))
}

pub(super) async fn get(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let state = sim.lock();
    let task = as_int(&Value::from(id.as_str())).and_then(|id| state.tasks.get(&id)).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, code::TASK_NOT_FOUND, format!("Task not found by id {id}"))
    })?;
    Ok(success_with("task", select_fields(render::task(&state, task), query.get("fields"))))
}

/// Applies name, description, status, process, assigner and template; other members are
/// accepted and ignored.
pub(super) async fn update(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let write: TaskWrite = parse(&body)?;
    let mut state = sim.lock();
    let not_found =
        || ApiError::new(StatusCode::NOT_FOUND, code::TASK_NOT_FOUND, format!("Task for update not found by id {id}"));
    let task_id = as_int(&Value::from(id.as_str())).filter(|id| state.tasks.contains_key(id)).ok_or_else(not_found)?;
    // Validate everything before changing anything.
    let process_id = write.process_id.map(checked_process).transpose()?;
    let status_id = write.status.as_ref().map(|status| checked_status(&status.id)).transpose()?;
    let assigner = write.assigner.as_ref().map(|person| existing_person(&state, &person.id, "assigner")).transpose()?;
    let template_id = write.template.as_ref().map(|template| entity_id(&template.id, "template")).transpose()?;
    let task = state.tasks.get_mut(&task_id).ok_or_else(not_found)?;
    if let Some(name) = write.name {
        task.name = name;
    }
    if let Some(description) = write.description {
        task.description = description;
    }
    if let Some(process_id) = process_id {
        task.process_id = process_id;
    }
    if let Some(status_id) = status_id {
        task.status_id = status_id;
    }
    if let Some(assigner) = assigner {
        task.assigner = assigner;
    }
    if template_id.is_some() {
        task.template_id = template_id;
    }
    Ok(success(StatusCode::OK, Map::new()))
}

pub(super) async fn list(State(sim): State<PlanfixSim>, body: JsonBody) -> Result<Response, ApiError> {
    let request: ListRequest = parse(&body)?;
    let state = sim.lock();
    let mut found = Vec::new();
    for task in state.tasks.values() {
        if all_match(task, &request.filters, matches)? {
            found.push(task);
        }
    }
    let tasks: Vec<Value> = page(found, request.offset, request.page_size)
        .into_iter()
        .map(|task| select_fields(render::task(&state, task), request.fields.as_deref()))
        .collect();
    Ok(success_with("tasks", Value::Array(tasks)))
}

/// Id filters take one value or an array (any of them).
fn matches(task: &Task, filter: &Filter) -> Result<bool, ApiError> {
    let negated = filter.negated("task")?;
    let hit = match filter.kind()? {
        filter::ASSIGNER => filter.value.as_str() == Some(task.assigner.as_str()),
        filter::STATUS => int_list(&filter.value).contains(&task.status_id),
        filter::PROCESS => int_list(&filter.value).contains(&task.process_id),
        filter::TEMPLATE => task.template_id.is_some_and(|id| int_list(&filter.value).contains(&id)),
        filter::NUMBER => int_list(&filter.value).contains(&task.id),
        other => return Err(ApiError::not_simulated(format!("task filter type {other}"))),
    };
    Ok(hit != negated)
}

/// Wording as in the spec's example `{"code":41,"error":"Status not find by id 2"}`.
fn checked_status(id: &Value) -> Result<i64, ApiError> {
    as_int(id)
        .filter(|id| process_status(*id).is_some())
        .ok_or_else(|| ApiError::invalid_value(format!("Status not find by id {id}")))
}

fn checked_process(id: i64) -> Result<i64, ApiError> {
    if id == PROCESS_ID {
        Ok(id)
    } else {
        Err(ApiError::invalid_value(format!("Process not find by id {id}")))
    }
}

fn entity_id(id: &Value, what: &str) -> Result<i64, ApiError> {
    as_int(id).ok_or_else(|| ApiError::invalid_value(format!("Invalid parameter value: {what} {id}")))
}
