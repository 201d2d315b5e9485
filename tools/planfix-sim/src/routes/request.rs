//! Reading request data leniently: the spec check (when configured) has already enforced the
//! shapes, so the handlers only interpret values and never panic on odd input.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::envelope::ApiError;
use crate::gate::JsonBody;
use crate::state::State;

/// The body as `T`; an absent body is `T::default()`.
pub(crate) fn parse<T: DeserializeOwned + Default>(body: &JsonBody) -> Result<T, ApiError> {
    match &body.0 {
        None => Ok(T::default()),
        Some(json) => {
            T::deserialize(json).map_err(|e| ApiError::invalid_value(format!("Invalid parameter value: {e}")))
        }
    }
}

/// `{"id": …}` as in `BaseEntity` and `PersonRequest`.
#[derive(Deserialize, Debug)]
pub(crate) struct IdRef {
    #[serde(default)]
    pub id: Value,
}

/// A complex filter (`ComplexContactFilter`, `ComplexTaskFilter`).
#[derive(Deserialize, Debug)]
pub(crate) struct Filter {
    #[serde(rename = "type", default)]
    pub kind: Value,
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub value: Value,
}

impl Filter {
    pub fn kind(&self) -> Result<i64, ApiError> {
        as_int(&self.kind).ok_or_else(|| ApiError::invalid_value(format!("Invalid filter type {}", self.kind)))
    }

    /// `equal` → false, `notequal` → true; other operators are not simulated.
    pub fn negated(&self, what: &str) -> Result<bool, ApiError> {
        match self.operator.as_str() {
            "equal" => Ok(false),
            "notequal" => Ok(true),
            other => Err(ApiError::not_simulated(format!("operator {other:?} on {what} filters"))),
        }
    }
}

/// Planfix combines the filters of one list request with AND.
pub(crate) fn all_match<T>(
    item: &T,
    filters: &[Filter],
    matches: impl Fn(&T, &Filter) -> Result<bool, ApiError>,
) -> Result<bool, ApiError> {
    for filter in filters {
        if !matches(item, filter)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A number, an integral float, or a numeric string.
pub(crate) fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// One id or an array of ids (a filter value meaning "any of").
pub(crate) fn int_list(value: &Value) -> Vec<i64> {
    match value {
        Value::Array(items) => items.iter().filter_map(as_int).collect(),
        single => as_int(single).into_iter().collect(),
    }
}

/// A filter value compared as text.
pub(crate) fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The slice Planfix's `offset` / `pageSize` (1–100, default 100) select.
pub(crate) fn page<T>(items: Vec<T>, offset: Option<i64>, page_size: Option<i64>) -> Vec<T> {
    let offset = usize::try_from(offset.unwrap_or(0)).unwrap_or(0);
    let size = usize::try_from(page_size.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    items.into_iter().skip(offset).take(size).collect()
}

/// A prefixed person id that exists (`contact:N` stored, or any `user:N`); else code 41.
pub(crate) fn existing_person(state: &State, id: &Value, role: &str) -> Result<String, ApiError> {
    match id.as_str() {
        Some(person) if state.person_exists(person) => Ok(person.to_owned()),
        _ => Err(ApiError::invalid_value(format!("Invalid parameter value: {role} {id} not found"))),
    }
}
