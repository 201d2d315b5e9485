//! 360dialog webhook bodies (Meta's payload, Meta's parser, this number's `phone_number_id`):
//! with the registered secret in `X-Bridge-Secret` a body passes `verify` and is parsed, and its
//! refused items obey the per-item properties (`common.rs`); any other secret header is refused
//! without a panic.
#![no_main]
use bridge_core::config::{Dialog360Config, Secret};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::dialog360::{Dialog360Webhook, SECRET_HEADER};
use libfuzzer_sys::fuzz_target;

mod common;

const SECRET: &str = "fuzz-360dialog-secret-0123";

fuzz_target!(|data: &[u8]| {
    let cfg = Dialog360Config {
        api_key: Secret::new("fuzz-d360-api-key-0123"),
        // The reference samples' number (`/work/shared/reference/providers/360dialog/`).
        phone_number_id: "100000000000002".into(),
        webhook_secret: Secret::new(SECRET),
        api_base_url: "http://127.0.0.1:9".into(),
    };
    let hook = Dialog360Webhook::new(&cfg);

    let mut forged = http::HeaderMap::new();
    if let Some(v) = common::header_from(data, 40) {
        forged.insert(SECRET_HEADER, v);
    }
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &forged, body: data };
    let _ = hook.verify(&req);

    let mut headers = http::HeaderMap::new();
    headers.insert(SECRET_HEADER, http::HeaderValue::from_static(SECRET));
    let req = WebhookRequest { route: WebhookRoute::Main, public_url: None, headers: &headers, body: data };
    assert_eq!(hook.verify(&req), Ok(()), "the registered secret is refused");
    common::parse_and_check(&hook, &req);
});
