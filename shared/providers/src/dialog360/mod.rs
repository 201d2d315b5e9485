//! 360dialog (NOTES §4): Meta's Cloud API on `waba-v2.360dialog.io` with a `D360-API-KEY`.
//! Webhooks carry Meta's payload, parsed by the Meta adapter's parser (one parser, two
//! adapters); sending and media go through the Meta client pointed at 360dialog's host. What
//! differs is here: the webhook secret header, the media host, and 360dialog's limits.

mod media_guard;
mod webhook;

use std::sync::Arc;

use async_trait::async_trait;

use bridge_core::config::Dialog360Config;
use bridge_core::domain::{MediaRef, Phone};
use bridge_core::ports::{Capabilities, MediaDownload, OutgoingFile, ProviderMedia, ProviderSender, SendFailure};

use crate::meta::{CloudAuth, MetaClient};
pub use media_guard::MediaGuard;
pub use webhook::{Dialog360Webhook, SECRET_HEADER};

/// Sending, media and capabilities of one 360dialog number: Meta's client on 360dialog's host,
/// with media look-ups behind a guard that keeps retries from tripping 360dialog's block.
pub struct Dialog360Client {
    cloud: MetaClient,
    guard: Arc<MediaGuard>,
}

impl Dialog360Client {
    pub fn new(http: reqwest::Client, cfg: &Dialog360Config) -> Self {
        let cloud = MetaClient::hosted(http, &cfg.api_base_url, CloudAuth::ApiKey(cfg.api_key.clone()));
        Self { cloud, guard: Arc::new(MediaGuard::default()) }
    }
}

#[async_trait]
impl ProviderSender for Dialog360Client {
    fn capabilities(&self) -> Capabilities {
        // Same limits as Meta: 360dialog passes the Cloud API through (NOTES §4).
        self.cloud.capabilities()
    }

    async fn send_text(
        &self,
        to: &Phone,
        text: &str,
        reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        self.cloud.send_text(to, text, reference, reply_to).await
    }
}

#[async_trait]
impl ProviderMedia for Dialog360Client {
    async fn download(&self, media: &MediaRef) -> Result<MediaDownload, SendFailure> {
        self.guard.admit()?;
        let result = self.cloud.download(media).await;
        if let Err(e) = &result {
            self.guard.record_failure(e);
        }
        result
    }

    async fn send_file(&self, to: &Phone, file: OutgoingFile, reference: &str) -> Result<String, SendFailure> {
        self.cloud.send_file(to, file, reference).await
    }
}
