//! The bridge's logic, free of Lambda and of any particular provider or store.
//!
//! Inbound flow = [`intake`] (verify, parse, dedupe, record — fast, no Planfix) followed by
//! [`inbound::InboundProcessor`] (Planfix calls). Keeping them apart lets a durable queue sit
//! between them later without touching either.

pub mod conversation;
pub mod html;
pub mod inbound;
pub mod intake;
pub mod render;
pub mod settings_cache;
pub mod status_cache;

use std::sync::Arc;

use crate::domain::AccountId;
use crate::ports::{PlanfixApi, ProviderWebhook};

/// Everything one account needs at run time, built once per cold start.
pub struct AccountRuntime {
    pub id: AccountId,
    pub provider_kind: &'static str,
    pub webhook: Arc<dyn ProviderWebhook>,
    pub planfix: Arc<dyn PlanfixApi>,
}
