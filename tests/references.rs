//! Reactions, replies, edits and deletions point at the comment they concern (issue 14, items 1
//! and 2), for every provider that carries each kind: the customer writes, an employee answers
//! (Planfix webhook → provider), then the customer reacts to the answer and to their own
//! message, replies quoting the answer, edits and deletes their message. Every webhook is built
//! as the provider documents it (`Driver`, `tests/src/providers.rs`) and goes through the webhook
//! route, the worker and planfix-sim; each step reads the comment Planfix got.

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::ports::Store;
use bytes::Bytes;
use e2e_tests::providers::{Driver, Kind};
use e2e_tests::{fresh_dynamo_store, Harness, PLANFIX_HOOK_SECRET};

const CUSTOMER: &str = "4915112345678";
const EMPLOYEE: i64 = 5;
const T0: i64 = 1_700_000_000;
const FIRST: &str = "Hello, I would like to order three boxes of the green tea you showed me <yesterday>";
const FIRST_WORDS: &str = "\"Hello, I would like to order three boxes of the green tea…\"";
const ANSWER: &str = "Your order ships today";

async fn start(kind: Kind) -> (Harness, Driver) {
    let driver = Driver::start(kind).await;
    let provider = driver.provider_config();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |_, account| account.provider = provider).await;
    (h, driver)
}

/// Posts the webhook, lets the worker run, and returns the newest comment's text.
async fn newest(h: &Harness, driver: &Driver, req: Option<http::Request<Bytes>>, what: &str) -> String {
    let req =
        req.unwrap_or_else(|| panic!("{:?} is listed as carrying {what}, but its driver builds none", driver.kind()));
    let (status, body) = h.post_webhook(req).await;
    assert_eq!(status, 200, "{:?}: {body}", driver.kind());
    h.settle().await;
    let task = h.planfix.tasks()[0].id;
    h.planfix.comments(task).pop().map(|c| c.description).unwrap_or_default()
}

/// The customer's first message and the employee's answer: (customer's message id, its comment,
/// the answer's provider id, the answer's comment).
async fn conversation(h: &Harness, driver: &Driver) -> (String, i64, String, i64) {
    let first = driver.new_id();
    let (status, body) = h.post_webhook(driver.text(CUSTOMER, "Anna", &first, T0, FIRST)).await;
    assert_eq!(status, 200, "{body}");
    h.settle().await;
    let task = h.planfix.tasks()[0].clone();
    let own_comment = h.planfix.comments(task.id)[0].id;
    let contact: i64 = task.assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
    let answer = h.planfix.add_employee_comment(task.id, EMPLOYEE, ANSWER, &[contact]);
    let (status, body) = h.planfix_hook(task.id, answer, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{:?}: {body}", driver.kind());
    let sent = driver.sent_ids().pop().expect("the answer was sent");
    (first, own_comment, sent, answer)
}

async fn reactions(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (first, own, sent, answer) = conversation(&h, &driver).await;
    let to_answer =
        newest(&h, &driver, driver.reaction_to(CUSTOMER, &driver.new_id(), T0 + 10, &sent, "👍"), "reactions").await;
    assert_eq!(to_answer, format!("👍 <i>reacted to your message «{ANSWER}» (comment #{answer})</i>"), "{kind:?}");
    let to_own =
        newest(&h, &driver, driver.reaction_to(CUSTOMER, &driver.new_id(), T0 + 11, &first, "❤️"), "reactions").await;
    assert_eq!(to_own, format!("❤️ <i>reacted to {FIRST_WORDS} (comment #{own})</i>"), "{kind:?}");
    // Taking the reaction back, then giving another, edits the first reaction's comment: the
    // task keeps one line per reacted message, saying what came before.
    let task = h.planfix.tasks()[0].id;
    let count = h.planfix.comments(task).len();
    let reaction_comment = |h: &Harness| h.planfix.comments(task)[count - 2].description.clone();
    let removed =
        newest(&h, &driver, driver.reaction_to(CUSTOMER, &driver.new_id(), T0 + 12, &sent, ""), "reactions").await;
    assert_eq!(removed, to_own, "{kind:?}: no new comment for a removal");
    assert_eq!(
        reaction_comment(&h),
        format!("<i>removed the reaction 👍 to your message «{ANSWER}» (comment #{answer})</i>"),
        "{kind:?}"
    );
    newest(&h, &driver, driver.reaction_to(CUSTOMER, &driver.new_id(), T0 + 14, &sent, "😂"), "reactions").await;
    assert_eq!(h.planfix.comments(task).len(), count, "{kind:?}: still no new comment");
    assert_eq!(
        reaction_comment(&h),
        format!("😂 <i>reacted to your message «{ANSWER}» (comment #{answer})</i> <i>(before: 👍, removed)</i>"),
        "{kind:?}"
    );
    let unknown = newest(
        &h,
        &driver,
        driver.reaction_to(CUSTOMER, &driver.new_id(), T0 + 13, &driver.new_id(), "🔥"),
        "reactions",
    )
    .await;
    assert_eq!(unknown, "<i>reacted 🔥 to an earlier message</i>", "{kind:?}");
}

async fn replies(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (first, own, sent, answer) = conversation(&h, &driver).await;
    let quoting_answer =
        newest(&h, &driver, driver.reply_to(CUSTOMER, &driver.new_id(), T0 + 10, "Great & thanks", &sent), "replies")
            .await;
    assert_eq!(
        quoting_answer,
        format!("<blockquote>» \"{ANSWER}\" (comment #{answer})</blockquote>Great &amp; thanks"),
        "{kind:?}"
    );
    let quoting_own =
        newest(&h, &driver, driver.reply_to(CUSTOMER, &driver.new_id(), T0 + 11, "and one more", &first), "replies")
            .await;
    assert_eq!(
        quoting_own,
        format!("<blockquote>» {FIRST_WORDS} (comment #{own})</blockquote>and one more"),
        "{kind:?}"
    );
}

async fn edits_and_deletions(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (first, own, _, _) = conversation(&h, &driver).await;
    let task = h.planfix.tasks()[0].id;
    let edit = driver.edit_of(CUSTOMER, &driver.new_id(), T0 + 10, &first, FIRST, "Make it <four> boxes");
    let edited = newest(&h, &driver, edit, "edits").await;
    assert_eq!(
        edited,
        format!("<i>✏️ The customer edited a message ({FIRST_WORDS}, comment #{own}):</i> Make it &lt;four&gt; boxes"),
        "{kind:?}"
    );
    // A second edit is a new comment too (Wazzup repeats the original's id: not a redelivery).
    let again = driver.edit_of(CUSTOMER, &driver.new_id(), T0 + 11, &first, FIRST, "Make it five");
    assert!(newest(&h, &driver, again, "edits").await.ends_with(":</i> Make it five"), "{kind:?}");
    let deleted =
        newest(&h, &driver, driver.deletion_of(CUSTOMER, &driver.new_id(), T0 + 12, &first), "deletions").await;
    assert_eq!(
        deleted,
        format!("<i>🗑 The customer deleted a message ({FIRST_WORDS}, comment #{own}); the comment is kept here.</i>"),
        "{kind:?}"
    );
    // The original comment is kept as it was.
    let kept = h.planfix.comments(task).into_iter().find(|c| c.id == own).expect("the original comment is kept");
    assert!(kept.description.starts_with("Hello, I would like"), "{}", kept.description);
    assert_eq!(h.planfix.comments(task).len(), 5, "first, answer, two edits, deletion");
}

macro_rules! per_provider {
    ($scenario:ident: $($name:ident => $kind:expr),+ $(,)?) => {
        mod $scenario {
            use super::Kind;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$scenario($kind).await;
                }
            )+
        }
    };
}

per_provider!(reactions: meta => Kind::Meta, dialog360 => Kind::Dialog360, green_api => Kind::GreenApi);
per_provider!(replies: meta => Kind::Meta, dialog360 => Kind::Dialog360, green_api => Kind::GreenApi, wazzup => Kind::Wazzup);
per_provider!(edits_and_deletions: green_api => Kind::GreenApi, wazzup => Kind::Wazzup);

/// Providers that do not carry a kind build no webhook for it (so the lists above are complete).
#[tokio::test]
async fn providers_without_a_kind_build_none() {
    for (kind, reaction, reply, edit) in [
        (Kind::Twilio, false, false, false),
        (Kind::Wazzup, false, true, true),
        (Kind::Meta, true, true, false),
        (Kind::Dialog360, true, true, false),
    ] {
        let d = Driver::start(kind).await;
        assert_eq!(d.reaction_to(CUSTOMER, "x", T0, "y", "👍").is_some(), reaction, "{kind:?}");
        assert_eq!(d.reply_to(CUSTOMER, "x", T0, "t", "y").is_some(), reply, "{kind:?}");
        assert_eq!(d.edit_of(CUSTOMER, "x", T0, "y", "a", "b").is_some(), edit, "{kind:?}");
        assert_eq!(d.deletion_of(CUSTOMER, "x", T0, "y").is_some(), edit, "{kind:?}");
    }
}
