//! The simulator over real HTTP, as the bridge talks to it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use planfix_sim::{Failure, FiredFault, PlanfixSim, PlanfixSimConfig, SpecValidator};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const TOKEN: &str = "test-token";

/// The spec validator; a missing spec fails the test.
fn spec() -> Arc<SpecValidator> {
    Arc::new(SpecValidator::from_file(&planfix_sim::spec_path()).expect("the spec compiles"))
}

struct Api {
    sim: PlanfixSim,
    base: String,
    client: Client,
}

impl Api {
    async fn start(spec: Option<Arc<SpecValidator>>) -> Self {
        let sim = PlanfixSim::new(PlanfixSimConfig { token: TOKEN.to_owned(), spec });
        let base = sim.serve(None).await.expect("serve");
        Self { sim, base, client: Client::new() }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(TOKEN);
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
    let api = Api::start(Some(spec())).await;
    let contact = api.sim.add_contact("Ivan", "+79051234567");
    assert!(api.base.starts_with("http://127.0.0.1:") && api.base.ends_with("/rest"));

    assert_eq!(api.get("/ping").await, (StatusCode::OK, json!({"result": "success"})));

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
    assert_eq!(api.post("/contact/list", search("000")).await.1["contacts"], json!([]));

    // Task with the contact as assigner; status defaults to the process's first status.
    let (status, created) = api
        .post(
            "/task/",
            json!({"template": {"id": 12}, "name": "WhatsApp: Ivan", "description": "Hi",
                                "assigner": {"id": format!("contact:{contact}")}}),
        )
        .await;
    assert_eq!((status, &created["result"]), (StatusCode::CREATED, &json!("success")));
    let task = created["id"].as_i64().expect("task id");
    let (_, read) = api.get(&format!("/task/{task}?fields=status,processId,assigner,template")).await;
    assert_eq!(
        read["task"],
        json!({"id": task, "status": {"id": 1, "name": "New"}, "processId": 1,
               "assigner": {"id": format!("contact:{contact}"), "name": "Ivan"}, "template": {"id": 12}})
    );
    let (_, statuses) = api.get("/process/task/1/statuses?fields=id,name,isActive").await;
    assert_eq!(statuses["statuses"][2], json!({"id": 3, "name": "Completed", "isActive": false}));

    let (_, listed) = api
        .post(
            "/task/list",
            json!({"fields": "id,status", "filters": [
            {"type": 1, "operator": "equal", "value": format!("contact:{contact}")},
            {"type": 10, "operator": "equal", "value": [1, 2]}]}),
        )
        .await;
    assert_eq!(listed["tasks"], json!([{"id": task, "status": {"id": 1, "name": "New"}}]));

    assert_eq!(api.post(&format!("/task/{task}"), json!({"status": {"id": 3}})).await.0, StatusCode::OK);
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
    let reply = api.sim.add_employee_comment(task, 7, "<p>Hi Ivan</p>", &[contact]);
    assert!(reply > inbound && inbound != task);

    let (_, page) = api
        .post(
            &format!("/task/{task}/comments/list"),
            json!({"offset": 0, "pageSize": 100,
              "fields": "id,sourceObjectId,owner", "resultOrder": [{"field": "id", "direction": "Desc"}]}),
        )
        .await;
    assert_eq!(
        page["comments"][1],
        json!({"id": inbound, "sourceObjectId": source,
                                           "owner": {"id": format!("contact:{contact}"), "name": "Ivan"}})
    );
    let (_, one) =
        api.get(&format!("/comment/{reply}?fields=description,owner,recipients,isDeleted,isHidden,task")).await;
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
    assert_eq!(api.sim.snapshot()["comments"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn authentication_and_spec_violations() {
    let api = Api::start(Some(spec())).await;
    let url = format!("{}/ping", api.base);

    let unauthorized = api.client.get(&url).send().await.expect("send");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let body: Value = unauthorized.json().await.expect("json");
    assert_eq!(body, json!({"result": "fail", "code": 1, "error": "Access denied, unknown token"}));
    let wrong = api.client.get(&url).bearer_auth("other").send().await.expect("send");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let in_query = api.client.get(format!("{url}?access_token={TOKEN}")).send().await.expect("send");
    assert_eq!(in_query.status(), StatusCode::OK);

    let (status, body) = api.post("/task/", json!({"name": "x", "descripton": "typo"})).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!(30)));
    assert!(body["error"].as_str().is_some_and(|e| e.starts_with("spec violation:") && e.contains("descripton")));

    assert_eq!(api.post("/task", json!({"name": "x"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/task/101?fieldz=id").await.0, StatusCode::BAD_REQUEST);

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

    let outside = api.client.get(api.base.replace("/rest", "/api/ping")).bearer_auth(TOKEN).send().await;
    assert_eq!(outside.expect("send").status(), StatusCode::NOT_FOUND);

    // In the spec, but not simulated: 501, and no violation.
    assert_eq!(api.get("/task/templates").await.0, StatusCode::NOT_IMPLEMENTED);

    let violations = api.sim.violations();
    assert_eq!(violations.len(), 5, "{violations:#?}");
    assert!(api.sim.tasks().is_empty());
}

#[tokio::test]
async fn planfix_errors_and_injected_faults() {
    let api = Api::start(Some(spec())).await;
    let contact = api.sim.add_contact("Ivan", "+79051234567");

    let (status, body) = api.post("/task/", json!({"name": "t", "assigner": {"id": "contact:999"}})).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!(41)));
    let (status, body) = api.post("/task/", json!({"name": "t", "status": {"id": 9}})).await;
    assert_eq!((status, body["code"].clone()), (StatusCode::BAD_REQUEST, json!(41)));
    let (status, body) = api.post("/task/777/comments/", json!({"description": "x"})).await;
    assert_eq!((status, &body["code"]), (StatusCode::NOT_FOUND, &json!(1000)));
    assert_eq!(api.get("/task/777?fields=name").await.1["code"], json!(1000));
    assert_eq!(api.get("/contact/999").await.1["code"], json!(2000));
    assert_eq!(api.get(&format!("/contact/contact:{contact}?fields=name")).await.1["contact"]["name"], json!("Ivan"));
    assert_eq!(api.post("/contact/", json!({"name": " ", "lastname": ""})).await.1["code"], json!(2006));
    let (status, body) =
        api.post("/contact/", json!({"name": "Anna", "phones": [{"number": "+4915112345678", "type": 1}]})).await;
    assert_eq!((status, body["id"].clone()), (StatusCode::CREATED, json!(contact + 1)));

    api.sim.fail_next(
        1,
        Failure::Status { http: 500, body: json!({"result": "fail", "code": 0, "error": "Rest API error"}) },
    );
    assert_eq!(
        api.get("/ping").await,
        (StatusCode::INTERNAL_SERVER_ERROR, json!({"result": "fail", "code": 0, "error": "Rest API error"}))
    );
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);

    api.sim.fail_next(1, Failure::Delay(Duration::from_millis(150)));
    let started = Instant::now();
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));

    let statuses: Vec<u16> = api.sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.last(), Some(&200));
    assert!(statuses.contains(&500));
}

fn client_with_timeout(timeout: Duration) -> Client {
    Client::builder().timeout(timeout).build().expect("client")
}

fn fired(method: &str, path: &str, failure: &Failure) -> FiredFault {
    let (method, path, failure) = (method.to_owned(), path.to_owned(), failure.clone());
    FiredFault { method, path, failure }
}

impl Api {
    /// A JSON POST through `client`: the status, or the error when no answer came.
    async fn post_with(&self, client: &Client, path: &str, body: Value) -> Result<StatusCode, reqwest::Error> {
        let request = client.post(format!("{}{path}", self.base)).bearer_auth(TOKEN).json(&body);
        request.send().await.map(|response| response.status())
    }

    fn task_names(&self) -> Vec<String> {
        self.sim.tasks().into_iter().map(|task| task.name).collect()
    }
}

#[tokio::test]
async fn answer_late_commits_the_effect_though_the_client_gives_up() {
    let api = Api::start(Some(spec())).await;
    let late = Failure::AnswerLate(Duration::from_millis(600));
    api.sim.fail_matching("POST", "/task/", 1, late.clone());
    assert_eq!(api.sim.pending_faults(), 1);

    let impatient = client_with_timeout(Duration::from_millis(200));
    let started = Instant::now();
    let sent = api.post_with(&impatient, "/task/", json!({"name": "answer lost"})).await;
    let error = sent.expect_err("the answer comes after the client's timeout");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(600), "the client waited for the answer");
    // Committed before the answer is held back, not after the delay (as `Delay` would).
    assert_eq!(api.task_names(), ["answer lost"]);

    // Past the delay, with the client long gone: one task, its status logged, the fault on record.
    tokio::time::sleep_until((started + Duration::from_millis(700)).into()).await;
    assert_eq!(api.task_names(), ["answer lost"]);
    let logged: Vec<(String, u16)> = api.sim.requests().into_iter().map(|r| (r.path, r.status)).collect();
    assert_eq!(logged, [("/task/".to_owned(), 201)]);
    assert_eq!(api.sim.fired_faults(), [fired("POST", "/task/", &late)]);
    assert_eq!(api.sim.pending_faults(), 0);
}

#[tokio::test]
async fn drop_after_commit_closes_the_connection_without_an_answer() {
    let api = Api::start(Some(spec())).await;
    let (_, created) = api.post("/task/", json!({"name": "t"})).await;
    let task = created["id"].as_i64().expect("task id");
    let path = format!("/task/{task}/comments/");
    api.sim.fail_matching("POST", "/comments/", 1, Failure::DropAfterCommit);

    // A generous timeout: an answer held back would end as a timeout, not as a transport error.
    let patient = client_with_timeout(Duration::from_secs(5));
    let sent = api.post_with(&patient, &path, json!({"description": "answer lost"})).await;
    let error = sent.expect_err("the connection closes without an answer");
    assert!(!error.is_timeout() && error.status().is_none(), "{error:?}");
    let comments: Vec<String> = api.sim.comments(task).into_iter().map(|c| c.description).collect();
    assert_eq!(comments, ["answer lost"]);
    assert_eq!(api.sim.fired_faults(), [fired("POST", &path, &Failure::DropAfterCommit)]);
    assert_eq!(api.sim.pending_faults(), 0);
    // One attempt (the client did not resend it), and the server goes on serving.
    assert_eq!(api.sim.requests().iter().filter(|r| r.path == path).count(), 1);
    let ping = patient.get(format!("{}/ping", api.base)).bearer_auth(TOKEN).send().await;
    assert_eq!(ping.expect("send").status(), StatusCode::OK);
}

#[tokio::test]
async fn armed_faults_are_pending_until_they_fire() {
    let api = Api::start(Some(spec())).await;
    let boom = Failure::Status { http: 500, body: json!({"result": "fail", "code": 0, "error": "Rest API error"}) };
    let slow = Failure::Delay(Duration::from_millis(10));
    api.sim.fail_next(2, boom.clone());
    api.sim.fail_matching("GET", "/ping", 1, slow.clone());
    assert_eq!((api.sim.pending_faults(), api.sim.fired_faults()), (3, vec![]));

    // Refused before faults are injected: none fires.
    let anonymous = api.client.get(format!("{}/ping", api.base)).send().await.expect("send");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(api.sim.pending_faults(), 3);

    // The targeted fault goes first, then the queue.
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);
    assert_eq!(api.sim.pending_faults(), 2);
    assert_eq!(api.post("/task/", json!({"name": "t"})).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(api.get("/ping").await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(api.sim.pending_faults(), 0);
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);
    assert_eq!(
        api.sim.fired_faults(),
        [fired("GET", "/ping", &slow), fired("POST", "/task/", &boom), fired("GET", "/ping", &boom)]
    );
    assert!(api.sim.tasks().is_empty());
}

#[tokio::test]
async fn without_a_spec_unrouted_requests_are_violations() {
    let api = Api::start(None).await;
    assert_eq!(api.get("/whatsapp/send").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/task/").await.0, StatusCode::NOT_FOUND);
    assert_eq!(api.get("/ping").await.0, StatusCode::OK);
    assert_eq!(api.sim.violations().len(), 2, "{:#?}", api.sim.violations());
}

fn file_part(name: &str, bytes: Vec<u8>, mime: &str) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).expect("mime")
}

impl Api {
    async fn upload(&self, form: reqwest::multipart::Form) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/file/", self.base))
            .bearer_auth(TOKEN)
            .multipart(form)
            .send()
            .await
            .expect("send");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn files_upload_read_download_and_attach() {
    let api = Api::start(Some(spec())).await;
    // Above the gate's 4 MB JSON limit and axum's 2 MB default: the upload must be streamed.
    let photo: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let form = reqwest::multipart::Form::new().part("file", file_part("photo.jpg", photo.clone(), "image/jpeg"));
    let (status, body) = api.upload(form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["result"], "success");
    let id = body["id"].as_i64().expect("file id");
    assert_eq!(api.sim.file(id), Some(("photo.jpg".to_owned(), photo.clone())));

    let (status, info) = api.get(&format!("/file/{id}?fields=id,name,size")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info, json!({"result": "success", "file": {"id": id, "name": "photo.jpg", "size": photo.len()}}));
    let (status, missing) = api.get("/file/1?fields=id,name").await;
    assert_eq!((status, &missing["code"]), (StatusCode::BAD_REQUEST, &json!(7000)));

    // Download: a 302 to a storage URL outside /rest that needs no token.
    let manual = Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let redirect =
        manual.get(format!("{}/file/{id}/download", api.base)).bearer_auth(TOKEN).send().await.expect("send");
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let location = redirect.headers().get("location").and_then(|l| l.to_str().ok()).expect("Location").to_owned();
    assert!(location.starts_with(&api.base.replace("/rest", "/download-storage/")), "{location}");
    let stored = manual.get(&location).send().await.expect("send");
    assert_eq!(stored.status(), StatusCode::OK);
    assert_eq!(stored.headers()["content-type"], "image/jpeg");
    assert_eq!(stored.headers()["content-length"], photo.len().to_string().as_str());
    assert_eq!(stored.bytes().await.expect("bytes").as_ref(), photo.as_slice());
    assert_eq!((api.sim.storage_requests(), api.sim.storage_requests_with_auth()), (1, 0));
    // A client that forwards the bearer header past the redirect is noticed.
    let leaked = manual.get(&location).bearer_auth(TOKEN).send().await.expect("send");
    assert_eq!(leaked.status(), StatusCode::OK);
    assert_eq!((api.sim.storage_requests(), api.sim.storage_requests_with_auth()), (2, 1));
    let unknown = manual.get(api.base.replace("/rest", "/download-storage/nope")).send().await.expect("send");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let (status, missing) = api.get("/file/1/download").await;
    assert_eq!((status, &missing["code"]), (StatusCode::BAD_REQUEST, &json!(7000)));

    // Comment files: seeded, read back as `FileResponse`, replaced by an update.
    let note = api.sim.add_file("note.txt", b"hello".to_vec());
    let (_, created) = api.post("/task/", json!({"name": "t"})).await;
    let task = created["id"].as_i64().expect("task id");
    let comment = api.sim.add_employee_comment_with_files(task, 7, "<p>see file</p>", &[], &[note]);
    let (_, read) = api.get(&format!("/comment/{comment}?fields=id,description,files")).await;
    assert_eq!(
        read["comment"],
        json!({"id": comment, "description": "<p>see file</p>", "files": [{"id": note, "name": "note.txt", "size": 5}]})
    );
    let (status, updated) = api
        .post(
            &format!("/task/{task}/comments/{comment}"),
            json!({"description": "<p>two files</p>", "files": [{"id": note}, {"id": id}]}),
        )
        .await;
    assert_eq!((status, updated), (StatusCode::OK, json!({"result": "success"})));
    let stored = api.sim.comments(task);
    assert_eq!((stored[0].description.as_str(), stored[0].files.clone()), ("<p>two files</p>", vec![note, id]));
    let (status, missing) = api.post(&format!("/task/{task}/comments/999999"), json!({"description": "x"})).await;
    assert_eq!((status, &missing["code"]), (StatusCode::BAD_REQUEST, &json!(5000)));
    let (status, missing) = api.post(&format!("/task/{task}/comments/{comment}"), json!({"files": [{"id": 4}]})).await;
    assert_eq!((status, &missing["code"]), (StatusCode::BAD_REQUEST, &json!(7000)));

    assert_eq!(
        api.sim.snapshot()["files"],
        json!([{"id": id, "name": "photo.jpg", "size": photo.len(), "contentType": "image/jpeg"},
               {"id": note, "name": "note.txt", "size": 5, "contentType": "text/plain"}])
    );
    assert_eq!(api.sim.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn file_upload_refusals() {
    let api = Api::start(Some(spec())).await;
    let form = || reqwest::multipart::Form::new();

    let (status, body) = api.upload(form().text("other", "x")).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!(7001)), "{body}");
    let nameless = reqwest::multipart::Part::bytes(vec![1, 2, 3]);
    let (status, body) = api.upload(form().part("file", nameless)).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!(7001)), "{body}");

    // Over the plan's limit: refused with 7002 after the body was read (no reset connection).
    api.sim.set_max_file_size(64 * 1024);
    let big = form().part("file", file_part("big.bin", vec![7; 200 * 1024], "application/octet-stream"));
    let (status, body) = api.upload(big).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!(7002)), "{body}");
    let fits = form().part("file", file_part("small.bin", vec![7; 64 * 1024], "application/octet-stream"));
    assert_eq!(api.upload(fits).await.0, StatusCode::OK);
    assert_eq!(api.sim.snapshot()["files"].as_array().map(Vec::len), Some(1));

    let anonymous = api
        .client
        .post(format!("{}/file/", api.base))
        .multipart(form().part("file", file_part("a.txt", b"a".to_vec(), "text/plain")))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(api.sim.violations().is_empty(), "{:#?}", api.sim.violations());

    // The spec takes only multipart/form-data on /file/, and no multipart elsewhere.
    let (status, body) = api.post("/file/", json!({"file": "x"})).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!(30)), "{body}");
    let mixed = api
        .client
        .post(format!("{}/file/", api.base))
        .bearer_auth(TOKEN)
        .header("content-type", "multipart/mixed; boundary=b")
        .body("--b--\r\n")
        .send()
        .await
        .expect("send");
    assert_eq!(mixed.status(), StatusCode::BAD_REQUEST);
    let elsewhere = api
        .client
        .post(format!("{}/task/", api.base))
        .bearer_auth(TOKEN)
        .multipart(form().text("name", "t"))
        .send()
        .await
        .expect("send");
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    assert_eq!(api.sim.violations().len(), 3, "{:#?}", api.sim.violations());
    assert!(api.sim.tasks().is_empty());
}
