//! Twilio beyond the provider contract, through the public entry points on moto with the Twilio
//! simulator: how `X-Twilio-Signature` binds the whole URL (host, path, query) and every
//! parameter, what happens without a configured public URL, several media in one message,
//! locations, status callbacks on the status route, and how send refusals and rate limits end.

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::Store;
use bridge_core::worker::WorkOutcome;
use bytes::Bytes;
use e2e_tests::providers::{Driver, Kind, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN};
use e2e_tests::{fresh_dynamo_store, Harness, APP_SECRET, PHONE_NUMBER_ID, PLANFIX_HOOK_SECRET, PUBLIC_URL};
use http::Request;
use twilio_sim::webhook::Inbound;
use twilio_sim::{TwilioFailure, TwilioSim};

const CUSTOMER: &str = "4915112345678";
const NAME: &str = "Anna Schmidt";
const EMPLOYEE: i64 = 5;
const PATH: &str = "/webhooks/twilio/acme";
const STATUS_PATH: &str = "/webhooks/twilio/acme/status";

type Params = Vec<(String, String)>;

struct Rig {
    h: Harness,
    sim: TwilioSim,
}

async fn start() -> Rig {
    start_with(Some(PUBLIC_URL)).await
}

/// A harness whose account `acme` uses Twilio (the simulator), with the given public URL.
async fn start_with(public_url: Option<&'static str>) -> Rig {
    let driver = Driver::start(Kind::Twilio).await;
    let provider = driver.provider_config();
    let Driver::Twilio(sim) = driver else { unreachable!("a Twilio driver") };
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |tuning, account| {
        account.provider = provider;
        tuning.public_url = public_url.map(str::to_owned);
    })
    .await;
    Rig { h, sim }
}

fn inbound() -> Inbound {
    Inbound {
        account_sid: TWILIO_SID.into(),
        from: format!("+{CUSTOMER}"),
        to: TWILIO_FROM.into(),
        profile_name: Some(NAME.into()),
    }
}

fn sid() -> String {
    twilio_sim::webhook::message_sid(false)
}

/// A form POST to `path` (with any query) carrying a signature made over `signed_url`.
fn post_signed(path: &str, signed_url: &str, params: &[(String, String)]) -> Request<Bytes> {
    let signature = twilio_sim::webhook::sign(TWILIO_TOKEN, signed_url, params);
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(Bytes::from(twilio_sim::webhook::encode(params)))
        .expect("request builds")
}

/// Signed as Twilio signs it: over the public URL it called.
fn post(path: &str, params: &[(String, String)]) -> Request<Bytes> {
    post_signed(path, &format!("{PUBLIC_URL}{path}"), params)
}

fn text(body: &str) -> Params {
    twilio_sim::webhook::text(&inbound(), &sid(), body)
}

fn assert_twiml((status, body): &(u16, String)) {
    assert_eq!(*status, 200, "{body}");
    assert!(body.ends_with("<Response/>"), "empty TwiML expected: {body}");
}

fn assert_unauthorized((status, body): &(u16, String)) {
    assert_eq!(*status, 401, "{body}");
    assert!(body.contains("unauthorized"), "a reason is given: {body}");
}

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

fn customer() -> Phone {
    Phone::parse(CUSTOMER).unwrap()
}

/// Nothing of a refused webhook was kept: no work, no inbox entry, no Planfix request.
async fn assert_nothing_stored(rig: &Rig) {
    let outcomes = rig.h.settle().await;
    assert!(outcomes.is_empty(), "no work was queued: {outcomes:?}");
    let inbox = rig.h.store.inbox(&acme(), &customer(), 10).await.expect("inbox reads");
    assert!(inbox.is_empty(), "nothing was recorded: {inbox:?}");
    assert!(rig.h.planfix.requests().is_empty(), "nothing reached Planfix");
}

/// A conversation opened by the customer's first message: (task id, contact id).
async fn open_conversation(rig: &Rig) -> (i64, i64) {
    assert_twiml(&rig.h.post_webhook(post(PATH, &text("Hello, I need help"))).await);
    rig.h.settle().await;
    let tasks = rig.h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let contact = tasks[0].assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
    (tasks[0].id, contact)
}

fn internal_notes(h: &Harness, task: i64) -> Vec<planfix_sim::Comment> {
    h.planfix.comments(task).into_iter().filter(|c| c.description.contains("⚠ WhatsApp")).collect()
}

/// POSTs the sim made to the Messages resource (accepted or refused).
fn message_posts(sim: &TwilioSim) -> usize {
    sim.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/Messages.json")).count()
}

/// An employee's reply that notifies the contact, through the Planfix scenario: its result.
async fn reply(rig: &Rig, task: i64, contact: i64, words: &str) -> Option<String> {
    let comment = rig.h.planfix.add_employee_comment(task, EMPLOYEE, words, &[contact]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(status, 200, "{body}");
    body["result"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn parameters_twilio_adds_without_notice_still_verify_and_count_in_the_signature() {
    let rig = start().await;
    let mut params = text("Where is my order?");
    params.push(("SomeNewParam".into(), "1".into()));

    // Signed without the new parameter (as a whitelisting verifier would check it): refused.
    let known: Params = params.iter().filter(|(n, _)| n != "SomeNewParam").cloned().collect();
    let signature = twilio_sim::webhook::sign(TWILIO_TOKEN, &format!("{PUBLIC_URL}{PATH}"), &known);
    let mut whitelisted = post(PATH, &params);
    whitelisted.headers_mut().insert("x-twilio-signature", signature.parse().unwrap());
    assert_unauthorized(&rig.h.post_webhook(whitelisted).await);
    assert_nothing_stored(&rig).await;

    // Signed over every parameter, as Twilio does: accepted.
    assert_twiml(&rig.h.post_webhook(post(PATH, &params)).await);
    rig.h.settle().await;
    let task = rig.h.planfix.tasks()[0].id;
    let comments = rig.h.planfix.comments(task);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("Where is my order?"), "{}", comments[0].description);
}

#[tokio::test]
async fn a_webhook_signed_for_another_url_is_refused() {
    let rig = start().await;
    let params = text("hi");
    for other in [
        format!("https://other.example.test/prod{PATH}"),
        format!("http://bridge.example.test/prod{PATH}"),
        format!("{PUBLIC_URL}/webhooks/twilio/other"),
        format!("{PUBLIC_URL}{STATUS_PATH}"),
        format!("{PUBLIC_URL}{PATH}/"),
    ] {
        let answer = rig.h.post_webhook(post_signed(PATH, &other, &params)).await;
        assert_unauthorized(&answer);
    }
    assert_nothing_stored(&rig).await;
    // The same message signed for the URL Twilio called is new, not a duplicate.
    assert_twiml(&rig.h.post_webhook(post(PATH, &params)).await);
    rig.h.settle().await;
    assert_eq!(rig.h.planfix.comments(rig.h.planfix.tasks()[0].id).len(), 1);
}

#[tokio::test]
async fn the_query_string_is_part_of_the_signed_url() {
    let rig = start().await;
    let params = text("with a query");
    let with_query = format!("{PATH}?x=1");
    // Signed over the URL without its query: not the URL Twilio called.
    assert_unauthorized(&rig.h.post_webhook(post_signed(&with_query, &format!("{PUBLIC_URL}{PATH}"), &params)).await);
    // Signed over a different query.
    let other_query = format!("{PUBLIC_URL}{PATH}?x=2");
    assert_unauthorized(&rig.h.post_webhook(post_signed(&with_query, &other_query, &params)).await);
    assert_nothing_stored(&rig).await;
    // Signed over the full URL with the query: accepted.
    let full = format!("{PUBLIC_URL}{with_query}");
    assert_twiml(&rig.h.post_webhook(post_signed(&with_query, &full, &params)).await);
    rig.h.settle().await;
    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("with a query"), "{}", comments[0].description);
}

#[tokio::test]
async fn without_a_public_url_twilio_webhooks_are_refused_with_a_reason() {
    let rig = start_with(None).await;
    // Correctly signed for the URL it would have been, on both routes.
    for path in [PATH, STATUS_PATH] {
        let (status, body) = rig.h.post_webhook(post(path, &text("hi"))).await;
        // The one answer to a failed check; the log names what is missing (BRIDGE_PUBLIC_URL).
        assert_eq!((status, body.as_str()), (401, r#"{"error":"unauthorized"}"#), "{path}");
    }
    assert_nothing_stored(&rig).await;
}

#[tokio::test]
async fn twilio_has_no_get_handshake() {
    let rig = start().await;
    let req = Request::get(format!("{PATH}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=424242"))
        .body(Bytes::new())
        .unwrap();
    let (status, body) = rig.h.post_webhook(req).await;
    assert_eq!(status, 405, "{body}");
    assert!(!body.contains("424242"), "no challenge is echoed: {body}");
    assert!(rig.h.planfix.requests().is_empty());
}

#[tokio::test]
async fn two_media_in_one_message_become_two_comments_each_with_its_file() {
    let rig = start().await;
    let id = twilio_sim::webhook::message_sid(true);
    let photo: Vec<u8> = (0..120_000u32).map(|i| (i * 3 % 251) as u8).collect();
    let pdf: Vec<u8> = (0..90_000u32).map(|i| (i * 11 % 241) as u8).collect();
    let photo_url = rig.sim.add_message_media(&id, photo.clone(), "image/jpeg");
    let pdf_url = rig.sim.add_message_media(&id, pdf.clone(), "application/pdf");
    let media = [(photo_url, "image/jpeg".to_owned()), (pdf_url, "application/pdf".to_owned())];
    let params = twilio_sim::webhook::media(&inbound(), &id, "both files", &media);
    assert_eq!(twilio_sim::webhook::param(&params, "NumMedia"), Some("2"));
    assert_twiml(&rig.h.post_webhook(post(PATH, &params)).await);
    rig.h.settle().await;
    rig.h.drain_file_relay(3).await;

    let task = rig.h.planfix.tasks()[0].id;
    let comments = rig.h.planfix.comments(task);
    assert_eq!(comments.len(), 2, "one comment per file: {comments:#?}");
    assert!(
        comments[0].description.contains("both files"),
        "the caption goes with the first: {}",
        comments[0].description
    );
    assert!(!comments[1].description.contains("both files"), "and only once: {}", comments[1].description);
    for (comment, (expected, extension)) in comments.iter().zip([(&photo, ".jpg"), (&pdf, ".pdf")]) {
        assert_eq!(comment.files.len(), 1, "{}", comment.description);
        let (name, bytes) = rig.h.planfix.file(comment.files[0]).expect("the file is in Planfix");
        assert_eq!(&bytes, expected, "{name}: bytes equal");
        assert!(name.ends_with(extension), "{name}");
    }
    assert!(internal_notes(&rig.h, task).is_empty());
}

#[tokio::test]
async fn a_location_becomes_a_location_comment() {
    let rig = start().await;
    let params = twilio_sim::webhook::location(
        &inbound(),
        &sid(),
        52.3038978,
        4.7500257,
        Some("Schiphol, 1118 CZ"),
        Some("Gate B"),
    );
    assert_twiml(&rig.h.post_webhook(post(PATH, &params)).await);
    rig.h.settle().await;
    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 1);
    let description = &comments[0].description;
    assert!(description.contains("Location: Gate B, Schiphol, 1118 CZ"), "{description}");
    assert!(description.contains("52.3038978, 4.7500257"), "{description}");
    assert!(description.contains("maps"), "a map link: {description}");
}

#[tokio::test]
async fn statuses_on_the_status_route_are_recorded_and_a_failure_is_noted_once() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;

    // Delivered: recorded, no comment.
    assert_eq!(reply(&rig, task, contact, "Your order ships today").await.as_deref(), Some("sent"));
    let first = rig.sim.sent()[0].clone();
    assert_eq!(first.status_callback.as_deref(), Some(format!("{PUBLIC_URL}{STATUS_PATH}").as_str()));
    let comments_before = rig.h.planfix.comments(task).len();
    let callbacks = rig.sim.take_callbacks();
    let states: Vec<&str> = callbacks.iter().filter_map(|c| c.param("MessageStatus")).collect();
    assert_eq!(states, ["sent", "delivered"]);
    for cb in &callbacks {
        assert_eq!(cb.url, format!("{PUBLIC_URL}{STATUS_PATH}"));
        let req = Request::post(STATUS_PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &cb.signature)
            .body(Bytes::from(twilio_sim::webhook::encode(&cb.params)))
            .unwrap();
        assert_twiml(&rig.h.post_webhook(req).await);
    }
    let outcomes = rig.h.settle().await;
    let applied = outcomes.iter().filter(|(_, o)| matches!(o, WorkOutcome::StatusApplied)).count();
    assert_eq!(applied, 2, "{outcomes:?}");
    assert_eq!(rig.h.planfix.comments(task).len(), comments_before, "a status adds no comment");
    // Recorded: the message is at `delivered` already, so advancing to it changes nothing.
    let advanced = rig.h.store.advance_delivery_status(&acme(), &first.sid, "delivered", 2).await.unwrap();
    assert!(!advanced, "the delivered status was recorded");

    // Undelivered with 63016, reported twice: one internal note.
    assert_eq!(reply(&rig, task, contact, "Are you there?").await.as_deref(), Some("sent"));
    let second = rig.sim.sent()[1].clone();
    rig.sim.take_callbacks();
    let undelivered = twilio_sim::webhook::status(
        TWILIO_SID,
        &second.sid,
        "undelivered",
        TWILIO_FROM,
        &format!("+{CUSTOMER}"),
        Some("63016"),
    );
    for _ in 0..2 {
        assert_twiml(&rig.h.post_webhook(post(STATUS_PATH, &undelivered)).await);
        rig.h.settle().await;
    }
    let notes = internal_notes(&rig.h, task);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0].description.contains("24 hours"), "{}", notes[0].description);
    assert!(!notes[0].description.contains("Are you there?"), "the note never quotes the message");
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the note stays internal");
    assert_eq!(rig.sim.sent().len(), 2, "nothing was sent again");
}

#[tokio::test]
async fn a_send_refused_at_once_with_21211_becomes_one_note() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.fail_for_recipient_sync(
        &format!("+{CUSTOMER}"),
        400,
        21211,
        &format!("The 'To' number whatsapp:+{CUSTOMER} is not a valid phone number."),
    );
    assert_eq!(reply(&rig, task, contact, "Hello?").await.as_deref(), Some("not_delivered"));
    assert!(rig.sim.sent().is_empty());
    assert_eq!(message_posts(&rig.sim), 1, "a refusal is not retried");
    let notes = internal_notes(&rig.h, task);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(notes[0].description.contains("cannot receive WhatsApp"), "{}", notes[0].description);
    assert!(!notes[0].description.contains("Hello?"), "the note never quotes the message");
    assert!(notes[0].recipients.to_string().contains(&format!("user:{EMPLOYEE}")), "the author is told");
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the note stays internal");
}

#[tokio::test]
async fn one_rate_limit_then_success_sends_once() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.fail_next(1, TwilioFailure::Error { http: 429, code: 20429, message: "Too Many Requests".into() });
    assert_eq!(reply(&rig, task, contact, "Thanks for waiting").await.as_deref(), Some("sent"));
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].body.as_deref(), Some("Thanks for waiting"));
    assert_eq!(sent[0].to, format!("whatsapp:+{CUSTOMER}"));
    assert_eq!(message_posts(&rig.sim), 2, "the refused attempt and the retry");
    assert!(internal_notes(&rig.h, task).is_empty());
}

#[tokio::test]
async fn a_twilio_account_refuses_meta_webhooks() {
    let rig = start().await;
    let business = meta_sim::webhook::Business {
        phone_number_id: PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    };
    let sender = meta_sim::webhook::Sender { wa_id: CUSTOMER.into(), profile_name: NAME.into() };
    let payload = meta_sim::webhook::text_message(&business, &sender, "wamid.HBgLTEST", 1_700_000_000, "hi");
    let (body, signature) = meta_sim::webhook::signed_body(APP_SECRET.as_bytes(), &payload);
    let meta = |path: &str| {
        Request::post(path)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &signature)
            .body(Bytes::from(body.clone()))
            .unwrap()
    };
    let (status, answer) = rig.h.post_webhook(meta("/webhooks/meta/acme")).await;
    assert_eq!((status, answer.as_str()), (401, r#"{"error":"unauthorized"}"#), "as if the account did not exist");
    // On the account's own route the Meta signature counts for nothing.
    assert_unauthorized(&rig.h.post_webhook(meta(PATH)).await);
    assert_nothing_stored(&rig).await;
}
