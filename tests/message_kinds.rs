//! Every kind of inbound message beyond text and files reads naturally in Planfix, for every
//! provider that carries it (step 10, first slice): button and list replies and template
//! quick replies, contact cards, locations, stickers, polls and votes, forwards, and what WhatsApp
//! does not pass on. Each webhook is built as the provider documents it (`Driver`'s kind methods,
//! `tests/src/providers.rs`) and goes through the public entry points (webhook route, worker,
//! file relay) with the provider's simulator; each test reads the comment Planfix got.
//!
//! A provider that does not carry a kind has no test for it (the `kinds!` list below): the
//! driver method answers None there, which `carried` turns into a failure, so the list and the
//! drivers cannot drift apart.

use std::sync::Arc;

use bridge_core::config::Settings;
use bridge_core::domain::{ContactCard, MessageContent};
use bridge_core::ports::Store;
use bridge_core::render::comment_html;
use bytes::Bytes;
use e2e_tests::providers::{Driver, Kind};
use e2e_tests::{fresh_dynamo_store, Harness};

const CUSTOMER: &str = "4915112345678";
const T0: i64 = 1_700_000_000;

async fn start(kind: Kind) -> (Harness, Driver) {
    let driver = Driver::start(kind).await;
    let provider = driver.provider_config();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |_, account| account.provider = provider).await;
    (h, driver)
}

fn carried(driver: &Driver, what: &str, req: Option<http::Request<Bytes>>) -> http::Request<Bytes> {
    req.unwrap_or_else(|| panic!("{:?} is listed as carrying {what}, but its driver builds none", driver.kind()))
}

/// Posts the webhook (acknowledged as the provider expects), lets the worker run, and returns the
/// descriptions of the task's comments in order.
async fn post(h: &Harness, driver: &Driver, req: http::Request<Bytes>) -> Vec<String> {
    let (status, body) = h.post_webhook(req).await;
    assert_eq!(status, 200, "{:?}: {body}", driver.kind());
    h.settle().await;
    comments(h)
}

fn comments(h: &Harness) -> Vec<String> {
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "one conversation task");
    h.planfix.comments(tasks[0].id).into_iter().map(|c| c.description).collect()
}

/// The only comment, written as the customer (the task's contact).
async fn only_comment(h: &Harness, driver: &Driver, req: http::Request<Bytes>) -> String {
    let texts = post(h, driver, req).await;
    assert_eq!(texts.len(), 1, "{:?}: {texts:?}", driver.kind());
    let task = h.planfix.tasks()[0].clone();
    let comment = h.planfix.comments(task.id).remove(0);
    assert_eq!(comment.owner, task.assigner, "{:?}: written as the customer", driver.kind());
    texts.into_iter().next().unwrap_or_default()
}

async fn button_reply(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req =
        driver.button_reply(CUSTOMER, &driver.new_id(), T0, "wamid.HBgLbusinessButtons", "slot_today", "Yes, today");
    let text = only_comment(&h, &driver, carried(&driver, "button replies", req)).await;
    // The title the customer tapped; the button's id is the business's, not shown.
    assert_eq!(text, "🔘 Yes, today", "{kind:?}");
}

async fn list_reply(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req = driver.list_reply(
        CUSTOMER,
        &driver.new_id(),
        T0,
        "wamid.HBgLbusinessList",
        "tue_am",
        "Tuesday <morning>",
        Some("9:00 – 12:00 & free parking"),
    );
    let text = only_comment(&h, &driver, carried(&driver, "list replies", req)).await;
    let expected = match kind {
        // Twilio and Green-API pass the row's title and id only.
        Kind::Twilio | Kind::GreenApi => "🔘 Tuesday &lt;morning&gt;".to_owned(),
        _ => "🔘 Tuesday &lt;morning&gt;<br><i>9:00 – 12:00 &amp; free parking</i>".to_owned(),
    };
    assert_eq!(text, expected, "{kind:?}");
}

async fn quick_reply(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req = driver.quick_reply(
        CUSTOMER,
        &driver.new_id(),
        T0,
        "wamid.HBgLbusinessTemplate",
        "STOP_PROMO",
        "Stop promotions",
    );
    let text = only_comment(&h, &driver, carried(&driver, "template quick replies", req)).await;
    assert_eq!(text, "🔘 Stop promotions", "{kind:?}");
}

fn cards() -> Vec<ContactCard> {
    vec![
        ContactCard {
            name: "Anna Schmidt".into(),
            phones: vec!["+49 30 1234-5678".into(), "+49 151 000 111".into()],
            emails: vec!["anna@example.com".into()],
            organization: Some("Acme Ltd".into()),
        },
        ContactCard { name: "Jörg Müller".into(), phones: vec!["+43 1 234 567".into()], ..Default::default() },
    ]
}

async fn contact_cards(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req = driver.contact_cards(CUSTOMER, &driver.new_id(), T0, &cards());
    let text = only_comment(&h, &driver, carried(&driver, "contact cards", req)).await;
    assert_eq!(text, comment_html(&MessageContent::Contacts { cards: cards() }), "{kind:?}");
    // Every number is a tappable link with its digits only, every card keeps its name.
    for (href, shown) in [
        ("tel:+493012345678", "+49 30 1234-5678"),
        ("tel:+49151000111", "+49 151 000 111"),
        ("tel:+431234567", "+43 1 234 567"),
    ] {
        assert!(text.contains(&format!("<a href=\"{href}\">{shown}</a>")), "{kind:?}: {text}");
    }
    assert!(text.contains("👤 Contact: Anna Schmidt") && text.contains("👤 Contact: Jörg Müller"), "{text}");
    assert!(text.contains("<a href=\"mailto:anna@example.com\">anna@example.com</a>"), "{text}");
    assert!(text.contains("🏢 Acme Ltd"), "{text}");
}

async fn location(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req =
        driver.location(CUSTOMER, &driver.new_id(), T0, 52.5163, 13.3777, "Brandenburger Tor", "Pariser Platz, Berlin");
    let text = only_comment(&h, &driver, carried(&driver, "locations", req)).await;
    assert_eq!(
        text,
        "Location: Brandenburger Tor, Pariser Platz, Berlin<br>\
         <a href=\"https://www.google.com/maps/search/?api=1&amp;query=52.5163,13.3777\">52.5163, 13.3777</a>",
        "{kind:?}"
    );
}

async fn sticker_arrives(kind: Kind, animated: bool) {
    let (h, driver) = start(kind).await;
    // A tiny RIFF/WEBP header and body: the bytes only have to arrive unchanged.
    let mut webp = b"RIFF\x24\x00\x00\x00WEBPVP8 ".to_vec();
    webp.extend((0..2_000u32).map(|i| (i * 31 % 251) as u8));
    let req = driver.sticker(CUSTOMER, &driver.new_id(), T0, webp.clone(), animated);
    let first = only_comment(&h, &driver, carried(&driver, "stickers", req)).await;
    h.drain_file_relay(3).await;
    let task = h.planfix.tasks()[0].id;
    let comment = h.planfix.comments(task).remove(0);
    assert_eq!(comment.files.len(), 1, "{kind:?}: {}", comment.description);
    let (_, bytes) = h.planfix.file(comment.files[0]).expect("the sticker is in Planfix");
    assert_eq!(bytes, webp, "{kind:?}: bytes equal");
    match (kind, animated) {
        // Twilio marks no sticker: it is the picture it is.
        (Kind::Twilio, _) => assert!(first.contains("Photo"), "{first}"),
        (_, false) => {
            assert!(first.starts_with("🖼 Sticker<br>"), "{kind:?}: {first}");
            assert!(comment.description.starts_with("🖼 Sticker<br>"), "kept above the file: {}", comment.description);
        }
        (_, true) => {
            assert!(first.starts_with("🎞 Animated sticker (attached as a file)<br>"), "{kind:?}: {first}");
            assert!(comment.description.starts_with("🎞 Animated sticker"), "{}", comment.description);
        }
    }
}

async fn sticker(kind: Kind) {
    sticker_arrives(kind, false).await;
}

async fn animated_sticker(kind: Kind) {
    sticker_arrives(kind, true).await;
}

async fn poll(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req = driver.poll(CUSTOMER, &driver.new_id(), T0, "Which day suits you?", &["Monday", "Friday & later"], true);
    let text = only_comment(&h, &driver, carried(&driver, "polls", req)).await;
    assert_eq!(
        text, "📊 Poll: Which day suits you?<br>• Monday<br>• Friday &amp; later<br><i>(several answers allowed)</i>",
        "{kind:?}"
    );
}

async fn poll_vote(kind: Kind) {
    let (h, driver) = start(kind).await;
    let poll_id = driver.new_id();
    let req =
        driver.poll_vote(CUSTOMER, &driver.new_id(), T0, &poll_id, "Which day suits you?", &["Friday"], &["Monday"]);
    let text = only_comment(&h, &driver, carried(&driver, "poll votes", req)).await;
    // Only the customer's choice: another voter's is not theirs.
    assert_eq!(text, "🗳 Voted in the poll «Which day suits you?»: Friday", "{kind:?}");
    let withdrawn =
        driver.poll_vote(CUSTOMER, &driver.new_id(), T0 + 1, &poll_id, "Which day suits you?", &[], &["Monday"]);
    let texts = post(&h, &driver, carried(&driver, "poll votes", withdrawn)).await;
    assert_eq!(texts[1], "🗳 Withdrew the vote in the poll «Which day suits you?»", "{kind:?}");
}

/// What WhatsApp does not pass on reads as such, and the customer's next message still arrives.
async fn withheld(kind: Kind) {
    let (h, driver) = start(kind).await;
    let req = driver.withheld(CUSTOMER, &driver.new_id(), T0);
    let text = only_comment(&h, &driver, carried(&driver, "withheld content", req)).await;
    let what = match kind {
        Kind::Meta => "a poll",
        _ => "a message",
    };
    assert_eq!(
        text,
        format!(
            "<i>[The customer sent {what} that WhatsApp does not pass to integrations; \
             ask them to send it another way if it matters]</i>"
        ),
        "{kind:?}"
    );
    let texts = post(&h, &driver, driver.text(CUSTOMER, "Customer", &driver.new_id(), T0 + 1, "Did you get it?")).await;
    assert_eq!(texts.len(), 2, "{kind:?}: {texts:?}");
    assert_eq!(texts[1], "Did you get it?");
}

/// A kind the bridge does not read is a readable comment too, never a refusal that would hold up
/// what follows (Green-API and 360dialog redeliver refused webhooks, Green-API in order).
async fn unread_kind(kind: Kind) {
    let (h, driver) = start(kind).await;
    let text = only_comment(&h, &driver, driver.unread_kind(CUSTOMER, &driver.new_id(), T0)).await;
    let what = match kind {
        Kind::Meta | Kind::Dialog360 => "a product or order",
        Kind::GreenApi => "a group invitation",
        Kind::Twilio => "a message of type «carousel»",
        Kind::Wazzup => "a template message",
    };
    assert_eq!(text, format!("<i>[The customer sent {what} that the bridge does not show yet]</i>"), "{kind:?}");
    let texts = post(&h, &driver, driver.text(CUSTOMER, "Customer", &driver.new_id(), T0 + 1, "Hello?")).await;
    assert_eq!(texts, [text, "Hello?".to_owned()], "{kind:?}");
}

async fn forwarded(kind: Kind) {
    let (h, driver) = start(kind).await;
    let once = driver.forwarded_text(CUSTOMER, &driver.new_id(), T0, "Look at <this>", false);
    let first = only_comment(&h, &driver, carried(&driver, "forward marks", once)).await;
    assert_eq!(first, "<i>↪ Forwarded</i><br>Look at &lt;this&gt;", "{kind:?}");
    let many = driver.forwarded_text(CUSTOMER, &driver.new_id(), T0 + 1, "Chain letter", true);
    let texts = post(&h, &driver, carried(&driver, "forward marks", many)).await;
    assert_eq!(texts[1], "<i>↪ Forwarded many times</i><br>Chain letter", "{kind:?}");
}

/// `provider => Kind: [the kinds it carries]`; each pair is one test.
macro_rules! kinds {
    ($($provider:ident => $kind:expr => [$($test:ident),* $(,)?]);* $(;)?) => {$(
        mod $provider {
            use super::*;
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($kind).await;
                }
            )*
        }
    )*};
}

kinds! {
    meta => Kind::Meta => [
        button_reply, list_reply, quick_reply, contact_cards, location, sticker, animated_sticker, withheld,
        unread_kind, forwarded,
    ];
    dialog360 => Kind::Dialog360 => [
        button_reply, list_reply, quick_reply, contact_cards, location, sticker, animated_sticker, withheld,
        unread_kind, forwarded,
    ];
    green_api => Kind::GreenApi => [
        button_reply, list_reply, quick_reply, contact_cards, location, sticker, animated_sticker, poll, poll_vote,
        unread_kind, forwarded,
    ];
    twilio => Kind::Twilio => [button_reply, list_reply, quick_reply, location, sticker, unread_kind, forwarded];
    wazzup => Kind::Wazzup => [contact_cards, sticker, animated_sticker, withheld, unread_kind];
}

/// The drivers answer None exactly where the list above has no test.
#[tokio::test]
async fn kinds_a_provider_does_not_carry_are_not_built() {
    let none = |d: &Driver| {
        [
            ("button", d.button_reply(CUSTOMER, "x", T0, "r", "b", "t").is_none()),
            ("list", d.list_reply(CUSTOMER, "x", T0, "r", "i", "t", None).is_none()),
            ("quick", d.quick_reply(CUSTOMER, "x", T0, "r", "p", "t").is_none()),
            ("contacts", d.contact_cards(CUSTOMER, "x", T0, &cards()).is_none()),
            ("location", d.location(CUSTOMER, "x", T0, 1.0, 2.0, "n", "a").is_none()),
            ("poll", d.poll(CUSTOMER, "x", T0, "q", &["a"], false).is_none()),
            ("vote", d.poll_vote(CUSTOMER, "x", T0, "p", "q", &["a"], &[]).is_none()),
            ("withheld", d.withheld(CUSTOMER, "x", T0).is_none()),
            ("forwarded", d.forwarded_text(CUSTOMER, "x", T0, "t", false).is_none()),
        ]
        .into_iter()
        .filter(|(_, none)| *none)
        .map(|(what, _)| what)
        .collect::<Vec<_>>()
    };
    for (kind, expected) in [
        (Kind::Meta, vec!["poll", "vote"]),
        (Kind::Dialog360, vec!["poll", "vote"]),
        (Kind::GreenApi, vec!["withheld"]),
        (Kind::Twilio, vec!["contacts", "poll", "vote", "withheld"]),
        (Kind::Wazzup, vec!["button", "list", "quick", "location", "poll", "vote", "forwarded"]),
    ] {
        let driver = Driver::start(kind).await;
        assert_eq!(none(&driver), expected, "{kind:?}");
    }
}
