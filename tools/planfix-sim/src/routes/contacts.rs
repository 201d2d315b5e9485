//! `POST /contact/list`, `POST /contact/`, `GET` / `POST /contact/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::request::{all_match, as_int, as_text, int_list, page, parse, Filter};
use crate::envelope::{code, created, success, success_with, ApiError};
use crate::gate::{JsonBody, QueryPairs};
use crate::model::Contact;
use crate::render::{self, select_fields};
use crate::state::full_name;
use crate::PlanfixSim;

/// Contact filter types the simulator evaluates (help: "Сложные фильтры контактов").
mod filter {
    pub const PART_OF_NAME: i64 = 4001;
    pub const PHONE: i64 = 4003;
    pub const FIRST_NAME: i64 = 4014;
    pub const LAST_NAME: i64 = 4015;
    pub const NUMBER: i64 = 4231;
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListRequest {
    offset: Option<i64>,
    page_size: Option<i64>,
    filters: Vec<Filter>,
    fields: Option<String>,
    is_company: bool,
    prefixed_id: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ContactWrite {
    name: Option<String>,
    midname: Option<String>,
    lastname: Option<String>,
    phones: Option<Vec<PhoneWrite>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PhoneWrite {
    number: Option<String>,
}

pub(super) async fn list(State(sim): State<PlanfixSim>, body: JsonBody) -> Result<Response, ApiError> {
    let request: ListRequest = parse(&body)?;
    let state = sim.lock();
    let mut found = Vec::new();
    // Simulated contacts are people, never companies.
    if !request.is_company {
        for contact in state.contacts.values() {
            if all_match(contact, &request.filters, matches)? {
                found.push(contact);
            }
        }
    }
    let contacts: Vec<Value> = page(found, request.offset, request.page_size)
        .into_iter()
        .map(|contact| select_fields(render::contact(contact, request.prefixed_id), request.fields.as_deref()))
        .collect();
    Ok(success_with("contacts", Value::Array(contacts)))
}

/// For the string filters (4001–4015) `equal` means "contains" and `notequal` "does not
/// contain" (help; NOTES.md 4.1); the phone filter compares against the number as stored.
fn matches(contact: &Contact, filter: &Filter) -> Result<bool, ApiError> {
    let kind = filter.kind()?;
    let negated = filter.negated("contact")?;
    let needle = || {
        as_text(&filter.value).ok_or_else(|| ApiError::invalid_value(format!("Invalid filter value {}", filter.value)))
    };
    let contains = |haystack: &str, needle: &str| haystack.to_lowercase().contains(&needle.to_lowercase());
    let hit = match kind {
        filter::PHONE => {
            let needle = needle()?;
            contact.phones.iter().any(|number| number.contains(&needle))
        }
        filter::PART_OF_NAME => contains(&full_name(contact), &needle()?),
        filter::FIRST_NAME => contains(&contact.name, &needle()?),
        filter::LAST_NAME => contains(&contact.lastname, &needle()?),
        filter::NUMBER => int_list(&filter.value).contains(&contact.id),
        other => return Err(ApiError::not_simulated(format!("contact filter type {other}"))),
    };
    Ok(hit != negated)
}

pub(super) async fn create(State(sim): State<PlanfixSim>, body: JsonBody) -> Result<Response, ApiError> {
    let write: ContactWrite = parse(&body)?;
    let full_name =
        [&write.name, &write.midname, &write.lastname].iter().filter_map(|part| part.as_deref()).collect::<String>();
    if full_name.trim().is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, code::CONTACT_NAME_EMPTY, "Contact full name is empty"));
    }
    let id = sim.lock().insert_contact(
        write.name.unwrap_or_default(),
        write.lastname.unwrap_or_default(),
        phone_numbers(write.phones.unwrap_or_default()),
    );
    Ok(created(id))
}

pub(super) async fn get(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let state = sim.lock();
    let contact = contact_id(&id).and_then(|id| state.contacts.get(&id)).ok_or_else(|| not_found(&id))?;
    Ok(success_with("contact", select_fields(render::contact(contact, false), query.get("fields"))))
}

/// Updates name, last name and phones. Whether Planfix replaces or appends `phones` is
/// unconfirmed (NOTES.md 4.3); the simulator replaces them.
pub(super) async fn update(
    State(sim): State<PlanfixSim>,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let write: ContactWrite = parse(&body)?;
    let mut state = sim.lock();
    let contact = contact_id(&id).and_then(|id| state.contacts.get_mut(&id)).ok_or_else(|| not_found(&id))?;
    if let Some(name) = write.name {
        contact.name = name;
    }
    if let Some(lastname) = write.lastname {
        contact.lastname = lastname;
    }
    if let Some(phones) = write.phones {
        contact.phones = phone_numbers(phones);
    }
    Ok(success(StatusCode::OK, Map::new()))
}

/// `12` or `contact:12`.
fn contact_id(raw: &str) -> Option<i64> {
    as_int(&Value::from(raw.strip_prefix("contact:").unwrap_or(raw)))
}

fn phone_numbers(phones: Vec<PhoneWrite>) -> Vec<String> {
    phones.into_iter().filter_map(|phone| phone.number).filter(|number| !number.is_empty()).collect()
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code::CONTACT_NOT_FOUND, format!("Contact not found by id {id}"))
}
