//! Simulation mode: the embedded demo account and the "WhatsApp user" commands.

use std::time::{SystemTime, UNIX_EPOCH};

use meta_sim::webhook::{self, Business, Sender};
use shared::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings};
use shared::domain::AccountId;

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
    let payload = webhook::text_message(&demo_business(), &sender, &format!("wamid.local{nanos}"), secs, &args.text);
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
    for (title, page) in [("Planfix (simulated)", "planfix"), ("WhatsApp messages sent to customers (simulated)", "whatsapp")] {
        let url = format!("{}/sim/{page}", args.bridge.trim_end_matches('/'));
        let resp = reqwest::get(&url).await.map_err(|e| format!("cannot reach {url}: {e}"))?;
        let value: serde_json::Value = resp.json().await.map_err(|e| format!("unexpected answer from {url}: {e}"))?;
        println!("== {title}\n{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    Ok(())
}

pub async fn reply(args: ReplyArgs) -> Result<(), String> {
    let url = format!("{}/sim/planfix/reply", args.bridge.trim_end_matches('/'));
    let body = serde_json::json!({ "task": args.task, "text": args.text, "notify_contact": !args.internal });
    let resp = reqwest::Client::new().post(&url).json(&body).send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
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
