//! Step 2 end to end: a Planfix scenario request for an added comment goes through the public
//! HTTP handler; the Meta Graph API simulator shows what reached WhatsApp, the Planfix
//! simulator what the Planfix user sees.

use std::sync::Arc;
use std::time::Duration;

use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_core::config::{Secret, Settings};
use e2e_tests::{account_config, fresh_dynamo_store, meta_sample, Harness, PLANFIX_HOOK_SECRET, PLANFIX_TOKEN};
use meta_sim::{GraphFailure, GraphSim, GraphSimConfig};

const CUSTOMER: &str = "972987654321";
const EMPLOYEE: i64 = 5;

/// A harness with one WhatsApp conversation already open: (harness, task id, contact id).
async fn with_conversation() -> (Harness, i64, i64) {
    let sample = meta_sample("inbound_text.json");
    let h = Harness::start(Settings::default()).await;
    assert_eq!(h.post_meta(&sample).await.0, 200);
    let task = h.planfix.tasks()[0].clone();
    let contact: i64 = task.assigner.trim_start_matches("contact:").parse().unwrap();
    (h, task.id, contact)
}

fn internal_notes(h: &Harness, task: i64) -> Vec<planfix_sim::Comment> {
    h.planfix.comments(task).into_iter().filter(|c| c.description.contains("WhatsApp:")).collect()
}

#[tokio::test]
async fn notified_comment_reaches_whatsapp_once_with_converted_text() {
    let (h, task, contact) = with_conversation().await;
    let html = "<p>Hello <b>Test</b>,</p><p>your order:</p><ul><li>shipped &amp; paid</li><li>arrives <i>tomorrow</i></li></ul>";
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, html, &[contact]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{body}");
    let sent = h.graph.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, CUSTOMER);
    assert_eq!(sent[0].text(), Some("Hello *Test*,\nyour order:\n• shipped & paid\n• arrives _tomorrow_"));
    h.assert_spec_clean();
}

#[tokio::test]
async fn comments_that_do_not_notify_the_contact_stay_internal() {
    let (h, task, _contact) = with_conversation().await;
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "colleagues only", &[]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("ignored")), "{body}");
    assert!(h.graph.sent().is_empty());
}

#[tokio::test]
async fn the_bridges_own_comments_are_never_echoed() {
    let (h, task, _) = with_conversation().await;
    // The inbound message the bridge wrote into the task (authored as the contact).
    let inbound = h.planfix.comments(task)[0].id;
    let (status, body) = h.planfix_hook(task, inbound, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("ignored")), "{body}");
    assert!(h.graph.sent().is_empty());
}

#[tokio::test]
async fn comments_on_tasks_without_a_conversation_and_unknown_ids_are_acknowledged() {
    let (h, task, contact) = with_conversation().await;
    // A task created in Planfix by hand (through its REST API), not by the bridge: the bridge
    // has no conversation for it, though its contact has a phone number.
    let other_contact = h.planfix.add_contact("Someone", "+4915112345678");
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/task/", h.planfix_url))
        .bearer_auth(PLANFIX_TOKEN)
        .json(&serde_json::json!({
            "name": "Delivery question",
            "assigner": { "id": format!("contact:{other_contact}") },
        }))
        .send()
        .await
        .expect("POST /task/")
        .json()
        .await
        .expect("a JSON answer");
    let other_task = created["id"].as_i64().unwrap_or_else(|| panic!("a task id: {created}"));
    assert_ne!(other_task, task);
    // An employee's comment there notifies its contact, as a reply in a bridged task would.
    let comment = h.planfix.add_employee_comment(other_task, EMPLOYEE, "we will call you", &[other_contact]);
    let (status, body) = h.planfix_hook(other_task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("ignored")), "{body}");
    assert!(h.graph.sent().is_empty(), "nothing goes to WhatsApp for a task without a conversation");
    assert!(internal_notes(&h, other_task).is_empty(), "and no note is written there");
    // Ids Planfix does not know at all.
    let (status, body) = h.planfix_hook(999_999, 888_888, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("ignored")), "{body}");
    assert!(h.graph.sent().is_empty());
    // The conversation's own task still replies: the ignoring above is about the task.
    let reply = h.planfix.add_employee_comment(task, EMPLOYEE, "for the real customer", &[contact]);
    assert_eq!(h.planfix_hook(task, reply, Some(PLANFIX_HOOK_SECRET)).await.1["result"], "sent");
    assert_eq!(h.graph.sent().iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), [CUSTOMER]);
}

#[tokio::test]
async fn duplicate_and_concurrent_notifications_send_once() {
    let (h, task, contact) = with_conversation().await;
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "only once", &[contact]);
    let h = Arc::new(h);
    let mut handles = Vec::new();
    for _ in 0..5 {
        let h = h.clone();
        handles.push(tokio::spawn(async move { h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await }));
    }
    for handle in handles {
        let (status, body) = handle.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    // A late duplicate, past the queue's own dedupe: the store's job record answers it.
    let late = bridge_core::domain::Work::Reply {
        account: bridge_core::domain::AccountId::parse("acme").unwrap(),
        task_id: Some(task),
        comment_id: comment,
    };
    let outcome = bridge_core::worker::handle(
        &h.app,
        &late,
        bridge_core::worker::Delivery { attempts: 1, max_attempts: 5, deadline: None },
    )
    .await
    .unwrap();
    assert_eq!(outcome, bridge_core::worker::WorkOutcome::Reply(bridge_core::outbound::ReplyOutcome::AlreadyDone));
    assert_eq!(h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
    assert_eq!(h.graph.sent().len(), 1);
}

#[tokio::test]
async fn closed_24_hour_window_becomes_an_internal_note_for_the_author() {
    let (h, task, contact) = with_conversation().await;
    h.graph.fail_for_recipient(CUSTOMER, 131047, 400);
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "late answer", &[contact]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("not_delivered")), "{body}");
    let notes = internal_notes(&h, task);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].description.contains("24 hours"), "{}", notes[0].description);
    assert!(
        notes[0].recipients.to_string().contains(&format!("user:{EMPLOYEE}")),
        "the author is told: {}",
        notes[0].recipients
    );
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the customer is not");
    // Only one attempt: 131047 is not worth retrying.
    assert_eq!(h.graph.requests().iter().filter(|r| r.path.ends_with("/messages")).count(), 1);
    h.assert_spec_clean();
}

#[tokio::test]
async fn transient_provider_errors_are_retried_then_noted() {
    let (h, task, contact) = with_conversation().await;
    // Two failures, then success: delivered after retries.
    h.graph.fail_next(2, GraphFailure::Error { http: 500, code: 131000, message: "Something went wrong".into() });
    let c1 = h.planfix.add_employee_comment(task, EMPLOYEE, "after hiccups", &[contact]);
    assert_eq!(h.planfix_hook(task, c1, Some(PLANFIX_HOOK_SECRET)).await.1["result"], "sent");
    assert_eq!(h.graph.sent().len(), 1);

    // Rate limited past the retry budget (3 attempts): an internal note, no message.
    h.graph.fail_next(3, GraphFailure::Error { http: 429, code: 130429, message: "Rate limit hit".into() });
    let c2 = h.planfix.add_employee_comment(task, EMPLOYEE, "during a rate limit", &[contact]);
    assert_eq!(h.planfix_hook(task, c2, Some(PLANFIX_HOOK_SECRET)).await.1["result"], "not_delivered");
    assert_eq!(h.graph.sent().len(), 1);
    let notes = internal_notes(&h, task);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].description.contains("retries"), "{}", notes[0].description);
}

#[tokio::test]
async fn failed_delivery_status_is_noted_once_and_other_statuses_quietly() {
    let (h, task, contact) = with_conversation().await;
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "will bounce", &[contact]);
    assert_eq!(h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await.1["result"], "sent");
    let wamid = h.graph.sent()[0].wamid.clone();
    let mut delivered = meta_sample("status_delivered.json");
    delivered["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid.clone().into();
    let mut failed = meta_sample("status_failed.json");
    failed["entry"][0]["changes"][0]["value"]["statuses"][0]["id"] = wamid.clone().into();
    assert_eq!(h.post_meta(&delivered).await.0, 200);
    assert!(internal_notes(&h, task).is_empty(), "delivered makes no comment");
    assert_eq!(h.post_meta(&failed).await.0, 200);
    assert_eq!(h.post_meta(&failed).await.0, 200, "redelivered failure");
    let notes = internal_notes(&h, task);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].description.contains("130472"), "{}", notes[0].description);
    // A late "delivered" after "failed" does not downgrade or add anything.
    assert_eq!(h.post_meta(&delivered).await.0, 200);
    assert_eq!(internal_notes(&h, task).len(), 1);
}

#[tokio::test]
async fn wrong_or_missing_secret_is_401() {
    let (h, task, contact) = with_conversation().await;
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "hi", &[contact]);
    assert_eq!(h.planfix_hook(task, comment, None).await.0, 401);
    assert_eq!(h.planfix_hook(task, comment, Some("guess")).await.0, 401);
    assert!(h.graph.sent().is_empty());
}

#[tokio::test]
async fn malformed_planfix_requests_get_a_reason() {
    let (h, _, _) = with_conversation().await;
    for body in [r#"{"task":"1"}"#, r#"{"comment":"{{Comment.Id}}"}"#, "not json"] {
        let req = http::Request::post("/planfix/acme")
            .header("x-bridge-token", PLANFIX_HOOK_SECRET)
            .body(bytes::Bytes::from(body))
            .unwrap();
        let resp = bridge_http::handle(&h.app, bridge_http::Surface::PlanfixWebhooks, req).await;
        assert_eq!(resp.status(), 400, "{body}");
        assert!(!resp.body().is_empty());
    }
}

/// Two accounts in one deployment: account B's secret never opens account A's route, and a
/// comment id of A posted to B is looked up in B's Planfix with B's token only.
#[tokio::test]
async fn accounts_are_isolated() {
    let sample = meta_sample("inbound_text.json");
    let mut sims = Vec::new();
    let mut configs = Vec::new();
    for id in ["acme", "beta"] {
        let (planfix, spec_guard) = e2e_tests::checked_planfix(PLANFIX_TOKEN);
        let pf_url = planfix.serve(None).await.unwrap();
        let graph = GraphSim::new(GraphSimConfig {
            access_token: e2e_tests::GRAPH_TOKEN.into(),
            phone_number_id: e2e_tests::PHONE_NUMBER_ID.into(),
        });
        let g_url = graph.serve(None).await.unwrap();
        let mut cfg = account_config(id, &pf_url, &g_url, Settings::default());
        cfg.planfix.webhook_secret = Secret::new(format!("{id}-planfix-hook-secret"));
        configs.push(cfg);
        sims.push((planfix, graph, spec_guard));
    }
    let store = Arc::new(fresh_dynamo_store().await);
    let (sqs, queue_url) = e2e_tests::fresh_queue().await;
    let rig = e2e_tests::WorkerRig::new().await;
    let infra = Infra {
        store,
        work: rig.queue(),
        file_jobs: Arc::new(bridge_aws::SqsFileJobQueue::new(sqs, queue_url)),
        blob: None,
    };
    let tuning = Tuning {
        send_retry: bridge_core::retry::RetryPolicy {
            attempts: 1,
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            max_pause: Duration::ZERO,
        },
        ..Tuning::default()
    };
    let app = std::sync::Arc::new(build_app(configs, infra, tuning).await.unwrap());
    let post = |path: &str, secret: &str, body: String| {
        http::Request::post(path)
            .header("x-bridge-token", secret)
            .header("content-type", "application/json")
            .body(bytes::Bytes::from(body))
            .unwrap()
    };
    // A conversation in acme.
    let body = sample.to_string();
    let sig = meta_sim::webhook::sign(e2e_tests::APP_SECRET.as_bytes(), body.as_bytes());
    let req = http::Request::post("/webhooks/meta/acme")
        .header("x-hub-signature-256", sig)
        .body(bytes::Bytes::from(body))
        .unwrap();
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, req).await.status(), 200);
    rig.settle(&app).await;
    let (acme_pf, acme_graph, _) = &sims[0];
    let (beta_pf, beta_graph, _) = &sims[1];
    let task = acme_pf.tasks()[0].clone();
    let contact: i64 = task.assigner.trim_start_matches("contact:").parse().unwrap();
    let comment = acme_pf.add_employee_comment(task.id, EMPLOYEE, "for acme's customer", &[contact]);
    let ids = serde_json::json!({"task": task.id, "comment": comment}).to_string();

    let resp = bridge_http::handle(
        &app,
        bridge_http::Surface::All,
        post("/planfix/acme", "beta-planfix-hook-secret", ids.clone()),
    )
    .await;
    assert_eq!(resp.status(), 401, "beta's secret does not open acme's route");
    let resp = bridge_http::handle(
        &app,
        bridge_http::Surface::All,
        post("/planfix/beta", "beta-planfix-hook-secret", ids.clone()),
    )
    .await;
    assert_eq!(resp.status(), 200);
    rig.settle(&app).await;
    assert!(acme_graph.sent().is_empty() && beta_graph.sent().is_empty(), "nothing sent across accounts");
    assert!(
        acme_pf.requests().iter().all(|r| !r.path.starts_with("/comment/")),
        "acme's Planfix was not read for beta"
    );
    assert!(
        beta_pf.requests().iter().any(|r| r.path == format!("/comment/{comment}")),
        "beta looked in its own Planfix"
    );

    let resp =
        bridge_http::handle(&app, bridge_http::Surface::All, post("/planfix/acme", "acme-planfix-hook-secret", ids))
            .await;
    assert_eq!(resp.status(), 200);
    rig.settle(&app).await;
    assert_eq!(acme_graph.sent().len(), 1);
    assert!(beta_graph.sent().is_empty());
}
