//! 360dialog's webhooks: Meta's payload (parsed by the Meta adapter's parser), authenticated by
//! the secret header registered with the webhook URL — 360dialog signs nothing on number
//! webhooks (NOTES §4: custom headers are supported; `x-360dialog-signature` is documented only
//! for partner webhooks, unconfirmed on these). A wrong or missing secret answers exactly like
//! an unknown account.

use bridge_core::config::{Dialog360Config, Secret};
use bridge_core::ports::{Parsed, ProviderWebhook, WebhookError, WebhookRequest};

use crate::meta::parse_cloud_api;

/// The header the bridge registers (`POST /v1/configs/webhook` `headers`); no `_`, which
/// 360dialog refuses in header names.
pub const SECRET_HEADER: &str = "x-bridge-secret";

pub struct Dialog360Webhook {
    secret: Secret,
    phone_number_id: String,
}

impl Dialog360Webhook {
    pub fn new(cfg: &Dialog360Config) -> Self {
        Self { secret: cfg.webhook_secret.clone(), phone_number_id: cfg.phone_number_id.clone() }
    }
}

impl ProviderWebhook for Dialog360Webhook {
    fn verify(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        // A repeated header is as unknown as a wrong one: nothing about the account leaks.
        let presented = bridge_core::credentials::single(req.headers, SECRET_HEADER)
            .map_err(|_| WebhookError::UnknownAccount)?
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        // An empty configured secret never matches anything (a config error must not open the route).
        if self.secret.expose().is_empty() || !self.secret.matches(presented) {
            return Err(WebhookError::UnknownAccount);
        }
        Ok(())
    }

    fn parse(&self, req: &WebhookRequest<'_>) -> Result<Parsed, WebhookError> {
        parse_cloud_api(req.body, &self.phone_number_id)
    }

    fn conceals_account(&self) -> bool {
        true
    }
}
