//! 360dialog beyond the provider contract, through the public entry points on moto with the
//! 360dialog simulator: the webhook secret header (answered exactly like an unknown account when
//! wrong, missing, replaced by a Meta signature or belonging to another 360dialog account), the
//! absence of a GET handshake, media fetched through 360dialog's host with the key, the guard
//! that keeps failing media look-ups below 360dialog's block, and how a throttling answer and
//! Meta's 131047 end.

use std::sync::Arc;
use std::time::Duration;

use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_aws::SqsFileJobQueue;
use bridge_core::config::{Dialog360Config, ProviderConfig, Secret, Settings};
use bridge_core::domain::{AccountId, MessageContent, Phone};
use bridge_core::lease::LeaseTiming;
use bridge_core::ports::Store;
use bridge_core::retry::RetryPolicy;
use bridge_core::Bridge;
use bytes::Bytes;
use dialog360_sim::webhook::{self as hooks, Sender};
use dialog360_sim::{Dialog360Failure, Dialog360Sim};
use e2e_tests::providers::{Driver, Kind, D360_KEY, D360_SECRET};
use e2e_tests::{
    account_config, fresh_dynamo_store, fresh_queue, Harness, WorkerRig, APP_SECRET, PHONE_NUMBER_ID,
    PLANFIX_HOOK_SECRET, PUBLIC_URL,
};
use http::Request;
use serde_json::Value;

const CUSTOMER: &str = "4915112345678";
const NAME: &str = "Anna Schmidt";
const EMPLOYEE: i64 = 5;
const T0: i64 = 1_700_000_000;
const PATH: &str = "/webhooks/360dialog/acme";
/// What every refused 360dialog webhook gets: the answer of an account that does not exist.
const UNKNOWN_ACCOUNT: &str = r#"{"error":"unauthorized"}"#;
/// The bridge's own limit of failed media look-ups per hour (`dialog360/media_guard.rs`), below
/// both thresholds 360dialog publishes (20 per hour; another revision 5 per hour).
const GUARD_MAX_FAILURES: usize = 4;

struct Rig {
    h: Harness,
    sim: Dialog360Sim,
}

/// A harness whose account `acme` uses 360dialog (the simulator).
async fn start() -> Rig {
    let driver = Driver::start(Kind::Dialog360).await;
    let provider = driver.provider_config();
    let Driver::Dialog360(sim) = driver else { unreachable!("a 360dialog driver") };
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |_, account| account.provider = provider).await;
    Rig { h, sim }
}

fn sender(wa_id: &str) -> Sender {
    Sender { wa_id: wa_id.into(), profile_name: NAME.into() }
}

fn wamid() -> String {
    format!("wamid.HBgL{}", uuid::Uuid::new_v4().simple().to_string().to_uppercase())
}

/// A JSON POST to `path` with the given headers.
fn post_to(path: &str, body: &[u8], headers: &[(&str, &str)]) -> Request<Bytes> {
    let mut req = Request::post(path).header("content-type", "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(Bytes::copy_from_slice(body)).expect("request builds")
}

/// The webhook as 360dialog POSTs it to acme: with the registered secret header.
fn post(body: &Value) -> Request<Bytes> {
    post_to(PATH, body.to_string().as_bytes(), &[("x-bridge-secret", D360_SECRET)])
}

fn text(rig: &Rig, from: &str, body: &str) -> Value {
    hooks::text(&rig.sim.business(), &sender(from), &wamid(), T0, body)
}

fn assert_accepted((status, body): &(u16, String)) -> Value {
    assert_eq!(*status, 200, "{body}");
    let answer: Value = serde_json::from_str(body).expect("a JSON answer");
    assert_eq!(answer["status"], "accepted", "{body}");
    answer
}

fn assert_unknown_account((status, body): &(u16, String)) {
    assert_eq!((*status, body.as_str()), (401, UNKNOWN_ACCOUNT), "exactly the unknown account's answer");
}

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

/// Nothing of a refused webhook was kept: no work, no inbox entry, no Planfix request.
async fn assert_nothing_stored(rig: &Rig) {
    let outcomes = rig.h.settle().await;
    assert!(outcomes.is_empty(), "no work was queued: {outcomes:?}");
    let inbox = rig.h.store.inbox(&acme(), &Phone::parse(CUSTOMER).unwrap(), 10).await.expect("inbox reads");
    assert!(inbox.is_empty(), "nothing was recorded: {inbox:?}");
    assert!(rig.h.planfix.requests().is_empty(), "nothing reached Planfix");
}

/// A conversation opened by the customer's first message: (task id, contact id).
async fn open_conversation(rig: &Rig) -> (i64, i64) {
    assert_accepted(&rig.h.post_webhook(post(&text(rig, CUSTOMER, "Hello, I need help"))).await);
    rig.h.settle().await;
    let tasks = rig.h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let contact = tasks[0].assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
    (tasks[0].id, contact)
}

fn internal_notes(h: &Harness, task: i64) -> Vec<planfix_sim::Comment> {
    h.planfix.comments(task).into_iter().filter(|c| c.description.contains("⚠ WhatsApp")).collect()
}

/// Requests the simulator got for `(method, path)` (any answer).
fn calls(sim: &Dialog360Sim, method: &str, path: &str) -> usize {
    sim.requests().iter().filter(|r| r.method == method && r.path == path).count()
}

/// Media look-ups (`GET /{media-id}`) the simulator got, whatever it answered.
fn lookups(sim: &Dialog360Sim) -> usize {
    let numeric = |p: &str| p.len() > 1 && p[1..].bytes().all(|b| b.is_ascii_digit());
    sim.requests().iter().filter(|r| r.method == "GET" && numeric(&r.path)).count()
}

async fn reply(rig: &Rig, task: i64, contact: i64, words: &str) -> Option<String> {
    let comment = rig.h.planfix.add_employee_comment(task, EMPLOYEE, words, &[contact]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(status, 200, "{body}");
    body["result"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn a_wrong_or_missing_secret_is_answered_exactly_like_an_unknown_account_and_stores_nothing() {
    let rig = start().await;
    let body = text(&rig, CUSTOMER, "Where is my order?");
    let raw = body.to_string().into_bytes();
    let upper = D360_SECRET.to_uppercase();
    let prefixed = format!("{D360_SECRET}x");
    let bearer = format!("Bearer {D360_SECRET}");
    let refusals: [&[(&str, &str)]; 6] = [
        &[],
        &[("x-bridge-secret", "not-the-webhook-secret")],
        &[("x-bridge-secret", &upper)],
        &[("x-bridge-secret", &prefixed)],
        &[("x-bridge-secret", "")],
        // The secret in another header counts for nothing.
        &[("authorization", &bearer)],
    ];
    for headers in refusals {
        assert_unknown_account(&rig.h.post_webhook(post_to(PATH, &raw, headers)).await);
    }
    // The same answer as for an account that does not exist, with the right secret or without.
    for headers in [&[("x-bridge-secret", D360_SECRET)][..], &[]] {
        assert_unknown_account(&rig.h.post_webhook(post_to("/webhooks/360dialog/nobody", &raw, headers)).await);
    }
    assert_nothing_stored(&rig).await;
    // Nothing was recorded: the genuine delivery is new, not a duplicate.
    let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
    assert_eq!((answer["messages"].as_u64(), answer["duplicates"].as_u64()), (Some(1), Some(0)), "{answer}");
    rig.h.settle().await;
    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("Where is my order?"), "{}", comments[0].description);
}

#[tokio::test]
async fn a_body_signed_the_way_meta_signs_it_does_not_replace_the_secret() {
    let rig = start().await;
    let body = text(&rig, CUSTOMER, "signed, not secret");
    // Signed with a Meta app secret, and with the 360dialog secret as the HMAC key: neither is
    // the header 360dialog was told to send.
    for key in [APP_SECRET, D360_SECRET] {
        let (raw, signature) = meta_sim::webhook::signed_body(key.as_bytes(), &body);
        let answer = rig.h.post_webhook(post_to(PATH, &raw, &[("x-hub-signature-256", &signature)])).await;
        assert_unknown_account(&answer);
    }
    assert_nothing_stored(&rig).await;
}

/// Two 360dialog accounts in one deployment, each with its own number and secret. Only the
/// webhook routes are exercised, so Planfix is never called.
async fn two_accounts() -> (Arc<Bridge>, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let account = |id: &str, phone_number_id: &str, secret: &str| {
        let mut cfg = account_config(id, "http://127.0.0.1:9/rest", "http://127.0.0.1:9", Settings::default());
        cfg.provider = ProviderConfig::Dialog360(Dialog360Config {
            api_key: Secret::new(D360_KEY),
            phone_number_id: phone_number_id.into(),
            webhook_secret: Secret::new(secret),
            api_base_url: "http://127.0.0.1:9".into(),
        });
        cfg
    };
    let accounts = vec![
        account("acme", PHONE_NUMBER_ID, D360_SECRET),
        account("beta", "2233445566778", "beta-360dialog-webhook-secret"),
    ];
    let (sqs, queue_url) = fresh_queue().await;
    let worker = WorkerRig::new().await;
    let infra = Infra {
        store: store.clone(),
        work: worker.queue(),
        file_jobs: Arc::new(SqsFileJobQueue::new(sqs, queue_url)),
        blob: None,
    };
    let tuning = Tuning {
        timing: LeaseTiming { lease_secs: 30, wait: Duration::from_secs(15), poll: Duration::from_millis(50) },
        message_lease_secs: 30,
        send_retry: RetryPolicy::default(),
        config_settings_override: true,
        http_timeout: Duration::from_secs(15),
        public_url: Some(PUBLIC_URL.into()),
    };
    let app = build_app(accounts, infra, tuning).await.expect("app builds");
    (Arc::new(app), store)
}

#[tokio::test]
async fn the_secret_of_another_360dialog_account_does_not_open_this_one() {
    let (app, store) = two_accounts().await;
    let post_webhook = |req: Request<Bytes>| {
        let app = app.clone();
        async move {
            let resp = bridge_http::handle(&app, bridge_http::Surface::ProviderWebhooks, req).await;
            (resp.status().as_u16(), String::from_utf8_lossy(resp.body()).into_owned())
        }
    };
    let business = |id: &str| hooks::business(id, "15550001111", "200300400500600");
    let to_acme = hooks::text(&business(PHONE_NUMBER_ID), &sender(CUSTOMER), &wamid(), T0, "for acme").to_string();
    let to_beta = hooks::text(&business("2233445566778"), &sender(CUSTOMER), &wamid(), T0, "for beta").to_string();
    let acme_secret = [("x-bridge-secret", D360_SECRET)];
    let beta_secret = [("x-bridge-secret", "beta-360dialog-webhook-secret")];

    // Each account's secret on the other's route, with a body for either number: refused as
    // an unknown account.
    for body in [&to_acme, &to_beta] {
        let answer = post_webhook(post_to(PATH, body.as_bytes(), &beta_secret)).await;
        assert_unknown_account(&answer);
        let answer = post_webhook(post_to("/webhooks/360dialog/beta", body.as_bytes(), &acme_secret)).await;
        assert_unknown_account(&answer);
    }
    let customer = Phone::parse(CUSTOMER).unwrap();
    for account in ["acme", "beta"] {
        let inbox = store.inbox(&AccountId::parse(account).unwrap(), &customer, 10).await.expect("inbox reads");
        assert!(inbox.is_empty(), "{account}: nothing was recorded: {inbox:?}");
    }

    // Each with its own secret and its own number: accepted, into its own account only.
    assert_accepted(&post_webhook(post_to(PATH, to_acme.as_bytes(), &acme_secret)).await);
    assert_accepted(&post_webhook(post_to("/webhooks/360dialog/beta", to_beta.as_bytes(), &beta_secret)).await);
    for (account, words) in [("acme", "for acme"), ("beta", "for beta")] {
        let inbox = store.inbox(&AccountId::parse(account).unwrap(), &customer, 10).await.expect("inbox reads");
        assert_eq!(inbox.len(), 1, "{account}: {inbox:?}");
        assert_eq!(inbox[0].message.content, MessageContent::Text { body: words.into() }, "{account}");
    }
    // The right secret does not carry another number's payload into the account.
    let (status, answer) = post_webhook(post_to(PATH, to_beta.as_bytes(), &acme_secret)).await;
    assert_eq!(status, 403, "{answer}");
}

/// No GET handshake and no status route: both answer exactly like an unknown account, so the
/// account's existence cannot be probed without its secret either.
#[tokio::test]
async fn dialog360_routes_other_than_the_webhook_look_unknown() {
    let rig = start().await;
    for with_secret in [false, true] {
        let mut req = Request::get(format!("{PATH}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=424242"));
        if with_secret {
            req = req.header("x-bridge-secret", D360_SECRET);
        }
        let (status, body) = rig.h.post_webhook(req.body(Bytes::new()).unwrap()).await;
        assert_eq!((status, body.as_str()), (401, UNKNOWN_ACCOUNT));
        assert!(!body.contains("424242"), "no challenge is echoed: {body}");
        let mut status_post = Request::post(format!("{PATH}/status")).header("content-type", "application/json");
        if with_secret {
            status_post = status_post.header("x-bridge-secret", D360_SECRET);
        }
        let (status, body) = rig.h.post_webhook(status_post.body(Bytes::from_static(b"{}")).unwrap()).await;
        assert_eq!((status, body.as_str()), (401, UNKNOWN_ACCOUNT));
    }
    let unknown = Request::get("/webhooks/360dialog/nobody").body(Bytes::new()).unwrap();
    assert_eq!(rig.h.post_webhook(unknown).await, (401, UNKNOWN_ACCOUNT.to_owned()));
    assert_nothing_stored(&rig).await;
}

#[tokio::test]
async fn a_customers_file_is_fetched_through_360dialogs_host_with_the_key() {
    let rig = start().await;
    let photo: Vec<u8> = (0..150_000u32).map(|i| (i * 5 % 251) as u8).collect();
    let media_id = rig.sim.add_media(photo.clone(), "image/jpeg");
    let body = hooks::media(
        &rig.sim.business(),
        &sender(CUSTOMER),
        &wamid(),
        T0,
        "image",
        &media_id,
        "image/jpeg",
        Some("the parcel"),
        None,
        false,
    );
    assert_accepted(&rig.h.post_webhook(post(&body)).await);
    rig.h.settle().await;
    rig.h.drain_file_relay(3).await;

    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("the parcel"), "the caption stays: {}", comments[0].description);
    assert_eq!(comments[0].files.len(), 1, "{}", comments[0].description);
    let (name, bytes) = rig.h.planfix.file(comments[0].files[0]).expect("the file is in Planfix");
    assert_eq!(bytes, photo, "bytes equal");
    assert!(name.ends_with(".jpg"), "{name}");
    // The look-up, then the lookaside URL's path and query on 360dialog's own host; both
    // authenticated (the simulator answers 401 without the key), nothing else.
    let requests: Vec<(String, String, u16)> =
        rig.sim.requests().into_iter().map(|r| (r.method, r.path, r.status)).collect();
    let expected = [("GET", format!("/{media_id}"), 200), ("GET", "/whatsapp_business/attachments/".to_owned(), 200)]
        .map(|(m, p, s)| (m.to_owned(), p, s));
    assert_eq!(requests, expected);

    // What the simulator holds the bridge to: the look-up answers a URL on Meta's lookaside host,
    // which the simulator never serves; the same path and query on its own host give the bytes
    // only with the key.
    let base = rig.sim.base_url().expect("served");
    let client = reqwest::Client::new();
    let info: Value = client
        .get(format!("{base}/{media_id}"))
        .header("D360-API-KEY", D360_KEY)
        .send()
        .await
        .expect("look-up")
        .json()
        .await
        .expect("JSON");
    let url = info["url"].as_str().expect("url");
    let path_and_query = url.strip_prefix("https://lookaside.fbsbx.com").expect("a lookaside URL");
    let on_own_host = format!("{base}{path_and_query}");
    let without_key = client.get(&on_own_host).send().await.expect("download");
    assert_eq!(without_key.status().as_u16(), 401);
    let with_key = client.get(&on_own_host).header("D360-API-KEY", D360_KEY).send().await.expect("download");
    assert_eq!(with_key.bytes().await.expect("bytes").to_vec(), photo);
}

#[tokio::test]
async fn failing_media_look_ups_stop_before_360dialog_would_block_the_number() {
    let rig = start().await;
    // The stricter revision's threshold, just above the bridge's own: 5 errors within an hour
    // block every look-up on the number.
    rig.sim.set_media_block(5, Duration::from_secs(3600), Duration::from_secs(1800));
    // Two look-ups answered 500 (retried by the relay), the rest for ids 360dialog does not
    // know (404, final): six customers' files that cannot be fetched.
    rig.sim.fail_next(2, Dialog360Failure::Error { http: 500, body: String::new() });
    let customers: Vec<String> = (0..6).map(|i| format!("49151123456{i:02}")).collect();
    for (i, customer) in customers.iter().enumerate() {
        let unknown_media = format!("99900011122{i:02}");
        let body = hooks::media(
            &rig.sim.business(),
            &sender(customer),
            &wamid(),
            T0 + i as i64,
            "document",
            &unknown_media,
            "application/pdf",
            None,
            Some(&format!("order-{i}.pdf")),
            false,
        );
        assert_accepted(&rig.h.post_webhook(post(&body)).await);
    }
    rig.h.settle().await;
    rig.h.drain_file_relay(3).await;

    assert_eq!(lookups(&rig.sim), GUARD_MAX_FAILURES, "the bridge stopped asking: {:?}", rig.sim.requests());
    assert!(rig.sim.media_lookup_errors() <= GUARD_MAX_FAILURES, "{}", rig.sim.media_lookup_errors());
    assert!(!rig.sim.media_blocked(), "360dialog never blocked the number");
    let tasks = rig.h.planfix.tasks();
    assert_eq!(tasks.len(), customers.len());
    for task in &tasks {
        let comments = rig.h.planfix.comments(task.id);
        assert_eq!(comments.len(), 1, "{comments:#?}");
        assert!(comments[0].files.is_empty());
        let description = &comments[0].description;
        assert!(description.contains("could not be transferred"), "each customer's comment says so: {description}");
        assert!(description.contains("order-"), "naming the file: {description}");
    }

    // Within the hour even a file 360dialog has is not looked up: the guard holds until its
    // window moves on, and the comment says the file did not come.
    let media_id = rig.sim.add_media(vec![7u8; 2048], "application/pdf");
    let body = hooks::media(
        &rig.sim.business(),
        &sender(CUSTOMER),
        &wamid(),
        T0 + 10,
        "document",
        &media_id,
        "application/pdf",
        None,
        Some("invoice.pdf"),
        false,
    );
    assert_accepted(&rig.h.post_webhook(post(&body)).await);
    rig.h.settle().await;
    rig.h.drain_file_relay(3).await;
    assert_eq!(lookups(&rig.sim), GUARD_MAX_FAILURES, "no look-up while paused");
    assert!(!rig.sim.media_blocked());
    let task = rig.h.planfix.tasks().into_iter().find(|t| !tasks.iter().any(|old| old.id == t.id)).expect("a task");
    let comments = rig.h.planfix.comments(task.id);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("could not be transferred"), "{}", comments[0].description);
    assert!(comments[0].description.contains("paused"), "the reason is the pause: {}", comments[0].description);
}

#[tokio::test]
async fn one_throttling_answer_on_a_reply_is_retried_and_sent_once() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.fail_next(1, Dialog360Failure::RateLimited);
    assert_eq!(reply(&rig, task, contact, "Thanks for waiting").await.as_deref(), Some("sent"));
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].text(), Some("Thanks for waiting"));
    assert_eq!(sent[0].to, CUSTOMER);
    let statuses: Vec<u16> =
        rig.sim.requests().iter().filter(|r| r.method == "POST" && r.path == "/messages").map(|r| r.status).collect();
    assert_eq!(statuses, [400, 200], "the throttled attempt and the retry");
    assert!(internal_notes(&rig.h, task).is_empty(), "{:?}", internal_notes(&rig.h, task));
}

#[tokio::test]
async fn metas_131047_through_360dialog_becomes_one_internal_note() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.fail_for_recipient(CUSTOMER, 131047, 400);
    assert_eq!(reply(&rig, task, contact, "Are you there?").await.as_deref(), Some("not_delivered"));
    assert!(rig.sim.sent().is_empty());
    assert_eq!(calls(&rig.sim, "POST", "/messages"), 1, "a closed window is not retried");
    let notes = internal_notes(&rig.h, task);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0].description.contains("24 hours"), "{}", notes[0].description);
    assert!(!notes[0].description.contains("Are you there?"), "the note never quotes the message");
    assert!(notes[0].recipients.to_string().contains(&format!("user:{EMPLOYEE}")), "the author is told");
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the note stays internal");
    // The worker does not come back to it.
    rig.h.settle().await;
    assert_eq!(calls(&rig.sim, "POST", "/messages"), 1);
}
