//! Green-API beyond the provider contract, through the public entry points on moto with the
//! Green-API simulator: what the company writes from its phone, the notifications the bridge
//! leaves alone (its own echoes, state changes, groups, other instances), the forms of the
//! webhook token and its waiver, the quota and 5xx answers of `sendMessage`, files by upload, and
//! how the message types without a Planfix counterpart read as comments.

use std::sync::Arc;

use bridge_core::config::{GreenApiConfig, GreenApiFileSend, ProviderConfig, Settings};
use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::Store;
use bytes::Bytes;
use e2e_tests::providers::{Driver, Kind, GREEN_HOOK_TOKEN, GREEN_INSTANCE, GREEN_WID};
use e2e_tests::{fresh_dynamo_store, Harness, PLANFIX_HOOK_SECRET};
use green_api_sim::webhook::{self as hooks, Chat, Instance};
use green_api_sim::{GreenApiSim, GreenFailure};
use http::Request;
use serde_json::Value;

const CUSTOMER: &str = "4915112345678";
const NAME: &str = "Anna Schmidt";
const EMPLOYEE: i64 = 5;
const T0: i64 = 1_700_000_000;
const PATH: &str = "/webhooks/green-api/acme";

struct Rig {
    h: Harness,
    sim: GreenApiSim,
}

async fn start() -> Rig {
    start_with(|_| {}).await
}

/// A harness whose account `acme` uses Green-API (the simulator), its config adjusted.
async fn start_with(adjust: impl FnOnce(&mut GreenApiConfig)) -> Rig {
    let driver = Driver::start(Kind::GreenApi).await;
    let ProviderConfig::GreenApi(mut cfg) = driver.provider_config() else { unreachable!("a Green-API config") };
    adjust(&mut cfg);
    let Driver::GreenApi(sim) = driver else { unreachable!("a Green-API driver") };
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |_, account| {
        account.provider = ProviderConfig::GreenApi(cfg);
    })
    .await;
    Rig { h, sim }
}

fn chat() -> Chat {
    Chat { chat_id: format!("{CUSTOMER}@c.us"), sender_name: NAME.into() }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string().to_uppercase()
}

/// The webhook as Green-API POSTs it, with `Authorization` as given (None: no header).
fn post_with(body: &Value, authorization: Option<&str>) -> Request<Bytes> {
    let mut req = Request::post(PATH).header("content-type", "application/json");
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    req.body(Bytes::from(body.to_string())).expect("request builds")
}

fn post(body: &Value) -> Request<Bytes> {
    post_with(body, Some(&format!("Bearer {GREEN_HOOK_TOKEN}")))
}

fn assert_accepted((status, body): &(u16, String)) -> Value {
    assert_eq!(*status, 200, "{body}");
    let answer: Value = serde_json::from_str(body).expect("a JSON answer");
    assert_eq!(answer["status"], "accepted", "{body}");
    answer
}

fn assert_unauthorized((status, body): &(u16, String)) {
    assert_eq!(*status, 401, "{body}");
    assert!(body.contains("unauthorized"), "a reason is given: {body}");
}

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

/// Nothing of the webhook was kept: no work, no inbox entry for `phone`, no Planfix request.
async fn assert_nothing_stored(rig: &Rig, phone: &str) {
    let outcomes = rig.h.settle().await;
    assert!(outcomes.is_empty(), "no work was queued: {outcomes:?}");
    let inbox = rig.h.store.inbox(&acme(), &Phone::parse(phone).unwrap(), 10).await.expect("inbox reads");
    assert!(inbox.is_empty(), "nothing was recorded: {inbox:?}");
    assert!(rig.h.planfix.requests().is_empty(), "nothing reached Planfix");
}

/// A conversation opened by the customer's first message: (task id, contact id).
async fn open_conversation(rig: &Rig) -> (i64, i64) {
    let body = hooks::incoming_text(&rig.sim.instance(), &chat(), &new_id(), T0, "Hello, I need help");
    assert_accepted(&rig.h.post_webhook(post(&body)).await);
    rig.h.settle().await;
    let tasks = rig.h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let contact = tasks[0].assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
    (tasks[0].id, contact)
}

/// The one comment a customer's webhook made in a fresh harness.
async fn only_comment(rig: &Rig, body: &Value) -> planfix_sim::Comment {
    assert_accepted(&rig.h.post_webhook(post(body)).await);
    rig.h.settle().await;
    let tasks = rig.h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let comments = rig.h.planfix.comments(tasks[0].id);
    assert_eq!(comments.len(), 1, "{comments:#?}");
    comments.into_iter().next().unwrap()
}

fn internal_notes(h: &Harness, task: i64) -> Vec<planfix_sim::Comment> {
    h.planfix.comments(task).into_iter().filter(|c| c.description.contains("⚠ WhatsApp")).collect()
}

/// Requests the simulator got for one instance method (token masked in the recorded path).
fn calls(sim: &GreenApiSim, method: &str) -> usize {
    sim.requests().iter().filter(|r| r.path.contains(&format!("/{method}/"))).count()
}

async fn reply(rig: &Rig, task: i64, contact: i64, words: &str) -> Option<String> {
    let comment = rig.h.planfix.add_employee_comment(task, EMPLOYEE, words, &[contact]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(status, 200, "{body}");
    body["result"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn what_the_company_wrote_from_its_phone_is_the_companys_comment_and_never_sent_back() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    let body = hooks::outgoing_from_phone(&rig.sim.instance(), &chat(), &new_id(), T0 + 60, "We shipped it today");
    let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
    assert_eq!(answer["messages"], 1, "{answer}");
    rig.h.settle().await;

    assert_eq!(rig.h.planfix.tasks().len(), 1, "the conversation's own task");
    let comments = rig.h.planfix.comments(task);
    assert_eq!(comments.len(), 2, "{comments:#?}");
    let phone = &comments[1];
    assert!(phone.description.contains("We shipped it today"), "{}", phone.description);
    assert!(phone.description.contains("Sent from the company's WhatsApp phone"), "marked: {}", phone.description);
    assert_ne!(phone.owner, format!("contact:{contact}"), "not the customer's word");
    assert!(!phone.owner.starts_with("contact:"), "{}", phone.owner);
    assert!(!phone.recipients.to_string().contains("contact:"), "it notifies no contact: {}", phone.recipients);

    // Planfix's scenario fires for that comment too: it must not go back to WhatsApp.
    let (status, hook) = rig.h.planfix_hook(task, phone.id, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, hook["result"].as_str()), (200, Some("ignored")), "{hook}");
    assert!(rig.sim.sent().is_empty(), "{:?}", rig.sim.sent());
    assert_eq!(calls(&rig.sim, "sendMessage"), 0);
}

#[tokio::test]
async fn the_echo_of_the_bridges_own_send_stores_nothing() {
    let rig = start().await;
    let inst = rig.sim.instance();
    let text = hooks::outgoing_api_echo(&inst, &chat(), &new_id(), T0, "Your order ships today");
    let file = hooks::outgoing_api_file_echo(
        &inst,
        &chat(),
        &new_id(),
        T0,
        "documentMessage",
        "https://media.invalid/x.pdf",
        "application/pdf",
        "x.pdf",
        None,
    );
    for body in [text, file] {
        let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
        assert_eq!((answer["messages"].as_u64(), answer["ignored"].as_u64()), (Some(0), Some(1)), "{answer}");
    }
    assert_nothing_stored(&rig, CUSTOMER).await;
}

#[tokio::test]
async fn a_state_change_is_acknowledged_and_stores_nothing() {
    let rig = start().await;
    for state in ["authorized", "notAuthorized", "yellowCard"] {
        let answer =
            assert_accepted(&rig.h.post_webhook(post(&hooks::state_changed(&rig.sim.instance(), state))).await);
        assert_eq!(answer["ignored"], 1, "{answer}");
    }
    assert_nothing_stored(&rig, CUSTOMER).await;
}

#[tokio::test]
async fn a_group_chat_message_is_acknowledged_and_stores_nothing() {
    let rig = start().await;
    let group = Chat { chat_id: "120363043968066561@g.us".into(), sender_name: "Shipping team".into() };
    let mut body = hooks::incoming_text(&rig.sim.instance(), &group, &new_id(), T0, "hello group");
    hooks::set_group_sender(&mut body, &format!("{CUSTOMER}@c.us"), NAME);
    let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
    assert_eq!(answer["ignored"], 1, "{answer}");
    // The member who wrote gets no conversation either.
    assert_nothing_stored(&rig, CUSTOMER).await;
}

#[tokio::test]
async fn a_notification_for_another_instance_is_forbidden() {
    let rig = start().await;
    let other = Instance { id_instance: GREEN_INSTANCE + 1, wid: GREEN_WID.into() };
    let body = hooks::incoming_text(&other, &chat(), &new_id(), T0, "hi");
    let (status, answer) = rig.h.post_webhook(post(&body)).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("another Green-API instance"), "{answer}");
    assert_nothing_stored(&rig, CUSTOMER).await;
}

#[tokio::test]
async fn the_token_is_accepted_bare_and_refused_when_missing_or_wrong() {
    let rig = start().await;
    let body = hooks::incoming_text(&rig.sim.instance(), &chat(), &new_id(), T0, "bare token");
    for refused in [None, Some("not-the-token"), Some("Bearer not-the-token"), Some("Basic dGVzdDp0ZXN0")] {
        assert_unauthorized(&rig.h.post_webhook(post_with(&body, refused)).await);
    }
    assert_nothing_stored(&rig, CUSTOMER).await;
    // `Authorization: <token>`, no scheme: accepted, and new (the refusals recorded nothing).
    let answer = assert_accepted(&rig.h.post_webhook(post_with(&body, Some(GREEN_HOOK_TOKEN))).await);
    assert_eq!((answer["messages"].as_u64(), answer["duplicates"].as_u64()), (Some(1), Some(0)), "{answer}");
    rig.h.settle().await;
    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("bare token"), "{}", comments[0].description);
}

#[tokio::test]
async fn without_a_token_only_an_explicit_waiver_lets_webhooks_in() {
    let refusing = start_with(|cfg| cfg.webhook_url_token = None).await;
    let body = hooks::incoming_text(&refusing.sim.instance(), &chat(), &new_id(), T0, "no token");
    // Such an account breaks a rule, so it is not served at all; the operator learns what to
    // configure from the load's error log (and `bridge-admin accounts list`).
    for auth in [None, Some(format!("Bearer {GREEN_HOOK_TOKEN}"))] {
        let (status, answer) = refusing.h.post_webhook(post_with(&body, auth.as_deref())).await;
        assert_eq!(status, 503, "{answer}");
        assert!(answer.contains("account temporarily unavailable"), "{answer}");
    }
    let broken = refusing.h.app.accounts.broken().await;
    assert!(broken[0].reason.contains("webhookUrlToken"), "the reason says what to configure: {broken:?}");
    assert_nothing_stored(&refusing, CUSTOMER).await;

    let waived = start_with(|cfg| {
        cfg.webhook_url_token = None;
        cfg.allow_unauthenticated_webhooks = true;
    })
    .await;
    let body = hooks::incoming_text(&waived.sim.instance(), &chat(), &new_id(), T0, "no token needed");
    let comment = {
        assert_accepted(&waived.h.post_webhook(post_with(&body, None)).await);
        waived.h.settle().await;
        waived.h.planfix.comments(waived.h.planfix.tasks()[0].id)
    };
    assert_eq!(comment.len(), 1);
    assert!(comment[0].description.contains("no token needed"), "{}", comment[0].description);
}

#[tokio::test]
async fn a_used_up_quota_is_one_note_and_one_request() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.set_quota_exhausted(true);
    assert_eq!(reply(&rig, task, contact, "Are you there?").await.as_deref(), Some("not_delivered"));
    assert_eq!(calls(&rig.sim, "sendMessage"), 1, "no retries: {:?}", rig.sim.requests());
    assert!(rig.sim.sent().is_empty());
    let notes = internal_notes(&rig.h, task);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0].description.contains("quota"), "{}", notes[0].description);
    assert!(!notes[0].description.contains("Are you there?"), "the note never quotes the message");
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the note stays internal");
    // The worker did not come back to it either.
    rig.h.settle().await;
    assert_eq!(calls(&rig.sim, "sendMessage"), 1);
}

#[tokio::test]
async fn with_file_send_upload_a_replys_file_goes_by_upload() {
    let rig = start_with(|cfg| cfg.file_send = GreenApiFileSend::Upload).await;
    let (task, contact) = open_conversation(&rig).await;
    let pdf: Vec<u8> = (0..250_000u32).map(|i| (i * 17 % 251) as u8).collect();
    let file = rig.h.planfix.add_file("invoice 42.pdf", pdf.clone());
    let comment = rig.h.planfix.add_employee_comment_with_files(task, EMPLOYEE, "Your invoice", &[contact], &[file]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{body}");
    rig.h.drain_file_relay(3).await;

    let files: Vec<_> = rig.sim.sent().into_iter().filter_map(|m| m.file.map(|f| (m.chat_id, f))).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let (chat_id, sent) = &files[0];
    assert_eq!(chat_id, &format!("{CUSTOMER}@c.us"));
    assert_eq!(sent.via, "upload");
    assert_eq!(sent.file_name, "invoice 42.pdf");
    assert_eq!(sent.bytes, pdf, "bytes equal");
    assert_eq!(calls(&rig.sim, "sendFileByUpload"), 1);
    assert_eq!(calls(&rig.sim, "sendFileByUrl"), 0);
    assert!(internal_notes(&rig.h, task).is_empty(), "{:?}", internal_notes(&rig.h, task));
}

#[tokio::test]
async fn a_location_reads_as_a_place_with_a_map_link() {
    let rig = start().await;
    let body = hooks::incoming_location(
        &rig.sim.instance(),
        &chat(),
        &new_id(),
        T0,
        55.7558,
        37.6173,
        "Red Square",
        "Moscow, 109012",
    );
    let comment = only_comment(&rig, &body).await;
    assert!(comment.description.contains("Location: Red Square, Moscow, 109012"), "{}", comment.description);
    assert!(comment.description.contains("55.7558, 37.6173"), "{}", comment.description);
    assert!(comment.description.contains("maps"), "{}", comment.description);
}

#[tokio::test]
async fn a_shared_contact_reads_with_its_name_and_number() {
    // The two vCard forms of Green-API's own examples: a plain `TEL` line and a grouped
    // `item1.TEL` line (contactsArrayMessage example on Green-API's docs site).
    for (vcard, number) in [
        ("BEGIN:VCARD\nVERSION:3.0\nN:Smit;Alex;;;\nFN:Alex Smit\nTEL;type=CELL;waid=72345678901:+7 234 567 8901\nEND:VCARD", "+7 234 567 8901"),
        ("BEGIN:VCARD\nVERSION:3.0\nN:Smit;Alex;;\nFN:Alex Smit\nitem1.TEL;waid=72345678910:+7 234 567 8910\nitem1.X-ABLabel:Mobile\nEND:VCARD", "+7 234 567 8910"),
    ] {
        let rig = start().await;
        let body = hooks::incoming_contact(&rig.sim.instance(), &chat(), &new_id(), T0, "Alex Smit", vcard);
        let comment = only_comment(&rig, &body).await;
        assert!(comment.description.contains("Contact: Alex Smit"), "{}", comment.description);
        assert!(comment.description.contains(number), "the number is in the comment: {}", comment.description);
    }
}

#[tokio::test]
async fn a_reaction_reads_as_a_reaction() {
    let rig = start().await;
    let body = hooks::incoming_reaction(&rig.sim.instance(), &chat(), &new_id(), T0, "👍", "BAE5F4886F6F2D05");
    let comment = only_comment(&rig, &body).await;
    assert!(comment.description.contains("reacted 👍 to an earlier message"), "{}", comment.description);
}

#[tokio::test]
async fn a_quoted_reply_and_an_extended_text_read_as_their_text() {
    let rig = start().await;
    let inst = rig.sim.instance();
    let quoted = hooks::incoming_quoted(&inst, &chat(), &new_id(), T0, "Yes, that one please", "BAE5F4886F6F2D05");
    let extended = hooks::incoming_extended_text(
        &inst,
        &chat(),
        &new_id(),
        T0 + 1,
        "See https://example.com/order/42 for details",
    );
    for body in [quoted, extended] {
        assert_accepted(&rig.h.post_webhook(post(&body)).await);
        rig.h.settle().await;
    }
    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 2, "{comments:#?}");
    assert!(comments[0].description.contains("Yes, that one please"), "{}", comments[0].description);
    assert!(comments[1].description.contains("https://example.com/order/42"), "{}", comments[1].description);
    assert!(comments[1].description.contains("for details"), "{}", comments[1].description);
}

#[tokio::test]
async fn one_502_on_send_message_then_success_sends_once() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.fail_next(1, GreenFailure::Status { http: 502, body: "<html>Bad Gateway</html>".into() });
    assert_eq!(reply(&rig, task, contact, "Thanks for waiting").await.as_deref(), Some("sent"));
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].message.as_deref(), Some("Thanks for waiting"));
    assert_eq!(sent[0].chat_id, format!("{CUSTOMER}@c.us"));
    assert_eq!(calls(&rig.sim, "sendMessage"), 2, "the refused attempt and the retry");
    assert!(internal_notes(&rig.h, task).is_empty());
}
