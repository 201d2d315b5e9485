//! Meta webhook bodies: verification and parsing must answer Ok or a 4xx-class error, never panic.
#![no_main]
use bridge_core::config::{MetaConfig, Secret};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::meta::MetaWebhook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = MetaConfig {
        app_secret: Secret::new("fuzz"),
        verify_token: Secret::new("fuzz"),
        access_token: Secret::new("fuzz"),
        phone_number_id: "1122334455667".into(),
        graph_base_url: "http://127.0.0.1:9".into(),
        graph_api_version: "v21.0".into(),
    };
    let hook = MetaWebhook::new(&cfg);
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_bytes(&data[..data.len().min(80)]) {
        headers.insert("x-hub-signature-256", v);
    }
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &headers, body: data };
    let _ = hook.parse(&req);
    let _ = hook.verify(&req);
    let text = String::from_utf8_lossy(data);
    let pairs: Vec<(String, String)> =
        text.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let _ = hook.handshake(&pairs);
});
