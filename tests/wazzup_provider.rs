//! Wazzup beyond the provider contract, through the public entry points on moto with the Wazzup
//! simulator: the connection probe, the `crmKey`, webhooks carrying messages and statuses at
//! once, chats of other messengers, what the company writes from its phone and the echoes of the
//! bridge's own sends, `crmMessageId` keeping a retried send single, a `BAD_CONTACT` status, the
//! 10,000-unit text limit, and the file names of the customer's documents.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bridge_core::config::{ProviderConfig, Settings};
use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::Store;
use bridge_core::worker::WorkOutcome;
use bytes::Bytes;
use e2e_tests::providers::{Driver, Kind, WAZZUP_CHANNEL, WAZZUP_CRM_KEY, WAZZUP_KEY};
use e2e_tests::{fresh_dynamo_store, Harness, PLANFIX_HOOK_SECRET};
use http::Request;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use wazzup_sim::webhook::{self as hooks, Chat};
use wazzup_sim::{WazzupFailure, WazzupSim};

const CUSTOMER: &str = "4915112345678";
const EMPLOYEE: i64 = 5;
const PATH: &str = "/webhooks/wazzup/acme";
const DATE_TIME: &str = "2023-11-14T22:13:20.000Z";
/// Wazzup's WhatsApp text limit, in UTF-16 units (as its JavaScript counts).
const WAZZUP_MAX_TEXT: usize = 10_000;

struct Rig {
    h: Harness,
    sim: WazzupSim,
}

async fn start() -> Rig {
    start_with(None, None).await
}

/// A harness whose account `acme` uses Wazzup (the simulator), with the given HTTP timeout,
/// reaching the simulator's API directly or through [`LateAnswers`].
async fn start_with(http_timeout: Option<Duration>, late: Option<LateAnswers>) -> Rig {
    let driver = Driver::start(Kind::Wazzup).await;
    let ProviderConfig::Wazzup(mut cfg) = driver.provider_config() else { unreachable!("a Wazzup config") };
    if let Some(late) = late {
        cfg.api_base_url = late.serve(&cfg.api_base_url).await;
    }
    let Driver::Wazzup(sim) = driver else { unreachable!("a Wazzup driver") };
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, move |tuning, account| {
        account.provider = ProviderConfig::Wazzup(cfg);
        if let Some(timeout) = http_timeout {
            tuning.http_timeout = timeout;
        }
    })
    .await;
    Rig { h, sim }
}

/// A loopback relay in front of the simulator's API where the first `sends` answers to
/// `POST /v3/message` arrive `after` late: each request is handed on and handled at once, only
/// the answer is held back (on a bridge that waits less, the answer is lost). The simulator's own
/// `WazzupFailure::Delay` cannot play this: it waits before handling, and a request whose
/// caller hung up is dropped unhandled.
struct LateAnswers {
    sends: usize,
    after: Duration,
}

impl LateAnswers {
    /// Serves the relay; returns its base URL.
    async fn serve(self, upstream_base: &str) -> String {
        let upstream = upstream_base.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let remaining = Arc::new(AtomicUsize::new(self.sends));
        let after = self.after;
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, remaining) = (upstream.clone(), remaining.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    // One request, then its answer, for as long as the caller keeps the connection.
                    while let Some(request) = read_http_message(&client).await {
                        if write_all(&server, &request).await.is_err() {
                            return;
                        }
                        let Some(answer) = read_http_message(&server).await else { return };
                        let is_send = request.starts_with(b"POST /v3/message ");
                        let late = is_send
                            && remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                        if late {
                            tokio::time::sleep(after).await;
                        }
                        if write_all(&client, &answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        base
    }
}

/// One HTTP/1.1 message (head and `Content-Length` body); None when the peer closed first.
async fn read_http_message(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(head) = message.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) {
            let head_text = String::from_utf8_lossy(&message[..head]).to_ascii_lowercase();
            let length = head_text
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if message.len() >= head + length {
                return Some(message);
            }
        }
        stream.readable().await.ok()?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => message.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return None,
        }
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The customer's chat; Wazzup names a contact it knows no name for by its number.
fn chat() -> Chat {
    Chat { channel_id: WAZZUP_CHANNEL.into(), chat_id: CUSTOMER.into(), name: CUSTOMER.into() }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The webhook as Wazzup POSTs it, with `Authorization` as given (None: no header).
fn post_with(body: &Value, authorization: Option<&str>) -> Request<Bytes> {
    // Wazzup's documented content type, typo included.
    let mut req = Request::post(PATH).header("content-type", "application/json; charset-utf-8");
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    req.body(Bytes::from(body.to_string())).expect("request builds")
}

fn post(body: &Value) -> Request<Bytes> {
    post_with(body, Some(&format!("Bearer {WAZZUP_CRM_KEY}")))
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

/// Nothing of the webhook was kept: no work, no inbox entry, no Planfix request.
async fn assert_nothing_stored(rig: &Rig) {
    let outcomes = rig.h.settle().await;
    assert!(outcomes.is_empty(), "no work was queued: {outcomes:?}");
    let inbox = rig.h.store.inbox(&acme(), &Phone::parse(CUSTOMER).unwrap(), 10).await.expect("inbox reads");
    assert!(inbox.is_empty(), "nothing was recorded: {inbox:?}");
    assert!(rig.h.planfix.requests().is_empty(), "nothing reached Planfix");
}

/// A conversation opened by the customer's first message: (task id, contact id).
async fn open_conversation(rig: &Rig) -> (i64, i64) {
    let body = hooks::inbound_text(&chat(), &new_id(), DATE_TIME, "Hello, I need help");
    assert_accepted(&rig.h.post_webhook(post(&body)).await);
    rig.h.settle().await;
    let tasks = rig.h.planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let contact = tasks[0].assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
    (tasks[0].id, contact)
}

fn internal_notes(h: &Harness, task: i64) -> Vec<planfix_sim::Comment> {
    h.planfix.comments(task).into_iter().filter(|c| c.description.contains("⚠ WhatsApp")).collect()
}

/// `POST /v3/message` requests the simulator got: the status each was answered with.
fn send_statuses(sim: &WazzupSim) -> Vec<u16> {
    sim.requests().iter().filter(|r| r.method == "POST" && r.path == "/v3/message").map(|r| r.status).collect()
}

async fn reply(rig: &Rig, task: i64, contact: i64, words: &str) -> Option<String> {
    let comment = rig.h.planfix.add_employee_comment(task, EMPLOYEE, words, &[contact]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(status, 200, "{body}");
    body["result"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn the_connection_probe_is_answered_with_or_without_the_crm_key_and_stores_nothing() {
    let rig = start().await;
    let bearer = format!("Bearer {WAZZUP_CRM_KEY}");
    for authorization in [None, Some(bearer.as_str())] {
        let answer = assert_accepted(&rig.h.post_webhook(post_with(&hooks::test_probe(), authorization)).await);
        assert_eq!((answer["messages"].as_u64(), answer["ignored"].as_u64()), (Some(0), Some(1)), "{answer}");
    }
    // Only the bare probe goes without the key: one that also carries a message is refused.
    let mut smuggled = hooks::inbound_text(&chat(), &new_id(), DATE_TIME, "let me in");
    smuggled["test"] = Value::Bool(true);
    assert_unauthorized(&rig.h.post_webhook(post_with(&smuggled, None)).await);
    assert_nothing_stored(&rig).await;
}

#[tokio::test]
async fn a_missing_or_wrong_crm_key_is_refused_and_nothing_is_stored() {
    let rig = start().await;
    let body = hooks::inbound_text(&chat(), &new_id(), DATE_TIME, "Where is my order?");
    let api_key = format!("Bearer {WAZZUP_KEY}");
    for refused in
        [None, Some("Bearer not-the-crm-key"), Some(api_key.as_str()), Some(WAZZUP_CRM_KEY), Some("Basic eDp5")]
    {
        assert_unauthorized(&rig.h.post_webhook(post_with(&body, refused)).await);
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
async fn a_webhook_with_messages_and_statuses_at_once_has_both_handled() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    assert_eq!(reply(&rig, task, contact, "Your order ships today").await.as_deref(), Some("sent"));
    let sent = rig.sim.sent()[0].message_id.clone();
    // The sim's own echo and statuses of that send are not delivered here.
    rig.sim.take_webhooks();

    let message = hooks::inbound_text(&chat(), &new_id(), DATE_TIME, "Thanks, got it");
    let read = hooks::statuses(&[(&sent, "read", DATE_TIME, None)]);
    let body = hooks::combine(vec![message], vec![read]);
    let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
    assert_eq!((answer["messages"].as_u64(), answer["statuses"].as_u64()), (Some(1), Some(1)), "{answer}");
    let outcomes = rig.h.settle().await;
    let applied = outcomes.iter().filter(|(_, o)| matches!(o, WorkOutcome::StatusApplied)).count();
    assert_eq!(applied, 1, "{outcomes:?}");

    let comments = rig.h.planfix.comments(task);
    assert_eq!(comments.len(), 3, "first message, reply, new message: {comments:#?}");
    assert!(comments[2].description.contains("Thanks, got it"), "{}", comments[2].description);
    assert_eq!(comments[2].owner, format!("contact:{contact}"));
    // Recorded: the reply is at `read` already, so advancing to it changes nothing.
    let advanced = rig.h.store.advance_delivery_status(&acme(), &sent, "read", 3).await.unwrap();
    assert!(!advanced, "the read status was recorded");
}

#[tokio::test]
async fn chats_of_other_messengers_are_acknowledged_and_ignored() {
    let rig = start().await;
    // Instagram, Telegram, and a WhatsApp group: only one-to-one WhatsApp chats are bridged.
    for chat_type in ["instagram", "telegram", "whatsgroup"] {
        let mut body = hooks::inbound_text(&chat(), &new_id(), DATE_TIME, "hello from elsewhere");
        body["messages"][0]["chatType"] = Value::String(chat_type.into());
        let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
        assert_eq!((answer["messages"].as_u64(), answer["ignored"].as_u64()), (Some(0), Some(1)), "{chat_type}");
    }
    assert_nothing_stored(&rig).await;
}

#[tokio::test]
async fn what_the_company_wrote_from_its_phone_is_the_companys_comment_and_never_sent_back() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    let body = hooks::echo_from_phone(&chat(), &new_id(), DATE_TIME, "We shipped it today", "Manager");
    let answer = assert_accepted(&rig.h.post_webhook(post(&body)).await);
    assert_eq!(answer["messages"], 1, "{answer}");
    rig.h.settle().await;

    assert_eq!(rig.h.planfix.tasks().len(), 1, "the conversation's own task");
    let comments = rig.h.planfix.comments(task);
    assert_eq!(comments.len(), 2, "{comments:#?}");
    let phone = &comments[1];
    assert!(phone.description.contains("We shipped it today"), "{}", phone.description);
    assert!(phone.description.contains("Sent from the company's WhatsApp phone"), "marked: {}", phone.description);
    assert!(!phone.owner.starts_with("contact:"), "not the customer's word: {}", phone.owner);
    assert!(!phone.recipients.to_string().contains("contact:"), "it notifies no contact: {}", phone.recipients);

    // Planfix's scenario fires for that comment too: it must not go back to WhatsApp.
    let (status, hook) = rig.h.planfix_hook(task, phone.id, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, hook["result"].as_str()), (200, Some("ignored")), "{hook}");
    assert!(rig.sim.sent().is_empty(), "{:?}", rig.sim.sent());
    assert!(send_statuses(&rig.sim).is_empty());
    // The company's phone is no contact of its own.
    let contacts = rig.h.planfix.contacts();
    assert_eq!(contacts.iter().map(|c| c.id).collect::<Vec<_>>(), [contact], "{contacts:#?}");
}

#[tokio::test]
async fn the_echoes_of_the_bridges_own_sends_add_nothing() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    assert_eq!(reply(&rig, task, contact, "Your order ships today").await.as_deref(), Some("sent"));
    let file = rig.h.planfix.add_file("invoice 42.pdf", vec![3u8; 5000]);
    let comment = rig.h.planfix.add_employee_comment_with_files(task, EMPLOYEE, "", &[contact], &[file]);
    let (_, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(body["result"].as_str(), Some("sent"), "{body}");
    rig.h.drain_file_relay(3).await;
    assert_eq!(rig.sim.sent().len(), 2, "{:?}", rig.sim.sent());
    let before = rig.h.planfix.comments(task).len();

    // What a Wazzup account posts after each send: the `isEcho` message with the send's own
    // messageId (the sim's default), then `sent` and `delivered`.
    let webhooks = rig.sim.take_webhooks();
    let echoes = webhooks.iter().filter(|w| w["messages"][0]["isEcho"] == true).count();
    assert_eq!(echoes, 2, "{webhooks:#?}");
    for webhook in &webhooks {
        assert_accepted(&rig.h.post_webhook(post(webhook)).await);
    }
    rig.h.settle().await;
    rig.h.drain_file_relay(3).await;
    assert_eq!(rig.h.planfix.comments(task).len(), before, "{:#?}", rig.h.planfix.comments(task));
    assert!(internal_notes(&rig.h, task).is_empty());
    assert_eq!(rig.sim.sent().len(), 2, "nothing was sent again");
}

#[tokio::test]
async fn a_send_that_timed_out_is_retried_with_its_crm_message_id_and_sent_once() {
    let rig = start_with(Some(Duration::from_millis(300)), None).await;
    let (task, contact) = open_conversation(&rig).await;
    // The simulator holds the first send back longer than the bridge waits.
    rig.sim.fail_next(1, WazzupFailure::Delay(Duration::from_millis(600)));
    let comment = rig.h.planfix.add_employee_comment(task, EMPLOYEE, "Your order ships today", &[contact]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{body}");
    // Past the point where the held-back attempt would have been handled.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 1, "the customer got one message: {sent:?}");
    assert_eq!(sent[0].text.as_deref(), Some("Your order ships today"));
    assert_eq!(sent[0].crm_message_id.as_deref(), Some(format!("acme-comment-{comment}-0").as_str()));
    assert!(internal_notes(&rig.h, task).is_empty(), "{:?}", internal_notes(&rig.h, task));
}

#[tokio::test]
async fn a_send_whose_answer_came_too_late_is_refused_as_a_repeat_and_counts_as_sent() {
    // Wazzup handles the first send at once, but its answer reaches the bridge only after the
    // bridge stopped waiting: the retry carries the same crmMessageId and Wazzup refuses it.
    let late = LateAnswers { sends: 1, after: Duration::from_millis(600) };
    let rig = start_with(Some(Duration::from_millis(300)), Some(late)).await;
    let (task, contact) = open_conversation(&rig).await;
    let comment = rig.h.planfix.add_employee_comment(task, EMPLOYEE, "Your order ships today", &[contact]);
    let (status, body) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("sent")), "{body}");

    let statuses = send_statuses(&rig.sim);
    // (A retry that itself ran out of time on a loaded machine is refused the same way.)
    assert!(
        statuses.len() >= 2 && statuses[0] == 201 && statuses[1..].iter().all(|s| *s == 400),
        "the first send went out; its repeat was refused: {statuses:?}"
    );
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 1, "the customer got one message: {sent:?}");
    assert_eq!(sent[0].text.as_deref(), Some("Your order ships today"));
    let reference = format!("acme-comment-{comment}-0");
    assert_eq!(sent[0].crm_message_id.as_deref(), Some(reference.as_str()));
    assert!(internal_notes(&rig.h, task).is_empty(), "{:?}", internal_notes(&rig.h, task));
    // Recorded as sent (under the reference: Wazzup's refusal names no message id), so the
    // Planfix comment is done and nothing retries it.
    let record = rig.h.store.get_sent(&acme(), &format!("crm:{reference}")).await.expect("store reads");
    assert_eq!(record.map(|r| r.comment_id), Some(comment));
    let (_, again) = rig.h.planfix_hook(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
    assert_eq!(again["result"].as_str(), Some("duplicate"), "{again}");
    assert_eq!(rig.sim.sent().len(), 1);
    assert_eq!(send_statuses(&rig.sim).len(), statuses.len(), "not even asked again");
}

#[tokio::test]
async fn a_bad_contact_status_becomes_a_note_that_the_number_may_not_use_whatsapp() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    rig.sim.fail_for_recipient(CUSTOMER, "BAD_CONTACT", "The contact does not exist or has no WhatsApp");
    // Wazzup accepts the send; the failure comes afterwards, as a status.
    assert_eq!(reply(&rig, task, contact, "Are you there?").await.as_deref(), Some("sent"));
    let webhooks = rig.sim.take_webhooks();
    assert_eq!(webhooks.last().map(|w| w["statuses"][0]["status"].clone()), Some(Value::from("error")));
    // Reported twice (a redelivery): one note.
    for _ in 0..2 {
        for webhook in &webhooks {
            assert_accepted(&rig.h.post_webhook(post(webhook)).await);
        }
        rig.h.settle().await;
    }
    let notes = internal_notes(&rig.h, task);
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let note = &notes[0].description;
    assert!(note.contains("may not use WhatsApp"), "{note}");
    assert!(note.contains("BAD_CONTACT"), "the code is named: {note}");
    assert!(!note.contains("Are you there?"), "the note never quotes the message");
    assert!(notes[0].recipients.to_string().contains(&format!("user:{EMPLOYEE}")), "the author is told");
    assert!(!notes[0].recipients.to_string().contains("contact:"), "the note stays internal");
    assert_eq!(rig.sim.sent().len(), 1, "nothing was sent again");
}

#[tokio::test]
async fn a_text_over_wazzups_limit_goes_in_parts_each_within_it() {
    let rig = start().await;
    let (task, contact) = open_conversation(&rig).await;
    // 6,000 emoji (12,000 UTF-16 units) in lines of 50, well under 10,000 characters: counted
    // as Wazzup counts, it is over the limit.
    let line = "😀🚚".repeat(25);
    let text = vec![line; 120].join("\n");
    assert!(text.encode_utf16().count() > WAZZUP_MAX_TEXT && text.chars().count() < WAZZUP_MAX_TEXT);
    assert_eq!(reply(&rig, task, contact, &text).await.as_deref(), Some("sent"));
    assert!(internal_notes(&rig.h, task).is_empty(), "{:?}", internal_notes(&rig.h, task));

    let parts: Vec<String> = rig.sim.sent().into_iter().map(|m| m.text.expect("a text")).collect();
    assert!(parts.len() >= 2, "split: {} part(s)", parts.len());
    for part in &parts {
        assert!(part.encode_utf16().count() <= WAZZUP_MAX_TEXT, "a part of {} units", part.encode_utf16().count());
    }
    assert_eq!(parts.join("\n"), text, "split at line breaks, nothing lost");
    assert!(send_statuses(&rig.sim).iter().all(|s| *s == 201), "{:?}", send_statuses(&rig.sim));
    // Each part has its own crmMessageId.
    let mut ids: Vec<String> = rig.sim.sent().into_iter().filter_map(|m| m.crm_message_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), parts.len(), "{ids:?}");
}

#[tokio::test]
async fn a_customers_document_is_named_by_its_links_filename() {
    let rig = start().await;
    let name = "Счёт 42 (копия) & co.pdf";
    let pdf: Vec<u8> = (0..80_000u32).map(|i| (i * 19 % 251) as u8).collect();
    let uri = rig.sim.add_media(pdf.clone(), "application/pdf", name);
    assert!(uri.contains("?filename=") && !uri.contains(' '), "the name travels escaped in the link: {uri}");
    let body = hooks::inbound_media(&chat(), &new_id(), DATE_TIME, "document", &uri, None);
    assert_accepted(&rig.h.post_webhook(post(&body)).await);
    rig.h.settle().await;
    rig.h.drain_file_relay(3).await;

    let comments = rig.h.planfix.comments(rig.h.planfix.tasks()[0].id);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].files.len(), 1, "{}", comments[0].description);
    let (file_name, bytes) = rig.h.planfix.file(comments[0].files[0]).expect("the file is in Planfix");
    assert_eq!(file_name, name);
    assert_eq!(bytes, pdf, "bytes equal");
}
