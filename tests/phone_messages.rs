//! The company's own messages, for every provider that reports them (Meta and 360dialog
//! coexistence echoes, Green-API `outgoingMessageReceived`, Wazzup `isEcho`): each becomes one
//! outgoing comment in the conversation's task, marked as written from the phone, authored by the
//! bridge's user (or the employee the account maps the phone to), notifying no contact, and never
//! sent back to WhatsApp.

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::ports::Store;
use e2e_tests::providers::{Driver, Kind};
use e2e_tests::{fresh_dynamo_store, Harness, PLANFIX_HOOK_SECRET};

const CUSTOMER: &str = "4915112345678";
const T0: i64 = 1_700_000_000;

async fn start(kind: Kind, settings: Settings) -> (Harness, Driver) {
    let driver = Driver::start(kind).await;
    let provider = driver.provider_config();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(settings, store, move |_, account| account.provider = provider).await;
    (h, driver)
}

async fn a_phone_message_is_an_outgoing_comment_never_sent_back(kind: Kind, author: Option<i64>) {
    let settings = Settings { phone_author_user_id: author, ..Settings::default() };
    let (h, driver) = start(kind, settings).await;
    let answer = h.post_webhook(driver.text(CUSTOMER, "Anna", &driver.new_id(), T0, "Is it in stock?")).await;
    assert_eq!(answer.0, 200, "{answer:?}");
    h.settle().await;
    let task = h.planfix.tasks()[0].clone();

    let from_phone = driver.phone_message(CUSTOMER, &driver.new_id(), T0 + 60, "Yes, two left").expect("reported");
    let answer = h.post_webhook(from_phone).await;
    assert_eq!(answer.0, 200, "{kind:?}: {answer:?}");
    h.settle().await;

    assert_eq!(h.planfix.tasks().len(), 1, "the same conversation");
    let comments = h.planfix.comments(task.id);
    assert_eq!(comments.len(), 2, "{kind:?}: {comments:?}");
    let mirror = &comments[1];
    assert!(mirror.description.contains("Yes, two left"), "{}", mirror.description);
    assert!(mirror.description.contains("Sent from the company's WhatsApp phone"), "{}", mirror.description);
    let expected_owner = format!("user:{}", author.unwrap_or(1));
    assert_eq!(mirror.owner, expected_owner, "{kind:?}: not the customer's word");
    assert!(!mirror.recipients.to_string().contains("contact:"), "it notifies no contact: {}", mirror.recipients);

    // Planfix's scenario fires for it too; the bridge leaves it in Planfix.
    let (status, body) = h.planfix_hook(task.id, mirror.id, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("ignored")), "{body}");
    assert!(driver.sent_texts().is_empty(), "{kind:?}: nothing went back to WhatsApp");
}

#[tokio::test]
async fn meta_coexistence_echoes() {
    a_phone_message_is_an_outgoing_comment_never_sent_back(Kind::Meta, None).await;
}

#[tokio::test]
async fn dialog360_coexistence_echoes() {
    a_phone_message_is_an_outgoing_comment_never_sent_back(Kind::Dialog360, None).await;
}

#[tokio::test]
async fn green_api_messages_from_the_phone() {
    a_phone_message_is_an_outgoing_comment_never_sent_back(Kind::GreenApi, None).await;
}

#[tokio::test]
async fn wazzup_echoes_from_the_phone() {
    a_phone_message_is_an_outgoing_comment_never_sent_back(Kind::Wazzup, None).await;
}

#[tokio::test]
async fn the_account_can_show_an_employee_as_the_phones_author() {
    a_phone_message_is_an_outgoing_comment_never_sent_back(Kind::GreenApi, Some(7)).await;
}

#[tokio::test]
async fn a_phone_message_redelivered_is_one_comment() {
    let (h, driver) = start(Kind::Wazzup, Settings::default()).await;
    h.post_webhook(driver.text(CUSTOMER, "Anna", &driver.new_id(), T0, "hi")).await;
    h.settle().await;
    let id = driver.new_id();
    for _ in 0..2 {
        let answer = h.post_webhook(driver.phone_message(CUSTOMER, &id, T0 + 5, "hello").expect("reported")).await;
        assert_eq!(answer.0, 200);
        h.settle().await;
    }
    assert_eq!(h.planfix.comments(h.planfix.tasks()[0].id).len(), 2);
}

#[tokio::test]
async fn twilio_reports_no_phone_messages() {
    let driver = Driver::start(Kind::Twilio).await;
    assert!(driver.phone_message(CUSTOMER, "SM1", T0, "x").is_none(), "Twilio has no such webhook");
}
