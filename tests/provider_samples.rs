//! Every real sample payload in the reference folder
//! (`providers/{meta,twilio,green-api,360dialog,wazzup}/`), through its adapter's
//! `ProviderWebhook::verify` (signed or carrying the token as the provider does) and `parse`,
//! with exact assertions on the normalized events. No AWS: the adapters are called directly;
//! the samples that are API bodies rather than webhooks (360dialog's and Wazzup's answers and
//! requests) go through the adapter's client against its simulator on loopback, which answers
//! with the sample's exact bytes.
//!
//! Each provider has one table of `(sample file, check)`; one test per provider runs every check
//! of its table (naming each failing file), and `every_sample_file_is_covered` fails when a
//! provider folder holds a file no table names, so a new sample cannot be forgotten.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use bridge_core::config::{
    Dialog360Config, GreenApiConfig, GreenApiFileSend, MetaConfig, Secret, TwilioConfig, WazzupConfig,
};
use bridge_core::domain::Phone;
use bridge_core::domain::{
    DeliveryFailure, DeliveryState, FailureKind, InboundEvent, InboundMessage, MediaRef, MessageContent, Origin,
    StatusUpdate,
};
use bridge_core::ports::{
    Parsed, ProviderMedia, ProviderSender, ProviderWebhook, SendFailure, WebhookError, WebhookRequest, WebhookRoute,
};
use bridge_providers::dialog360::{Dialog360Client, Dialog360Webhook, SECRET_HEADER};
use bridge_providers::green_api::GreenApiWebhook;
use bridge_providers::meta::MetaWebhook;
use bridge_providers::twilio::TwilioWebhook;
use bridge_providers::wazzup::{WazzupClient, WazzupWebhook};
use e2e_tests::{reference_dir, APP_SECRET, PHONE_NUMBER_ID, PUBLIC_URL, VERIFY_TOKEN};
use futures_util::TryStreamExt;
use http::{HeaderMap, HeaderValue};
use serde_json::Value;

const TWILIO_TOKEN: &str = "sample-twilio-auth-token";
const GREEN_HOOK_TOKEN: &str = "sample-green-webhook-token";
const D360_HOOK_SECRET: &str = "sample-360dialog-webhook-secret";
const D360_KEY: &str = "sample-360dialog-api-key";
/// The samples' business number (`360dialog/README.md`).
const D360_NUMBER_ID: &str = "100000000000002";
const WAZZUP_CRM_KEY: &str = "sample-wazzup-crm-key";
const WAZZUP_KEY: &str = "sample-wazzup-api-key";
/// The samples' channel (`wazzup/README.md`).
const WAZZUP_CHANNEL: &str = "00000000-0000-4000-8000-000000000001";

type Check = fn(&str);

// ---------------------------------------------------------------------------------------------
// Plumbing

fn sample_path(folder: &str, file: &str) -> PathBuf {
    reference_dir().join("providers").join(folder).join(file)
}

fn sample_bytes(folder: &str, file: &str) -> Vec<u8> {
    let path = sample_path(folder, file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).expect("header value"));
    }
    map
}

fn request<'a>(
    route: WebhookRoute,
    public_url: Option<&'a str>,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest { route, public_url, headers, body }
}

/// The one message of a webhook that carries exactly one and ignores nothing.
fn one_message(file: &str, parsed: Parsed) -> InboundMessage {
    assert!(parsed.ignored.is_empty(), "{file}: nothing ignored: {:?}", parsed.ignored);
    match <[InboundEvent; 1]>::try_from(parsed.events) {
        Ok([InboundEvent::Message(m)]) => m,
        other => panic!("{file}: one message expected, got {other:?}"),
    }
}

fn one_status(file: &str, parsed: Parsed) -> StatusUpdate {
    assert!(parsed.ignored.is_empty(), "{file}: nothing ignored: {:?}", parsed.ignored);
    match <[InboundEvent; 1]>::try_from(parsed.events) {
        Ok([InboundEvent::Status(s)]) => s,
        other => panic!("{file}: one status expected, got {other:?}"),
    }
}

fn media(
    kind: &str,
    reference: MediaRef,
    mime: Option<&str>,
    caption: Option<&str>,
    filename: Option<&str>,
) -> MessageContent {
    MessageContent::Media {
        media_kind: kind.to_owned(),
        media: reference,
        mime_type: mime.map(str::to_owned),
        caption: caption.map(str::to_owned),
        filename: filename.map(str::to_owned),
    }
}

fn text(body: &str) -> MessageContent {
    MessageContent::Text { body: body.to_owned() }
}

fn sample_json(folder: &str, file: &str) -> Value {
    serde_json::from_slice(&sample_bytes(folder, file)).unwrap_or_else(|e| panic!("{folder}/{file} is JSON: {e}"))
}

/// Runs a loopback check (a simulator and an adapter client) to completion.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime").block_on(future)
}

/// Runs every check of a table, then fails naming each sample whose check failed.
fn run_table(provider: &str, table: &[(&str, Check)]) {
    let failed: Vec<String> = table
        .iter()
        .filter_map(|(file, check)| {
            catch_unwind(AssertUnwindSafe(|| check(file))).err().map(|panic| {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                format!("{provider}/{file}: {why}")
            })
        })
        .collect();
    assert!(failed.is_empty(), "samples that do not parse as expected:\n{}", failed.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Meta: signed with the app secret over the raw file bytes.

fn meta_webhook() -> MetaWebhook {
    MetaWebhook::new(&MetaConfig {
        app_secret: Secret::new(APP_SECRET),
        verify_token: Secret::new(VERIFY_TOKEN),
        access_token: Secret::new("unused"),
        phone_number_id: PHONE_NUMBER_ID.into(),
        graph_base_url: "https://graph.invalid".into(),
        graph_api_version: "v21.0".into(),
    })
}

/// Verifies the sample as Meta signs it (and that one changed byte breaks the signature), then
/// parses it.
fn meta_parse(file: &str) -> Parsed {
    let body = sample_bytes("meta", file);
    let webhook = meta_webhook();
    let signature = meta_sim::webhook::sign(APP_SECRET.as_bytes(), &body);
    let signed = headers(&[("x-hub-signature-256", &signature)]);
    let req = request(WebhookRoute::Main, None, &signed, &body);
    webhook.verify(&req).unwrap_or_else(|e| panic!("{file}: the signed sample verifies: {e}"));
    let mut tampered = body.clone();
    let last = tampered.iter().rposition(|b| !b.is_ascii_whitespace()).expect("non-empty");
    tampered.insert(last, b' ');
    let req_tampered = request(WebhookRoute::Main, None, &signed, &tampered);
    assert!(
        matches!(webhook.verify(&req_tampered), Err(WebhookError::Unauthorized(_))),
        "{file}: a changed body no longer verifies"
    );
    webhook.parse(&req).unwrap_or_else(|e| panic!("{file}: parses: {e}"))
}

/// Every Meta message sample comes from the same sender.
fn meta_message(file: &str, timestamp: i64, content: MessageContent) {
    let m = one_message(file, meta_parse(file));
    assert_eq!(m.id, "wamid.xyzxyz", "{file}");
    assert_eq!(m.from.digits(), "972987654321", "{file}");
    assert_eq!(m.profile_name.as_deref(), Some("Test Name"), "{file}");
    assert_eq!(m.timestamp, timestamp, "{file}");
    assert_eq!(m.origin, Origin::Customer, "{file}");
    assert_eq!(m.content, content, "{file}");
}

fn meta_status(file: &str, status: DeliveryState, timestamp: i64, failure: Option<DeliveryFailure>) {
    let s = one_status(file, meta_parse(file));
    assert_eq!(s.message_id, "wamid.xyzxyz", "{file}");
    assert_eq!(s.status, status, "{file}");
    assert_eq!(s.recipient.as_ref().map(|p| p.digits()), Some("972987654321"), "{file}");
    assert_eq!(s.timestamp, timestamp, "{file}");
    assert_eq!(s.failure, failure, "{file}");
}

fn meta_inbound_text(file: &str) {
    meta_message(file, 1_697_043_223, text("Body Text"));
}

fn meta_inbound_text_reply_context(file: &str) {
    // The quoted message (`context`) is not carried; the reply reads as its own text.
    meta_message(file, 1_697_044_746, text("replied text"));
}

fn meta_inbound_image(file: &str) {
    meta_message(file, 1_697_043_379, media("image", MediaRef::Id("65463453".into()), Some("image/jpeg"), None, None));
}

fn meta_inbound_image_with_url(file: &str) {
    // The lookaside `url` needs the bearer token and expires: the media id stays the reference.
    meta_message(file, 1_697_043_379, media("image", MediaRef::Id("65463453".into()), Some("image/jpeg"), None, None));
}

fn meta_inbound_video_caption_forwarded(file: &str) {
    let content = media("video", MediaRef::Id("765756756".into()), Some("video/mp4"), Some("caption"), None);
    meta_message(file, 1_697_044_362, content);
}

fn meta_inbound_document(file: &str) {
    let content = media(
        "document",
        MediaRef::Id("1234567890987654321".into()),
        Some("application/pdf"),
        Some("caption"),
        Some("filename.pdf"),
    );
    meta_message(file, 1_697_043_666, content);
}

fn meta_inbound_audio(file: &str) {
    let content =
        media("audio", MediaRef::Id("1234567890987654321".into()), Some("audio/ogg; codecs=opus"), None, None);
    meta_message(file, 1_697_043_509, content);
}

fn meta_inbound_voice(file: &str) {
    let content =
        media("voice", MediaRef::Id("1234567890987654321".into()), Some("audio/ogg; codecs=opus"), None, None);
    meta_message(file, 1_697_043_473, content);
}

fn meta_inbound_sticker(file: &str) {
    let content = media("sticker", MediaRef::Id("1234567890987654321".into()), Some("image/webp"), None, None);
    meta_message(file, 1_697_043_760, content);
}

fn meta_inbound_reaction(file: &str) {
    let content = MessageContent::Reaction { to_message_id: "wamid.yzxyzx=".into(), emoji: "😮".into() };
    meta_message(file, 1_697_044_456, content);
}

fn meta_inbound_location(file: &str) {
    let place = MessageContent::Location { latitude: 12.25089, longitude: 43.90539, name: None, address: None };
    // The sample carries `context.forwarded: true`.
    let content = MessageContent::Forwarded { frequently: false, content: Box::new(place) };
    meta_message(file, 1_697_044_557, content);
}

fn meta_inbound_unsupported(file: &str) {
    // What WhatsApp does not pass on (errors[] 131051); this older sample names no `unsupported.type`.
    meta_message(file, 1_697_044_706, MessageContent::Withheld { kind: None });
}

fn meta_status_sent(file: &str) {
    meta_status(file, DeliveryState::Sent, 1_698_266_945, None);
}

fn meta_status_delivered(file: &str) {
    meta_status(file, DeliveryState::Delivered, 1_698_266_945, None);
}

fn meta_status_read(file: &str) {
    meta_status(file, DeliveryState::Read, 1_689_380_458, None);
}

fn meta_status_failed(file: &str) {
    let failure = DeliveryFailure {
        kind: FailureKind::Other,
        code: Some("130472".into()),
        detail: "User's number is part of an experiment".into(),
    };
    meta_status(file, DeliveryState::Failed, 1_689_380_458, Some(failure));
}

const META: &[(&str, Check)] = &[
    ("inbound_text.json", meta_inbound_text),
    ("inbound_text_reply_context.json", meta_inbound_text_reply_context),
    ("inbound_image.json", meta_inbound_image),
    ("inbound_image_with_url.json", meta_inbound_image_with_url),
    ("inbound_video_caption_forwarded.json", meta_inbound_video_caption_forwarded),
    ("inbound_document.json", meta_inbound_document),
    ("inbound_audio.json", meta_inbound_audio),
    ("inbound_voice.json", meta_inbound_voice),
    ("inbound_sticker.json", meta_inbound_sticker),
    ("inbound_reaction.json", meta_inbound_reaction),
    ("inbound_location.json", meta_inbound_location),
    ("inbound_unsupported.json", meta_inbound_unsupported),
    ("status_sent.json", meta_status_sent),
    ("status_delivered.json", meta_status_delivered),
    ("status_read.json", meta_status_read),
    ("status_failed.json", meta_status_failed),
];

#[test]
fn meta_samples_verify_and_parse_to_the_expected_events() {
    run_table("meta", META);
}

// ---------------------------------------------------------------------------------------------
// Twilio: form bodies signed over the URL Twilio called, which the bridge rebuilds from its
// public URL; the account is the sample's own `AccountSid`.

fn twilio_webhook(account_sid: &str, auth_token: &str) -> TwilioWebhook {
    TwilioWebhook::new(&TwilioConfig {
        account_sid: account_sid.into(),
        auth_token: Secret::new(auth_token),
        whatsapp_from: "+14123456789".into(),
        api_base_url: "https://api.twilio.com".into(),
        media_auth: true,
    })
}

fn twilio_url(route: WebhookRoute) -> String {
    match route {
        WebhookRoute::Main => format!("{PUBLIC_URL}/webhooks/twilio/acme"),
        WebhookRoute::Status => format!("{PUBLIC_URL}/webhooks/twilio/acme/status"),
    }
}

/// Verifies the raw sample bytes as Twilio signs them for `route`'s URL (and not for another
/// URL), then parses them; also returns the Unix time window of the parse (Twilio's bodies carry
/// no time, so the adapter stamps the arrival).
fn twilio_parse(file: &str, route: WebhookRoute) -> (Parsed, std::ops::RangeInclusive<i64>) {
    let body = sample_bytes("twilio", file);
    let params = twilio_sim::webhook::parse(std::str::from_utf8(&body).expect("form bodies are ASCII"));
    let account = twilio_sim::webhook::param(&params, "AccountSid").expect("every sample names its account");
    let webhook = twilio_webhook(account, TWILIO_TOKEN);
    let url = twilio_url(route);
    let signature = twilio_sim::webhook::sign(TWILIO_TOKEN, &url, &params);
    let signed = headers(&[("x-twilio-signature", &signature)]);
    let req = request(route, Some(&url), &signed, &body);
    webhook.verify(&req).unwrap_or_else(|e| panic!("{file}: the signed sample verifies: {e}"));
    let other_url = format!("{url}/other");
    let elsewhere = request(route, Some(&other_url), &signed, &body);
    assert!(
        matches!(webhook.verify(&elsewhere), Err(WebhookError::Unauthorized(_))),
        "{file}: the signature binds the URL"
    );
    let before = bridge_core::domain::unix_now();
    let parsed = webhook.parse(&req).unwrap_or_else(|e| panic!("{file}: parses: {e}"));
    (parsed, before..=bridge_core::domain::unix_now())
}

struct TwilioMessage<'a> {
    id: &'a str,
    from: &'a str,
    profile_name: Option<&'a str>,
    content: MessageContent,
}

fn twilio_message(file: &str, expected: TwilioMessage<'_>) {
    let (parsed, window) = twilio_parse(file, WebhookRoute::Main);
    let m = one_message(file, parsed);
    assert_eq!(m.id, expected.id, "{file}");
    assert_eq!(m.from.digits(), expected.from, "{file}");
    assert_eq!(m.profile_name.as_deref(), expected.profile_name, "{file}");
    assert!(window.contains(&m.timestamp), "{file}: stamped on arrival: {} not in {window:?}", m.timestamp);
    assert_eq!(m.origin, Origin::Customer, "{file}");
    assert_eq!(m.content, expected.content, "{file}");
}

/// Status samples parse the same on the status route (where the bridge's sends point them) and
/// on the main route (a sender configured with one URL for both).
fn twilio_status(file: &str, id: &str, status: DeliveryState) {
    for route in [WebhookRoute::Status, WebhookRoute::Main] {
        let (parsed, window) = twilio_parse(file, route);
        let s = one_status(file, parsed);
        assert_eq!(s.message_id, id, "{file} on {route:?}");
        assert_eq!(s.status, status, "{file} on {route:?}");
        assert_eq!(s.recipient.as_ref().map(|p| p.digits()), Some("31612345678"), "{file} on {route:?}");
        assert!(window.contains(&s.timestamp), "{file} on {route:?}: stamped on arrival");
        assert_eq!(s.failure, None, "{file} on {route:?}");
    }
}

fn twilio_inbound_text(file: &str) {
    let expected = TwilioMessage {
        id: "SM892512e202b34d4109b10a3893fa9640",
        from: "31612345678",
        profile_name: None,
        content: text("test"),
    };
    twilio_message(file, expected);
}

fn twilio_inbound_text_with_profilename_waid(file: &str) {
    let expected = TwilioMessage {
        id: "SM45e9b726c0314a5524c3f3cb4ZZZZZ",
        from: "919900000000",
        profile_name: Some("Ranjit Sankar"),
        content: text("hey"),
    };
    twilio_message(file, expected);
}

fn twilio_inbound_image(file: &str) {
    let url = "https://api.twilio.com/2010-04-01/Accounts/AC1a03647d811fab342c0ad608e382fab2/Messages/\
               MM21151abfaadc1fb79b782f8460862a52/Media/ME5f0afa2336bd0f73ca553fb5a2e3150bc";
    let expected = TwilioMessage {
        id: "MM21151abfaadc1fb79b782f8460862a52",
        from: "31612345678",
        profile_name: None,
        // Empty `Body`: no caption; Twilio has no file-name field.
        content: media("image", MediaRef::Url(url.into()), Some("image/jpeg"), None, None),
    };
    twilio_message(file, expected);
}

fn twilio_inbound_location(file: &str) {
    let expected = TwilioMessage {
        id: "SM9c871cd9649aa3829298e153ae6a8123",
        from: "31612345678",
        profile_name: None,
        content: MessageContent::Location {
            latitude: 52.303897857666016,
            longitude: 4.750025749206543,
            name: Some("Microsoft".into()),
            address: Some("Evert van de Beekstraat 354, Schiphol, North Holland 1118 CZ".into()),
        },
    };
    twilio_message(file, expected);
}

fn twilio_status_sent(file: &str) {
    twilio_status(file, "SM0cec4ed334e74bcbb64eb8b6684e9654", DeliveryState::Sent);
}

fn twilio_status_delivered(file: &str) {
    twilio_status(file, "SMdf55df64a2ff4920bb0748193cfbb640", DeliveryState::Delivered);
}

/// Twilio's published vector: its params form-encoded as the body, its URL as the public URL.
fn twilio_signature_vector(file: &str) {
    let vector: Value = serde_json::from_slice(&sample_bytes("twilio", file)).expect("the vector is JSON");
    let token = vector["auth_token"].as_str().expect("auth_token");
    let url = vector["url"].as_str().expect("url");
    let expected = vector["expected_x_twilio_signature"].as_str().expect("expected_x_twilio_signature");
    let params: Vec<(String, String)> = vector["params"]
        .as_object()
        .expect("params")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string params").to_owned()))
        .collect();
    assert_eq!(bridge_providers::twilio::signature(token, url, &params), expected, "{file}: the adapter's signature");
    assert_eq!(twilio_sim::webhook::sign(token, url, &params), expected, "{file}: the simulator's signature");
    // The vector's params name no AccountSid; the account does not matter to verification.
    let webhook = twilio_webhook("AC00000000000000000000000000000000", token);
    let signed = headers(&[("x-twilio-signature", expected)]);
    let verify = |url: &str, params: &[(String, String)]| {
        let body = twilio_sim::webhook::encode(params).into_bytes();
        webhook.verify(&request(WebhookRoute::Main, Some(url), &signed, &body))
    };
    assert_eq!(verify(url, &params), Ok(()), "{file}: the vector verifies");
    let mut reordered = params.clone();
    reordered.reverse();
    assert_eq!(verify(url, &reordered), Ok(()), "{file}: the order of the body does not matter");
    for (index, (name, _)) in params.iter().enumerate() {
        let mut changed = params.clone();
        changed[index].1.push('0');
        assert!(
            matches!(verify(url, &changed), Err(WebhookError::Unauthorized(_))),
            "{file}: a changed {name} does not verify"
        );
    }
    let mut extra = params.clone();
    extra.push(("SomeNewParam".into(), "1".into()));
    assert!(matches!(verify(url, &extra), Err(WebhookError::Unauthorized(_))), "{file}: an added param counts");
    for other in [
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/myapp.php?foo=1",
        "https://mycompany.com/myapp.php",
        "http://mycompany.com/myapp.php?foo=1&bar=2",
        "https://other.example.com/myapp.php?foo=1&bar=2",
    ] {
        assert!(
            matches!(verify(other, &params), Err(WebhookError::Unauthorized(_))),
            "{file}: the URL {other} does not verify"
        );
    }
    let wrong_token = twilio_webhook("AC00000000000000000000000000000000", "12346");
    let body = twilio_sim::webhook::encode(&params).into_bytes();
    assert!(wrong_token.verify(&request(WebhookRoute::Main, Some(url), &signed, &body)).is_err(), "{file}: token");
}

const TWILIO: &[(&str, Check)] = &[
    ("inbound_text.form", twilio_inbound_text),
    ("inbound_text_with_profilename_waid.form", twilio_inbound_text_with_profilename_waid),
    ("inbound_image.form", twilio_inbound_image),
    ("inbound_location.form", twilio_inbound_location),
    ("status_sent.form", twilio_status_sent),
    ("status_delivered.form", twilio_status_delivered),
    ("signature_vector.json", twilio_signature_vector),
];

#[test]
fn twilio_samples_verify_and_parse_to_the_expected_events() {
    run_table("twilio", TWILIO);
}

// ---------------------------------------------------------------------------------------------
// Green-API: the webhook token in `Authorization`; the instance is the sample's own
// `instanceData.idInstance` (the samples come from several instances).

fn green_webhook(id_instance: i64) -> GreenApiWebhook {
    GreenApiWebhook::new(&GreenApiConfig {
        id_instance,
        api_token_instance: Secret::new("unused"),
        api_url: "https://api.green-api.invalid".into(),
        media_url: None,
        webhook_url_token: Some(Secret::new(GREEN_HOOK_TOKEN)),
        allow_unauthenticated_webhooks: false,
        file_send: GreenApiFileSend::Url,
    })
}

/// Verifies the sample with the token (and refuses it without or with another), checks that
/// another instance's account refuses it, then parses it.
fn green_parse(file: &str) -> Parsed {
    let body = sample_bytes("green-api", file);
    let json: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{file} is JSON: {e}"));
    let instance = json["instanceData"]["idInstance"].as_i64().expect("every sample names its instance");
    let webhook = green_webhook(instance);
    let bearer = format!("Bearer {GREEN_HOOK_TOKEN}");
    let authorized = headers(&[("authorization", &bearer)]);
    let req = request(WebhookRoute::Main, None, &authorized, &body);
    webhook.verify(&req).unwrap_or_else(|e| panic!("{file}: verifies with the token: {e}"));
    let none = HeaderMap::new();
    let wrong = headers(&[("authorization", "Bearer not-the-token")]);
    for refused in [&none, &wrong] {
        let req = request(WebhookRoute::Main, None, refused, &body);
        assert!(
            matches!(webhook.verify(&req), Err(WebhookError::Unauthorized(_))),
            "{file}: refused without the token"
        );
    }
    assert!(
        matches!(green_webhook(instance + 1).parse(&req), Err(WebhookError::Forbidden(_))),
        "{file}: another instance's account refuses it"
    );
    webhook.parse(&req).unwrap_or_else(|e| panic!("{file}: parses: {e}"))
}

struct GreenMessage<'a> {
    id: &'a str,
    from: &'a str,
    profile_name: &'a str,
    timestamp: i64,
    origin: Origin,
    content: MessageContent,
}

fn green_message(file: &str, expected: GreenMessage<'_>) {
    let m = one_message(file, green_parse(file));
    assert_eq!(m.id, expected.id, "{file}");
    assert_eq!(m.from.digits(), expected.from, "{file}");
    assert_eq!(m.profile_name.as_deref(), Some(expected.profile_name), "{file}");
    assert_eq!(m.timestamp, expected.timestamp, "{file}");
    assert_eq!(m.origin, expected.origin, "{file}");
    assert_eq!(m.content, expected.content, "{file}");
}

fn green_inbound_text(file: &str) {
    green_message(
        file,
        GreenMessage {
            id: "F7AEC1B7086ECDC7E6E45923F5EDB825",
            from: "79001234568",
            profile_name: "GREEN-API",
            timestamp: 1_588_091_580,
            origin: Origin::Customer,
            content: text("I use GREEN-API to send this message to you!"),
        },
    );
}

fn green_inbound_quoted_text_forwarded(file: &str) {
    green_message(
        file,
        GreenMessage {
            id: "F7AEC1B7086ECDC7E6E45923F5EDB825",
            from: "79001234568",
            profile_name: "Green API",
            timestamp: 1_588_091_580,
            origin: Origin::Customer,
            // `isForwarded: true`, `forwardingScore: 4`: forwarded, not yet "many times".
            content: MessageContent::Forwarded {
                frequently: false,
                content: Box::new(text(
                    "https://yandex.ru/pogoda/?utm_medium=source=home&utm_content=main_informer&utm_term=main_number",
                )),
            },
        },
    );
}

fn green_inbound_document_audio_mime(file: &str) {
    let url = "https://sw-media-1101.storage.yandexcloud.net/1101000001/f3f4a306-b6a1-4a2a-bb29-a15b06752118.mp3";
    green_message(
        file,
        GreenMessage {
            id: "02392146E5104CE93C",
            from: "71234567890",
            profile_name: "Green API",
            timestamp: 1_705_473_041,
            origin: Origin::Customer,
            // An MP3 sent as a document stays a document; the empty caption is no caption.
            content: media("document", MediaRef::Url(url.into()), Some("audio/mpeg"), None, Some("sample-6s.mp3")),
        },
    );
}

fn green_outgoing_phone_image(file: &str) {
    let url = "https://sw-media-1101.storage.yandexcloud.net/1101000001/15697d2c-397c-4fd0-8e1a-8be95f753aae.jpg";
    green_message(
        file,
        GreenMessage {
            id: "B8C959F41DDF44C312053B420A16C217",
            // The conversation's customer (chatId), not the business account that wrote it.
            from: "71231234567",
            // The chat's name (the customer's), not the business's senderName.
            profile_name: "Green API user",
            timestamp: 1_705_466_692,
            origin: Origin::BusinessPhone,
            content: media(
                "image",
                MediaRef::Url(url.into()),
                Some("image/jpeg"),
                None,
                Some("15697d2c-397c-4fd0-8e1a-8be95f753aae.jpg"),
            ),
        },
    );
}

fn green_outgoing_api_video(file: &str) {
    let parsed = green_parse(file);
    assert!(parsed.events.is_empty(), "{file}: the echo of the bridge's own send is no event: {:?}", parsed.events);
    assert_eq!(parsed.ignored.len(), 1, "{file}: {:?}", parsed.ignored);
}

fn green_status_no_account(file: &str) {
    let s = one_status(file, green_parse(file));
    assert_eq!(s.message_id, "3EB0608D6A2901063D63", "{file}");
    assert_eq!(s.status, DeliveryState::Failed, "{file}");
    // This older body has no chatId.
    assert_eq!(s.recipient, None, "{file}");
    assert_eq!(s.timestamp, 1_586_700_802, "{file}");
    let failure = s.failure.unwrap_or_else(|| panic!("{file}: a failure"));
    assert_eq!(failure.kind, FailureKind::InvalidRecipient, "{file}");
    assert_eq!(failure.code.as_deref(), Some("noAccount"), "{file}");
    assert!(!failure.detail.is_empty(), "{file}: the note has words for it");
}

const GREEN_API: &[(&str, Check)] = &[
    ("inbound_text.json", green_inbound_text),
    ("inbound_quoted_text_forwarded.json", green_inbound_quoted_text_forwarded),
    ("inbound_document_audio_mime.json", green_inbound_document_audio_mime),
    ("outgoing_phone_image.json", green_outgoing_phone_image),
    ("outgoing_api_video.json", green_outgoing_api_video),
    ("status_noAccount.json", green_status_no_account),
];

#[test]
fn green_api_samples_verify_and_parse_to_the_expected_events() {
    run_table("green-api", GREEN_API);
}

/// The Green-API token may come bare (the exact form is unconfirmed, NOTES 5.2).
#[test]
fn green_api_accepts_the_bare_token_too() {
    let body = sample_bytes("green-api", "inbound_text.json");
    let bare = headers(&[("authorization", GREEN_HOOK_TOKEN)]);
    assert_eq!(green_webhook(1234).verify(&request(WebhookRoute::Main, None, &bare, &body)), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// 360dialog: Meta's Cloud API payloads, unsigned, authenticated by the secret header registered
// with the webhook URL; a wrong or missing secret answers exactly like an unknown account. The
// number is the samples' `metadata.phone_number_id`.

fn d360_config(phone_number_id: &str, secret: &str, api_base_url: &str) -> Dialog360Config {
    Dialog360Config {
        api_key: Secret::new(D360_KEY),
        phone_number_id: phone_number_id.into(),
        webhook_secret: Secret::new(secret),
        api_base_url: api_base_url.into(),
    }
}

fn d360_webhook(phone_number_id: &str) -> Dialog360Webhook {
    Dialog360Webhook::new(&d360_config(phone_number_id, D360_HOOK_SECRET, "https://waba-v2.360dialog.invalid"))
}

/// Verifies the sample with the secret header (and refuses it, as an unknown account, without
/// the header, with another value, or signed the way Meta signs), checks that another number's
/// account refuses it, then parses it.
fn d360_parse(file: &str) -> Parsed {
    let body = sample_bytes("360dialog", file);
    let webhook = d360_webhook(D360_NUMBER_ID);
    let with_secret = headers(&[(SECRET_HEADER, D360_HOOK_SECRET)]);
    let req = request(WebhookRoute::Main, None, &with_secret, &body);
    webhook.verify(&req).unwrap_or_else(|e| panic!("{file}: verifies with the secret header: {e}"));
    let none = HeaderMap::new();
    let wrong = headers(&[(SECRET_HEADER, "not-the-secret")]);
    let signature = meta_sim::webhook::sign(D360_HOOK_SECRET.as_bytes(), &body);
    let meta_signed = headers(&[("x-hub-signature-256", &signature)]);
    for refused in [&none, &wrong, &meta_signed] {
        let req = request(WebhookRoute::Main, None, refused, &body);
        assert_eq!(webhook.verify(&req), Err(WebhookError::UnknownAccount), "{file}: refused as an unknown account");
    }
    assert!(
        matches!(d360_webhook("100000000000099").parse(&req), Err(WebhookError::Forbidden(_))),
        "{file}: another number's account refuses it"
    );
    webhook.parse(&req).unwrap_or_else(|e| panic!("{file}: parses: {e}"))
}

/// Every 360dialog webhook sample comes from the same customer, named by the docs' placeholder.
fn d360_message(file: &str, id: &str, timestamp: i64, content: MessageContent) {
    let m = one_message(file, d360_parse(file));
    assert_eq!(m.id, id, "{file}");
    assert_eq!(m.from.digits(), "79000000001", "{file}");
    assert_eq!(m.profile_name.as_deref(), Some("NAME"), "{file}");
    assert_eq!(m.timestamp, timestamp, "{file}");
    assert_eq!(m.origin, Origin::Customer, "{file}");
    assert_eq!(m.content, content, "{file}");
}

fn d360_status(file: &str, id: &str, status: DeliveryState, timestamp: i64, failure: Option<DeliveryFailure>) {
    let s = one_status(file, d360_parse(file));
    assert_eq!(s.message_id, id, "{file}");
    assert_eq!(s.status, status, "{file}");
    assert_eq!(s.recipient.as_ref().map(|p| p.digits()), Some("79000000001"), "{file}");
    assert_eq!(s.timestamp, timestamp, "{file}");
    assert_eq!(s.failure, failure, "{file}");
}

fn d360_inbound_text(file: &str) {
    d360_message(file, "wamid.FAKE00000000000000000000000001", 1_700_000_000, text("MESSAGE_BODY"));
}

fn d360_inbound_image(file: &str) {
    let content = media("image", MediaRef::Id("100000000000010".into()), Some("image/jpeg"), Some("CAPTION"), None);
    d360_message(file, "wamid.FAKE00000000000000000000000002", 1_700_000_060, content);
}

fn d360_status_delivered(file: &str) {
    d360_status(file, "wamid.FAKE00000000000000000000000101", DeliveryState::Delivered, 1_700_000_120, None);
}

fn d360_status_failed(file: &str) {
    let failure = DeliveryFailure {
        kind: FailureKind::Other,
        code: Some("131014".into()),
        detail: "Request for url https://URL.jpg failed with error: 404 (Not Found)".into(),
    };
    d360_status(file, "wamid.FAKE00000000000000000000000102", DeliveryState::Failed, 1_700_000_180, Some(failure));
}

/// A 360dialog client for the samples' number on a fresh simulator.
async fn d360_client() -> (dialog360_sim::Dialog360Sim, Dialog360Client) {
    let sim = dialog360_sim::Dialog360Sim::new(dialog360_sim::Dialog360SimConfig {
        api_key: D360_KEY.into(),
        phone_number_id: D360_NUMBER_ID.into(),
    });
    let base = sim.serve(None).await.expect("360dialog sim starts");
    let client = Dialog360Client::new(reqwest::Client::new(), &d360_config(D360_NUMBER_ID, D360_HOOK_SECRET, &base));
    (sim, client)
}

/// (method, path, status) of every request the simulator got.
fn d360_requests(sim: &dialog360_sim::Dialog360Sim) -> Vec<(String, String, u16)> {
    sim.requests().into_iter().map(|r| (r.method, r.path, r.status)).collect()
}

/// An API answer, not a webhook: 360dialog's own error body (no Meta `error` envelope) for its
/// throttling. Answered to a send, the client must read it as "retry later", not as a refusal.
fn d360_error_response(file: &str) {
    let body = String::from_utf8(sample_bytes("360dialog", file)).expect("UTF-8");
    let json = sample_json("360dialog", file);
    assert_eq!(json["meta"]["http_code"], 400, "{file}");
    block_on(async {
        let (sim, client) = d360_client().await;
        sim.fail_next(1, dialog360_sim::Dialog360Failure::Error { http: 400, body });
        let to = Phone::parse("79000000001").expect("phone");
        let err = client.send_text(&to, "hi", "ref-1", None).await.expect_err("the sample's answer refuses the send");
        assert!(matches!(err, SendFailure::Transient { .. }), "{file}: throttling is retried later: {err:?}");
        assert!(err.retry().is_retryable(), "{file}");
        assert!(sim.sent().is_empty(), "{file}");
        client
            .send_text(&to, "hi", "ref-1", None)
            .await
            .unwrap_or_else(|e| panic!("{file}: the retry goes through: {e}"));
        assert_eq!(sim.sent().len(), 1, "{file}");
    });
}

/// An API answer, not a webhook: `GET /{media-id}`. The client takes the type and size from it
/// and fetches the lookaside URL's path and query from 360dialog's host with the key (the
/// simulator answers nothing without `D360-API-KEY`, and the lookaside host is never asked).
fn d360_media_retrieve_response(file: &str) {
    let body = String::from_utf8(sample_bytes("360dialog", file)).expect("UTF-8");
    let json = sample_json("360dialog", file);
    let media_id = json["id"].as_str().expect("id").to_owned();
    let url = json["url"].as_str().expect("url");
    assert!(url.starts_with("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid="), "{file}: {url}");
    block_on(async {
        let (sim, client) = d360_client().await;
        sim.fail_next(1, dialog360_sim::Dialog360Failure::Error { http: 200, body });
        sim.fail_next(1, dialog360_sim::Dialog360Failure::Error { http: 200, body: "the file's bytes".into() });
        let download = client
            .download(&MediaRef::Id(media_id.clone()))
            .await
            .unwrap_or_else(|e| panic!("{file}: the download goes through: {e}"));
        assert_eq!(download.mime_type.as_deref(), Some("image/jpeg"), "{file}: the answer's mime_type");
        assert_eq!(download.size, Some(12_345), "{file}: the answer's file_size");
        let bytes = download
            .body
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .expect("the body streams");
        assert_eq!(bytes, b"the file's bytes", "{file}");
        let expected = [("GET", format!("/{media_id}"), 200), ("GET", "/whatsapp_business/attachments/".into(), 200)]
            .map(|(m, p, s)| (m.to_owned(), p, s));
        assert_eq!(d360_requests(&sim), expected, "{file}: both on 360dialog's host, with the key");
    });
}

/// A request body, not a webhook: `POST /v1/configs/webhook`. The custom header it registers is
/// the one the adapter checks, without the `_` 360dialog refuses (D8), and a webhook carrying it
/// verifies when the account's secret is its value.
fn d360_webhook_config_request(file: &str) {
    let json = sample_json("360dialog", file);
    let registered: Vec<(&String, &Value)> = json["headers"].as_object().expect("headers").iter().collect();
    let [(name, value)] = registered[..] else { panic!("{file}: one header: {registered:?}") };
    let value = value.as_str().expect("a string value");
    assert!(name.eq_ignore_ascii_case(SECRET_HEADER), "{file}: {name} is the header the adapter reads");
    assert!(!name.contains('_'), "{file}: 360dialog refuses `_` in header names");
    let url = json["url"].as_str().expect("url");
    let host = url.split_once("://").and_then(|(_, rest)| rest.split('/').next()).expect("a host");
    assert!(!host.contains(':') && !host.contains('_'), "{file}: no port, no `_` in the host (D8): {host}");
    let webhook = Dialog360Webhook::new(&d360_config(D360_NUMBER_ID, value, "https://waba-v2.360dialog.invalid"));
    let mut sent = HeaderMap::new();
    let header = http::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
    sent.insert(header, HeaderValue::from_str(value).expect("a header value"));
    let body = sample_bytes("360dialog", "inbound_text.json");
    assert_eq!(webhook.verify(&request(WebhookRoute::Main, None, &sent, &body)), Ok(()), "{file}");
}

const DIALOG360: &[(&str, Check)] = &[
    ("inbound_text.json", d360_inbound_text),
    ("inbound_image.json", d360_inbound_image),
    ("status_delivered.json", d360_status_delivered),
    ("status_failed.json", d360_status_failed),
    ("error_response.json", d360_error_response),
    ("media_retrieve_response.json", d360_media_retrieve_response),
    ("webhook_config_request.json", d360_webhook_config_request),
];

#[test]
fn dialog360_samples_verify_and_parse_to_the_expected_events() {
    run_table("360dialog", DIALOG360);
}

// ---------------------------------------------------------------------------------------------
// Wazzup: the account's `crmKey` as a Bearer token (none on the connection probe); messages of
// the account's channel only. Wazzup names a contact it knows no name for by its number: that
// is no profile name.

fn wazzup_config(channel_id: &str, api_base_url: &str) -> WazzupConfig {
    WazzupConfig {
        api_key: Secret::new(WAZZUP_KEY),
        channel_id: channel_id.into(),
        crm_key: Secret::new(WAZZUP_CRM_KEY),
        api_base_url: api_base_url.into(),
    }
}

fn wazzup_webhook(channel_id: &str) -> WazzupWebhook {
    WazzupWebhook::new(&wazzup_config(channel_id, "https://api.wazzup24.invalid"))
}

/// Verifies the sample with the `crmKey` (and refuses it without, with another key, with the
/// API key, or without the `Bearer` scheme), checks that another channel's account refuses a
/// sample with messages, then parses it.
fn wazzup_parse(file: &str) -> Parsed {
    let body = sample_bytes("wazzup", file);
    let webhook = wazzup_webhook(WAZZUP_CHANNEL);
    let bearer = format!("Bearer {WAZZUP_CRM_KEY}");
    let authorized = headers(&[("authorization", &bearer)]);
    let req = request(WebhookRoute::Main, None, &authorized, &body);
    webhook.verify(&req).unwrap_or_else(|e| panic!("{file}: verifies with the crmKey: {e}"));
    let api_key = format!("Bearer {WAZZUP_KEY}");
    let refusals = [
        HeaderMap::new(),
        headers(&[("authorization", "Bearer not-the-crm-key")]),
        headers(&[("authorization", &api_key)]),
        headers(&[("authorization", WAZZUP_CRM_KEY)]),
    ];
    for refused in &refusals {
        let req = request(WebhookRoute::Main, None, refused, &body);
        assert!(
            matches!(webhook.verify(&req), Err(WebhookError::Unauthorized(_))),
            "{file}: refused with {:?}",
            refused.get("authorization")
        );
    }
    let messages = sample_json("wazzup", file)["messages"].as_array().map_or(0, Vec::len);
    if messages > 0 {
        // Another channel's account never takes the messages: refused outright when the body
        // holds nothing else, otherwise its messages are left out (statuses name no channel).
        let other = wazzup_webhook("00000000-0000-4000-8000-000000000002").parse(&req);
        let took_a_message = other.as_ref().is_ok_and(|p| {
            p.events.iter().any(|e| matches!(e, bridge_core::domain::InboundEvent::Message(_)))
                || !p.rejected.is_empty()
        });
        assert!(
            matches!(other, Err(WebhookError::Forbidden(_))) || !took_a_message,
            "{file}: another channel's account takes none of its messages"
        );
    }
    webhook.parse(&req).unwrap_or_else(|e| panic!("{file}: parses: {e}"))
}

/// Every Wazzup sample message is in the chat of the same customer, named by the number.
fn wazzup_check_message(
    file: &str,
    m: &InboundMessage,
    id: &str,
    timestamp: i64,
    origin: Origin,
    content: MessageContent,
) {
    assert_eq!(m.id, id, "{file}");
    assert_eq!(m.from.digits(), "79000000001", "{file}");
    assert_eq!(m.profile_name, None, "{file}: contact.name is the number, which is no name");
    assert_eq!(m.timestamp, timestamp, "{file}: dateTime");
    assert_eq!(m.origin, origin, "{file}");
    assert_eq!(m.content, content, "{file}");
}

fn wazzup_message(file: &str, id: &str, timestamp: i64, origin: Origin, content: MessageContent) {
    let m = one_message(file, wazzup_parse(file));
    wazzup_check_message(file, &m, id, timestamp, origin, content);
}

fn wazzup_webhook_test_probe(file: &str) {
    let body = sample_bytes("wazzup", file);
    let webhook = wazzup_webhook(WAZZUP_CHANNEL);
    // Whether the probe carries the crmKey is unconfirmed: it is accepted either way.
    let none = HeaderMap::new();
    let bearer = format!("Bearer {WAZZUP_CRM_KEY}");
    for with in [none, headers(&[("authorization", &bearer)])] {
        let req = request(WebhookRoute::Main, None, &with, &body);
        assert_eq!(webhook.verify(&req), Ok(()), "{file}: accepted with {:?}", with.get("authorization"));
        let parsed = webhook.parse(&req).unwrap_or_else(|e| panic!("{file}: parses: {e}"));
        assert!(parsed.events.is_empty(), "{file}: no events: {:?}", parsed.events);
        assert_eq!(parsed.ignored.len(), 1, "{file}: {:?}", parsed.ignored);
    }
    // Only the bare probe goes without the key: one carrying messages is an ordinary webhook.
    let mut smuggled = sample_json("wazzup", "inbound_text.json");
    smuggled["test"] = Value::Bool(true);
    let smuggled = smuggled.to_string().into_bytes();
    assert!(
        matches!(
            webhook.verify(&request(WebhookRoute::Main, None, &HeaderMap::new(), &smuggled)),
            Err(WebhookError::Unauthorized(_))
        ),
        "{file}: a probe with messages needs the crmKey"
    );
}

fn wazzup_inbound_text(file: &str) {
    // A WhatsApp poll: the options come in the text.
    let content = text("Тестовый\n• Вариант1\n• Вариант2");
    wazzup_message(file, "00000000-0000-4000-8000-0000000000a1", 1_746_541_080, Origin::Customer, content);
}

fn wazzup_inbound_image_sticker(file: &str) {
    let uri = "https://store.wazzup24.com/0000000000000000000000000000000000000c01/\
               ?filename=00000000-0000-4000-8000-000000000c01.was";
    // A sticker comes as an image with a `.was` file (an animated sticker's format, so a file);
    // the name is the link's `filename`.
    let content = media(
        "animated_sticker",
        MediaRef::Url(uri.into()),
        None,
        None,
        Some("00000000-0000-4000-8000-000000000c01.was"),
    );
    wazzup_message(file, "00000000-0000-4000-8000-0000000000a2", 1_746_540_960, Origin::Customer, content);
}

fn wazzup_statuses_delivered(file: &str) {
    let s = one_status(file, wazzup_parse(file));
    assert_eq!(s.message_id, "00000000-0000-4000-8000-0000000000b1", "{file}");
    assert_eq!(s.status, DeliveryState::Delivered, "{file}");
    // Wazzup's statuses name no recipient.
    assert_eq!(s.recipient, None, "{file}");
    assert_eq!(s.timestamp, 1_738_735_267, "{file}");
    assert_eq!(s.failure, None, "{file}");
}

fn wazzup_messages_and_statuses(file: &str) {
    let parsed = wazzup_parse(file);
    assert!(parsed.ignored.is_empty(), "{file}: {:?}", parsed.ignored);
    let [InboundEvent::Message(m), InboundEvent::Status(s)] = &parsed.events[..] else {
        panic!("{file}: a message and a status: {:?}", parsed.events)
    };
    let content = text("Спасибо, получил");
    wazzup_check_message(file, m, "00000000-0000-4000-8000-0000000000a3", 1_746_541_200, Origin::Customer, content);
    assert_eq!(s.message_id, "00000000-0000-4000-8000-0000000000b1", "{file}");
    assert_eq!(s.status, DeliveryState::Read, "{file}");
    assert_eq!(s.timestamp, 1_746_541_199, "{file}");
    assert_eq!(s.failure, None, "{file}");
}

fn wazzup_echo_outgoing_from_phone(file: &str) {
    // The company wrote it from its phone: the conversation's customer is the chat's.
    let content = text("Ответ менеджера с телефона");
    wazzup_message(file, "00000000-0000-4000-8000-0000000000a4", 1_746_541_500, Origin::BusinessPhone, content);
}

/// A Wazzup client for the samples' channel on a fresh simulator.
async fn wazzup_client() -> (wazzup_sim::WazzupSim, WazzupClient) {
    let channel = wazzup_sim::Channel {
        channel_id: WAZZUP_CHANNEL.into(),
        transport: "whatsapp".into(),
        plain_id: "79000000000".into(),
        state: "active".into(),
    };
    let sim =
        wazzup_sim::WazzupSim::new(wazzup_sim::WazzupSimConfig { api_key: WAZZUP_KEY.into(), channels: vec![channel] });
    let base = sim.serve(None).await.expect("wazzup sim starts");
    (sim, WazzupClient::new(reqwest::Client::new(), &wazzup_config(WAZZUP_CHANNEL, &base)))
}

/// A request body, not a webhook: the adapter's text send carries the sample's channel, chat,
/// text, `crmMessageId` and the quoted `refMessageId` of a reply (the sim checks `chatType` and
/// the digits-only `chatId`). The adapter never sets `crmUserId`.
fn wazzup_send_text_request(file: &str) {
    let json = sample_json("wazzup", file);
    let field = |name: &str| json[name].as_str().unwrap_or_else(|| panic!("{file}: {name}")).to_owned();
    assert_eq!(field("channelId"), WAZZUP_CHANNEL, "{file}");
    assert_eq!(field("chatType"), "whatsapp", "{file}");
    block_on(async {
        let (sim, client) = wazzup_client().await;
        let to = Phone::parse(&field("chatId")).expect("phone");
        client
            .send_text(&to, &field("text"), &field("crmMessageId"), Some(&field("refMessageId")))
            .await
            .expect("sent");
        let sent = sim.sent();
        assert_eq!(sent.len(), 1, "{file}");
        assert_eq!(sent[0].channel_id, field("channelId"), "{file}");
        assert_eq!(sent[0].chat_id, field("chatId"), "{file}");
        assert_eq!(sent[0].text.as_deref(), Some(field("text").as_str()), "{file}");
        assert_eq!(sent[0].crm_message_id.as_deref(), Some(field("crmMessageId").as_str()), "{file}");
        assert_eq!(sent[0].ref_message_id.as_deref(), Some(field("refMessageId").as_str()), "{file}");
    });
}

/// An API answer, not a webhook: 201 with the message's id, which the send returns (statuses
/// and echoes name it).
fn wazzup_send_success_201(file: &str) {
    let body = String::from_utf8(sample_bytes("wazzup", file)).expect("UTF-8");
    let id = sample_json("wazzup", file)["messageId"].as_str().expect("messageId").to_owned();
    block_on(async {
        let (sim, client) = wazzup_client().await;
        sim.fail_next(1, wazzup_sim::WazzupFailure::Error { http: 201, body });
        let to = Phone::parse("79000000001").expect("phone");
        assert_eq!(client.send_text(&to, "hi", "planfix-comment-0000001", None).await, Ok(id), "{file}");
    });
}

/// An API answer, not a webhook: Wazzup refusing a repeated `crmMessageId` means the first
/// attempt went out. The send counts as done (no failure, nothing sent again) under the
/// reference, since the answer names no message id.
fn wazzup_send_error_repeated(file: &str) {
    let body = String::from_utf8(sample_bytes("wazzup", file)).expect("UTF-8");
    let reference = "planfix-comment-0000001";
    block_on(async {
        let (sim, client) = wazzup_client().await;
        sim.fail_next(1, wazzup_sim::WazzupFailure::Error { http: 400, body });
        let to = Phone::parse("79000000001").expect("phone");
        assert_eq!(client.send_text(&to, "hi", reference, None).await, Ok(format!("crm:{reference}")), "{file}");
        assert!(sim.sent().is_empty(), "{file}");
    });
}

const WAZZUP: &[(&str, Check)] = &[
    ("webhook_test_probe.json", wazzup_webhook_test_probe),
    ("inbound_text.json", wazzup_inbound_text),
    ("inbound_image_sticker.json", wazzup_inbound_image_sticker),
    ("statuses_delivered.json", wazzup_statuses_delivered),
    ("messages_and_statuses.json", wazzup_messages_and_statuses),
    ("echo_outgoing_from_phone.json", wazzup_echo_outgoing_from_phone),
    ("send_text_request.json", wazzup_send_text_request),
    ("send_success_201.json", wazzup_send_success_201),
    ("send_error_repeated_crm_message_id.json", wazzup_send_error_repeated),
    ("send_error_repeated_crm_message_id_short.json", wazzup_send_error_repeated),
];

#[test]
fn wazzup_samples_verify_and_parse_to_the_expected_events() {
    run_table("wazzup", WAZZUP);
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_sample_file_is_covered() {
    for (folder, table) in
        [("meta", META), ("twilio", TWILIO), ("green-api", GREEN_API), ("360dialog", DIALOG360), ("wazzup", WAZZUP)]
    {
        let dir = reference_dir().join("providers").join(folder);
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name != "README.md")
            .collect();
        on_disk.sort();
        let mut covered: Vec<String> = table.iter().map(|(file, _)| (*file).to_owned()).collect();
        covered.sort();
        let missing: Vec<&String> = on_disk.iter().filter(|f| !covered.contains(f)).collect();
        assert!(missing.is_empty(), "{folder}: samples no assertion covers (add them to the table): {missing:?}");
        let gone: Vec<&String> = covered.iter().filter(|f| !on_disk.contains(f)).collect();
        assert!(gone.is_empty(), "{folder}: the table names samples that are not in {}: {gone:?}", dir.display());
    }
}
