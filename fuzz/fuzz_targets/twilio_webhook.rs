//! Twilio form bodies on both routes: verification and parsing answer Ok or a 4xx-class error,
//! never panic (NumMedia, MediaUrlN, coordinates and SIDs come from the body).
#![no_main]
use bridge_core::config::{Secret, TwilioConfig};
use bridge_core::ports::{ProviderWebhook, WebhookRequest, WebhookRoute};
use bridge_providers::twilio::TwilioWebhook;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cfg = TwilioConfig {
        account_sid: "AC0123456789abcdef0123456789abcdef".into(),
        auth_token: Secret::new("fuzz-auth-token"),
        whatsapp_from: "+14155238886".into(),
        api_base_url: "http://127.0.0.1:9".into(),
        media_auth: true,
    };
    let hook = TwilioWebhook::new(&cfg);
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_bytes(&data[..data.len().min(40)]) {
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
        let _ = hook.parse(&req);
    }
});
