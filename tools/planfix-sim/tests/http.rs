//! The simulator over real HTTP, as the bridge talks to it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use planfix_sim::{Failure, PlanfixSim, PlanfixSimConfig, SpecValidator};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const TOKEN: &str = "test-token";

/// The spec, or `None` (the caller skips its spec-dependent part) when it is missing outside CI.
fn spec() -> Option<Arc<SpecValidator>> {
    let path = std::env::var_os("PLANFIX_SWAGGER").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/planfix/swagger.json")),
        PathBuf::from,
    );
    if !path.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "spec {} is required in CI",
            path.display()
        );
        eprintln!(
            "spec {} missing: running without validation (set PLANFIX_SWAGGER)",
            path.display()
        );
        return None;
    }
    Some(Arc::new(
        SpecValidator::from_file(&path).expect("the spec compiles"),
    ))
}

struct Api {
    sim: PlanfixSim,
    base: String,
    client: Client,
}

impl Api {
    async fn start(spec: Option<Arc<SpecValidator>>) -> Self {
        let sim = PlanfixSim::new(PlanfixSimConfig {
            token: TOKEN.to_owned(),
            spec,
        });
        let base = sim.serve(None).await.expect("serve");
        Self {
            sim,
            base,
            client: Client::new(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
}

#[tokio::test]
async fn the_bridges_conversation_flow() {
    let api = Api::start(spec()).await;
    let contact = api.sim.add_contact("Ivan", "+79051234567");
    assert!(api.base.starts_with("http://127.0.0.1:") && api.base.ends_with("/rest"));

    assert_eq!(
        api.get("/ping").await,
        (StatusCode::OK, json!({"result": "success"}))
    );

    // Phone search: `equal` means "contains" on the stored number.
    let search = |value: &str| {
        json!({"offset": 0, "pageSize": 100, "fields": "id,name,lastname,phones",
               "filters": [{"type": 4003, "operator": "equal", "value": value}]})
    };
    let (status, found) = api.post("/contact/list", search("9051234567")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        found["contacts"],
        json!([{"id": contact, "name": "Ivan", "lastname": "",
                "phones": [{"number": "+79051234567", "maskedNumber": "+7 (905) 123-45-67", "type": 1}]}])
    );
    assert_eq!(
        api.post("/contact/list", search("000")).await.1["contacts"],
        json!([])
    );

    // Task with the contact as assigner; status defaults to the process's first status.
    let (status, created) = api
        .post(
            "/task/",
            json!({"template": {"id": 12}, "name": "WhatsApp: Ivan", "description": "Hi",
                                "assigner": {"id": format!("contact:{contact}")}}),
        )
        .await;
    assert_eq!(
        (status, &created["result"]),
        (StatusCode::CREATED, &json!("success"))
    );
    let task = created["id"].as_i64().expect("task id");
    let (_, read) = api
        .get(&format!(
            "/task/{task}?fields=status,processId,assigner,template"
        ))
        .await;
    assert_eq!(
        read["task"],
        json!({"id": task, "status": {"id": 1, "name": "New"}, "processId": 1,
               "assigner": {"id": format!("contact:{contact}"), "name": "Ivan"}, "template": {"id": 12}})
    );
    let (_, statuses) = api
        .get("/process/task/1/statuses?fields=id,name,isActive")
        .await;
    assert_eq!(
        statuses["statuses"][2],
        json!({"id": 3, "name": "Completed", "isActive": false})
    );

    let (_, listed) = api
        .post(
            "/task/list",
            json!({"fields": "id,status", "filters": [
            {"type": 1, "operator": "equal", "value": format!("contact:{contact}")},
            {"type": 10, "operator": "equal", "value": [1, 2]}]}),
        )
        .await;
    assert_eq!(
        listed["tasks"],
        json!([{"id": task, "status": {"id": 1, "name": "New"}}])
    );

    assert_eq!(
        api.post(&format!("/task/{task}"), json!({"status": {"id": 3}}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(api.sim.tasks()[0].status_id, 3);

    // Inbound comment by the contact, then an employee's reply that notifies the contact.
    let source = "0c091b1f-a735-44e9-a56c-43435e7a40b6";
    let (status, created) = api
        .post(
            &format!("/task/{task}/comments/"),
            json!({"description": "Hello<br>there",
              "owner": {"id": format!("contact:{contact}")}, "recipients": {"roles": ["assignee"]},
              "sourceObjectId": source}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let inbound = created["id"].as_i64().expect("comment id");
    let reply = api
        .sim
        .add_employee_comment(task, 7, "<p>Hi Ivan</p>", &[contact]);
    assert!(reply > inbound && inbound != task);

    let (_, page) = api
        .post(&format!("/task/{task}/comments/list"), json!({"offset": 0, "pageSize": 100,
              "fields": "id,sourceObjectId,owner", "resultOrder": [{"field": "id", "direction": "Desc"}]}))
        .await;
    assert_eq!(
        page["comments"][1],
        json!({"id": inbound, "sourceObjectId": source,
                                           "owner": {"id": format!("contact:{contact}"), "name": "Ivan"}})
    );
    let (_, one) = api
        .get(&format!(
            "/comment/{reply}?fields=description,owner,recipients,isDeleted,isHidden,task"
        ))
        .await;
    assert_eq!(
        one["comment"],
        json!({"id": reply, "description": "<p>Hi Ivan</p>", "owner": {"id": "user:7", "name": "Employee 7"},
               "recipients": {"users": [{"id": format!("contact:{contact}"), "name": "Ivan"}], "groups": []},
               "isDeleted": false, "isHidden": false, "task": {"id": task}})
    );
    let stored = api.sim.comments(task);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].source_object_id.as_deref(), Some(source));
    assert_eq!(api.sim.violations(), Vec::<String>::new());
    assert!(api.sim.requests().iter().all(|r| r.status != 0));
    assert_eq!(
        api.sim.snapshot()["comments"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn authentication_and_spec_violations() {
    let Some(spec) = spec() else { return };
    let api = Api::start(Some(spec)).await;
    let url = format!("{}/ping", api.base);

    let unauthorized = api.client.get(&url).send().await.expect("send");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let body: Value = unauthorized.json().await.expect("json");
    assert_eq!(
        body,
        json!({"result": "fail", "code": 1, "error": "Access denied, unknown token"})
    );
    let wrong = api
        .client
        .get(&url)
        .bearer_auth("other")
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let in_query = api
        .client
        .get(format!("{url}?access_token={TOKEN}"))
        .send()
        .await
        .expect("send");
    assert_eq!(in_query.status(), StatusCode::OK);

    let (status, body) = api
        .post("/task/", json!({"name": "x", "descripton": "typo"}))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!(30))
    );
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("spec violation:") && e.contains("descripton")));

    assert_eq!(
        api.post("/task", json!({"name": "x"})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("/task/101?fieldz=id").await.0,
        StatusCode::BAD_REQUEST
    );

    let malformed = api
        .client
        .post(format!("{}/task/", api.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    let outside = api
        .client
        .get(api.base.replace("/rest", "/api/ping"))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert_eq!(outside.expect("send").status(), StatusCode::NOT_FOUND);

    // In the spec, but not simulated: 501, and no violation.
    assert_eq!(
        api.get("/task/templates").await.0,
        StatusCode::NOT_IMPLEMENTED
    );

    let violations = api.sim.violations();
    assert_eq!(violations.len(), 5, "{violations:#?}");
    assert!(api.sim.tasks().is_empty());
}

#[tokio::test]
async fn planfix_errors_and_injected_faults() {
    let api = Api::start(spec()).await;
    let contact = api.sim.add_contact("Ivan", "+79051234567");

    let (status, body) = api
        .post(
            "/task/",
            json!({"name": "t", "assigner": {"id": "contact:999"}}),
        )
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::BAD_REQUEST, &json!(41))
    );
    let (status, body) = api
        .post("/task/", json!({"name": "t", "status": {"id": 9}}))
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!(41))
    );
    let (status, body) = api
        .post("/task/777/comments/", json!({"description": "x"}))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::NOT_FOUND, &json!(1000))
    );
    assert_eq!(
        api.get("/task/777?fields=name").await.1["code"],
        json!(1000)
    );
    assert_eq!(api.get("/contact/999").await.1["code"], json!(2000));
    assert_eq!(
        api.get(&format!("/contact/contact:{contact}?fields=name"))
            .await
            .1["contact"]["name"],
        json!("Ivan")
    );
    assert_eq!(
        api.post("/contact/", json!({"name": " ", "lastname": ""}))
            .await
            .1["code"],
        json!(2006)
    );
    let (status, body) = api
        .post(
            "/contact/",
            json!({"name": "Anna", "phones": [{"number": "+4915112345678", "type": 1}]}),
        )
        .await;
    assert_eq!(
        (status, body["id"].clone()),
        (StatusCode::CREATED, json!(contact + 1))
    );

    api.sim.fail_next(
        1,
        Failure::Status {
            http: 500,
            body: json!({"result": "fail", "code": 0, "error": "Rest API error"}),
        },
    );
    assert_eq!(
        api.get("/ping").await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"result": "fail", "code": 0, "error": "Rest API error"})
        )
    );
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);

    api.sim
        .fail_next(1, Failure::Delay(Duration::from_millis(150)));
    let started = Instant::now();
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));

    let statuses: Vec<u16> = api.sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.last(), Some(&200));
    assert!(statuses.contains(&500));
}

#[tokio::test]
async fn without_a_spec_unrouted_requests_are_violations() {
    let api = Api::start(None).await;
    assert_eq!(api.get("/whatsapp/send").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/task/").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);
    assert_eq!(api.sim.violations().len(), 2, "{:#?}", api.sim.violations());
}
