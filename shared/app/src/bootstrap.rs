//! Builds the [`App`] once per cold start from typed configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::adapters::meta::{MetaSender, MetaWebhook};
use crate::adapters::dir_blob::DirBlobStore;
use crate::adapters::s3_blob::{s3_client, S3BlobStore};
use crate::adapters::{DynamoStore, FileStore, LocalQueue, PlanfixRest, SqsQueue, SqsWorkQueue};
use crate::config::{load_accounts_from_ssm, AccountConfig, LocalConfig, ProviderConfig, StoreConfig};
use crate::core::conversation::LeaseTiming;
use crate::core::inbound::InboundProcessor;
use crate::core::outbound::{OutboundProcessor, RetryPolicy};
use crate::core::settings_cache::SettingsCache;
use crate::core::status_cache::StatusCache;
use crate::core::file_relay::FileRelay;
use crate::core::throttle::StoreThrottle;
use crate::core::accounts::{AccountSource, Accounts, RuntimeBuilder};
use crate::core::AccountRuntime;
use crate::domain::{FileJob, Work};
use crate::ports::{BlobStore, JobQueue, ProviderMedia, ProviderSender, ProviderWebhook, QueueError, Store, WorkQueue};
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
    /// Settings in account configs overwrite the store's (local config files) instead of only
    /// seeding absent ones (SSM).
    pub config_settings_override: bool,
    /// Longest wait for one Planfix or provider API answer; a hung call becomes a retry.
    pub http_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            timing: LeaseTiming::default(),
            message_lease_secs: 120,
            send_retry: RetryPolicy::default(),
            config_settings_override: false,
            http_timeout: Duration::from_secs(15),
        }
    }
}

/// How long accounts read from SSM are trusted before they are read again (`BRIDGE_CONFIG_TTL_SECS`).
const DEFAULT_CONFIG_TTL: Duration = Duration::from_secs(300);

/// Accounts from SSM, for refreshes.
pub struct SsmAccounts {
    pub client: aws_sdk_ssm::Client,
    pub prefix: String,
}

#[async_trait::async_trait]
impl AccountSource for SsmAccounts {
    async fn load(&self) -> Result<Vec<AccountConfig>, String> {
        load_accounts_from_ssm(&self.client, &self.prefix).await.map_err(|e| e.to_string())
    }
}

/// The deployment's shared infrastructure: the store, the queue from the webhooks to the
/// worker, the queue that hands files to the relay, and (in the relay) the blob store.
pub struct Infra {
    pub store: Arc<dyn Store>,
    pub work: Arc<dyn WorkQueue>,
    pub files: Arc<dyn JobQueue>,
    pub blob: Option<Arc<dyn BlobStore>>,
}

/// A queue a function was not given (least privilege: the webhooks never relay files, the
/// relay never queues work). Using it is a deployment mistake, reported as such.
struct NotConfigured(&'static str);

#[async_trait::async_trait]
impl JobQueue for NotConfigured {
    async fn enqueue(&self, _: &FileJob) -> Result<(), QueueError> {
        Err(QueueError(format!("{} is not set for this function", self.0)))
    }
}

#[async_trait::async_trait]
impl WorkQueue for NotConfigured {
    async fn enqueue(&self, _: &[Work]) -> Result<(), QueueError> {
        Err(QueueError(format!("{} is not set for this function", self.0)))
    }
}

/// The runtime of one account: its provider and Planfix clients over the shared HTTP client,
/// Planfix calls paced through the store (shared by every instance).
fn account_runtime(http: &reqwest::Client, store: &Arc<dyn Store>, cfg: &AccountConfig) -> AccountRuntime {
    let (webhook, sender, media): (Arc<dyn ProviderWebhook>, Arc<dyn ProviderSender>, Arc<dyn ProviderMedia>) = match &cfg.provider {
        ProviderConfig::Meta(meta) => {
            let client = Arc::new(MetaSender::new(http.clone(), meta));
            (Arc::new(MetaWebhook::new(meta)), client.clone(), client)
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
        files: planfix,
        planfix_webhook_secret: cfg.planfix.webhook_secret.clone(),
    }
}

/// Assembles the app from accounts and infrastructure. Settings in account configs seed the
/// store: always for a local config file (the file is what the user edits), only where the
/// store has none for configs from SSM (there the store, edited with bridge-admin, rules).
pub async fn build_app(accounts: Vec<AccountConfig>, infra: Infra, tuning: Tuning) -> Result<App, BootError> {
    build_app_refreshing(accounts, infra, tuning, None).await
}

/// Like [`build_app`], re-reading the accounts from `refresh` once they are older than its TTL.
pub async fn build_app_refreshing(accounts: Vec<AccountConfig>, infra: Infra, tuning: Tuning, refresh: Option<(Arc<dyn AccountSource>, Duration)>)
    -> Result<App, BootError> {
    let http = PlanfixRest::http_client(tuning.http_timeout);
    let store = infra.store;
    for cfg in &accounts {
        let Some(settings) = &cfg.settings else { continue };
        let absent = || async { store.get_settings(&cfg.id).await.map(|s| s.is_none()) };
        let seed = tuning.config_settings_override || absent().await.map_err(|e| BootError::Config(e.to_string()))?;
        if seed {
            store.put_settings(&cfg.id, settings).await.map_err(|e| BootError::Config(e.to_string()))?;
        }
    }
    let paced_by = store.clone();
    let builder: RuntimeBuilder = Arc::new(move |cfg: &AccountConfig| account_runtime(&http, &paced_by, cfg));
    let accounts = Accounts::new(&accounts, builder, refresh).map_err(BootError::Config)?;
    Ok(App {
        accounts,
        store,
        blob: infra.blob,
        relay: FileRelay { lease_secs: tuning.message_lease_secs },
        inbound: InboundProcessor {
            settings: SettingsCache::new(SETTINGS_TTL),
            statuses: StatusCache::default(),
            timing: tuning.timing.clone(),
            message_lease_secs: tuning.message_lease_secs,
            files: infra.files.clone(),
        },
        work: infra.work,
        outbound: OutboundProcessor {
            files: infra.files,
            retry: tuning.send_retry,
            job_lease_secs: tuning.message_lease_secs,
            wait: tuning.timing.wait,
            poll: tuning.timing.poll,
        },
    })
}

fn env(name: &'static str) -> Result<String, BootError> {
    std::env::var(name).map_err(|_| BootError::MissingEnv(name))
}

/// Lambda: table `BRIDGE_TABLE`, accounts from SSM under `BRIDGE_SSM_PREFIX`, work to the SQS
/// FIFO queue `BRIDGE_WORK_QUEUE_URL` (webhooks), file jobs to the SQS queue
/// `BRIDGE_FILE_QUEUE_URL` (worker), files in the S3 bucket `BRIDGE_BUCKET` (relay;
/// `BRIDGE_S3_PATH_STYLE=true` for emulators). Each function gets only the queues it uses.
pub async fn app_from_env() -> Result<App, BootError> {
    app_from_aws(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await).await
}

/// [`app_from_env`] on an AWS configuration the caller already loaded (a function that needs
/// more clients of its own builds them from the same one).
pub async fn app_from_aws(aws: &aws_config::SdkConfig) -> Result<App, BootError> {
    let aws = aws.clone();
    let table = env("BRIDGE_TABLE")?;
    let prefix = env("BRIDGE_SSM_PREFIX")?;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let source = SsmAccounts { client: ssm, prefix };
    let accounts = source.load().await.map_err(BootError::Config)?;
    let ttl = std::env::var("BRIDGE_CONFIG_TTL_SECS").ok().and_then(|v| v.parse().ok()).map(Duration::from_secs).unwrap_or(DEFAULT_CONFIG_TTL);
    tracing::info!(accounts = accounts.len(), "configuration loaded from SSM");
    let blob = std::env::var("BRIDGE_BUCKET").ok().map(|bucket| {
        let path_style = std::env::var("BRIDGE_S3_PATH_STYLE").is_ok_and(|v| v == "true");
        Arc::new(S3BlobStore::new(s3_client(&aws, path_style), bucket)) as Arc<dyn BlobStore>
    });
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let files: Arc<dyn JobQueue> = match std::env::var("BRIDGE_FILE_QUEUE_URL") {
        Ok(url) => Arc::new(SqsQueue::new(sqs.clone(), url)),
        Err(_) => Arc::new(NotConfigured("BRIDGE_FILE_QUEUE_URL")),
    };
    let work: Arc<dyn WorkQueue> = match std::env::var("BRIDGE_WORK_QUEUE_URL") {
        Ok(url) => Arc::new(SqsWorkQueue::new(sqs, url)),
        Err(_) => Arc::new(NotConfigured("BRIDGE_WORK_QUEUE_URL")),
    };
    let infra = Infra { store: Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table)), work, files, blob };
    build_app_refreshing(accounts, infra, Tuning::default(), Some((Arc::new(source), ttl))).await
}

/// The local run: the app plus the receiving ends of its in-process queues, for
/// [`crate::local_worker`].
pub struct LocalRuntime {
    pub app: App,
    pub work: tokio::sync::mpsc::UnboundedReceiver<Work>,
    pub files: tokio::sync::mpsc::UnboundedReceiver<FileJob>,
}

/// Local run: accounts and store from the TOML config file; work and files handed to
/// in-process workers; files in a local folder.
pub async fn app_from_local(cfg: LocalConfig, public_base_url: &str) -> Result<LocalRuntime, BootError> {
    let mut file_store = None;
    let store: Arc<dyn Store> = match &cfg.store {
        StoreConfig::File { path } => {
            let store = Arc::new(FileStore::open(path).map_err(|e| BootError::Config(e.to_string()))?);
            file_store = Some(store.clone());
            store
        }
        StoreConfig::Dynamodb { table } => {
            let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table.clone()))
        }
    };
    let (queue, files_rx) = LocalQueue::<FileJob>::new();
    let (work, work_rx) = LocalQueue::<Work>::new();
    // Presigned local URLs only need to be unguessable for this process's lifetime.
    let secret = uuid::Uuid::new_v4().as_bytes().to_vec();
    let blob = Arc::new(DirBlobStore::new(cfg.files.dir.clone(), public_base_url.to_owned(), secret));
    let infra = Infra { store, work: Arc::new(work), files: Arc::new(queue), blob: Some(blob) };
    let tuning = Tuning { config_settings_override: true, ..Tuning::default() };
    let app = build_app(cfg.accounts, infra, tuning).await?;
    // Messages recorded before a restart but never commented: queue their conversations again.
    if let Some(store) = file_store {
        let waiting: Vec<Work> = store
            .waiting_conversations()
            .await
            .into_iter()
            .map(|(account, phone)| Work::Conversation { account, phone, message_id: format!("restart-{}", uuid::Uuid::new_v4()) })
            .collect();
        if !waiting.is_empty() {
            tracing::info!(conversations = waiting.len(), "resuming conversations with waiting messages");
            app.work.enqueue(&waiting).await.map_err(|e| BootError::Config(e.to_string()))?;
        }
    }
    Ok(LocalRuntime { app, work: work_rx, files: files_rx })
}
