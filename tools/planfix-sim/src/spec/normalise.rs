//! Repairs for known defects of Planfix's OpenAPI 3.0 document, applied before it is compiled
//! into JSON Schema validators. Each step is one small function named after the defect it
//! handles (NOTES.md section 3 lists the defects); [`apply`] runs them in order. A step whose
//! target is missing (a newer spec may have fixed it) does nothing.

use serde_json::{json, Map, Value};

/// The pattern of the documented string form of a `TimePoint`: `"dd-MM-yyyy HH:mm:ss"`.
pub(super) const TIME_POINT_STRING_PATTERN: &str = r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$";

/// Filter `type` values that the spec's own request examples (and the help's filter tables) use
/// but the schema's enum leaves out.
const EXTRA_CONTACT_FILTER_TYPES: &[i64] = &[
    4026, // "filter by email" example; the help lists 4026 as "e-mail, exact match"
];
const EXTRA_TASK_FILTER_TYPES: &[i64] = &[
    5,   // "filter by project" examples
    57,  // "filter by number" examples; the help lists 57 as "task number"
    110, // "filter by custom field Counterparty" example
    115, // "filter by custom field Task" example
    117, // "filter by custom field Project" example
];
/// The help's contact filter table gives `have` / `nothave` (contains / does not contain) for
/// custom-field string filters such as 4101 (NOTES.md 4.1); the spec's operator enum omits them.
const EXTRA_CONTACT_FILTER_OPERATORS: &[&str] = &["have", "nothave"];

pub(super) fn apply(spec: &mut Value) {
    for_each_request_schema(spec, &mut drop_annotations);
    for_each_request_schema(spec, &mut enum_doc_strings_to_numbers);
    extend_filter_enums(spec);
    notified_roles_accept_array(spec);
    time_point_accepts_string(spec);
    custom_field_value_accepts_any(spec);
    counterparty_accepts_number(spec);
    comment_order_field_spelling(spec);
    // Last, so that the schemas built by the steps above are made strict too.
    for_each_request_schema(spec, &mut reject_unknown_properties);
}

/// Examples do not affect validation; dropping them keeps the documents that every compiled
/// validator embeds small. (Descriptions stay: the allowed `fields` names are read from them.)
fn drop_annotations(schema: &mut Map<String, Value>) {
    for key in ["example", "examples", "x-examples"] {
        schema.remove(key);
    }
}

/// Enums on numeric fields are written as documentation strings, e.g. `"4003 // Contact phone"`
/// on `ComplexContactFilter.type` (`type: number`); clients send the number 4003.
fn enum_doc_strings_to_numbers(schema: &mut Map<String, Value>) {
    let numeric = matches!(schema.get("type").and_then(Value::as_str), Some("number" | "integer"));
    let Some(Value::Array(values)) = schema.get_mut("enum") else {
        return;
    };
    if !numeric {
        return;
    }
    for value in values.iter_mut() {
        if let Some(number) = value.as_str().and_then(leading_integer) {
            *value = Value::from(number);
        }
    }
}

/// `"4003 // Contact phone"` → 4003; `None` unless the text is an integer plus an optional comment.
fn leading_integer(text: &str) -> Option<i64> {
    let code = text.split("//").next()?.trim();
    code.parse().ok()
}

/// Adds the filter types and operators listed above to the filter enums.
fn extend_filter_enums(spec: &mut Value) {
    let contact = "/components/schemas/ComplexContactFilter/properties";
    let task = "/components/schemas/ComplexTaskFilter/properties";
    extend_enum(spec, &format!("{contact}/type/enum"), EXTRA_CONTACT_FILTER_TYPES.iter().map(|&n| Value::from(n)));
    extend_enum(spec, &format!("{task}/type/enum"), EXTRA_TASK_FILTER_TYPES.iter().map(|&n| Value::from(n)));
    extend_enum(
        spec,
        &format!("{contact}/operator/enum"),
        EXTRA_CONTACT_FILTER_OPERATORS.iter().map(|&s| Value::from(s)),
    );
}

fn extend_enum(spec: &mut Value, pointer: &str, extra: impl Iterator<Item = Value>) {
    if let Some(Value::Array(values)) = spec.pointer_mut(pointer) {
        for value in extra {
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }
}

/// `NotifiedRequest.roles` is typed as one string of an enum, but the spec's own example
/// ("Add new comment") sends `["auditor","assigner"]`. Accept an array of those values, and
/// the single string the schema describes.
fn notified_roles_accept_array(spec: &mut Value) {
    let Some(roles) = spec.pointer_mut("/components/schemas/NotifiedRequest/properties/roles") else {
        return;
    };
    let Some(allowed) = roles.get("enum").cloned() else {
        return;
    };
    *roles = json!({
        "anyOf": [
            { "type": "string", "enum": allowed },
            { "type": "array", "items": { "type": "string", "enum": allowed } }
        ]
    });
}

/// On write, a `TimePoint` may also be the string `"dd-MM-yyyy HH:mm:ss"` (the "set dates from
/// string" examples of `POST /task/` and `POST /task/{id}`).
fn time_point_accepts_string(spec: &mut Value) {
    let Some(time_point) = spec.pointer_mut("/components/schemas/TimePoint") else {
        return;
    };
    let object_form = time_point.take();
    *time_point = json!({
        "anyOf": [
            object_form,
            { "type": "string", "pattern": TIME_POINT_STRING_PATTERN }
        ]
    });
}

/// `CustomFieldValueRequest.value` is typed `object`, but the spec's examples send strings,
/// numbers, booleans and arrays, depending on the custom field's type.
fn custom_field_value_accepts_any(spec: &mut Value) {
    if let Some(value) = spec.pointer_mut("/components/schemas/CustomFieldValueRequest/properties/value") {
        *value = json!({});
    }
}

/// The spec's examples "create task, set counterparty" and "update counterparty" send
/// `"counterparty":{"id":5}` (a number), while `PersonRequest.id` is a string like "contact:5".
/// Only the task's `counterparty` accepts the numeric form; `assigner`, `owner` etc. stay strict.
fn counterparty_accepts_number(spec: &mut Value) {
    for request in ["TaskCreateRequest", "TaskUpdateRequest"] {
        let pointer = format!("/components/schemas/{request}/properties/counterparty");
        let Some(counterparty) = spec.pointer_mut(&pointer) else {
            continue;
        };
        let person = counterparty.take();
        *counterparty = json!({
            "anyOf": [
                person,
                { "type": "object", "properties": { "id": { "type": "integer" } } }
            ]
        });
    }
}

/// The `resultOrder` item of `POST /task/{id}/comments/list` declares the property `filed`; the
/// spec's example (and Planfix) use `field`. Accept `field` only: `filed` would be ignored.
fn comment_order_field_spelling(spec: &mut Value) {
    let pointer = "/paths/~1task~1{id}~1comments~1list/post/requestBody/content/application~1json\
                   /schema/properties/resultOrder/items/properties";
    let Some(Value::Object(properties)) = spec.pointer_mut(pointer) else {
        return;
    };
    if let Some(field) = properties.remove("filed") {
        properties.insert("field".to_owned(), field);
    }
}

/// OpenAPI objects allow undeclared properties by default; Planfix silently ignores them, which
/// hides misspelled field names. Every object schema that declares `properties` therefore gets
/// `additionalProperties: false`. A schema whose `anyOf`/`oneOf`/`allOf` branches declare
/// properties of their own is left open, because its valid property set is the union of the
/// branches (each branch is made strict on its own).
fn reject_unknown_properties(schema: &mut Map<String, Value>) {
    if !schema.contains_key("properties") || schema.contains_key("additionalProperties") {
        return;
    }
    let branches_declare_properties = ["anyOf", "oneOf", "allOf"].iter().any(|key| {
        schema
            .get(*key)
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(|b| b.get("properties").is_some()))
    });
    if !branches_declare_properties {
        schema.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
}

/// Runs `visit` on every schema a request can be validated against: component schemas,
/// request-body schemas and parameter schemas, with all their subschemas.
fn for_each_request_schema(spec: &mut Value, visit: &mut dyn FnMut(&mut Map<String, Value>)) {
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        schemas.values_mut().for_each(|s| walk_schemas(s, visit));
    }
    if let Some(Value::Object(parameters)) = spec.pointer_mut("/components/parameters") {
        for parameter in parameters.values_mut() {
            if let Some(schema) = parameter.get_mut("schema") {
                walk_schemas(schema, visit);
            }
        }
    }
    let Some(Value::Object(paths)) = spec.get_mut("paths") else {
        return;
    };
    for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut()) {
        if let Some(Value::Object(contents)) = operation.pointer_mut("/requestBody/content") {
            for content in contents.values_mut() {
                if let Some(schema) = content.get_mut("schema") {
                    walk_schemas(schema, visit);
                }
            }
        }
        if let Some(Value::Array(parameters)) = operation.get_mut("parameters") {
            for schema in parameters.iter_mut().filter_map(|p| p.get_mut("schema")) {
                walk_schemas(schema, visit);
            }
        }
    }
}

/// Depth-first, parent before children, over the subschema positions OpenAPI 3.0 allows.
fn walk_schemas(schema: &mut Value, visit: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Value::Object(map) = schema else { return };
    visit(map);
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(|p| walk_schemas(p, visit));
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = map.get_mut(key) {
            walk_schemas(sub, visit);
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(key) {
            branches.iter_mut().for_each(|b| walk_schemas(b, visit));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_string_enums_become_numbers() {
        let mut schema = json!({"type": "number", "enum": ["4003 // Contact phone", 8, "x"]});
        walk_schemas(&mut schema, &mut enum_doc_strings_to_numbers);
        assert_eq!(schema["enum"], json!([4003, 8, "x"]));
    }

    #[test]
    fn strictness_skips_schemas_whose_branches_declare_properties() {
        let mut open = json!({"properties": {"a": {}}, "anyOf": [{"properties": {"b": {}}}]});
        walk_schemas(&mut open, &mut reject_unknown_properties);
        assert!(open.get("additionalProperties").is_none());
        assert_eq!(open["anyOf"][0]["additionalProperties"], json!(false));

        let mut strict = json!({"anyOf": [{}], "properties": {"date": {"type": "string"}}});
        walk_schemas(&mut strict, &mut reject_unknown_properties);
        assert_eq!(strict["additionalProperties"], json!(false));
    }
}
