//! Step 1 end to end: signed Meta webhooks (built from the real samples) go through the public
//! HTTP handler; the Planfix simulator (spec-checked) shows what the bridge did.

use std::sync::Arc;

use bridge_core::config::Settings;
use e2e_tests::{meta_sample, text_from_sample, Harness, APP_SECRET, VERIFY_TOKEN};
use serde_json::Value;

const FROM: &str = "972987654321";
/// The simulator's built-in process 1 (`GET /process/task/1/statuses`): 1 "New" and 2 "In
/// progress" are active, 3 "Completed" and 4 "Cancelled" are not.
const NEW: i64 = 1;
const IN_PROGRESS: i64 = 2;
const COMPLETED: i64 = 3;

fn sample() -> Value {
    meta_sample("inbound_text.json")
}

#[tokio::test]
async fn first_message_creates_contact_task_and_comment() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    let (status, _) = h.post_meta(&sample).await;
    assert_eq!(status, 200);

    let contacts = h.planfix.contacts();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].name, "Test Name");
    assert_eq!(contacts[0].phones, vec!["+972987654321".to_string()]);

    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].assigner, format!("contact:{}", contacts[0].id));
    assert!(tasks[0].name.starts_with("WhatsApp: Test Name (+972"), "{}", tasks[0].name);

    let comments = h.planfix.comments(tasks[0].id);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].description, "Body Text");
    assert_eq!(comments[0].owner, format!("contact:{}", contacts[0].id));
    assert!(comments[0].source_object_id.is_some());
    h.assert_spec_clean();
}

#[tokio::test]
async fn comment_text_is_escaped_html_with_line_breaks() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    let payload =
        text_from_sample(&sample, "wamid.html", FROM, 1_700_000_000, "<b>bold?</b> & \"quotes\"\nsecond line");
    assert_eq!(h.post_meta(&payload).await.0, 200);
    let task = &h.planfix.tasks()[0];
    let comments = h.planfix.comments(task.id);
    assert_eq!(comments[0].description, "&lt;b&gt;bold?&lt;/b&gt; &amp; \"quotes\"<br>second line");
    h.assert_spec_clean();
}

#[tokio::test]
async fn existing_contact_with_that_phone_is_reused_and_substring_hits_are_not() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    // Planfix's phone filter matches substrings: this other number contains the same 10 digits.
    let decoy = h.planfix.add_contact("Decoy", "19051234567");
    // The customer, typed in by hand years ago with the Russian trunk prefix 8.
    let existing = h.planfix.add_contact("Known Customer", "89051234567");
    let payload = text_from_sample(&sample, "wamid.known", "79051234567", 1_700_000_000, "hello again");
    assert_eq!(h.post_meta(&payload).await.0, 200);
    assert_eq!(h.planfix.contacts().len(), 2, "no new contact is created");
    let task = &h.planfix.tasks()[0];
    assert_eq!(task.assigner, format!("contact:{existing}"));
    assert_ne!(task.assigner, format!("contact:{decoy}"));
    h.assert_spec_clean();
}

#[tokio::test]
async fn later_messages_become_comments_on_the_same_task_in_order() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    for i in 0..5 {
        let p = text_from_sample(&sample, &format!("wamid.seq{i}"), FROM, 1_700_000_000 + i, &format!("message {i}"));
        assert_eq!(h.post_meta(&p).await.0, 200);
    }
    assert_eq!(h.planfix.contacts().len(), 1);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let texts: Vec<String> = h.planfix.comments(tasks[0].id).into_iter().map(|c| c.description).collect();
    assert_eq!(texts, (0..5).map(|i| format!("message {i}")).collect::<Vec<_>>());
    h.assert_spec_clean();
}

#[tokio::test]
async fn messages_in_one_webhook_are_commented_in_send_order() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    // One POST carrying two messages listed newest first.
    let mut payload = text_from_sample(&sample, "wamid.b", FROM, 1_700_000_010, "second");
    let earlier = text_from_sample(&sample, "wamid.a", FROM, 1_700_000_001, "first")["entry"][0]["changes"][0]["value"]
        ["messages"][0]
        .clone();
    payload["entry"][0]["changes"][0]["value"]["messages"].as_array_mut().unwrap().push(earlier);
    assert_eq!(h.post_meta(&payload).await.0, 200);
    let task = &h.planfix.tasks()[0];
    let texts: Vec<String> = h.planfix.comments(task.id).into_iter().map(|c| c.description).collect();
    assert_eq!(texts, vec!["first", "second"]);
}

#[tokio::test]
async fn completed_task_makes_the_next_message_open_a_new_task() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.1", FROM, 1_700_000_000, "one")).await.0, 200);
    let first = h.planfix.tasks()[0].id;
    h.planfix.set_task_status(first, COMPLETED);

    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.2", FROM, 1_700_000_100, "two")).await.0, 200);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 2);
    let second = tasks.iter().find(|t| t.id != first).unwrap();
    assert_eq!(second.assigner, tasks[0].assigner, "same contact");
    assert_eq!(h.planfix.comments(first).len(), 1);
    assert_eq!(h.planfix.comments(second.id).len(), 1);

    // The link moved: the next message goes to the new task.
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.3", FROM, 1_700_000_200, "three")).await.0, 200);
    assert_eq!(h.planfix.comments(second.id).len(), 2);
    let phone = bridge_core::domain::Phone::parse(FROM).unwrap();
    let link = h
        .store
        .get_link(&bridge_core::domain::AccountId::parse("acme").unwrap(), &phone)
        .await
        .unwrap()
        .unwrap()
        .link
        .unwrap();
    assert_eq!((link.task_id, link.task_count), (second.id, 2));
    h.assert_spec_clean();
}

#[tokio::test]
async fn single_task_setting_reopens_the_completed_task() {
    let sample = sample();
    let h = Harness::start(Settings { single_task: true, ..Settings::default() }).await;
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.1", FROM, 1_700_000_000, "one")).await.0, 200);
    let task = h.planfix.tasks()[0].id;
    h.planfix.set_task_status(task, COMPLETED);
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.2", FROM, 1_700_000_100, "two")).await.0, 200);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "no new task");
    // Without reopen_status_id: the first active status of the task's process.
    assert_eq!(tasks[0].status_id, NEW, "reopened with the process's first active status");
    assert_eq!(h.planfix.comments(task).len(), 2);
    h.assert_spec_clean();
}

#[tokio::test]
async fn single_task_reopens_with_the_configured_status() {
    let sample = sample();
    let settings = Settings { single_task: true, reopen_status_id: Some(IN_PROGRESS), ..Settings::default() };
    let h = Harness::start(settings).await;
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.1", FROM, 1_700_000_000, "one")).await.0, 200);
    let task = h.planfix.tasks()[0].id;
    h.planfix.set_task_status(task, COMPLETED);
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.2", FROM, 1_700_000_100, "two")).await.0, 200);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "no new task");
    assert_eq!(tasks[0].status_id, IN_PROGRESS, "reopened with reopen_status_id");
    assert_eq!(h.planfix.comments(task).len(), 2);
}

#[tokio::test]
async fn redelivered_message_is_commented_once() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    for _ in 0..3 {
        assert_eq!(h.post_meta(&sample).await.0, 200);
    }
    let task = &h.planfix.tasks()[0];
    assert_eq!(h.planfix.comments(task.id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redeliveries_comment_once() {
    let sample = sample();
    let h = Arc::new(Harness::start(Settings::default()).await);
    let mut handles = Vec::new();
    for _ in 0..6 {
        let (h, s) = (h.clone(), sample.clone());
        handles.push(tokio::spawn(async move { h.post_meta(&s).await.0 }));
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap(), 200);
    }
    assert_eq!(h.planfix.contacts().len(), 1);
    assert_eq!(h.planfix.tasks().len(), 1);
    assert_eq!(h.planfix.comments(h.planfix.tasks()[0].id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_first_messages_make_one_contact_and_one_task() {
    let sample = sample();
    let h = Arc::new(Harness::start(Settings::default()).await);
    let mut handles = Vec::new();
    for i in 0..10 {
        let p = text_from_sample(&sample, &format!("wamid.burst{i}"), FROM, 1_700_000_000 + i, &format!("burst {i}"));
        let h = h.clone();
        handles.push(tokio::spawn(async move { h.post_meta(&p).await.0 }));
    }
    for handle in handles {
        assert_eq!(handle.await.unwrap(), 200);
    }
    assert_eq!(h.planfix.contacts().len(), 1);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let mut texts: Vec<String> = h.planfix.comments(tasks[0].id).into_iter().map(|c| c.description).collect();
    texts.sort();
    assert_eq!(texts, (0..10).map(|i| format!("burst {i}")).collect::<Vec<_>>());
    h.assert_spec_clean();
}

#[tokio::test]
async fn planfix_failure_does_not_fail_the_webhook_and_the_queue_retries() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    h.planfix.fail_next(
        1,
        planfix_sim::Failure::Status { http: 500, body: serde_json::json!({"result":"fail","code":0,"error":"boom"}) },
    );
    // Acknowledged at once: the message is recorded and queued; Planfix is the worker's problem.
    let (status, body) = h.post_meta_only(&sample).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("accepted")), "{body}");
    assert!(h.planfix.requests().is_empty());
    h.settle().await;
    assert_eq!(h.planfix.contacts().len(), 1);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(h.planfix.comments(tasks[0].id).len(), 1);
    assert!(h.planfix.requests().len() >= 5, "the failed call was made and retried");
}

#[tokio::test]
async fn failure_after_comment_creation_does_not_duplicate_on_retry() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.warm", FROM, 1_700_000_000, "warm up")).await.0, 200);
    let task = h.planfix.tasks()[0].id;
    // The next message's processing: GET task (ok), POST comment (ok) … then the store write
    // "done" would happen. Simulate the crash window: the comment exists, the answer is lost.
    let msg_payload = text_from_sample(&sample, "wamid.crash", FROM, 1_700_000_050, "after crash");
    h.planfix.fail_matching(
        "POST",
        "/comments/",
        1,
        planfix_sim::Failure::AfterHandling {
            http: 504,
            body: serde_json::json!({"result":"fail","code":0,"error":"gateway timeout"}),
        },
    );
    assert_eq!(h.post_meta_only(&msg_payload).await.0, 200);
    let worker = &h.worker;
    assert!(worker.run_once(&h.app).await.expect("one work item").is_empty(), "the first try fails");
    assert_eq!(h.planfix.comments(task).len(), 2, "the comment was created before the failure");
    h.settle().await;
    assert_eq!(h.planfix.comments(task).len(), 2, "the retry found it by sourceObjectId");
    // The provider's own redelivery later changes nothing either.
    assert_eq!(h.post_meta(&msg_payload).await.0, 200);
    assert_eq!(h.planfix.comments(task).len(), 2);
}

#[tokio::test]
async fn status_callbacks_are_accepted_without_comments() {
    let h = Harness::start(Settings::default()).await;
    for name in ["status_sent.json", "status_delivered.json", "status_read.json", "status_failed.json"] {
        let s = meta_sample(name);
        let (status, body) = h.post_meta(&s).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    assert!(h.planfix.requests().is_empty(), "no Planfix call for statuses");
}

#[tokio::test]
async fn other_message_kinds_are_kept_as_readable_comments() {
    let h = Harness::start(Settings::default()).await;
    for name in [
        "inbound_image.json",
        "inbound_location.json",
        "inbound_reaction.json",
        "inbound_unsupported.json",
        "inbound_document.json",
    ] {
        let mut s = meta_sample(name);
        // Give each sample its own id so none is deduplicated against another.
        s["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = Value::from(format!("wamid.{name}"));
        assert_eq!(h.post_meta(&s).await.0, 200, "{name}");
    }
    let task = &h.planfix.tasks()[0];
    let texts: Vec<String> = h.planfix.comments(task.id).into_iter().map(|c| c.description).collect();
    // In the order posted; the files are still on their way (the file relay does not run here).
    assert_eq!(
        texts,
        [
            "<i>[📎 Photo: transferring the file…]</i>",
            // The sample location is a forward (`context.forwarded`).
            "<i>↪ Forwarded</i><br>Location<br>\
             <a href=\"https://www.google.com/maps/search/?api=1&amp;query=12.25089,43.90539\">12.25089, 43.90539</a>",
            "<i>reacted 😮 to an earlier message</i>",
            "<i>[The customer sent a message that WhatsApp does not pass to integrations; \
             ask them to send it another way if it matters]</i>",
            "caption<br><i>[📎 Document «filename.pdf»: transferring the file…]</i>",
        ]
    );
    h.assert_spec_clean();
}

#[tokio::test]
async fn unsigned_or_badly_signed_webhooks_get_401_and_store_nothing() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    let body = sample.to_string();
    assert_eq!(h.post_meta_raw("acme", body.as_bytes(), None).await.0, 401);
    let wrong = meta_sim::webhook::sign(b"another-secret", body.as_bytes());
    assert_eq!(h.post_meta_raw("acme", body.as_bytes(), Some(&wrong)).await.0, 401);
    assert_eq!(h.post_meta_raw("acme", body.as_bytes(), Some("sha256=zz")).await.0, 401);
    // Signed for a different body (tampered).
    let other = meta_sim::webhook::sign(APP_SECRET.as_bytes(), b"{}");
    assert_eq!(h.post_meta_raw("acme", body.as_bytes(), Some(&other)).await.0, 401);
    assert!(h.planfix.requests().is_empty());
    let acme = bridge_core::domain::AccountId::parse("acme").unwrap();
    let probe = bridge_core::domain::InboundMessage {
        id: "wamid.xyzxyz".into(),
        from: bridge_core::domain::Phone::parse(FROM).unwrap(),
        profile_name: None,
        timestamp: 0,
        content: bridge_core::domain::MessageContent::Text { body: String::new() },
        origin: bridge_core::domain::Origin::Customer,
        reply_to: None,
    };
    assert_eq!(
        h.store.record_message(&acme, &probe, 0).await.unwrap(),
        bridge_core::ports::RecordOutcome::New,
        "nothing was stored"
    );
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_never_a_panic() {
    let h = Harness::start(Settings::default()).await;
    let sign = |b: &[u8]| meta_sim::webhook::sign(APP_SECRET.as_bytes(), b);
    // Unknown account.
    let body = b"{}";
    assert_eq!(h.post_meta_raw("nobody", body, Some(&sign(body))).await.0, 401);
    // Malformed bodies, correctly signed.
    let long_id = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"changes":[{{"field":"messages","value":{{"messages":[{{"from":"972987654321","id":"{}","timestamp":"1","type":"text","text":{{"body":"x"}}}}]}}}}]}}]}}"#,
        "x".repeat(300)
    );
    // Not a Cloud API envelope at all: 400 with a reason.
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"not json".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
        br#"{"object":"page","entry":[]}"#.to_vec(),
        br#"{"object":"whatsapp_business_account"}"#.to_vec(),
    ];
    for body in cases {
        let (status, reply) = h.post_meta_raw("acme", &body, Some(&sign(&body))).await;
        assert_eq!(status, 400, "body {:?} → {status} {reply}", String::from_utf8_lossy(&body));
        assert!(reply["error"].as_str().is_some_and(|e| !e.is_empty()), "a reason is given");
    }
    // An envelope whose items name no phone_number_id is for no account: refused (403) whatever
    // its items hold. (Unreadable items of a change for this number: tests/webhook_items.rs.)
    let unaddressed: Vec<Vec<u8>> = vec![
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"abc","id":"1","timestamp":"1","type":"text","text":{"body":"x"}}]}}]}]}"#.to_vec(),
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"972987654321","id":"1","timestamp":"soon","type":"text","text":{"body":"x"}}]}}]}]}"#.to_vec(),
        br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"972987654321","id":"1","timestamp":"1","type":"text"}]}}]}]}"#.to_vec(),
        long_id.into_bytes(),
    ];
    for body in unaddressed {
        let (status, reply) = h.post_meta_raw("acme", &body, Some(&sign(&body))).await;
        assert_eq!(status, 403, "body {:?} → {status} {reply}", String::from_utf8_lossy(&body));
    }
    // A payload for another business number is refused.
    let mut s = sample();
    s["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = Value::from("999");
    let b = s.to_string();
    assert_eq!(h.post_meta_raw("acme", b.as_bytes(), Some(&sign(b.as_bytes()))).await.0, 403);
    assert!(h.planfix.requests().is_empty());
}

#[tokio::test]
async fn verification_handshake() {
    let h = Harness::start(Settings::default()).await;
    let get = |q: String| {
        let app = h.app.clone();
        async move {
            let req = http::Request::get(format!("/webhooks/meta/acme?{q}")).body(bytes::Bytes::new()).unwrap();
            let resp = bridge_http::handle(&app, bridge_http::Surface::ProviderWebhooks, req).await;
            (resp.status().as_u16(), String::from_utf8_lossy(resp.body()).into_owned())
        }
    };
    assert_eq!(
        get(format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")).await,
        (200, "1158201444".into())
    );
    assert_eq!(get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".into()).await.0, 403);
    assert_eq!(get("hub.mode=subscribe&hub.challenge=1".into()).await.0, 403);
}

/// The Planfix budget per message (1 request/s per account): a new conversation costs a contact
/// search, a contact, a task and a comment; a known one a task read and a comment (plus one
/// status-list read per process per instance).
#[tokio::test]
async fn planfix_calls_per_message() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    let calls =
        |h: &Harness| h.planfix.requests().iter().map(|r| format!("{} {}", r.method, r.path)).collect::<Vec<_>>();
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.c1", FROM, 1_700_000_000, "one")).await.0, 200);
    let first = calls(&h);
    assert_eq!(
        first,
        vec!["POST /contact/list", "POST /contact/", "POST /task/", "POST /task/101/comments/"],
        "{first:?}"
    );
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.c2", FROM, 1_700_000_001, "two")).await.0, 200);
    assert_eq!(calls(&h)[first.len()..], ["GET /task/101", "GET /process/task/1/statuses", "POST /task/101/comments/"]);
    let so_far = calls(&h).len();
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.c3", FROM, 1_700_000_002, "three")).await.0, 200);
    assert_eq!(calls(&h)[so_far..], ["GET /task/101", "POST /task/101/comments/"]);
}
