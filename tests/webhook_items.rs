//! One bad item never costs the good ones beside it (step 12, item 1), for every provider: a
//! verified webhook stores every item that reads and answers 200; each item that does not read is
//! kept as a dead letter holding a body of just that item (the provider's envelope around it), and
//! a replay of that letter goes through the parser again: still unreadable, it stays a letter;
//! readable (after a fix), it becomes a comment like any message. Only a body that is not the
//! provider's envelope at all is a 4xx.
//!
//! Providers that put several items in one request (Meta, 360dialog: `messages[]`; Wazzup:
//! `messages[]`) get three valid messages and the bad ones in the same POST; Twilio and Green-API
//! carry one item per request, so the bad one goes alone, between valid ones.

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::domain::Work;
use bridge_core::ports::{DeadLetter, Store};
use bytes::Bytes;
use e2e_tests::providers::{Driver, Kind};
use e2e_tests::{fresh_dynamo_store, Harness};
use serde_json::{json, Value};

const CUSTOMER: &str = "4915112345678";
const T0: i64 = 1_700_000_000;

async fn start(kind: Kind) -> (Harness, Driver) {
    let driver = Driver::start(kind).await;
    let provider = driver.provider_config();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |_, account| account.provider = provider).await;
    (h, driver)
}

fn json_body(req: &http::Request<Bytes>) -> Value {
    serde_json::from_slice(req.body()).expect("a JSON webhook body")
}

/// The Cloud API `messages` list of a body (Meta, 360dialog).
fn cloud_messages(body: &mut Value) -> &mut Vec<Value> {
    body["entry"][0]["changes"][0]["value"]["messages"].as_array_mut().expect("messages[]")
}

/// Bad variants of one Cloud API text message, each with what makes it unreadable.
fn cloud_api_bad_items(template: &Value) -> Vec<(&'static str, Value)> {
    let with = |id: &str, f: &dyn Fn(&mut Value)| {
        let mut m = template.clone();
        m["id"] = json!(id);
        f(&mut m);
        m
    };
    vec![
        ("fractional timestamp", with("wamid.bad.ts", &|m| m["timestamp"] = json!("1700000001.5"))),
        ("id over 256 characters", with(&"x".repeat(300), &|_| {})),
        ("text without body", with("wamid.bad.text", &|m| m["text"] = json!({}))),
        (
            "no sender",
            with("wamid.bad.from", &|m| {
                m.as_object_mut().unwrap().remove("from");
            }),
        ),
        ("sender not a phone number", with("wamid.bad.phone", &|m| m["from"] = json!("12"))),
    ]
}

/// Posts the bad and good items as the provider would and returns the valid texts in send order.
async fn post_mixed(h: &Harness, driver: &Driver) -> (Vec<String>, usize) {
    let valid: Vec<String> = (1..=3).map(|i| format!("valid message {i}")).collect();
    let texts: Vec<http::Request<Bytes>> = valid
        .iter()
        .enumerate()
        .map(|(i, t)| driver.text(CUSTOMER, "Anna", &driver.new_id(), T0 + i as i64, t))
        .collect();
    let bad_count;
    match driver.kind() {
        Kind::Meta | Kind::Dialog360 => {
            let mut body = json_body(&texts[0]);
            let template = cloud_messages(&mut body)[0].clone();
            for other in &texts[1..] {
                let m = cloud_messages(&mut json_body(other))[0].clone();
                cloud_messages(&mut body).push(m);
            }
            let bad = cloud_api_bad_items(&template);
            bad_count = bad.len();
            // The bad ones in between the good ones, as a provider would batch them.
            for (i, (_, item)) in bad.into_iter().enumerate() {
                cloud_messages(&mut body).insert(1 + i % 3, item);
            }
            let req = driver.resigned(&texts[0], body.to_string().into_bytes());
            let (status, answer) = h.post_webhook(req).await;
            assert_eq!(status, 200, "{answer}");
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert_eq!((answer["messages"].as_u64(), answer["rejected"].as_u64()), (Some(3), Some(bad_count as u64)));
        }
        Kind::Wazzup => {
            let mut body = json_body(&texts[0]);
            for other in &texts[1..] {
                let m = json_body(other)["messages"][0].clone();
                body["messages"].as_array_mut().unwrap().push(m);
            }
            let template = body["messages"][0].clone();
            let mut bad_time = template.clone();
            bad_time["messageId"] = json!(uuid::Uuid::new_v4().to_string());
            bad_time["dateTime"] = json!("yesterday");
            let mut no_id = template.clone();
            no_id.as_object_mut().unwrap().remove("messageId");
            let mut not_a_phone = template.clone();
            not_a_phone["messageId"] = json!(uuid::Uuid::new_v4().to_string());
            not_a_phone["chatId"] = json!("12");
            let bad = [bad_time, no_id, not_a_phone];
            bad_count = bad.len();
            for (i, item) in bad.into_iter().enumerate() {
                body["messages"].as_array_mut().unwrap().insert(1 + i, item);
            }
            let req = driver.resigned(&texts[0], body.to_string().into_bytes());
            let (status, answer) = h.post_webhook(req).await;
            assert_eq!(status, 200, "{answer}");
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert_eq!((answer["messages"].as_u64(), answer["rejected"].as_u64()), (Some(3), Some(3)));
        }
        Kind::Twilio | Kind::GreenApi => {
            let bad = match driver.kind() {
                Kind::Twilio => {
                    let form = std::str::from_utf8(texts[0].body()).unwrap();
                    let params: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
                        .into_owned()
                        .map(|(k, v)| if k == "From" { (k, "whatsapp:+12".to_owned()) } else { (k, v) })
                        .map(|(k, v)| if k == "MessageSid" { (k, driver.new_id()) } else { (k, v) })
                        .collect();
                    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
                    driver.resigned(&texts[0], body.into_bytes())
                }
                _ => {
                    let mut body = json_body(&texts[0]);
                    body["senderData"]["chatId"] = json!("12@c.us");
                    body["idMessage"] = json!(driver.new_id());
                    driver.resigned(&texts[0], body.to_string().into_bytes())
                }
            };
            bad_count = 1;
            for (i, req) in texts.into_iter().enumerate() {
                let (status, answer) = h.post_webhook(req).await;
                assert_eq!(status, 200, "{answer}");
                if i == 0 {
                    let (status, answer) = h.post_webhook(bad.clone_request()).await;
                    assert_eq!(status, 200, "a bad item alone is stored as a letter, not refused: {answer}");
                }
            }
        }
    }
    (valid, bad_count)
}

trait CloneRequest {
    fn clone_request(&self) -> Self;
}

impl CloneRequest for http::Request<Bytes> {
    fn clone_request(&self) -> Self {
        let mut out = http::Request::post(self.uri().clone()).body(self.body().clone()).unwrap();
        *out.headers_mut() = self.headers().clone();
        out
    }
}

fn comments(h: &Harness) -> Vec<String> {
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "one conversation task");
    h.planfix.comments(tasks[0].id).into_iter().map(|c| c.description).collect()
}

async fn letters(h: &Harness) -> Vec<DeadLetter> {
    h.store.list_dead_letters(&bridge_core::domain::AccountId::parse("acme").unwrap()).await.expect("dead letters")
}

fn item_body(letter: &DeadLetter) -> &str {
    match &letter.work {
        Work::WebhookItem { body, .. } => body,
        other => panic!("not a webhook item: {other:?}"),
    }
}

async fn one_bad_item_never_costs_the_good_ones(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (valid, bad_count) = post_mixed(&h, &driver).await;
    h.settle().await;
    assert_eq!(comments(&h), valid, "{kind:?}: every valid message commented, in order");

    let kept = letters(&h).await;
    assert_eq!(kept.len(), bad_count, "{kind:?}: each bad item is a dead letter: {kept:?}");
    for letter in &kept {
        // The reason says what is wrong, never the customer's number or text.
        assert!(letter.error.starts_with("the webhook item could not be read"), "{}", letter.error);
        assert!(!letter.error.contains("51123") && !letter.error.contains("valid message"), "{}", letter.error);
        // The letter holds that item alone, in the provider's envelope.
        let body = item_body(letter);
        assert!(
            !body.contains("valid message 2") && !body.contains("valid message 3"),
            "{kind:?}: only the bad item is kept: {body}"
        );
    }

    // The provider redelivers the same webhook: nothing twice, the letters are the same ones.
    let again = post_mixed(&h, &driver).await;
    assert_eq!(again.1, bad_count);
    h.settle().await;
    assert_eq!(comments(&h).len(), 6, "{kind:?}: the second POST's fresh ids are new messages");
    let after = letters(&h).await;
    assert!(after.len() >= bad_count, "{kind:?}");

    // A replay goes through today's parser: still unreadable, it stays a letter, and nothing is
    // commented.
    let account = bridge_core::domain::AccountId::parse("acme").unwrap();
    let first = kept[0].clone();
    assert!(bridge_core::worker::replay(&h.app, &account, &first.key).await.expect("replays"));
    h.settle().await;
    assert_eq!(comments(&h).len(), 6, "{kind:?}");
    assert!(letters(&h).await.iter().any(|l| l.key == first.key), "{kind:?}: refused again, kept again");
}

/// A letter whose item reads (what a fix of the parser would make of it) becomes a comment.
async fn a_replayed_item_that_reads_becomes_a_comment(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req = driver.text(CUSTOMER, "Anna", &driver.new_id(), T0, "first");
    assert_eq!(h.post_webhook(req).await.0, 200);
    // A valid single-item body, kept as the letter of an item that did not read.
    let fixed = driver.text(CUSTOMER, "Anna", &driver.new_id(), T0 + 5, "kept while the parser was broken");
    let body = String::from_utf8(fixed.body().to_vec()).unwrap();
    let account: bridge_core::domain::AccountId = bridge_core::domain::AccountId::parse("acme").unwrap();
    let work = Work::WebhookItem { account: account.clone(), status_route: false, body };
    let letter = DeadLetter {
        key: work.key(),
        work,
        entry: None,
        error: "the webhook item could not be read: …".into(),
        attempts: 1,
        failed_at: T0,
    };
    h.store.put_dead_letter(&account, &letter).await.unwrap();
    assert!(bridge_core::worker::replay(&h.app, &account, &letter.key).await.expect("replays"));
    h.settle().await;
    assert_eq!(comments(&h), ["first", "kept while the parser was broken"], "{kind:?}");
    assert!(letters(&h).await.is_empty(), "{kind:?}: the letter is gone once replayed");
}

/// Not the provider's envelope at all: a 4xx with a reason, nothing stored.
async fn a_body_that_is_no_envelope_is_refused(kind: Kind) {
    let (h, driver) = start(kind).await;
    let template = driver.text(CUSTOMER, "Anna", &driver.new_id(), T0, "x");
    let garbage: &[u8] = match kind {
        Kind::Twilio => b"Body=hello",
        Kind::Wazzup => br#"{"messages": "not a list"}"#,
        _ => br#"{"hello": "world"}"#,
    };
    let (status, answer) = h.post_webhook(driver.resigned(&template, garbage.to_vec())).await;
    assert_eq!(status, 400, "{kind:?}: {answer}");
    assert!(letters(&h).await.is_empty());
}

macro_rules! per_provider {
    ($($name:ident => $kind:expr),* $(,)?) => {
        $(mod $name {
            use super::*;
            #[tokio::test]
            async fn one_bad_item_never_costs_the_good_ones() {
                super::one_bad_item_never_costs_the_good_ones($kind).await;
            }
            #[tokio::test]
            async fn a_replayed_item_that_reads_becomes_a_comment() {
                super::a_replayed_item_that_reads_becomes_a_comment($kind).await;
            }
            #[tokio::test]
            async fn a_body_that_is_no_envelope_is_refused() {
                super::a_body_that_is_no_envelope_is_refused($kind).await;
            }
        })*
    };
}

per_provider! {
    meta => Kind::Meta,
    dialog360 => Kind::Dialog360,
    twilio => Kind::Twilio,
    green_api => Kind::GreenApi,
    wazzup => Kind::Wazzup,
}

/// Meta: a change that names no `phone_number_id` (or another one) is never stored in this
/// account; a body with nothing for this number is a 403.
#[tokio::test]
async fn meta_changes_must_name_this_accounts_number() {
    let (h, driver) = start(Kind::Meta).await;
    let ours = driver.text(CUSTOMER, "Anna", &driver.new_id(), T0, "ours");
    let mut unaddressed = json_body(&driver.text(CUSTOMER, "Anna", &driver.new_id(), T0 + 1, "no metadata"));
    unaddressed["entry"][0]["changes"][0]["value"].as_object_mut().unwrap().remove("metadata");
    let (status, answer) = h.post_webhook(driver.resigned(&ours, unaddressed.to_string().into_bytes())).await;
    assert_eq!(status, 403, "{answer}");
    let mut both = json_body(&ours);
    let foreign_change = {
        let mut c = json_body(&driver.text(CUSTOMER, "Anna", &driver.new_id(), T0 + 2, "other number"));
        c["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("999999999");
        c["entry"][0]["changes"][0].clone()
    };
    both["entry"][0]["changes"].as_array_mut().unwrap().push(foreign_change);
    let (status, answer) = h.post_webhook(driver.resigned(&ours, both.to_string().into_bytes())).await;
    assert_eq!(status, 200, "{answer}");
    h.settle().await;
    assert_eq!(comments(&h), ["ours"]);
    assert!(letters(&h).await.is_empty(), "another number's message is not this account's to keep");
}
