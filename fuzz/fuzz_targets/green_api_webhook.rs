//! Green-API notification bodies: verification and parsing answer Ok or a 4xx-class error,
//! never panic.
#![no_main]
use bridge_core::config::{GreenApiConfig, GreenApiFileSend, Secret};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::green_api::GreenApiWebhook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = GreenApiConfig {
        id_instance: 1101000001,
        api_token_instance: Secret::new("fuzz"),
        api_url: "http://127.0.0.1:9".into(),
        media_url: None,
        webhook_url_token: Some(Secret::new("fuzz-webhook-token")),
        allow_unauthenticated_webhooks: false,
        file_send: GreenApiFileSend::Url,
    };
    let hook = GreenApiWebhook::new(&cfg);
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_bytes(&data[..data.len().min(40)]) {
        headers.insert("authorization", v);
    }
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &headers, body: data };
    let _ = hook.verify(&req);
    let _ = hook.parse(&req);
});
