//! The commands that play the people around the bridge against a running `bridge-local serve`:
//! `send` (a WhatsApp user, through any provider; with `--from-phone`, an employee writing on the
//! company's WhatsApp phone), `reply` (a Planfix employee) and `show`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::cli::{CompleteArgs, Provider, ReplyArgs, SendArgs, ShowArgs};
use crate::demo::{
    account_of, demo_business, dialog360_business, green_instance, DEMO_360_WEBHOOK_SECRET, DEMO_APP_SECRET,
    DEMO_GREEN_WEBHOOK_TOKEN, DEMO_TWILIO_FROM, DEMO_TWILIO_SID, DEMO_TWILIO_TOKEN, DEMO_WAZZUP_CHANNEL,
    DEMO_WAZZUP_CRM_KEY,
};

/// A webhook request as the provider would make it.
pub struct Webhook {
    /// Absolute URL of the bridge route it goes to.
    pub url: String,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The WhatsApp user who writes.
pub struct Customer<'a> {
    /// E.164 digits.
    pub phone: &'a str,
    pub name: &'a str,
}

/// A file the user sends, already stored in the provider's simulator: `reference` is what the
/// provider's webhook names (Meta, 360dialog: media id; Twilio: `MediaUrl`; Green-API:
/// `downloadUrl`; Wazzup: `contentUri`).
pub struct Media<'a> {
    pub reference: &'a str,
    pub mime: &'a str,
    pub name: &'a str,
}

/// WhatsApp media kind of a MIME type.
pub fn media_kind(mime: &str) -> &'static str {
    match mime.split('/').next() {
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "document",
    }
}

fn webhook_url(bridge: &str, provider: Provider) -> String {
    format!("{}/webhooks/{}/{}", bridge.trim_end_matches('/'), provider.kind(), account_of(provider))
}

/// The Cloud API JSON of a customer's message (Meta's, and 360dialog's which forwards it).
fn cloud_api_message(
    business: &meta_sim::webhook::Business,
    from: &Customer<'_>,
    id: &str,
    ts: i64,
    text: &str,
    media: Option<&Media<'_>>,
) -> serde_json::Value {
    use meta_sim::webhook::{self, Sender};
    let sender = Sender { wa_id: from.phone.to_owned(), profile_name: from.name.to_owned() };
    match media {
        None => webhook::text_message(business, &sender, id, ts, text),
        Some(m) => {
            let kind = media_kind(m.mime);
            let caption = Some(text).filter(|t| !t.is_empty() && kind != "audio");
            let filename = Some(m.name).filter(|_| kind == "document");
            webhook::media_message(business, &sender, id, ts, kind, m.reference, m.mime, caption, filename, false)
        }
    }
}

/// What the company wrote to `to` from the WhatsApp Business app of a number in coexistence
/// with the Cloud API: the `smb_message_echoes` field, `message_echoes[]` from the business's
/// display number to the customer (Meta, and 360dialog which forwards it).
pub fn coexistence_echo(business: &meta_sim::webhook::Business, to: &str, id: &str, ts: i64, text: &str) -> Value {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": business.waba_id,
            "changes": [{
                "field": "smb_message_echoes",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": business.display_phone_number,
                        "phone_number_id": business.phone_number_id,
                    },
                    "message_echoes": [{
                        "from": business.display_phone_number,
                        "to": format!("+{}", to.trim_start_matches('+')),
                        "id": id,
                        "timestamp": ts.to_string(),
                        "type": "text",
                        "text": { "body": text },
                    }],
                },
            }],
        }],
    })
}

fn signed_meta(bridge: &str, payload: &Value) -> Webhook {
    let (body, signature) = meta_sim::webhook::signed_body(DEMO_APP_SECRET.as_bytes(), payload);
    Webhook {
        url: webhook_url(bridge, Provider::Meta),
        content_type: "application/json",
        headers: vec![("x-hub-signature-256", signature)],
        body,
    }
}

/// Meta: the Cloud API JSON, signed `X-Hub-Signature-256` with the app secret.
pub fn meta_webhook(
    bridge: &str,
    from: &Customer<'_>,
    id: &str,
    ts: i64,
    text: &str,
    media: Option<&Media<'_>>,
) -> Webhook {
    signed_meta(bridge, &cloud_api_message(&demo_business(), from, id, ts, text, media))
}

/// Meta: a coexistence echo (what the company wrote on its phone), signed like any Meta webhook.
pub fn meta_phone_webhook(bridge: &str, to: &str, id: &str, ts: i64, text: &str) -> Webhook {
    signed_meta(bridge, &coexistence_echo(&demo_business(), to, id, ts, text))
}

fn dialog360(bridge: &str, payload: &Value) -> Webhook {
    Webhook {
        url: webhook_url(bridge, Provider::Dialog360),
        content_type: "application/json",
        headers: vec![("x-bridge-secret", DEMO_360_WEBHOOK_SECRET.to_owned())],
        body: payload.to_string().into_bytes(),
    }
}

/// 360dialog: Meta's Cloud API JSON as 360dialog forwards it (contacts without user ids), not
/// signed: authenticated by the `X-Bridge-Secret` header registered with the webhook URL.
pub fn dialog360_webhook(
    bridge: &str,
    from: &Customer<'_>,
    id: &str,
    ts: i64,
    text: &str,
    media: Option<&Media<'_>>,
) -> Webhook {
    use dialog360_sim::webhook;
    let sender = webhook::Sender { wa_id: from.phone.to_owned(), profile_name: from.name.to_owned() };
    let business = dialog360_business();
    let payload = match media {
        None => webhook::text(&business, &sender, id, ts, text),
        Some(m) => {
            let kind = media_kind(m.mime);
            let caption = Some(text).filter(|t| !t.is_empty() && kind != "audio");
            let filename = Some(m.name).filter(|_| kind == "document");
            webhook::media(&business, &sender, id, ts, kind, m.reference, m.mime, caption, filename, false)
        }
    };
    dialog360(bridge, &payload)
}

/// 360dialog: a coexistence echo, forwarded as Meta sends it, with the secret header.
pub fn dialog360_phone_webhook(bridge: &str, to: &str, id: &str, ts: i64, text: &str) -> Webhook {
    dialog360(bridge, &coexistence_echo(&dialog360_business(), to, id, ts, text))
}

/// Twilio: the form Twilio posts, `X-Twilio-Signature` over the URL it calls and the parameters.
/// `sid` is the `MessageSid` (media stored under it, see `/sim/twilio/media`).
pub fn twilio_webhook(bridge: &str, from: &Customer<'_>, sid: &str, text: &str, media: Option<&Media<'_>>) -> Webhook {
    use twilio_sim::webhook;
    let inbound = webhook::Inbound {
        account_sid: DEMO_TWILIO_SID.into(),
        from: format!("+{}", from.phone.trim_start_matches('+')),
        to: DEMO_TWILIO_FROM.into(),
        profile_name: Some(from.name.to_owned()),
    };
    let params = match media {
        None => webhook::text(&inbound, sid, text),
        Some(m) => webhook::media(&inbound, sid, text, &[(m.reference.to_owned(), m.mime.to_owned())]),
    };
    let url = webhook_url(bridge, Provider::Twilio);
    let signature = webhook::sign(DEMO_TWILIO_TOKEN, &url, &params);
    Webhook {
        url,
        content_type: "application/x-www-form-urlencoded",
        headers: vec![("x-twilio-signature", signature)],
        body: webhook::encode(&params).into_bytes(),
    }
}

fn green(bridge: &str, payload: &Value) -> Webhook {
    Webhook {
        url: webhook_url(bridge, Provider::GreenApi),
        content_type: "application/json",
        headers: vec![("authorization", format!("Bearer {DEMO_GREEN_WEBHOOK_TOKEN}"))],
        body: payload.to_string().into_bytes(),
    }
}

fn green_chat(customer: &Customer<'_>) -> green_api_sim::webhook::Chat {
    green_api_sim::webhook::Chat {
        chat_id: format!("{}@c.us", customer.phone.trim_start_matches('+')),
        sender_name: customer.name.to_owned(),
    }
}

/// Green-API: one `incomingMessageReceived` JSON with the instance's `webhookUrlToken`.
pub fn green_webhook(
    bridge: &str,
    from: &Customer<'_>,
    id: &str,
    ts: i64,
    text: &str,
    media: Option<&Media<'_>>,
) -> Webhook {
    use green_api_sim::webhook;
    let chat = green_chat(from);
    let payload = match media {
        None => webhook::incoming_text(&green_instance(), &chat, id, ts, text),
        Some(m) => {
            let kind = media_kind(m.mime);
            let caption = Some(text).filter(|t| !t.is_empty() && kind != "audio");
            let type_message = format!("{kind}Message");
            webhook::incoming_file(
                &green_instance(),
                &chat,
                id,
                ts,
                &type_message,
                m.reference,
                m.mime,
                m.name,
                caption,
            )
        }
    };
    green(bridge, &payload)
}

/// Green-API: `outgoingMessageReceived`, what was written in the chat with `to` on the phone.
pub fn green_phone_webhook(bridge: &str, to: &Customer<'_>, id: &str, ts: i64, text: &str) -> Webhook {
    green(bridge, &green_api_sim::webhook::outgoing_from_phone(&green_instance(), &green_chat(to), id, ts, text))
}

fn wazzup(bridge: &str, payload: &Value) -> Webhook {
    Webhook {
        url: webhook_url(bridge, Provider::Wazzup),
        // Wazzup's documented content type, typo included.
        content_type: "application/json; charset-utf-8",
        headers: vec![("authorization", format!("Bearer {DEMO_WAZZUP_CRM_KEY}"))],
        body: payload.to_string().into_bytes(),
    }
}

fn wazzup_chat(customer: &Customer<'_>) -> wazzup_sim::webhook::Chat {
    wazzup_sim::webhook::Chat {
        channel_id: DEMO_WAZZUP_CHANNEL.into(),
        chat_id: customer.phone.trim_start_matches('+').to_owned(),
        name: customer.name.to_owned(),
    }
}

/// Wazzup: `{"messages":[…]}` with `Authorization: Bearer <crmKey>`; `date_time` is ISO 8601
/// (see [`iso8601`]), a file is named by its `contentUri` (see `/sim/wazzup/media`).
pub fn wazzup_webhook(
    bridge: &str,
    from: &Customer<'_>,
    id: &str,
    date_time: &str,
    text: &str,
    media: Option<&Media<'_>>,
) -> Webhook {
    use wazzup_sim::webhook;
    let chat = wazzup_chat(from);
    let payload = match media {
        None => webhook::inbound_text(&chat, id, date_time, text),
        Some(m) => {
            let kind = media_kind(m.mime);
            let caption = Some(text).filter(|t| !t.is_empty() && kind != "audio");
            webhook::inbound_media(&chat, id, date_time, kind, m.reference, caption)
        }
    };
    wazzup(bridge, &payload)
}

/// Wazzup: an `isEcho:true` message, what `author` wrote to `to` on the phone.
pub fn wazzup_phone_webhook(
    bridge: &str,
    to: &Customer<'_>,
    id: &str,
    date_time: &str,
    text: &str,
    author: &str,
) -> Webhook {
    wazzup(bridge, &wazzup_sim::webhook::echo_from_phone(&wazzup_chat(to), id, date_time, text, author))
}

/// `2023-11-14T22:13:20.000Z` for Unix seconds and milliseconds (Wazzup's `dateTime`).
pub fn iso8601(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let time = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", time / 3600, time % 3600 / 60, time % 60, millis % 1000)
}

/// A UUID-shaped message id (Wazzup's `messageId` form), unique per call.
fn uuid_like(nanos: u128) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let hex = format!("{:08x}{:04x}{:020x}", std::process::id(), n & 0xffff, nanos);
    format!("{}-{}-4{}-8{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

/// What the employee is called in the echoes that name the phone's author (Wazzup).
const PHONE_AUTHOR: &str = "Company phone";

fn now() -> (i64, u128) {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() as i64, d.as_nanos())
}

/// The provider `send` uses without `--provider`: Meta when served, else the first served.
async fn default_provider(bridge: &str) -> Result<Provider, String> {
    let url = format!("{bridge}/sim/accounts");
    let resp = reqwest::get(&url)
        .await
        .map_err(|e| format!("cannot reach the bridge at {url}: {e} (is `bridge-local serve` running?)"))?;
    if !resp.status().is_success() {
        return Err(format!("{url} answered {}: is the bridge in simulation mode?", resp.status()));
    }
    let accounts: Vec<Value> = resp.json().await.map_err(|e| format!("unexpected answer from {url}: {e}"))?;
    let served: Vec<Provider> =
        accounts.iter().filter_map(|a| a["provider"].as_str().and_then(Provider::from_kind)).collect();
    served
        .iter()
        .copied()
        .find(|p| *p == Provider::Meta)
        .or(served.first().copied())
        .ok_or_else(|| "the bridge serves no demo account".to_owned())
}

pub async fn send(args: SendArgs) -> Result<(), String> {
    let bridge = args.bridge.trim_end_matches('/');
    let provider = match args.provider {
        Some(p) => p,
        None => default_provider(bridge).await?,
    };
    let from = Customer { phone: args.from.trim_start_matches('+'), name: &args.name };
    let webhook = if args.from_phone {
        phone_webhook(bridge, provider, &from, &args)?
    } else {
        customer_webhook(bridge, provider, &from, &args).await?
    };
    let mut req =
        reqwest::Client::new().post(&webhook.url).header("content-type", webhook.content_type).body(webhook.body);
    for (name, value) in &webhook.headers {
        req = req.header(*name, value);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("cannot reach the bridge at {}: {e} (is `bridge-local serve` running?)", webhook.url))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let what = if args.from_phone { " (written on the company's phone)" } else { "" };
    println!("{} webhook{what} to {} answered {status}: {text}", provider.kind(), webhook.url);
    if status.is_success() {
        println!("see it in Planfix (simulated): bridge-local show");
        Ok(())
    } else if status == reqwest::StatusCode::NOT_FOUND {
        Err(format!(
            "the bridge serves no account {}: start `bridge-local serve` without --provider, or with --provider {}",
            account_of(provider),
            provider.kind()
        ))
    } else {
        Err("the bridge did not accept the message".into())
    }
}

/// The customer's message (a text, or a file stored in the provider's simulator first).
async fn customer_webhook(
    bridge: &str,
    provider: Provider,
    from: &Customer<'_>,
    args: &SendArgs,
) -> Result<Webhook, String> {
    let (secs, nanos) = now();
    let file = match &args.file {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    // Stores the file in the provider's simulator (`/sim/{page}`); the webhook names the answer.
    let stored = async |page: &str, extra: &[(&str, &str)]| -> Result<Option<String>, String> {
        match &file {
            Some(f) => Ok(Some(upload(bridge, page, f, extra).await?)),
            None => Ok(None),
        }
    };
    fn media<'a>(file: &'a Option<LocalFile>, stored: &'a Option<String>) -> Option<Media<'a>> {
        file.as_ref().zip(stored.as_deref()).map(|(f, r)| f.media(r))
    }
    Ok(match provider {
        Provider::Meta => {
            let id = format!("wamid.local{nanos}");
            let stored = stored("meta/media", &[]).await?;
            meta_webhook(bridge, from, &id, secs, &args.text, media(&file, &stored).as_ref())
        }
        Provider::Twilio => {
            let sid = twilio_sim::webhook::message_sid(file.is_some());
            let stored = stored("twilio/media", &[("sid", sid.as_str())]).await?;
            twilio_webhook(bridge, from, &sid, &args.text, media(&file, &stored).as_ref())
        }
        Provider::GreenApi => {
            let id = format!("{nanos:X}");
            let stored = stored("green-api/media", &[]).await?;
            green_webhook(bridge, from, &id, secs, &args.text, media(&file, &stored).as_ref())
        }
        Provider::Dialog360 => {
            let id = format!("wamid.local{nanos}");
            let stored = stored("360dialog/media", &[]).await?;
            dialog360_webhook(bridge, from, &id, secs, &args.text, media(&file, &stored).as_ref())
        }
        Provider::Wazzup => {
            let id = uuid_like(nanos);
            let stored = stored("wazzup/media", &[]).await?;
            let date_time = iso8601(secs, (nanos / 1_000_000 % 1000) as u32);
            wazzup_webhook(bridge, from, &id, &date_time, &args.text, media(&file, &stored).as_ref())
        }
    })
}

/// What an employee wrote to the customer on the company's WhatsApp phone, as the provider
/// reports it.
fn phone_webhook(bridge: &str, provider: Provider, to: &Customer<'_>, args: &SendArgs) -> Result<Webhook, String> {
    if args.file.is_some() {
        return Err("--from-phone plays a text written on the phone: drop --file".into());
    }
    if args.text.trim().is_empty() {
        return Err("--from-phone needs the text the employee wrote".into());
    }
    let (secs, nanos) = now();
    let text = args.text.as_str();
    Ok(match provider {
        Provider::Meta => meta_phone_webhook(bridge, to.phone, &format!("wamid.phone{nanos}"), secs, text),
        Provider::Dialog360 => dialog360_phone_webhook(bridge, to.phone, &format!("wamid.phone{nanos}"), secs, text),
        Provider::GreenApi => green_phone_webhook(bridge, to, &format!("{nanos:X}"), secs, text),
        Provider::Wazzup => {
            let date_time = iso8601(secs, (nanos / 1_000_000 % 1000) as u32);
            wazzup_phone_webhook(bridge, to, &uuid_like(nanos), &date_time, text, PHONE_AUTHOR)
        }
        Provider::Twilio => {
            return Err("Twilio reports no messages written on the company's phone: use --provider meta, \
                        360dialog, green-api or wazzup"
                .into())
        }
    })
}

/// A local file to upload: bytes, MIME type (from the extension) and name.
struct LocalFile {
    bytes: Vec<u8>,
    mime: String,
    name: String,
}

impl LocalFile {
    fn media<'a>(&'a self, reference: &'a str) -> Media<'a> {
        Media { reference, mime: &self.mime, name: &self.name }
    }
}

fn read_file(path: &Path) -> Result<LocalFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file").to_owned();
    let mime = mime_guess::from_path(path).first_or_octet_stream().essence_str().to_owned();
    Ok(LocalFile { bytes, mime, name })
}

/// Uploads a file into one of the simulators through the server's `/sim/{page}`; returns the id
/// (or URL) the simulator gave it.
async fn upload(bridge: &str, page: &str, file: &LocalFile, extra: &[(&str, &str)]) -> Result<String, String> {
    let url = format!("{bridge}/sim/{page}");
    let mut query = vec![("name", file.name.as_str()), ("mime", file.mime.as_str())];
    query.extend_from_slice(extra);
    let resp = reqwest::Client::new()
        .post(&url)
        .query(&query)
        .body(file.bytes.clone())
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    let value: Value = resp.json().await.map_err(|e| format!("unexpected answer from {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {value}"));
    }
    match &value["id"] {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("no id in {value}")),
    }
}

pub async fn show(args: ShowArgs) -> Result<(), String> {
    let bridge = args.bridge.trim_end_matches('/');
    if args.json {
        for (title, page) in
            [("Planfix (simulated)", "planfix"), ("WhatsApp messages sent to customers (simulated)", "whatsapp")]
        {
            let value = get_json(&format!("{bridge}/sim/{page}")).await?;
            print_out(&format!("== {title}\n{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()));
        }
        return Ok(());
    }
    let overview = get_json(&format!("{bridge}/sim/overview")).await?;
    print_out(&crate::show::render(&overview));
    Ok(())
}

/// Writes to stdout; a closed pipe (`show | head`) just ends the output.
fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

async fn get_json(url: &str) -> Result<Value, String> {
    let resp =
        reqwest::get(url).await.map_err(|e| format!("cannot reach {url}: {e} (is `bridge-local serve` running?)"))?;
    let status = resp.status();
    let value: Value = resp.json().await.map_err(|e| format!("unexpected answer from {url}: {e}"))?;
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!("{url} answered {status}: {value}"))
    }
}

pub async fn reply(args: ReplyArgs) -> Result<(), String> {
    let bridge = args.bridge.trim_end_matches('/');
    let url = format!("{bridge}/sim/planfix/reply");
    let mut file_ids = Vec::new();
    if let Some(path) = &args.file {
        let id = upload(bridge, "planfix/file", &read_file(path)?, &[]).await?;
        file_ids.push(id.parse::<i64>().map_err(|e| e.to_string())?);
    }
    let text = match &args.quote {
        Some(quote) => format!("<blockquote>{}</blockquote>{}", bridge_core::html::text_to_html(quote), args.text),
        None => args.text.clone(),
    };
    let body =
        serde_json::json!({ "task": args.task, "text": text, "notify_contact": !args.internal, "file_ids": file_ids });
    let resp =
        reqwest::Client::new().post(&url).json(&body).send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("reply failed with {status}: {text}"));
    }
    let answer: Value = serde_json::from_str(&text).unwrap_or_default();
    println!(
        "comment #{} added to task #{} (account {}); the Planfix scenario called /planfix/{}: {}",
        answer["comment"],
        answer["task"],
        answer["account"].as_str().unwrap_or("?"),
        answer["account"].as_str().unwrap_or("?"),
        answer["bridge_answer"]
    );
    println!("see what the customer got: bridge-local show");
    Ok(())
}

/// `complete`: the simulated Planfix completes the task and its scenario calls the bridge.
pub async fn complete(args: CompleteArgs) -> Result<(), String> {
    let bridge = args.bridge.trim_end_matches('/');
    let url = format!("{bridge}/sim/planfix/complete");
    let body = serde_json::json!({ "task": args.task });
    let resp =
        reqwest::Client::new().post(&url).json(&body).send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("complete failed with {status}: {text}"));
    }
    let answer: Value = serde_json::from_str(&text).unwrap_or_default();
    let account = answer["account"].as_str().unwrap_or("?");
    println!(
        "task #{} completed (account {account}); the Planfix scenario called /planfix/{account}/task-status: {}",
        answer["task"], answer["bridge_answer"]
    );
    println!("the customer's next message opens a new task (or reopens this one, with single_task)");
    Ok(())
}
