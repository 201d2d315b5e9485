//! What `bridge-local show` prints, gathered on the server side (`GET /sim/overview`): each task
//! of the simulated Planfix with its comments (read back through the simulator's REST API, so
//! with author names and times as Planfix answers them), the demo account whose conversation it
//! is, and per WhatsApp user what each provider's simulator delivered. What the company wrote on
//! its own WhatsApp phone (reported by Meta, 360dialog, Green-API and Wazzup) is marked as the
//! company's (`from_phone`). Also the raw dump of the provider simulators (`GET /sim/whatsapp`).

use std::collections::BTreeMap;

use bridge_core::Bridge;
use serde_json::{json, Value};

use crate::cli::Provider;
use crate::demo::{account_of, Simulation, DEMO_PLANFIX_TOKEN};

/// Comments read per page, and the most pages read per task.
const PAGE_SIZE: usize = 100;
const MAX_PAGES: usize = 20;

/// Everything each provider simulator accepted, as JSON (`show --json`).
pub fn whatsapp_dump(sim: &Simulation) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(graph) = &sim.meta {
        out.insert("meta".into(), json!(graph.sent()));
    }
    if let Some(twilio) = &sim.twilio {
        let sent: Vec<Value> = twilio
            .sent()
            .iter()
            .map(|m| {
                json!({
                    "sid": m.sid,
                    "from": m.from,
                    "to": m.to,
                    "body": m.body,
                    "media": m.media.as_ref().map(|f| json!({
                        "url": f.url,
                        "http_status": f.http_status,
                        "content_type": f.content_type,
                        "filename": f.filename,
                        "size": f.bytes.len(),
                    })),
                    "status_callback": m.status_callback,
                    "content_sid": m.content_sid,
                    "async_error_code": m.async_error_code,
                })
            })
            .collect();
        out.insert("twilio".into(), Value::Array(sent));
    }
    if let Some(green) = &sim.green {
        let sent: Vec<Value> = green
            .sent()
            .iter()
            .map(|m| {
                json!({
                    "id_message": m.id_message,
                    "chat_id": m.chat_id,
                    "message": m.message,
                    "file": m.file.as_ref().map(|f| json!({
                        "via": f.via,
                        "file_name": f.file_name,
                        "caption": f.caption,
                        "content_type": f.content_type,
                        "size": f.bytes.len(),
                    })),
                    "quoted": m.quoted,
                })
            })
            .collect();
        out.insert("green-api".into(), Value::Array(sent));
    }
    if let Some(d360) = &sim.dialog360 {
        out.insert("360dialog".into(), json!(d360.sent()));
    }
    if let Some(wazzup) = &sim.wazzup {
        let sent: Vec<Value> = wazzup
            .sent()
            .iter()
            .map(|m| {
                json!({
                    "message_id": m.message_id,
                    "channel_id": m.channel_id,
                    "chat_id": m.chat_id,
                    "text": m.text,
                    "content": m.content.as_ref().map(|(bytes, content_type, name)| json!({
                        "content_type": content_type,
                        "file_name": name,
                        "size": bytes.len(),
                    })),
                    "crm_message_id": m.crm_message_id,
                    "ref_message_id": m.ref_message_id,
                })
            })
            .collect();
        out.insert("wazzup".into(), Value::Array(sent));
    }
    Value::Object(out)
}

/// The mark the bridge puts on what the company wrote from its WhatsApp phone
/// (`bridge_core::render::message_html`).
const PHONE_MARK: &str = "Sent from the company's WhatsApp phone";

/// A comment's HTML without the phone mark, and whether it had one.
fn phone_message(html: &str) -> (bool, String) {
    match html.find(PHONE_MARK) {
        Some(at) => {
            let rest = &html[at + PHONE_MARK.len()..];
            // `<i>📱 Sent from the company's WhatsApp phone:</i><br>{content}`
            let content = rest.split_once("<br>").map_or(rest, |(_, content)| content);
            (true, content.to_owned())
        }
        None => (false, html.to_owned()),
    }
}

/// The overview `show` renders.
pub async fn build(app: &Bridge, sim: &Simulation) -> Value {
    let accounts = sim.account_ids();
    let contacts = sim.planfix.contacts();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for task in sim.planfix.tasks() {
        let mut owner = None;
        for account in &accounts {
            if let Ok(Some(conv)) = app.store.get_task_conversation(account, task.id).await {
                owner = Some((account.clone(), conv.phone));
                break;
            }
        }
        let provider = owner
            .as_ref()
            .and_then(|(account, _)| Provider::ALL.into_iter().find(|p| account_of(*p) == account.as_str()));
        let customer = task
            .assigner
            .strip_prefix("contact:")
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| contacts.iter().find(|c| c.id == id))
            .map(|c| format!("{} {}", c.name, c.lastname).trim().to_owned());
        tasks.push(json!({
            "id": task.id,
            "title": task.name,
            "account": owner.as_ref().map(|(a, _)| a.as_str().to_owned()),
            "provider": provider.map(Provider::kind),
            "customer": customer,
            "phone": owner.as_ref().map(|(_, phone)| phone.e164()),
            "comments": comments(&client, sim, task.id).await,
        }));
    }
    json!({
        "accounts": sim.providers().into_iter().map(|p| json!({ "account": account_of(p), "provider": p.kind() })).collect::<Vec<_>>(),
        "tasks": tasks,
        "whatsapp": received(sim),
    })
}

/// A task's comments in order, as the Planfix REST API lists them; from the simulator's memory
/// (without times) if that fails.
async fn comments(client: &reqwest::Client, sim: &Simulation, task: i64) -> Vec<Value> {
    match comments_over_rest(client, sim, task).await {
        Ok(list) => list,
        Err(e) => {
            tracing::debug!(error = %e, task, "comments read from the simulator's memory instead");
            sim.planfix
                .comments(task)
                .into_iter()
                .map(|c| {
                    let files: Vec<Value> = c
                        .files
                        .iter()
                        .map(|id| match sim.planfix.file(*id) {
                            Some((name, bytes)) => json!({ "id": id, "name": name, "size": bytes.len() }),
                            None => json!({ "id": id }),
                        })
                        .collect();
                    let to_customer = c.owner.starts_with("user:") && c.recipients.to_string().contains("contact:");
                    let (from_phone, html) = phone_message(&c.description);
                    json!({
                        "id": c.id,
                        "time": Value::Null,
                        "author": c.owner,
                        "html": html,
                        "to_customer": to_customer,
                        "from_phone": from_phone,
                        "files": files,
                    })
                })
                .collect()
        }
    }
}

async fn comments_over_rest(client: &reqwest::Client, sim: &Simulation, task: i64) -> Result<Vec<Value>, String> {
    let url = format!("{}/task/{task}/comments/list", sim.planfix_url.trim_end_matches('/'));
    let mut out = Vec::new();
    for page in 0..MAX_PAGES {
        let body = json!({
            "offset": page * PAGE_SIZE,
            "pageSize": PAGE_SIZE,
            "fields": "id,dateTime,owner,description,files,recipients",
            "typeList": "Comments",
        });
        let resp =
            client.post(&url).bearer_auth(DEMO_PLANFIX_TOKEN).json(&body).send().await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        let answer: Value = resp.json().await.map_err(|e| e.to_string())?;
        let list = answer.get("comments").and_then(Value::as_array).cloned().unwrap_or_default();
        let n = list.len();
        out.extend(list.iter().map(comment_view));
        if n < PAGE_SIZE {
            break;
        }
    }
    Ok(out)
}

fn comment_view(c: &Value) -> Value {
    let owner_id = c.pointer("/owner/id").and_then(Value::as_str).unwrap_or_default();
    let to_customer = owner_id.starts_with("user:")
        && c.pointer("/recipients/users")
            .and_then(Value::as_array)
            .is_some_and(|users| users.iter().any(|u| u["id"].as_str().is_some_and(|id| id.starts_with("contact:"))));
    let time = match (c.pointer("/dateTime/date").and_then(Value::as_str), c.pointer("/dateTime/time")) {
        (Some(date), Some(Value::String(time))) => Some(format!("{date} {time}")),
        (Some(date), _) => Some(date.to_owned()),
        _ => None,
    };
    let files: Vec<Value> = c
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| json!({ "id": f["id"], "name": f["name"], "size": f["size"] }))
        .collect();
    let (from_phone, html) = phone_message(c["description"].as_str().unwrap_or_default());
    json!({
        "id": c["id"],
        "time": time,
        "author": c.pointer("/owner/name").and_then(Value::as_str).unwrap_or(owner_id),
        "html": html,
        "to_customer": to_customer,
        "from_phone": from_phone,
        "files": files,
    })
}

/// Digits of a WhatsApp address in any provider's form (`whatsapp:+…`, `…@c.us`, digits).
fn digits(address: &str) -> String {
    let number = address.split('@').next().unwrap_or(address);
    number.chars().filter(char::is_ascii_digit).collect()
}

/// A Cloud API media send (Meta, 360dialog) as what the customer received: the file uploaded
/// under its media id (`uploaded`: id, MIME type, length).
fn cloud_api_media(body: &Value, kind: &str, caption: Option<&str>, uploaded: &[(String, String, usize)]) -> Value {
    match body.get(kind).filter(|_| matches!(kind, "image" | "video" | "audio" | "document" | "sticker")) {
        Some(media) => {
            let id = media.get("id").and_then(Value::as_str).unwrap_or_default();
            let stored = uploaded.iter().find(|(uid, _, _)| uid == id);
            json!({
                "file": {
                    "name": media.get("filename").and_then(Value::as_str).unwrap_or(kind),
                    "size": stored.map(|(_, _, len)| *len),
                    "type": stored.map(|(_, mime, _)| mime.clone()),
                },
                "caption": caption,
            })
        }
        None => json!({ "text": format!("({kind} message)") }),
    }
}

/// Per WhatsApp user (sorted by number), per provider, what they received, in order.
fn received(sim: &Simulation) -> Vec<Value> {
    let mut users: BTreeMap<String, Vec<(Provider, Value)>> = BTreeMap::new();
    let mut add =
        |to: &str, provider: Provider, item: Value| users.entry(digits(to)).or_default().push((provider, item));
    if let Some(graph) = &sim.meta {
        let uploaded = graph.uploaded_media();
        for m in graph.sent() {
            let item = match m.kind.as_str() {
                "text" => json!({ "text": m.text().unwrap_or_default() }),
                kind => cloud_api_media(&m.body, kind, m.caption(), &uploaded),
            };
            add(&m.to, Provider::Meta, item);
        }
    }
    if let Some(twilio) = &sim.twilio {
        for m in twilio.sent() {
            let problem = m.async_error_code.map(|code| format!("failed: Twilio error {code}"));
            let item = match &m.media {
                Some(media) => {
                    let from_url = media.url.split('?').next().and_then(|u| u.rsplit('/').next()).unwrap_or("file");
                    json!({
                        "file": {
                            "name": media.filename.clone().unwrap_or_else(|| from_url.to_owned()),
                            "size": media.bytes.len(),
                            "type": media.content_type,
                        },
                        "caption": m.body.clone().filter(|b| !b.is_empty()),
                        "problem": problem,
                    })
                }
                None => json!({
                    "text": m.body.clone().or_else(|| m.content_sid.as_ref().map(|sid| format!("(template {sid})"))),
                    "problem": problem,
                }),
            };
            add(&m.to, Provider::Twilio, item);
        }
    }
    if let Some(green) = &sim.green {
        for m in green.sent() {
            let item = match &m.file {
                Some(file) => json!({
                    "file": { "name": file.file_name, "size": file.bytes.len(), "type": file.content_type },
                    "caption": file.caption,
                }),
                None => json!({ "text": m.message }),
            };
            add(&m.chat_id, Provider::GreenApi, item);
        }
    }
    if let Some(d360) = &sim.dialog360 {
        let uploaded = d360.uploaded_media();
        for m in d360.sent() {
            let item = match m.kind.as_str() {
                "text" => json!({ "text": m.text().unwrap_or_default() }),
                kind => cloud_api_media(&m.body, kind, m.caption(), &uploaded),
            };
            add(&m.to, Provider::Dialog360, item);
        }
    }
    if let Some(wazzup) = &sim.wazzup {
        for m in wazzup.sent() {
            let item = match &m.content {
                Some((bytes, content_type, name)) => json!({
                    "file": { "name": name, "size": bytes.len(), "type": content_type },
                    "caption": m.text,
                }),
                None => json!({ "text": m.text }),
            };
            add(&m.chat_id, Provider::Wazzup, item);
        }
    }
    users
        .into_iter()
        .map(|(user, items)| {
            let mut providers: Vec<Value> = Vec::new();
            for provider in Provider::ALL {
                let got: Vec<Value> =
                    items.iter().filter(|(p, _)| *p == provider).map(|(_, item)| item.clone()).collect();
                if !got.is_empty() {
                    providers
                        .push(json!({ "provider": provider.kind(), "account": account_of(provider), "received": got }));
                }
            }
            json!({ "user": user, "providers": providers })
        })
        .collect()
}
