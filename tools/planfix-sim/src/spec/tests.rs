//! Validator tests against the real spec (see `spec_path` for where it is looked for). A missing
//! spec fails them.

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::SpecValidator;

/// The raw spec document.
fn raw_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = crate::spec_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("swagger.json is JSON")
    })
}

fn validator() -> &'static SpecValidator {
    static VALIDATOR: OnceLock<SpecValidator> = OnceLock::new();
    VALIDATOR.get_or_init(|| SpecValidator::from_value(raw_spec().clone()).expect("the spec compiles"))
}

fn post(path: &str, body: Value) -> Result<(), String> {
    validator().check("POST", path, &[], Some(&body))
}

fn get(path: &str, query: &[(&str, &str)]) -> Result<(), String> {
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    validator().check("GET", path, &query, None)
}

fn assert_rejected(result: Result<(), String>, mentions: &str) {
    match result {
        Ok(()) => panic!("expected a rejection mentioning {mentions:?}"),
        Err(reason) => assert!(reason.contains(mentions), "{reason:?} should mention {mentions:?}"),
    }
}

/// The operations the simulator serves that take a body, with a concrete path for each.
const OPERATIONS_WITH_EXAMPLES: &[(&str, &str)] = &[
    ("/contact/list", "/contact/list"),
    ("/contact/", "/contact/"),
    ("/contact/{id}", "/contact/12"),
    ("/task/", "/task/"),
    ("/task/{id}", "/task/5"),
    ("/task/list", "/task/list"),
    ("/task/{id}/comments/", "/task/5/comments/"),
    ("/task/{id}/comments/list", "/task/5/comments/list"),
];

/// Request examples of the spec that the validator rejects on purpose, and why.
const REJECTED_EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "/contact/list",
        "example: filter by custom field Date and Employee",
        "filter type 9109 is in no enum and no help table: a typo of 4109",
    ),
    (
        "/contact/list",
        "example: filter by data tag entry value with custom field String",
        "operator `equals` is not in the operator enum (which has `equal`)",
    ),
    (
        "/contact/list",
        "example: filter by data tag entry value with custom field Directory entry",
        "operator `equals` is not in the operator enum (which has `equal`)",
    ),
    (
        "/task/list",
        "example: filter by data tag entry value with custom field String",
        "operator `equals` is not in the operator enum (which has `equal`)",
    ),
    (
        "/task/list",
        "example: filter by data tag entry value with custom field Directory entry",
        "operator `equals` is not in the operator enum (which has `equal`)",
    ),
    (
        "/task/list",
        "example: filter by custom field Contact",
        "`onlyChanged` is not a property of the /task/list body (copied from /contact/list)",
    ),
];

#[test]
fn spec_request_examples_pass_except_the_documented_ones() {
    let (spec, validator) = (raw_spec(), validator());
    let mut problems = Vec::new();
    let mut checked = 0;
    for (template, path) in OPERATIONS_WITH_EXAMPLES {
        let pointer =
            format!("/paths/{}/post/requestBody/content/application~1json/examples", template.replace('/', "~1"));
        let examples = spec.pointer(&pointer).and_then(Value::as_object).expect("the operation has examples");
        for (name, example) in examples {
            let body = &example["value"];
            let rejected_on_purpose = REJECTED_EXAMPLES.iter().any(|(t, n, _)| t == template && n == name);
            match (validator.check("POST", path, &[], Some(body)), rejected_on_purpose) {
                (Ok(()), false) | (Err(_), true) => checked += 1,
                (Err(reason), false) => problems.push(format!("{template} «{name}» rejected: {reason}")),
                (Ok(()), true) => problems.push(format!("{template} «{name}» is listed as rejected but passes")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 150, "only {checked} examples checked");
}

#[test]
fn unknown_paths_and_methods_are_rejected() {
    assert_rejected(post("/task", json!({})), "no path /task");
    assert_rejected(get("/contact/list", &[]), "no GET operation on /contact/list");
    assert_rejected(post("/whatsapp/send", json!({})), "no path");
    assert!(get("/ping", &[]).is_ok());
}

#[test]
fn path_and_query_parameters_follow_their_schemas() {
    assert!(get("/task/5", &[("fields", "id,name,status,processId,assigner")]).is_ok());
    assert_rejected(get("/task/abc", &[]), "path parameter id");
    assert_rejected(get("/task/5", &[("fieldz", "id")]), "'fieldz' is not declared");
    assert!(get("/contact/contact:12", &[("fields", "id,phones,87")]).is_ok());
    assert!(get("/process/task/1/statuses", &[("fields", "id,name,isActive")]).is_ok());
    assert_rejected(get("/process/task/1/statuses", &[("fields", "id,active")]), "field 'active'");
    // The help allows the token as a query parameter on GET only.
    assert!(get("/task/5", &[("access_token", "t")]).is_ok());
    let token = [("access_token".to_owned(), "t".to_owned())];
    assert!(validator().check("POST", "/task/5", &token, Some(&json!({}))).is_err());
}

#[test]
fn comment_fields_follow_the_lists_of_each_operation() {
    // GET /comment/{id} lists its fields (sourceObjectId among them); the comment list takes
    // any field names.
    assert_rejected(get("/comment/1001", &[("fields", "id,sourceObjectID")]), "sourceObjectID");
    let bridge_fields =
        "id,dateTime,fromType,description,owner,recipients,files,isDeleted,isHidden,task,sourceObjectId";
    assert!(get("/comment/1001", &[("fields", bridge_fields)]).is_ok());
    assert!(post(
        "/task/5/comments/list",
        json!({"fields": "id,sourceObjectId", "resultOrder": [{"field": "id", "direction": "Asc"}]})
    )
    .is_ok());
    assert_rejected(post("/task/5/comments/list", json!({"resultOrder": [{"filed": "id"}]})), "filed");
}

#[test]
fn misspelled_and_mistyped_members_are_rejected() {
    assert_rejected(post("/task/", json!({"name": "n", "descripton": "d"})), "descripton");
    assert_rejected(post("/task/", json!({"assigner": {"id": 5}})), "/assigner");
    assert!(post("/task/", json!({"assigner": {"id": "contact:5"}, "template": {"id": 12}})).is_ok());
    assert_rejected(post("/task/5/comments/", json!({"owner": {"id": 5}})), "/owner");
    assert_rejected(
        post("/contact/", json!({"name": "a", "phones": [{"number": "1", "maskedNumber": "1"}]})),
        "maskedNumber",
    );
    assert_rejected(post("/task/5/comments/", json!({"sourceObjectId": "wamid.1"})), "uuid");
    assert_rejected(post("/contact/list", json!({"pageSize": 101})), "/pageSize");
    assert_rejected(post("/task/5", json!({"status": {"id": "2"}})), "/status/id");
    assert!(validator().check("GET", "/ping", &[], Some(&json!({}))).is_err(), "GET takes no body");
}

#[test]
fn normalised_defects_are_accepted_in_their_documented_form() {
    // Filter type enums are documentation strings in the spec; the number is what is sent.
    let phone =
        json!({"filters": [{"type": 4003, "operator": "equal", "value": "79051234567"}], "fields": "id,phones"});
    assert!(post("/contact/list", phone).is_ok());
    assert_rejected(
        post("/contact/list", json!({"filters": [{"type": 9999, "operator": "equal", "value": "1"}]})),
        "/filters/0/type",
    );
    assert_rejected(
        post("/contact/list", json!({"filters": [{"type": "4003", "operator": "equal", "value": "1"}]})),
        "/filters/0/type",
    );
    let task_filters = json!({"filters": [
        {"type": 1, "operator": "equal", "value": "contact:345"},
        {"type": 10, "operator": "equal", "value": [1, 2]}
    ]});
    assert!(post("/task/list", task_filters).is_ok());

    // NotifiedRequest.roles: an array (the spec's example) or the single string (its schema).
    assert!(post("/task/5/comments/", json!({"recipients": {"roles": ["assignee", "auditor"]}})).is_ok());
    assert!(post("/task/5/comments/", json!({"recipients": {"roles": "assignee"}})).is_ok());
    assert_rejected(post("/task/5/comments/", json!({"recipients": {"roles": ["boss"]}})), "/recipients/roles");

    // TimePoint: the object, or the string "dd-MM-yyyy HH:mm:ss".
    assert!(post("/task/5/comments/", json!({"dateTime": {"date": "12-06-2022", "time": "12:15"}})).is_ok());
    assert!(post("/task/", json!({"startDateTime": "01-01-2023 12:15:00"})).is_ok());
    assert_rejected(post("/task/", json!({"startDateTime": "2023-01-01"})), "/startDateTime");

    // counterparty alone also takes a numeric id (the spec's example).
    assert!(post("/task/", json!({"counterparty": {"id": 5}})).is_ok());
}

#[test]
fn the_bridges_requests_pass() {
    let create_contact = json!({
        "template": {"id": 1}, "name": "Ivan", "lastname": "Ivanov",
        "phones": [{"number": "+79051234567", "type": 1}],
        "customFieldData": [{"field": {"id": 87}, "value": "79051234567"}],
        "description": "Created from WhatsApp"
    });
    assert!(post("/contact/", create_contact).is_ok());
    let create_task = json!({
        "template": {"id": 12}, "name": "WhatsApp: Ivan", "description": "Hi<br>there",
        "assigner": {"id": "contact:345"}, "assignees": {"users": [{"id": "user:5"}]},
        "counterparty": {"id": 345}, "files": [{"id": 124}]
    });
    assert!(post("/task/", create_task).is_ok());
    let comment = json!({
        "description": "Hello", "owner": {"id": "contact:345"}, "recipients": {"roles": ["assignee"]},
        "files": [{"id": 1245}], "sourceObjectId": "0c091b1f-a735-44e9-a56c-43435e7a40b6"
    });
    assert!(post("/task/101/comments/", comment).is_ok());
    assert!(post("/task/101", json!({"status": {"id": 2}})).is_ok());
}

#[test]
fn multipart_bodies_need_an_operation_that_takes_them() {
    use super::{BodyKind, Rejection};
    let v = validator();
    let form = BodyKind::Multipart("multipart/form-data; boundary=x");
    assert_eq!(v.check_body_kind("POST", "/file/", &[], form), Ok("/file/"));
    let mixed = BodyKind::Multipart("multipart/mixed; boundary=x");
    assert!(
        matches!(v.check_body_kind("POST", "/file/", &[], mixed), Err(Rejection::Invalid(r)) if r.contains("multipart/mixed"))
    );
    assert!(matches!(v.check_body_kind("POST", "/task/", &[], form), Err(Rejection::Invalid(_))));
    assert!(matches!(v.check_body_kind("POST", "/files/", &[], form), Err(Rejection::UnknownOperation(_))));
    // The upload is not JSON: a JSON body is refused.
    assert_rejected(post("/file/", json!({"file": "x"})), "not JSON");
}
