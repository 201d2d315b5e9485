//! Twilio form bodies on both routes: any `X-Twilio-Signature` made of the input is refused
//! without a panic; parsing is called directly (no Twilio signature is computed here: Twilio
//! signs the public URL and the sorted form, which the signature tests cover) and answers Ok or
//! a 4xx-class error, its refused items obeying the per-item properties (`common.rs`).
#![no_main]
use bridge_core::config::{Secret, TwilioConfig};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::twilio::TwilioWebhook;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let cfg = TwilioConfig {
        // The reference samples' account (`/work/shared/reference/providers/twilio/`): other
        // accounts' forms are refused before any item is read.
        account_sid: "AC1a03647d811fab342c0ad608e382fab2".into(),
        auth_token: Secret::new("fuzz-auth-token-0123456789abcdef"),
        whatsapp_from: "+14155238886".into(),
        api_base_url: "http://127.0.0.1:9".into(),
        media_auth: true,
    };
    let hook = TwilioWebhook::new(&cfg);
    let mut headers = http::HeaderMap::new();
    if let Some(v) = common::header_from(data, 40) {
        headers.insert("x-twilio-signature", v);
    }
    for route in [WebhookRoute::Main, WebhookRoute::Status] {
        let req = WebhookRequest {
            route,
            public_url: Some("https://x.test/webhooks/twilio/a"),
            headers: &headers,
            body: data,
        };
        let _ = hook.verify(&req);
        common::parse_and_check(&hook, &req);
    }
});
