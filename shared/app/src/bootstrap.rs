//! Builds the [`Bridge`] once per cold start from typed configuration.

use std::sync::Arc;
use std::time::Duration;

use bridge_core::accounts::{AccountSource, Accounts, LoadedAccounts, RuntimeBuilder};
use bridge_core::config::{AccountConfig, ProviderConfig};
use bridge_core::file_relay::FileRelay;
use bridge_core::inbound::InboundProcessor;
use bridge_core::lease::LeaseTiming;
use bridge_core::outbound::OutboundProcessor;
use bridge_core::ports::{BlobStore, FileJobQueue, ProviderMedia, ProviderSender, ProviderWebhook, Store, WorkQueue};
use bridge_core::retry::RetryPolicy;
use bridge_core::settings_cache::SettingsCache;
use bridge_core::status_cache::StatusCache;
use bridge_core::throttle::StoreThrottle;
use bridge_core::{AccountRuntime, Bridge};
use bridge_planfix::PlanfixRest;
use bridge_providers::dialog360::{Dialog360Client, Dialog360Webhook};
use bridge_providers::green_api::{GreenApiClient, GreenApiWebhook};
use bridge_providers::meta::{MetaClient, MetaWebhook};
use bridge_providers::twilio::{TwilioClient, TwilioWebhook};
use bridge_providers::wazzup::{WazzupClient, WazzupWebhook};

#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("missing environment variable {0}")]
    MissingEnv(&'static str),
    #[error("configuration: {0}")]
    Config(String),
}

/// How long settings read from the store stay cached in one instance.
const SETTINGS_TTL: Duration = Duration::from_secs(60);

pub struct Tuning {
    pub timing: LeaseTiming,
    pub message_lease_secs: i64,
    pub send_retry: RetryPolicy,
    /// Settings in account configs overwrite the store's (local config files) instead of only
    /// seeding absent ones (SSM).
    pub config_settings_override: bool,
    /// Longest wait for one Planfix or provider API answer; a hung call becomes a retry.
    pub http_timeout: Duration,
    /// The base URL providers reach the webhooks at (`BRIDGE_PUBLIC_URL`, e.g.
    /// `https://abc.execute-api.eu-west-1.amazonaws.com`): Twilio signs the URL it calls, and
    /// the bridge names its status route in every Twilio send.
    pub public_url: Option<String>,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            timing: LeaseTiming::default(),
            message_lease_secs: 120,
            send_retry: RetryPolicy::default(),
            config_settings_override: false,
            http_timeout: Duration::from_secs(15),
            public_url: None,
        }
    }
}

/// The deployment's shared infrastructure: the store, the queue from the webhooks to the
/// worker, the queue that hands files to the relay, and (in the relay) the blob store.
pub struct Infra {
    pub store: Arc<dyn Store>,
    pub work: Arc<dyn WorkQueue>,
    pub file_jobs: Arc<dyn FileJobQueue>,
    pub blob: Option<Arc<dyn BlobStore>>,
}

/// The runtime of one account: its provider and Planfix clients over the shared HTTP client,
/// Planfix calls paced through the store (shared by every instance).
fn account_runtime(
    http: &reqwest::Client,
    store: &Arc<dyn Store>,
    public_url: Option<&str>,
    cfg: &AccountConfig,
) -> AccountRuntime {
    let (webhook, sender, media): (Arc<dyn ProviderWebhook>, Arc<dyn ProviderSender>, Arc<dyn ProviderMedia>) =
        match &cfg.provider {
            ProviderConfig::Meta(meta) => {
                let client = Arc::new(MetaClient::new(http.clone(), meta));
                (Arc::new(MetaWebhook::new(meta)), client.clone(), client)
            }
            ProviderConfig::Twilio(twilio) => {
                let status_url =
                    public_url.map(|base| format!("{}/webhooks/twilio/{}/status", base.trim_end_matches('/'), cfg.id));
                if status_url.is_none() {
                    tracing::warn!(account = %cfg.id, "no public URL configured: Twilio webhooks cannot be verified and no delivery statuses will come back");
                }
                let client = Arc::new(TwilioClient::new(http.clone(), twilio, status_url));
                (Arc::new(TwilioWebhook::new(twilio)), client.clone(), client)
            }
            ProviderConfig::GreenApi(green) => {
                let client = Arc::new(GreenApiClient::new(http.clone(), green));
                (Arc::new(GreenApiWebhook::new(green)), client.clone(), client)
            }
            ProviderConfig::Dialog360(d360) => {
                let client = Arc::new(Dialog360Client::new(http.clone(), d360));
                (Arc::new(Dialog360Webhook::new(d360)), client.clone(), client)
            }
            ProviderConfig::Wazzup(wazzup) => {
                let client = Arc::new(WazzupClient::new(http.clone(), wazzup));
                (Arc::new(WazzupWebhook::new(wazzup)), client.clone(), client)
            }
        };
    let throttle = Arc::new(StoreThrottle::per_second(store.clone(), cfg.id.clone(), cfg.planfix.requests_per_second));
    let planfix = Arc::new(PlanfixRest::new(http.clone(), &cfg.planfix).for_account(&cfg.id).with_throttle(throttle));
    AccountRuntime {
        id: cfg.id.clone(),
        provider_kind: cfg.provider.kind(),
        webhook,
        planfix: planfix.clone(),
        sender,
        media,
        planfix_files: planfix,
        planfix_webhook_secret: cfg.planfix.webhook_secret.clone(),
    }
}

/// Assembles the app from accounts and infrastructure. Settings in account configs seed the
/// store: always for a local config file (the file is what the user edits), only where the
/// store has none for configs from SSM (there the store, edited with bridge-admin, rules).
pub async fn build_app(accounts: Vec<AccountConfig>, infra: Infra, tuning: Tuning) -> Result<Bridge, BootError> {
    build_app_refreshing(accounts, infra, tuning, None).await
}

/// Like [`build_app`], re-reading the accounts from `refresh` once they are older than its TTL.
/// Broken accounts (and configs that break a rule, checked here again) are held beside the
/// good ones and answered as unavailable: the app boots whatever they hold, even with no good
/// account at all.
pub async fn build_app_refreshing(
    accounts: impl Into<LoadedAccounts>,
    infra: Infra,
    tuning: Tuning,
    refresh: Option<(Arc<dyn AccountSource>, Duration)>,
) -> Result<Bridge, BootError> {
    let accounts = accounts.into().checked();
    if accounts.good.is_empty() {
        tracing::warn!(broken = accounts.broken.len(), "no account can be served");
    }
    let http = crate::tls::http_client(tuning.http_timeout);
    let store = infra.store;
    for cfg in &accounts.good {
        let Some(settings) = &cfg.settings else { continue };
        let absent = || async { store.get_settings(&cfg.id).await.map(|s| s.is_none()) };
        let seed = tuning.config_settings_override || absent().await.map_err(|e| BootError::Config(e.to_string()))?;
        if seed {
            store.put_settings(&cfg.id, settings).await.map_err(|e| BootError::Config(e.to_string()))?;
        }
    }
    let paced_by = store.clone();
    let public_url = tuning.public_url.clone();
    let builder: RuntimeBuilder =
        Arc::new(move |cfg: &AccountConfig| account_runtime(&http, &paced_by, public_url.as_deref(), cfg));
    let accounts = Accounts::new(accounts, builder, refresh);
    Ok(Bridge {
        accounts,
        store,
        blob: infra.blob,
        relay: FileRelay { lease_secs: tuning.message_lease_secs },
        inbound: InboundProcessor {
            settings: SettingsCache::new(SETTINGS_TTL),
            statuses: StatusCache::default(),
            timing: tuning.timing.clone(),
            message_lease_secs: tuning.message_lease_secs,
            file_jobs: infra.file_jobs.clone(),
        },
        work: infra.work,
        public_url: tuning.public_url.clone(),
        outbound: OutboundProcessor {
            file_jobs: infra.file_jobs,
            retry: tuning.send_retry,
            lease: LeaseTiming { lease_secs: tuning.message_lease_secs, ..tuning.timing.clone() },
        },
    })
}
