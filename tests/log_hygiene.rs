//! What the bridge writes to its logs, captured through the JSON formatter the Lambdas use,
//! while it handles a whole conversation — signed webhooks, a bad signature, a reply, a failed
//! send, files both ways: no credential ever appears, phone numbers only masked, and no message
//! text (customers' words are personal data and stay out of CloudWatch). Also what the bridge
//! answers and notes: a refused phone number is not repeated in full, and a dead letter's note
//! in Planfix says in plain words what happened, without the raw error text.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bridge_core::config::Settings;
use bridge_core::domain::AccountId;
use e2e_tests::providers::{Driver, Kind, GREEN_HOOK_TOKEN, GREEN_TOKEN, TWILIO_TOKEN};
use e2e_tests::{
    fresh_dynamo_store, meta_sample, text_from_sample, Harness, APP_SECRET, GRAPH_TOKEN, PLANFIX_HOOK_SECRET,
    PLANFIX_TOKEN,
};
use meta_sim::webhook::{media_message, Business, Sender};
use planfix_sim::Failure;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const CUSTOMER: &str = "972987654321";
const SECRET_TEXT: &str = "my card number is 4111 1111 1111 1111";

/// Runs `run` on one thread under the production JSON formatter (the bridge's own crates at
/// debug) and returns what it logged.
fn captured_logs(run: impl std::future::Future<Output = ()>) -> String {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_env_filter(EnvFilter::new(
            "info,shared=debug,bridge_core=debug,bridge_providers=debug,bridge_planfix=debug,file_relay=debug,lambda_adapter=debug",
        ))
        .with_writer(captured.clone())
        .finish();
    // One thread, so the thread-local subscriber sees every task of the run.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    tracing::subscriber::with_default(subscriber, || runtime.block_on(run));
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 10, "the run was logged:\n{logs}");
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    }
    logs
}

fn assert_clean(logs: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!logs.contains(secret), "a credential reached the logs: {secret}");
    }
    assert!(
        !logs.contains(CUSTOMER),
        "an unmasked phone number reached the logs:\n{}",
        logs.lines().filter(|l| l.contains(CUSTOMER)).collect::<Vec<_>>().join("\n")
    );
    // Any fragment of the text ("4111" alone also turns up in random ids and receipt handles).
    for fragment in ["card number", "4111 1111"] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(fragment)).collect();
        assert!(leaks.is_empty(), "message text reached the logs:\n{}", leaks.join("\n"));
    }
    // Presigned and provider media URLs are capabilities too.
    for url_part in ["X-Amz-Signature", "/media-store/", "/media/", "/Media/"] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(url_part)).collect();
        assert!(leaks.is_empty(), "a media URL reached the logs:\n{}", leaks.join("\n"));
    }
    assert!(logs.contains("+972"), "phones appear masked (+972…)");
}

/// The same conversation on Twilio and Green-API: their credentials (Green-API's token is in
/// every API path) and their media URLs never reach the logs either.
#[test]
fn other_providers_logs_hold_no_secret_no_full_phone_and_no_message_text() {
    for kind in [Kind::Twilio, Kind::GreenApi] {
        let logs = captured_logs(async move {
            let driver = Driver::start(kind).await;
            let provider = driver.provider_config();
            let store: Arc<dyn bridge_core::ports::Store> = Arc::new(fresh_dynamo_store().await);
            let h = Harness::custom(Settings::default(), store, move |_, a| a.provider = provider).await;
            let text = driver.text(CUSTOMER, "Test Name", &driver.new_id(), 1_700_000_000, SECRET_TEXT);
            assert_eq!(h.post_webhook(driver.forged(&text)).await.0, 401);
            assert_eq!(h.post_webhook(text).await.0, 200);
            h.settle().await;
            let media = driver.media(
                CUSTOMER,
                &driver.new_id(),
                1_700_000_001,
                vec![7u8; 2048],
                "image/jpeg",
                "p.jpg",
                SECRET_TEXT,
            );
            assert_eq!(h.post_webhook(media).await.0, 200);
            h.settle().await;
            h.drain_file_relay(5).await;
            let task = h.planfix.tasks()[0].clone();
            let contact: i64 = task.assigner.trim_start_matches("contact:").parse().unwrap();
            let c1 = h.planfix.add_employee_comment(task.id, 5, SECRET_TEXT, &[contact]);
            assert_eq!(h.planfix_hook(task.id, c1, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
            let f = h.planfix.add_file("contract.pdf", vec![1u8; 1024]);
            let c2 = h.planfix.add_employee_comment_with_files(task.id, 5, "", &[contact], &[f]);
            assert_eq!(h.planfix_hook(task.id, c2, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
            h.drain_file_relay(5).await;
            driver.make_undeliverable(CUSTOMER);
            let c3 = h.planfix.add_employee_comment(task.id, 5, SECRET_TEXT, &[contact]);
            assert_eq!(h.planfix_hook(task.id, c3, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
            for cb in driver.callbacks(0) {
                assert_eq!(h.post_webhook(cb).await.0, 200);
            }
            h.settle().await;
        });
        assert_clean(&logs, &[TWILIO_TOKEN, GREEN_TOKEN, GREEN_HOOK_TOKEN, PLANFIX_TOKEN, PLANFIX_HOOK_SECRET]);
    }
}

#[test]
fn logs_hold_no_secret_no_full_phone_and_no_message_text() {
    let sample = meta_sample("inbound_text.json");
    let logs = captured_logs(async {
        {
            let h = Harness::start(Settings::default()).await;
            let text = text_from_sample(&sample, "wamid.log1", CUSTOMER, 1_700_000_000, SECRET_TEXT);
            assert_eq!(h.post_meta(&text).await.0, 200);
            // A forged signature (logged as refused).
            let body = text.to_string();
            assert_eq!(h.post_meta_raw("acme", body.as_bytes(), Some("sha256=00")).await.0, 401);
            // A media message and its relay.
            let media_id = h.graph.add_media(vec![7u8; 2048], "image/jpeg");
            let biz = Business {
                phone_number_id: e2e_tests::PHONE_NUMBER_ID.into(),
                display_phone_number: "1".into(),
                waba_id: "1".into(),
            };
            let from = Sender { wa_id: CUSTOMER.into(), profile_name: "Test Name".into() };
            let media = media_message(
                &biz,
                &from,
                "wamid.log2",
                1_700_000_001,
                "image",
                &media_id,
                "image/jpeg",
                Some(SECRET_TEXT),
                None,
                false,
            );
            assert_eq!(h.post_meta(&media).await.0, 200);
            h.drain_file_relay(5).await;
            // A reply, a reply that fails (24-hour window), a file reply, a wrong secret.
            let task = h.planfix.tasks()[0].clone();
            let contact: i64 = task.assigner.trim_start_matches("contact:").parse().unwrap();
            let c1 = h.planfix.add_employee_comment(task.id, 5, SECRET_TEXT, &[contact]);
            assert_eq!(h.planfix_hook(task.id, c1, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
            let f = h.planfix.add_file("contract.pdf", vec![1u8; 1024]);
            let c2 = h.planfix.add_employee_comment_with_files(task.id, 5, "", &[contact], &[f]);
            assert_eq!(h.planfix_hook(task.id, c2, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
            h.drain_file_relay(5).await;
            h.graph.fail_for_recipient(CUSTOMER, 131047, 400);
            let c3 = h.planfix.add_employee_comment(task.id, 5, SECRET_TEXT, &[contact]);
            assert_eq!(h.planfix_hook(task.id, c3, Some(PLANFIX_HOOK_SECRET)).await.0, 200);
            assert_eq!(h.planfix_hook(task.id, c3, Some("wrong")).await.0, 401);
        }
    });
    assert_clean(&logs, &[APP_SECRET, GRAPH_TOKEN, PLANFIX_TOKEN, PLANFIX_HOOK_SECRET]);
}

/// Numbers that are not E.164 (one too long, one with letters, one sent as a JSON number), from
/// every provider that names the customer by number: whether the webhook is refused (400) or
/// only the item (kept as a dead letter), neither the answer nor the logs hold the digits.
#[test]
fn an_invalid_phone_number_is_neither_answered_nor_logged_in_full() {
    let too_long = format!("{CUSTOMER}0000");
    let with_letters = format!("{CUSTOMER}x");
    let logs = captured_logs(async {
        let h = Harness::start(Settings::default()).await;
        let sample = meta_sample("inbound_text.json");
        // A valid message first: the conversation exists, the logs show its number masked.
        assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.ok", CUSTOMER, 1_700_000_000, "hi")).await.0, 200);
        let mut as_number = text_from_sample(&sample, "wamid.num", CUSTOMER, 1_700_000_002, "hi");
        as_number["entry"][0]["changes"][0]["value"]["messages"][0]["from"] = json!(CUSTOMER.parse::<u64>().unwrap());
        for (n, payload) in [
            text_from_sample(&sample, "wamid.long", &too_long, 1_700_000_001, "hi"),
            text_from_sample(&sample, "wamid.letters", &with_letters, 1_700_000_001, "hi"),
            as_number,
        ]
        .iter()
        .enumerate()
        {
            let (status, body) = h.post_meta(payload).await;
            assert!(status == 200 || status == 400, "payload {n}: {status} {body}");
            assert!(!body.to_string().contains(CUSTOMER), "payload {n}: the answer repeats the number: {body}");
        }
        for kind in [Kind::Twilio, Kind::GreenApi] {
            let driver = Driver::start(kind).await;
            let provider = driver.provider_config();
            let store: Arc<dyn bridge_core::ports::Store> = Arc::new(fresh_dynamo_store().await);
            let h = Harness::custom(Settings::default(), store, move |_, a| a.provider = provider).await;
            let (status, body) =
                h.post_webhook(driver.text(&too_long, "Test Name", &driver.new_id(), 1_700_000_000, "hi")).await;
            assert!(status == 200 || status == 400, "{kind:?}: {status} {body}");
            assert!(!body.contains(CUSTOMER), "{kind:?}: the answer repeats the number: {body}");
            h.settle().await;
        }
    });
    assert_clean(&logs, &[APP_SECRET, GRAPH_TOKEN, PLANFIX_TOKEN, TWILIO_TOKEN, GREEN_TOKEN]);
}

/// What an AWS SDK error (or an HTTP error body quoting one) carries: a role ARN, a request id,
/// an endpoint URL with a token.
const RAW_FAILURE: &str = "User: arn:aws:sts::123456789012:assumed-role/bridge-worker/fn is not authorized (RequestId: 4KBNVRGD25RG2ONN9FF3F0JKNVVV4KQNSO5AEMVJF66Q9ASUAAJG) https://dynamodb.eu-central-1.amazonaws.com/?token=s3cr3t";

/// A reply that becomes a dead letter because Planfix refuses the bridge (HTTP 403, with an
/// answer that quotes AWS, as a gateway in front of an API may): the note in the task says so
/// in plain words; the raw reason stays in the dead letter, for the operator. (Under the log
/// capture like every test here: a thread without the subscriber would race the others for
/// tracing's per-callsite interest.)
#[test]
fn a_dead_letter_is_noted_in_plain_words_and_keeps_its_full_reason() {
    let logs = captured_logs(async {
        let h = Harness::start(Settings::default()).await;
        let sample = meta_sample("inbound_text.json");
        let first = text_from_sample(&sample, "wamid.note", CUSTOMER, 1_700_000_000, "hello");
        assert_eq!(h.post_meta(&first).await.0, 200);
        let task = h.planfix.tasks()[0].clone();
        let contact: i64 = task.assigner.trim_start_matches("contact:").parse().unwrap();
        let comment = h.planfix.add_employee_comment(task.id, 5, "answer", &[contact]);
        h.planfix.fail_matching(
            "GET",
            &format!("/comment/{comment}"),
            1,
            Failure::Status { http: 403, body: json!({ "result": "fail", "code": 1, "error": RAW_FAILURE }) },
        );
        let (status, body) = h.planfix_hook(task.id, comment, Some(PLANFIX_HOOK_SECRET)).await;
        assert_eq!((status, body["result"].as_str()), (200, Some("dead_letter")), "{body}");

        let letters = h.store.list_dead_letters(&AccountId::parse("acme").unwrap()).await.unwrap();
        assert_eq!(letters.len(), 1, "{letters:?}");
        assert!(letters[0].error.contains("403") && letters[0].error.contains("arn:aws"), "{}", letters[0].error);
        let notes: Vec<String> =
            h.planfix.comments(task.id).into_iter().map(|c| c.description).filter(|d| d.contains('⚠')).collect();
        assert_eq!(notes.len(), 1, "{notes:?}");
        let expected = format!(
            "Comment #{comment} could not be sent to WhatsApp: Planfix refused the request (HTTP 403: check the bridge's API token permissions)."
        );
        assert!(notes[0].contains(&expected), "{}", notes[0]);
        for raw in ["arn:", "amazonaws", "RequestId", "s3cr3t", "Planfix answered"] {
            assert!(!notes[0].contains(raw), "the note carries raw error text ({raw}): {}", notes[0]);
        }
    });
    assert_clean(&logs, &[APP_SECRET, GRAPH_TOKEN, PLANFIX_TOKEN, PLANFIX_HOOK_SECRET]);
}
