//! The Planfix scenario "task status changed" end to end: the scenario's request through the
//! HTTP handler (as the planfix-webhook function serves it), the worker on the SQS FIFO queue
//! (moto), DynamoDB (moto), and the spec-checked Planfix simulator, whose request log shows what
//! each message cost.

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::ConversationLink;
use bytes::Bytes;
use e2e_tests::{meta_sample, text_from_sample, Harness, PLANFIX_HOOK_SECRET};
use planfix_sim::RecordedRequest;
use serde_json::Value;

const FROM: &str = "972987654321";
/// The simulator's process 1: 1 "New" is active, 3 "Completed" is not.
const NEW: i64 = 1;

fn on() -> Settings {
    Settings { task_status_webhook: true, ..Settings::default() }
}

/// The customer's `n`-th text, posted as Meta would; the worker then drains the queue.
async fn say(h: &Harness, n: i64) {
    let sample = meta_sample("inbound_text.json");
    let payload = text_from_sample(&sample, &format!("wamid.ts{n}"), FROM, 1_700_000_000 + n * 100, &format!("m{n}"));
    assert_eq!(h.post_meta(&payload).await.0, 200);
}

/// The requests Planfix received while `f` ran.
async fn planfix_calls<F: std::future::Future<Output = ()>>(h: &Harness, f: F) -> Vec<RecordedRequest> {
    let before = h.planfix.requests().len();
    f.await;
    h.planfix.requests().split_off(before)
}

fn described(calls: &[RecordedRequest]) -> Vec<String> {
    calls.iter().map(|r| format!("{} {}", r.method, r.path)).collect()
}

/// What the scenario sends: POST /planfix/{account}/task-status with the secret header.
async fn scenario(h: &Harness, account: &str, secret: Option<&str>, content_type: &str, body: &str) -> (u16, Value) {
    let mut req = http::Request::post(format!("/planfix/{account}/task-status")).header("content-type", content_type);
    if let Some(s) = secret {
        req = req.header("x-bridge-token", s);
    }
    let req = req.body(Bytes::from(body.to_owned())).unwrap();
    let resp = bridge_http::handle(&h.app, bridge_http::Surface::PlanfixWebhooks, req).await;
    (resp.status().as_u16(), serde_json::from_slice(resp.body()).unwrap_or(Value::Null))
}

/// The scenario's request for `task` as docs/planfix-setup.md sets it up, then the worker.
async fn status_changed(h: &Harness, task: i64) {
    let body = serde_json::json!({ "task": task.to_string(), "status": "3" }).to_string();
    let (status, answer) = scenario(h, "acme", Some(PLANFIX_HOOK_SECRET), "application/json", &body).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("accepted")), "{answer}");
    h.settle().await;
}

async fn link(h: &Harness) -> ConversationLink {
    let record = h.store.get_link(&AccountId::parse("acme").unwrap(), &Phone::parse(FROM).unwrap()).await.unwrap();
    record.and_then(|r| r.link).expect("the conversation has a link")
}

#[tokio::test]
async fn with_the_setting_a_known_conversation_costs_one_planfix_call_per_text() {
    let h = Harness::start(on()).await;
    say(&h, 1).await;
    let task = h.planfix.tasks()[0].id;
    for n in 2..=4 {
        let calls = planfix_calls(&h, say(&h, n)).await;
        assert_eq!(described(&calls), vec![format!("POST /task/{task}/comments/")], "message {n}");
    }
    assert_eq!(h.planfix.comments(task).len(), 4);
    h.assert_spec_clean();
}

#[tokio::test]
async fn without_the_setting_the_status_is_read_first_and_a_completed_task_still_rotates() {
    let h = Harness::start(Settings::default()).await;
    say(&h, 1).await;
    let first = h.planfix.tasks()[0].id;
    // The first read of a status also reads its process's status list (once per instance).
    let calls = planfix_calls(&h, say(&h, 2)).await;
    assert_eq!(
        described(&calls),
        vec![
            format!("GET /task/{first}"),
            "GET /process/task/1/statuses".into(),
            format!("POST /task/{first}/comments/")
        ]
    );
    let calls = planfix_calls(&h, say(&h, 3)).await;
    assert_eq!(described(&calls), vec![format!("GET /task/{first}"), format!("POST /task/{first}/comments/")]);

    // No scenario call: the read finds the task completed.
    assert!(h.planfix.complete_task(first));
    say(&h, 4).await;
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 2);
    let second = link(&h).await;
    assert_ne!(second.task_id, first);
    assert_eq!((second.task_count, second.task_closed), (2, false));
    assert_eq!(h.planfix.comments(second.task_id).len(), 1);
    h.assert_spec_clean();
}

#[tokio::test]
async fn a_completed_task_reported_by_the_scenario_makes_the_next_message_open_a_new_task() {
    let h = Harness::start(on()).await;
    say(&h, 1).await;
    let first = h.planfix.tasks()[0].id;
    assert!(h.planfix.complete_task(first));
    // The worker reads the task back (and, the first time, its process's status list).
    let calls = planfix_calls(&h, status_changed(&h, first)).await;
    assert_eq!(described(&calls), vec![format!("GET /task/{first}"), "GET /process/task/1/statuses".into()]);
    assert!(link(&h).await.task_closed);

    say(&h, 2).await;
    let rotated = link(&h).await;
    assert_ne!(rotated.task_id, first);
    assert_eq!((rotated.task_count, rotated.task_closed), (2, false));
    assert_eq!(h.planfix.tasks().len(), 2);
    assert_eq!(h.planfix.comments(first).len(), 1);
    assert_eq!(h.planfix.comments(rotated.task_id)[0].description, "m2");

    // The new task is known and active: one call again.
    let calls = planfix_calls(&h, say(&h, 3)).await;
    assert_eq!(described(&calls), vec![format!("POST /task/{}/comments/", rotated.task_id)]);
    h.assert_spec_clean();
}

#[tokio::test]
async fn single_task_reopens_the_reported_task_and_clears_the_flag() {
    let h = Harness::start(Settings { single_task: true, ..on() }).await;
    say(&h, 1).await;
    let task = h.planfix.tasks()[0].id;
    assert!(h.planfix.complete_task(task));
    status_changed(&h, task).await;
    assert!(link(&h).await.task_closed);

    say(&h, 2).await;
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "no new task");
    assert_eq!(tasks[0].status_id, NEW, "reopened with the process's first active status");
    assert_eq!(h.planfix.comments(task).len(), 2);
    let reopened = link(&h).await;
    assert_eq!((reopened.task_id, reopened.task_closed), (task, false));
    let calls = planfix_calls(&h, say(&h, 3)).await;
    assert_eq!(described(&calls), vec![format!("POST /task/{task}/comments/")]);
    h.assert_spec_clean();
}

#[tokio::test]
async fn the_scenario_body_is_not_trusted_and_other_tasks_change_nothing() {
    let h = Harness::start(on()).await;
    say(&h, 1).await;
    let first = h.planfix.tasks()[0].id;
    // "Completed", says the body; Planfix says the task is active: it stays open.
    status_changed(&h, first).await;
    assert!(!link(&h).await.task_closed);

    assert!(h.planfix.complete_task(first));
    status_changed(&h, first).await;
    say(&h, 2).await;
    let current = link(&h).await;
    assert_ne!(current.task_id, first);

    // The conversation's earlier task, reopened and reported: the current link stays.
    h.planfix.set_task_status(first, NEW);
    let calls = planfix_calls(&h, status_changed(&h, first)).await;
    assert!(calls.is_empty(), "not the current task: Planfix is not even asked: {:?}", described(&calls));
    h.planfix.complete_task(first);
    status_changed(&h, first).await;
    // A task that is no conversation's.
    let calls = planfix_calls(&h, status_changed(&h, 99_999)).await;
    assert!(calls.is_empty(), "{:?}", described(&calls));
    assert_eq!(link(&h).await, current);

    let calls = planfix_calls(&h, say(&h, 3)).await;
    assert_eq!(described(&calls), vec![format!("POST /task/{}/comments/", current.task_id)]);
    h.assert_spec_clean();
}

#[tokio::test]
async fn unauthenticated_or_malformed_scenario_requests_are_refused_with_a_reason() {
    let h = Harness::start(on()).await;
    say(&h, 1).await;
    let task = h.planfix.tasks()[0].id;
    let before = h.planfix.requests().len();
    let good = serde_json::json!({ "task": task.to_string() }).to_string();
    let json = "application/json";

    assert_eq!(scenario(&h, "acme", None, json, &good).await.0, 401);
    assert_eq!(scenario(&h, "acme", Some("wrong-secret"), json, &good).await.0, 401);
    assert_eq!(scenario(&h, "nobody", Some(PLANFIX_HOOK_SECRET), json, &good).await.0, 401);
    for (body, reason) in [
        ("{}", "missing task id"),
        (r#"{"task":"{{Задача.Номер}}"}"#, "unreplaced template"),
        (r#"{"task":"-5"}"#, "positive number"),
        ("not json", "expected JSON"),
    ] {
        let (status, answer) = scenario(&h, "acme", Some(PLANFIX_HOOK_SECRET), json, body).await;
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"].as_str().unwrap_or_default().contains(reason), "{body}: {answer}");
    }
    // A form body is read as on the comment route.
    let (status, _) =
        scenario(&h, "acme", Some(PLANFIX_HOOK_SECRET), "application/x-www-form-urlencoded", "task=abc").await;
    assert_eq!(status, 400);
    assert_eq!(h.worker.pending().await, 0, "nothing refused was queued");
    h.settle().await;
    assert_eq!(h.planfix.requests().len(), before, "nor did it reach Planfix");
    assert!(!link(&h).await.task_closed);

    // The provider function does not serve it.
    let req = http::Request::post("/planfix/acme/task-status")
        .header("x-bridge-token", PLANFIX_HOOK_SECRET)
        .body(Bytes::from(good))
        .unwrap();
    let resp = bridge_http::handle(&h.app, bridge_http::Surface::ProviderWebhooks, req).await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn a_deleted_task_with_the_setting_on_still_gets_the_message_on_a_new_task() {
    let h = Harness::start(on()).await;
    say(&h, 1).await;
    let first = h.planfix.tasks()[0].id;
    // Deleted in Planfix, no scenario call: the comment is refused with "task not found".
    assert!(h.planfix.delete_task(first));
    say(&h, 2).await;
    let current = link(&h).await;
    assert_ne!(current.task_id, first);
    assert_eq!((current.task_count, current.task_closed), (2, false));
    assert_eq!(h.planfix.comments(current.task_id).iter().map(|c| c.description.as_str()).collect::<Vec<_>>(), ["m2"]);
    let letters = h.store.list_dead_letters(&AccountId::parse("acme").unwrap()).await.unwrap();
    assert!(letters.is_empty(), "{letters:?}");
    h.assert_spec_clean();
}

#[tokio::test]
async fn a_deleted_task_with_single_task_opens_a_new_one() {
    let h = Harness::start(Settings { single_task: true, ..on() }).await;
    say(&h, 1).await;
    let first = h.planfix.tasks()[0].id;
    // Reported by the scenario (its read finds no task), then the reopen finds nothing to reopen.
    assert!(h.planfix.delete_task(first));
    status_changed(&h, first).await;
    assert!(link(&h).await.task_closed);
    say(&h, 2).await;
    let current = link(&h).await;
    assert_ne!(current.task_id, first);
    assert!(!current.task_closed);
    assert_eq!(h.planfix.comments(current.task_id).len(), 1);
    assert!(h.store.list_dead_letters(&AccountId::parse("acme").unwrap()).await.unwrap().is_empty());
    h.assert_spec_clean();
}
