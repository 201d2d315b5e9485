//! Simulation mode: the embedded demo account and the "WhatsApp user" commands.

use std::time::{SystemTime, UNIX_EPOCH};

use bridge_core::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings};
use bridge_core::domain::AccountId;
use meta_sim::webhook::{self, Business, Sender};

use crate::cli::{ReplyArgs, SendArgs, ShowArgs};

pub const DEMO_ACCOUNT: &str = "demo";
pub const DEMO_APP_SECRET: &str = "demo-app-secret";
pub const DEMO_PLANFIX_TOKEN: &str = "demo-planfix-token";
pub const DEMO_PLANFIX_HOOK_SECRET: &str = "demo-planfix-hook-secret";
pub const DEMO_ACCESS_TOKEN: &str = "demo-graph-token";
pub const DEMO_PHONE_NUMBER_ID: &str = "100200300400500";

pub fn demo_business() -> Business {
    Business {
        phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    }
}

/// The demo account, wired to the simulators' URLs.
pub fn demo_account(planfix_base_url: String, graph_base_url: String) -> AccountConfig {
    AccountConfig {
        id: AccountId::parse(DEMO_ACCOUNT).expect("static id is valid"),
        planfix: PlanfixConfig {
            base_url: planfix_base_url,
            token: Secret::new(DEMO_PLANFIX_TOKEN),
            webhook_secret: Secret::new(DEMO_PLANFIX_HOOK_SECRET),
            // Real Planfix allows 1/s; the simulator is quicker so the demo does not drag.
            requests_per_second: 10.0,
        },
        provider: ProviderConfig::Meta(MetaConfig {
            app_secret: Secret::new(DEMO_APP_SECRET),
            verify_token: Secret::new("demo-verify-token"),
            access_token: Secret::new(DEMO_ACCESS_TOKEN),
            phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
            graph_base_url,
            graph_api_version: "v21.0".into(),
        }),
        settings: Some(Settings::default()),
    }
}

fn now() -> (i64, u128) {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() as i64, d.as_nanos())
}

pub async fn send(args: SendArgs) -> Result<(), String> {
    let (secs, nanos) = now();
    let sender = Sender { wa_id: args.from.clone(), profile_name: args.name.clone() };
    let wamid = format!("wamid.local{nanos}");
    let payload = match &args.file {
        None => webhook::text_message(&demo_business(), &sender, &wamid, secs, &args.text),
        Some(path) => {
            let (media_id, mime, name) = upload(&args.bridge, "whatsapp/media", path).await?;
            let kind = match mime.split('/').next() {
                Some("image") => "image",
                Some("video") => "video",
                Some("audio") => "audio",
                _ => "document",
            };
            let caption = Some(args.text.as_str()).filter(|t| !t.is_empty() && kind != "audio");
            let filename = Some(name.as_str()).filter(|_| kind == "document");
            webhook::media_message(
                &demo_business(),
                &sender,
                &wamid,
                secs,
                kind,
                &media_id,
                &mime,
                caption,
                filename,
                false,
            )
        }
    };
    let body = payload.to_string();
    let url = format!("{}/webhooks/meta/{DEMO_ACCOUNT}", args.bridge.trim_end_matches('/'));
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", webhook::sign(DEMO_APP_SECRET.as_bytes(), body.as_bytes()))
        .body(body)
        .send()
        .await
        .map_err(|e| format!("cannot reach the bridge at {url}: {e} (is `bridge-local serve` running?)"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    println!("bridge answered {status}: {text}");
    if status.is_success() {
        println!("see it in Planfix (simulated): bridge-local show");
        Ok(())
    } else {
        Err("the bridge did not accept the message".into())
    }
}

pub async fn show(args: ShowArgs) -> Result<(), String> {
    for (title, page) in
        [("Planfix (simulated)", "planfix"), ("WhatsApp messages sent to customers (simulated)", "whatsapp")]
    {
        let url = format!("{}/sim/{page}", args.bridge.trim_end_matches('/'));
        let resp = reqwest::get(&url).await.map_err(|e| format!("cannot reach {url}: {e}"))?;
        let value: serde_json::Value = resp.json().await.map_err(|e| format!("unexpected answer from {url}: {e}"))?;
        println!("== {title}\n{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    Ok(())
}

/// Uploads a local file into one of the simulators; returns (id, mime, file name).
async fn upload(bridge: &str, page: &str, path: &std::path::Path) -> Result<(String, String, String), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file").to_owned();
    let mime = mime_guess::from_path(path).first_or_octet_stream().essence_str().to_owned();
    let url = format!("{}/sim/{page}", bridge.trim_end_matches('/'));
    let resp = reqwest::Client::new()
        .post(&url)
        .query(&[("name", name.as_str()), ("mime", mime.as_str())])
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let value: serde_json::Value = resp.json().await.map_err(|e| format!("unexpected answer from {url}: {e}"))?;
    let id = match &value["id"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(format!("no id in {value}")),
    };
    Ok((id, mime, name))
}

pub async fn reply(args: ReplyArgs) -> Result<(), String> {
    let url = format!("{}/sim/planfix/reply", args.bridge.trim_end_matches('/'));
    let mut file_ids = Vec::new();
    if let Some(path) = &args.file {
        let (id, _, _) = upload(&args.bridge, "planfix/file", path).await?;
        file_ids.push(id.parse::<i64>().map_err(|e| e.to_string())?);
    }
    let body = serde_json::json!({ "task": args.task, "text": args.text, "notify_contact": !args.internal, "file_ids": file_ids });
    let resp =
        reqwest::Client::new().post(&url).json(&body).send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    println!("{text}");
    if status.is_success() {
        println!("see what the customer got: bridge-local show");
        Ok(())
    } else {
        Err(format!("reply failed with {status}"))
    }
}
