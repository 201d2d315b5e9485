//! How stored objects look in Planfix responses, and the `fields` selection.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use crate::model::{Comment, Contact, Task};
use crate::state::{process_status, ProcessStatus, State, StoredFile};

/// Keeps `id` plus the comma-separated `fields`; without `fields` only `id` comes back (the
/// simulator is deliberately stingy, so that a missing `fields` shows up in tests).
pub(crate) fn select_fields(full: Map<String, Value>, fields: Option<&str>) -> Value {
    let wanted: Vec<&str> = fields.unwrap_or_default().split(',').map(str::trim).collect();
    Value::Object(full.into_iter().filter(|(key, _)| key == "id" || wanted.contains(&key.as_str())).collect())
}

pub(crate) fn contact(contact: &Contact, prefixed_id: bool) -> Map<String, Value> {
    let id = if prefixed_id { Value::from(format!("contact:{}", contact.id)) } else { Value::from(contact.id) };
    let phones: Vec<Value> = contact
        .phones
        .iter()
        .map(|number| json!({ "number": number, "maskedNumber": masked_number(number), "type": 1 }))
        .collect();
    object(json!({
        "id": id,
        "name": contact.name,
        "lastname": contact.lastname,
        "isCompany": false,
        "isDeleted": false,
        "phones": phones,
    }))
}

/// `status` carries only `id` and `name`: whether Planfix fills `isActive` here is unconfirmed
/// (NOTES.md 5.2), so clients must read it from the process's status list.
pub(crate) fn task(state: &State, task: &Task) -> Map<String, Value> {
    let status_name = process_status(task.status_id).map_or("", |status| status.name);
    let mut full = object(json!({
        "id": task.id,
        "name": task.name,
        "description": task.description,
        "status": { "id": task.status_id, "name": status_name },
        "processId": task.process_id,
        "assigner": person(state, &task.assigner),
        "isDeleted": false,
    }));
    if let Some(template) = task.template_id {
        full.insert("template".to_owned(), json!({ "id": template }));
    }
    if let Some(source) = &task.source_object_id {
        full.insert("sourceObjectId".to_owned(), json!(source));
    }
    full
}

pub(crate) fn status(status: &ProcessStatus) -> Map<String, Value> {
    object(json!({
        "id": status.id,
        "name": status.name,
        "color": status.color,
        "isActive": status.is_active,
        "hasDeadline": false,
        "isAppliedIndividually": false,
        "texts": [ { "lang": "Ru", "name": status.name_ru }, { "lang": "En", "name": status.name } ],
    }))
}

pub(crate) fn comment(state: &State, comment: &Comment) -> Map<String, Value> {
    let date_time = match &comment.date_time {
        Some(Value::String(text)) => time_point_from_string(text).unwrap_or_else(|| Value::from(text.clone())),
        Some(given) => given.clone(),
        None => state.comment_created.get(&comment.id).cloned().unwrap_or(Value::Null),
    };
    // `FileResponse`; ids that name no stored file (attached unchecked on creation) keep only the id.
    let files: Vec<Value> = comment
        .files
        .iter()
        .map(|id| match state.files.get(id) {
            Some(stored) => Value::Object(file(stored)),
            None => json!({ "id": id }),
        })
        .collect();
    let mut full = object(json!({
        "id": comment.id,
        "dateTime": date_time,
        "type": "Comment",
        "fromType": comment.from_type,
        "description": comment.description,
        "task": { "id": comment.task_id },
        "owner": person(state, &comment.owner),
        "isDeleted": false,
        "isPinned": false,
        "isHidden": comment.is_hidden,
        "isNotRead": false,
        "recipients": recipients(state, comment),
        "files": files,
    }));
    if let Some(source) = &comment.source_object_id {
        full.insert("sourceObjectId".to_owned(), Value::from(source.clone()));
    }
    if let Some(version) = &comment.source_data_version {
        full.insert("sourceDataVersion".to_owned(), Value::from(version.clone()));
    }
    full
}

/// `FileResponse`.
pub(crate) fn file(file: &StoredFile) -> Map<String, Value> {
    object(json!({
        "id": file.id,
        "name": file.name,
        "size": file.bytes.len(),
    }))
}

/// `PeopleResponse`: named users and groups. Of the roles only `assigner` resolves to a person,
/// because assignees, participants and auditors are not modelled.
fn recipients(state: &State, comment: &Comment) -> Value {
    let requested = &comment.recipients;
    let mut users: Vec<String> = ids(requested.get("users")).filter_map(|id| id.as_str().map(str::to_owned)).collect();
    let roles = requested.get("roles");
    let names_assigner = roles.and_then(Value::as_str) == Some("assigner")
        || roles.and_then(Value::as_array).is_some_and(|roles| roles.iter().any(|r| r == "assigner"));
    if names_assigner {
        if let Some(task) = state.tasks.get(&comment.task_id) {
            if !users.contains(&task.assigner) {
                users.push(task.assigner.clone());
            }
        }
    }
    let users: Vec<Value> = users.iter().map(|id| person(state, id)).collect();
    let groups: Vec<Value> =
        ids(requested.get("groups")).map(|id| json!({ "id": id, "name": format!("Group {id}") })).collect();
    json!({ "users": users, "groups": groups })
}

/// The `id` members of a list of `{id}` objects.
fn ids(list: Option<&Value>) -> impl Iterator<Item = &Value> {
    list.and_then(Value::as_array).into_iter().flatten().filter_map(|item| item.get("id"))
}

fn person(state: &State, id: &str) -> Value {
    json!({ "id": id, "name": state.person_name(id) })
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Display form like Planfix's example `"89643752416"` → `"+8 (964) 375-24-16"`; numbers that
/// do not have 11 digits are shown as entered.
fn masked_number(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 11 {
        return number.to_owned();
    }
    let d = |range: std::ops::Range<usize>| &digits[range];
    format!("+{} ({}) {}-{}-{}", d(0..1), d(1..4), d(4..7), d(7..9), d(9..11))
}

/// The current time as a `TimePoint` (UTC).
pub(crate) fn time_point_now() -> Value {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let (hour, minute) = (seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    let (year, month, day) = civil_from_days(days);
    time_point(year, month, day, &format!("{hour:02}:{minute:02}"))
}

/// The write-only string form `"dd-MM-yyyy HH:mm:ss"` as the `TimePoint` object Planfix returns.
fn time_point_from_string(text: &str) -> Option<Value> {
    let (date, time) = text.split_once(' ')?;
    let mut parts = date.split('-').map(|part| part.parse::<i64>().ok());
    let (day, month, year) = (parts.next()??, parts.next()??, parts.next()??);
    Some(time_point(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?, time.get(..5)?))
}

fn time_point(year: i64, month: u32, day: u32, hh_mm: &str) -> Value {
    json!({
        "date": format!("{day:02}-{month:02}-{year:04}"),
        "time": hh_mm,
        "datetime": format!("{year:04}-{month:02}-{day:02}T{hh_mm}Z"),
    })
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_masks() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(masked_number("89643752416"), "+8 (964) 375-24-16");
        assert_eq!(masked_number("+1052456789"), "+1052456789");
        assert_eq!(
            time_point_from_string("01-02-2023 12:15:00"),
            Some(json!({"date": "01-02-2023", "time": "12:15", "datetime": "2023-02-01T12:15Z"}))
        );
    }

    #[test]
    fn selection_keeps_id() {
        let full = object(json!({"id": 1, "name": "a", "phones": []}));
        assert_eq!(select_fields(full.clone(), Some("name")), json!({"id": 1, "name": "a"}));
        assert_eq!(select_fields(full, None), json!({"id": 1}));
    }
}
