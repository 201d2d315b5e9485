//! The commands that play the people around the bridge against a running `bridge-local serve`:
//! `send` (a WhatsApp user, through any provider), `reply` (a Planfix employee) and `show`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::cli::{Provider, ReplyArgs, SendArgs, ShowArgs};
use crate::demo::{
    account_of, demo_business, green_instance, DEMO_APP_SECRET, DEMO_GREEN_WEBHOOK_TOKEN, DEMO_TWILIO_FROM,
    DEMO_TWILIO_SID, DEMO_TWILIO_TOKEN,
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
/// provider's webhook names (Meta: media id; Twilio: `MediaUrl`; Green-API: `downloadUrl`).
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

/// Meta: the Cloud API JSON, signed `X-Hub-Signature-256` with the app secret.
pub fn meta_webhook(
    bridge: &str,
    from: &Customer<'_>,
    id: &str,
    ts: i64,
    text: &str,
    media: Option<&Media<'_>>,
) -> Webhook {
    use meta_sim::webhook::{self, Sender};
    let sender = Sender { wa_id: from.phone.to_owned(), profile_name: from.name.to_owned() };
    let payload = match media {
        None => webhook::text_message(&demo_business(), &sender, id, ts, text),
        Some(m) => {
            let kind = media_kind(m.mime);
            let caption = Some(text).filter(|t| !t.is_empty() && kind != "audio");
            let filename = Some(m.name).filter(|_| kind == "document");
            webhook::media_message(
                &demo_business(),
                &sender,
                id,
                ts,
                kind,
                m.reference,
                m.mime,
                caption,
                filename,
                false,
            )
        }
    };
    let (body, signature) = webhook::signed_body(DEMO_APP_SECRET.as_bytes(), &payload);
    Webhook {
        url: webhook_url(bridge, Provider::Meta),
        content_type: "application/json",
        headers: vec![("x-hub-signature-256", signature)],
        body,
    }
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

/// Green-API: one `incomingMessageReceived` JSON with the instance's `webhookUrlToken`.
pub fn green_webhook(
    bridge: &str,
    from: &Customer<'_>,
    id: &str,
    ts: i64,
    text: &str,
    media: Option<&Media<'_>>,
) -> Webhook {
    use green_api_sim::webhook::{self, Chat};
    let chat =
        Chat { chat_id: format!("{}@c.us", from.phone.trim_start_matches('+')), sender_name: from.name.to_owned() };
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
    Webhook {
        url: webhook_url(bridge, Provider::GreenApi),
        content_type: "application/json",
        headers: vec![("authorization", format!("Bearer {DEMO_GREEN_WEBHOOK_TOKEN}"))],
        body: payload.to_string().into_bytes(),
    }
}

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
    let (secs, nanos) = now();
    let from = Customer { phone: args.from.trim_start_matches('+'), name: &args.name };
    let file = match &args.file {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    let webhook = match provider {
        Provider::Meta => {
            let id = format!("wamid.local{nanos}");
            let stored = match &file {
                Some(f) => Some(upload(bridge, "meta/media", f, &[]).await?),
                None => None,
            };
            let media = file.as_ref().zip(stored.as_deref()).map(|(f, r)| f.media(r));
            meta_webhook(bridge, &from, &id, secs, &args.text, media.as_ref())
        }
        Provider::Twilio => {
            let sid = twilio_sim::webhook::message_sid(file.is_some());
            let stored = match &file {
                Some(f) => Some(upload(bridge, "twilio/media", f, &[("sid", sid.as_str())]).await?),
                None => None,
            };
            let media = file.as_ref().zip(stored.as_deref()).map(|(f, r)| f.media(r));
            twilio_webhook(bridge, &from, &sid, &args.text, media.as_ref())
        }
        Provider::GreenApi => {
            let id = format!("{nanos:X}");
            let stored = match &file {
                Some(f) => Some(upload(bridge, "green-api/media", f, &[]).await?),
                None => None,
            };
            let media = file.as_ref().zip(stored.as_deref()).map(|(f, r)| f.media(r));
            green_webhook(bridge, &from, &id, secs, &args.text, media.as_ref())
        }
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
    println!("{} webhook to {} answered {status}: {text}", provider.kind(), webhook.url);
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
    let body = serde_json::json!({ "task": args.task, "text": args.text, "notify_contact": !args.internal, "file_ids": file_ids });
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
