//! The bridge's domain, ports and logic, free of Lambda, AWS, HTTP frameworks and of any
//! particular provider or store: this crate depends on none of them, so a wrong import does not
//! compile. Adapters (`bridge-aws`, `bridge-embedded`, `bridge-planfix`, `bridge-providers`)
//! implement [`ports`]; `bridge-http` routes requests here; `bridge-app` assembles it all.
//!
//! Inbound flow = [`intake`] (verify, parse, dedupe, record in the conversation's inbox, queue
//! — fast, no Planfix) in the webhook, then [`worker`] (drains the inbox in send order through
//! [`inbound::InboundProcessor`], Planfix calls) behind a durable queue.

pub mod accounts;
pub mod bridge;
pub mod config;
pub mod conversation;
pub mod credentials;
pub mod domain;
pub mod error;
pub mod file_relay;
pub mod html;
pub mod inbound;
pub mod intake;
pub mod lease;
pub mod metrics;
pub mod outbound;
pub mod planfix_webhook;
pub mod ports;
pub mod render;
pub mod reply_context;
pub mod retry;
pub mod settings_cache;
pub mod status_cache;
pub mod sweep;
pub mod task_status;
pub mod text_split;
pub mod throttle;
pub mod whatsapp_text;
pub mod worker;

use std::sync::Arc;

pub use bridge::Bridge;

use crate::config::Secret;
use crate::domain::AccountId;
use crate::ports::{PlanfixApi, PlanfixFiles, ProviderMedia, ProviderSender, ProviderWebhook};

/// Everything one account needs at run time, built once per cold start.
pub struct AccountRuntime {
    pub id: AccountId,
    pub provider_kind: &'static str,
    pub webhook: Arc<dyn ProviderWebhook>,
    pub planfix: Arc<dyn PlanfixApi>,
    pub sender: Arc<dyn ProviderSender>,
    pub media: Arc<dyn ProviderMedia>,
    pub planfix_files: Arc<dyn PlanfixFiles>,
    /// Shared secret of the Planfix scenario's requests (`POST /planfix/{account}`).
    pub planfix_webhook_secret: Secret,
}
