//! Builds the [`App`] once per cold start from typed configuration.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::adapters::meta::{MetaSender, MetaWebhook};
use crate::adapters::{DynamoStore, FileStore, PlanfixRest};
use crate::config::{load_accounts_from_ssm, AccountConfig, LocalConfig, ProviderConfig, StoreConfig};
use crate::core::conversation::LeaseTiming;
use crate::core::inbound::InboundProcessor;
use crate::core::outbound::{OutboundProcessor, RetryPolicy};
use crate::core::settings_cache::SettingsCache;
use crate::core::status_cache::StatusCache;
use crate::core::AccountRuntime;
use crate::ports::Store;
use crate::web::App;

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
}

impl Default for Tuning {
    fn default() -> Self {
        Self { timing: LeaseTiming::default(), message_lease_secs: 120, send_retry: RetryPolicy::default() }
    }
}

/// Assembles the app from accounts and a store. Settings given in account configs seed the store.
pub async fn build_app(accounts: Vec<AccountConfig>, store: Arc<dyn Store>, tuning: Tuning) -> Result<App, BootError> {
    let http = PlanfixRest::default_http_client();
    let mut map = HashMap::new();
    for cfg in accounts {
        if let Some(settings) = &cfg.settings {
            store.put_settings(&cfg.id, settings).await.map_err(|e| BootError::Config(e.to_string()))?;
        }
        let (webhook, sender): (Arc<dyn crate::ports::ProviderWebhook>, Arc<dyn crate::ports::ProviderSender>) = match &cfg.provider {
            ProviderConfig::Meta(meta) => (Arc::new(MetaWebhook::new(meta)), Arc::new(MetaSender::new(http.clone(), meta))),
        };
        let runtime = AccountRuntime {
            id: cfg.id.clone(),
            provider_kind: cfg.provider.kind(),
            webhook,
            planfix: Arc::new(PlanfixRest::new(http.clone(), &cfg.planfix)),
            sender,
            planfix_webhook_secret: cfg.planfix.webhook_secret.clone(),
        };
        if map.insert(cfg.id.clone(), Arc::new(runtime)).is_some() {
            return Err(BootError::Config(format!("account {} is configured twice", cfg.id)));
        }
    }
    Ok(App {
        accounts: map,
        store,
        inbound: InboundProcessor {
            settings: SettingsCache::new(SETTINGS_TTL),
            statuses: StatusCache::default(),
            timing: tuning.timing.clone(),
            message_lease_secs: tuning.message_lease_secs,
        },
        outbound: OutboundProcessor {
            retry: tuning.send_retry,
            job_lease_secs: tuning.message_lease_secs,
            wait: tuning.timing.wait,
            poll: tuning.timing.poll,
        },
    })
}

/// Lambda: table name from `BRIDGE_TABLE`, accounts from SSM under `BRIDGE_SSM_PREFIX`.
pub async fn app_from_env() -> Result<App, BootError> {
    let table = std::env::var("BRIDGE_TABLE").map_err(|_| BootError::MissingEnv("BRIDGE_TABLE"))?;
    let prefix = std::env::var("BRIDGE_SSM_PREFIX").map_err(|_| BootError::MissingEnv("BRIDGE_SSM_PREFIX"))?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let accounts = load_accounts_from_ssm(&ssm, &prefix).await.map_err(|e| BootError::Config(e.to_string()))?;
    tracing::info!(accounts = accounts.len(), "configuration loaded from SSM");
    let store = Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table));
    build_app(accounts, store, Tuning::default()).await
}

/// Local run: accounts and store from the TOML config file.
pub async fn app_from_local(cfg: LocalConfig) -> Result<App, BootError> {
    let store: Arc<dyn Store> = match &cfg.store {
        StoreConfig::File { path } => Arc::new(FileStore::open(path).map_err(|e| BootError::Config(e.to_string()))?),
        StoreConfig::Dynamodb { table } => {
            let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table.clone()))
        }
    };
    build_app(cfg.accounts, store, Tuning::default()).await
}
