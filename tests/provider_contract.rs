//! The provider contract: the same scenarios against every WhatsApp provider, as the store
//! contract runs against every store. Each runs through the public entry points (the webhook
//! route, the Planfix scenario route, the worker and file-relay Lambda handlers on moto) with the
//! provider's simulator playing the provider exactly as documented: its webhooks signed (or
//! carrying its token) as the provider builds them, its API checking auth and bodies.
//!
//! Adding a provider: a `Kind` and a `Driver` arm in `tests/src/providers.rs`, and one line in
//! the `contract!` list below.

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::ports::Store;
use e2e_tests::providers::{Driver, Kind};
use e2e_tests::{fresh_dynamo_store, Harness, PLANFIX_HOOK_SECRET};

const CUSTOMER: &str = "4915112345678";
const NAME: &str = "Anna Schmidt";
const EMPLOYEE: i64 = 5;
const T0: i64 = 1_700_000_000;

async fn start(kind: Kind) -> (Harness, Driver) {
    let driver = Driver::start(kind).await;
    let provider = driver.provider_config();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |_, account| account.provider = provider).await;
    (h, driver)
}

/// The webhook answer each provider expects (Twilio reads TwiML; the others take any 200).
fn assert_acknowledged(driver: &Driver, (status, body): &(u16, String)) {
    assert_eq!(*status, 200, "{:?}: {body}", driver.kind());
    match driver.kind() {
        Kind::Twilio => assert!(body.ends_with("<Response/>"), "empty TwiML expected: {body}"),
        _ => assert!(body.contains("\"accepted\""), "{body}"),
    }
}

/// A conversation opened by the customer's first message: (task id, contact id).
async fn open_conversation(h: &Harness, driver: &Driver) -> (i64, i64) {
    let answer = h.post_webhook(driver.text(CUSTOMER, NAME, &driver.new_id(), T0, "Hello, I need help")).await;
    assert_acknowledged(driver, &answer);
    h.settle().await;
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "{:?}", driver.kind());
    let contact = tasks[0].assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
    (tasks[0].id, contact)
}

fn internal_notes(h: &Harness, task: i64) -> Vec<planfix_sim::Comment> {
    h.planfix.comments(task).into_iter().filter(|c| c.description.contains("⚠ WhatsApp")).collect()
}

async fn first_message_creates_contact_task_and_comment_and_a_redelivery_adds_nothing(kind: Kind) {
    let (h, driver) = start(kind).await;
    let id = driver.new_id();
    let webhook = driver.text(CUSTOMER, NAME, &id, T0, "Where is my order?");
    assert_acknowledged(&driver, &h.post_webhook(webhook).await);
    h.settle().await;
    let contacts = h.planfix.contacts();
    assert_eq!(contacts.len(), 1);
    assert!(contacts[0].phones.iter().any(|p| p.contains(CUSTOMER)), "{:?}", contacts[0].phones);
    assert_eq!(contacts[0].name, NAME, "the WhatsApp profile name");
    let task = h.planfix.tasks()[0].clone();
    assert_eq!(task.assigner, format!("contact:{}", contacts[0].id));
    let comments = h.planfix.comments(task.id);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("Where is my order?"), "{}", comments[0].description);
    assert_eq!(comments[0].owner, format!("contact:{}", contacts[0].id), "written as the customer");

    // The provider delivers the same message again: no second comment.
    assert_acknowledged(&driver, &h.post_webhook(driver.text(CUSTOMER, NAME, &id, T0, "Where is my order?")).await);
    h.settle().await;
    assert_eq!(h.planfix.comments(task.id).len(), 1);
    // A later message goes to the same task.
    assert_acknowledged(
        &driver,
        &h.post_webhook(driver.text(CUSTOMER, NAME, &driver.new_id(), T0 + 5, "Thanks")).await,
    );
    h.settle().await;
    assert_eq!(h.planfix.tasks().len(), 1);
    assert_eq!(h.planfix.comments(task.id).len(), 2);
}

async fn unauthenticated_or_forged_webhooks_are_refused_and_nothing_is_stored(kind: Kind) {
    let (h, driver) = start(kind).await;
    let id = driver.new_id();
    let genuine = driver.text(CUSTOMER, NAME, &id, T0, "hi");
    for refused in [driver.unauthenticated(&genuine), driver.forged(&genuine)] {
        let (status, body) = h.post_webhook(refused).await;
        assert_eq!(status, driver.refused_status(), "{:?}: {body}", driver.kind());
        // Exactly the unknown account's answer: neither the account nor the check can be probed.
        assert_eq!(body, r#"{"error":"unauthorized"}"#, "{:?}", driver.kind());
    }
    h.settle().await;
    assert!(h.planfix.requests().is_empty(), "nothing reached Planfix");
    // Nothing was recorded either: the genuine delivery is new, not a duplicate.
    assert_acknowledged(&driver, &h.post_webhook(genuine).await);
    h.settle().await;
    assert_eq!(h.planfix.comments(h.planfix.tasks()[0].id).len(), 1);
}

async fn a_customers_file_reaches_planfix_with_the_same_bytes(kind: Kind) {
    let (h, driver) = start(kind).await;
    let pdf: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let webhook =
        driver.media(CUSTOMER, &driver.new_id(), T0, pdf.clone(), "application/pdf", "contract.pdf", "signed");
    assert_acknowledged(&driver, &h.post_webhook(webhook).await);
    h.settle().await;
    h.drain_file_relay(3).await;
    let task = h.planfix.tasks()[0].id;
    let comments = h.planfix.comments(task);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].description.contains("signed"), "the caption stays: {}", comments[0].description);
    assert_eq!(comments[0].files.len(), 1, "{:?}: {}", driver.kind(), comments[0].description);
    let (name, bytes) = h.planfix.file(comments[0].files[0]).expect("the file is in Planfix");
    assert_eq!(bytes, pdf, "{:?}: bytes equal", driver.kind());
    assert!(name.ends_with(".pdf"), "{name}");
}

async fn a_notifying_reply_reaches_the_customer_and_its_statuses_add_nothing(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (task, contact) = open_conversation(&h, &driver).await;
    let before = h.planfix.comments(task).len();
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "Your order <b>ships</b> today", &[contact]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{:?}: {body}", driver.kind());
    assert_eq!(driver.sent_texts(), vec![(CUSTOMER.to_owned(), "Your order *ships* today".to_owned())]);

    // What the provider posts back (statuses; Green-API also echoes the bridge's own send):
    // recorded, never a new comment, never sent again.
    let callbacks = driver.callbacks(0);
    assert!(!callbacks.is_empty(), "{:?} reports on the send", driver.kind());
    for cb in callbacks {
        let answer = h.post_webhook(cb).await;
        assert_eq!(answer.0, 200, "{answer:?}");
    }
    h.settle().await;
    assert_eq!(h.planfix.comments(task).len(), before + 1, "only the employee's comment was added");
    assert_eq!(driver.sent_texts().len(), 1);

    // A comment that does not notify the contact stays internal.
    let internal = h.planfix.add_employee_comment(task, EMPLOYEE, "colleagues only", &[]);
    let (_, body) = h.planfix_hook(task, internal, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(body["result"].as_str(), Some("ignored"), "{body}");
    assert_eq!(driver.sent_texts().len(), 1);
}

async fn a_file_on_a_reply_reaches_the_customer(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (task, contact) = open_conversation(&h, &driver).await;
    let pdf: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let file = h.planfix.add_file("invoice 42.pdf", pdf.clone());
    let comment = h.planfix.add_employee_comment_with_files(task, EMPLOYEE, "Your invoice", &[contact], &[file]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{body}");
    h.drain_file_relay(3).await;
    let files = driver.sent_files();
    assert_eq!(files.len(), 1, "{:?}: {files:?}", driver.kind());
    assert_eq!(files[0].to, CUSTOMER);
    assert_eq!(files[0].bytes, pdf, "{:?}: bytes equal", driver.kind());
    assert_eq!(files[0].name.as_deref(), Some("invoice 42.pdf"), "{:?}", driver.kind());
    assert!(internal_notes(&h, task).is_empty(), "{:?}", internal_notes(&h, task));
}

async fn an_undeliverable_reply_becomes_an_internal_note(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (task, contact) = open_conversation(&h, &driver).await;
    driver.make_undeliverable(CUSTOMER);
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "Are you there?", &[contact]);
    h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    // Providers that accept first report the failure in a status webhook.
    for cb in driver.callbacks(0) {
        assert_eq!(h.post_webhook(cb).await.0, 200);
    }
    h.settle().await;
    let notes = internal_notes(&h, task);
    assert_eq!(notes.len(), 1, "{:?}: {notes:?}", driver.kind());
    assert!(notes[0].description.contains(driver.undeliverable_words()), "{}", notes[0].description);
    assert!(!notes[0].description.contains("Are you there?"), "the note never quotes the message");
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the note stays internal");
}

/// What one message costs: Planfix and provider requests for a first message (contact, task,
/// comment), a later one, a file each way and a reply — fixed numbers per provider, so a change
/// that adds a call shows here (and the figures are in the step's note).
async fn requests_per_message_stay_as_measured(kind: Kind) {
    let (h, driver) = start(kind).await;
    let planfix = || h.planfix.requests().len();
    let mut costs = Vec::new();
    let mut measure =
        |what: &'static str, p0: usize, d0: usize, p1: usize, d1: usize| costs.push((what, p1 - p0, d1 - d0));

    let (p0, d0) = (planfix(), driver.provider_requests());
    let (task, contact) = open_conversation(&h, &driver).await;
    measure("first message", p0, d0, planfix(), driver.provider_requests());

    let (p0, d0) = (planfix(), driver.provider_requests());
    h.post_webhook(driver.text(CUSTOMER, NAME, &driver.new_id(), T0 + 1, "second")).await;
    h.settle().await;
    measure("later message", p0, d0, planfix(), driver.provider_requests());

    let (p0, d0) = (planfix(), driver.provider_requests());
    h.post_webhook(driver.text(CUSTOMER, NAME, &driver.new_id(), T0 + 2, "third")).await;
    h.settle().await;
    measure("later message, statuses cached", p0, d0, planfix(), driver.provider_requests());

    let (p0, d0) = (planfix(), driver.provider_requests());
    let webhook = driver.media(CUSTOMER, &driver.new_id(), T0 + 3, vec![1u8; 4096], "application/pdf", "a.pdf", "");
    h.post_webhook(webhook).await;
    h.settle().await;
    h.drain_file_relay(3).await;
    measure("customer's file", p0, d0, planfix(), driver.provider_requests());

    let (p0, d0) = (planfix(), driver.provider_requests());
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "reply", &[contact]);
    h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    measure("reply (text)", p0, d0, planfix(), driver.provider_requests());

    let (p0, d0) = (planfix(), driver.provider_requests());
    let file = h.planfix.add_file("b.pdf", vec![2u8; 4096]);
    let comment = h.planfix.add_employee_comment_with_files(task, EMPLOYEE, "", &[contact], &[file]);
    h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    h.drain_file_relay(3).await;
    measure("reply (file only)", p0, d0, planfix(), driver.provider_requests());

    println!("{kind:?}: (what, Planfix requests, provider requests) = {costs:?}");
    let expected = expected_costs(kind);
    assert_eq!(costs, expected, "{kind:?}: requests per message changed");
}

/// Measured with the simulators (see the step 7 note). Planfix: a first message searches the
/// contact, creates it, creates the task and comments; a later one reads the task's status (and
/// once per process its status list) before commenting; a file adds upload + comment update; a
/// reply reads the comment (and its file's info and bytes). Provider: Meta fetches media in two
/// requests (metadata, bytes) and sends a file in two (upload, message); Twilio's media URL
/// redirects to its store (two requests); Green-API needs one each way.
fn expected_costs(kind: Kind) -> Vec<(&'static str, usize, usize)> {
    let (media_in, file_out) = match kind {
        Kind::Meta | Kind::Dialog360 => (2, 2),
        Kind::Wazzup => (1, 1),
        Kind::Twilio => (2, 1),
        Kind::GreenApi => (1, 1),
    };
    vec![
        ("first message", 4, 0),
        ("later message", 3, 0),
        ("later message, statuses cached", 2, 0),
        ("customer's file", 4, media_in),
        ("reply (text)", 1, 1),
        ("reply (file only)", 4, file_out),
    ]
}

/// A reply longer than the provider's limit goes in parts, each within it, cut where a reader
/// pauses (here: after a sentence or a paragraph), links and bold spans whole, nothing lost.
async fn a_long_reply_goes_in_parts_cut_where_a_reader_pauses(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (task, contact) = open_conversation(&h, &driver).await;
    let acct = h.app.accounts.get(&bridge_core::domain::AccountId::parse("acme").unwrap()).await.unwrap();
    let max = acct.sender.capabilities().max_text_chars;
    let sentence = |p: usize, s: usize| {
        format!("Point {p}.{s}: your order is <b>on its way {p}</b>, track it at https://track.example.com/{p}/{s}.")
    };
    // Paragraphs longer than a message (so a cut must fall inside one), and in all 2.5 messages.
    let per_paragraph = max * 13 / 10 / sentence(0, 0).chars().count() + 1;
    let mut paragraphs = Vec::new();
    let mut total = 0;
    while total < max * 5 / 2 {
        let p = paragraphs.len();
        let para: Vec<String> = (0..per_paragraph).map(|s| sentence(p, s)).collect();
        let para = para.join(" ");
        total += para.chars().count() + 2;
        paragraphs.push(para);
    }
    let html = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect::<String>();
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, &html, &[contact]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{kind:?}: {body}");
    let parts: Vec<String> = driver.sent_texts().into_iter().map(|(_, text)| text).collect();
    assert!(parts.len() >= 3, "{kind:?}: {} part(s) for {total} characters over a limit of {max}", parts.len());
    for part in &parts {
        assert!(part.chars().count() <= max, "{kind:?}: a part of {} characters", part.chars().count());
        assert!(part.ends_with('.'), "{kind:?}: cut after a sentence: …{}", &part[part.len().saturating_sub(40)..]);
        assert!(part.starts_with("Point "), "{kind:?}: a part starts a sentence: {}…", &part[..40.min(part.len())]);
    }
    let all = parts.join("\n");
    for p in 0..paragraphs.len() {
        for s in 0..per_paragraph {
            assert!(all.contains(&format!("https://track.example.com/{p}/{s}.")), "{kind:?}: link {p}/{s} whole");
        }
        let bold = all.matches(&format!("*on its way {p}*")).count();
        assert_eq!(bold, per_paragraph, "{kind:?}: bold spans whole");
    }
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let expected = words(&html.replace("<p>", " ").replace("</p>", " ").replace("<b>", "*").replace("</b>", "*"));
    assert_eq!(words(&all), expected, "{kind:?}: nothing lost or reordered");
}

/// What the customer typed reaches Planfix verbatim (escaped once), and what the employee wrote
/// reaches the customer verbatim (entities decoded once): emoji with ZWJ and skin tones,
/// flags, Cyrillic, Hebrew and Arabic (RTL), and characters HTML gives meaning to.
async fn unicode_and_html_characters_survive_both_ways(kind: Kind) {
    let (h, driver) = start(kind).await;
    let typed = "Привет 👨‍👩‍👧‍👦 🇩🇪 שלום مرحبا <b>not bold</b> & &amp; 5 > 3 👍🏽";
    let answer = h.post_webhook(driver.text(CUSTOMER, "Анна Шмидт", &driver.new_id(), T0, typed)).await;
    assert_acknowledged(&driver, &answer);
    h.settle().await;
    let task = h.planfix.tasks()[0].clone();
    let escaped = typed.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    assert_eq!(h.planfix.comments(task.id)[0].description, escaped, "{kind:?}: escaped once, never twice");
    assert!(h.planfix.contacts().iter().any(|c| c.name.contains("Анна")), "{kind:?}: the name as WhatsApp gave it");

    let contact = task.assigner.trim_start_matches("contact:").parse().unwrap();
    let html = "Спасибо! ❤️ &lt;3 &amp; 👍🏽 مرحبا 👨‍👩‍👧‍👦";
    let comment = h.planfix.add_employee_comment(task.id, EMPLOYEE, html, &[contact]);
    let (status, body) = h.planfix_hook(task.id, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{kind:?}: {body}");
    assert_eq!(
        driver.sent_texts(),
        vec![(CUSTOMER.to_owned(), "Спасибо! ❤️ <3 & 👍🏽 مرحبا 👨‍👩‍👧‍👦".to_owned())],
        "{kind:?}: decoded once"
    );
}

/// An employee's comment that opens with a quote of the customer's message (as Planfix's editor
/// quotes) goes as a WhatsApp reply to that message, without the quote, where the provider
/// carries reply context; elsewhere, and for a quote of nothing the customer wrote, plainly with
/// the quote. A comment without a quote costs no extra Planfix request.
async fn a_reply_quoting_the_customer_answers_that_message(kind: Kind) {
    let (h, driver) = start(kind).await;
    let (task, contact) = open_conversation(&h, &driver).await;
    let asked = driver.new_id();
    let question = "Where is order 4711? It was due on Monday.";
    assert_acknowledged(&driver, &h.post_webhook(driver.text(CUSTOMER, NAME, &asked, T0 + 5, question)).await);
    assert_acknowledged(
        &driver,
        &h.post_webhook(driver.text(CUSTOMER, NAME, &driver.new_id(), T0 + 9, "Hello?")).await,
    );
    h.settle().await;
    let replies = !matches!(kind, Kind::Twilio);

    let html =
        "<blockquote><b>Anna Schmidt</b>, 12:30<br>Where is order 4711?</blockquote><p>It ships <b>today</b></p>";
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, html, &[contact]);
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{kind:?}: {body}");
    let (texts, contexts) = (driver.sent_texts(), driver.sent_reply_contexts());
    if replies {
        assert_eq!(
            texts,
            vec![(CUSTOMER.to_owned(), "It ships *today*".to_owned())],
            "{kind:?}: the quote is WhatsApp's"
        );
        assert_eq!(contexts, vec![Some(asked.clone())], "{kind:?}: answers the quoted message");
    } else {
        assert_eq!(contexts, vec![None], "{kind:?}");
        assert!(texts[0].1.contains("Where is order 4711?") && texts[0].1.ends_with("It ships *today*"), "{:?}", texts);
    }

    // A quote of nothing the customer wrote: sent plainly, quote and all.
    let lists = |h: &Harness| h.planfix.requests().iter().filter(|r| r.path.ends_with("/comments/list")).count();
    let before = lists(&h);
    let comment = h.planfix.add_employee_comment(
        task,
        EMPLOYEE,
        "<blockquote>our terms say 30 days</blockquote>See above",
        &[contact],
    );
    let (status, body) = h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{kind:?}: {body}");
    assert_eq!(driver.sent_texts()[1].1, "our terms say 30 days\nSee above", "{kind:?}");
    assert_eq!(driver.sent_reply_contexts()[1], None, "{kind:?}");
    assert_eq!(lists(&h), before + usize::from(replies), "{kind:?}: one look at the task's comments, only for a quote");

    // No quote: no look at all.
    let comment = h.planfix.add_employee_comment(task, EMPLOYEE, "Anything else?", &[contact]);
    h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(driver.sent_reply_contexts()[2], None, "{kind:?}");
    assert_eq!(lists(&h), before + usize::from(replies), "{kind:?}");
}

macro_rules! contract {
    ($($provider:ident => $kind:expr),* $(,)?) => {$(
        mod $provider {
            use super::*;

            #[tokio::test]
            async fn first_message_creates_contact_task_and_comment_and_a_redelivery_adds_nothing() {
                super::first_message_creates_contact_task_and_comment_and_a_redelivery_adds_nothing($kind).await;
            }

            #[tokio::test]
            async fn unauthenticated_or_forged_webhooks_are_refused_and_nothing_is_stored() {
                super::unauthenticated_or_forged_webhooks_are_refused_and_nothing_is_stored($kind).await;
            }

            #[tokio::test]
            async fn a_customers_file_reaches_planfix_with_the_same_bytes() {
                super::a_customers_file_reaches_planfix_with_the_same_bytes($kind).await;
            }

            #[tokio::test]
            async fn a_notifying_reply_reaches_the_customer_and_its_statuses_add_nothing() {
                super::a_notifying_reply_reaches_the_customer_and_its_statuses_add_nothing($kind).await;
            }

            #[tokio::test]
            async fn a_file_on_a_reply_reaches_the_customer() {
                super::a_file_on_a_reply_reaches_the_customer($kind).await;
            }

            #[tokio::test]
            async fn requests_per_message_stay_as_measured() {
                super::requests_per_message_stay_as_measured($kind).await;
            }

            #[tokio::test]
            async fn a_long_reply_goes_in_parts_cut_where_a_reader_pauses() {
                super::a_long_reply_goes_in_parts_cut_where_a_reader_pauses($kind).await;
            }

            #[tokio::test]
            async fn unicode_and_html_characters_survive_both_ways() {
                super::unicode_and_html_characters_survive_both_ways($kind).await;
            }

            #[tokio::test]
            async fn a_reply_quoting_the_customer_answers_that_message() {
                super::a_reply_quoting_the_customer_answers_that_message($kind).await;
            }

            #[tokio::test]
            async fn an_undeliverable_reply_becomes_an_internal_note() {
                super::an_undeliverable_reply_becomes_an_internal_note($kind).await;
            }
        }
    )*};
}

contract! {
    meta => Kind::Meta,
    twilio => Kind::Twilio,
    green_api => Kind::GreenApi,
    dialog360 => Kind::Dialog360,
    wazzup => Kind::Wazzup,
}
