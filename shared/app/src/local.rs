//! The local run: accounts and store from the TOML configuration, in-process queues, files in
//! a folder.

use std::sync::Arc;

use bridge_core::domain::{FileJob, Work};
use bridge_core::ports::Store;
use bridge_core::Bridge;
use bridge_embedded::{DirBlobStore, JsonFileStore, LocalQueue};

use crate::bootstrap::{build_app, BootError, Infra, Tuning};
use crate::local_config::{LocalConfig, StoreConfig};

/// The local run: the app plus the receiving ends of its in-process queues, for
/// [`bridge_embedded::local_worker`].
pub struct LocalRuntime {
    pub app: Bridge,
    pub work: tokio::sync::mpsc::UnboundedReceiver<Work>,
    pub file_jobs: tokio::sync::mpsc::UnboundedReceiver<FileJob>,
    /// The app's blob store (the same one as `app.blob`), concrete: the local server answers its
    /// presigned URLs (`GET /blobs/{key}`, [`DirBlobStore::open_presigned`]), which providers that
    /// fetch files by URL (Twilio `MediaUrl`, Green-API `sendFileByUrl`) call.
    pub blob: Arc<DirBlobStore>,
}

/// Local run: accounts and store from the TOML config file; work and files handed to
/// in-process workers; files in a local folder.
/// `listen_url`: where this process serves; the config's `public_url` (a tunnel to it, for real
/// providers) replaces it where providers call in.
pub async fn app_from_local(cfg: LocalConfig, listen_url: &str) -> Result<LocalRuntime, BootError> {
    let public_base_url = cfg.public_url.clone().unwrap_or_else(|| listen_url.to_owned());
    let mut file_store = None;
    let store: Arc<dyn Store> = match &cfg.store {
        StoreConfig::File { path } => {
            let store = Arc::new(JsonFileStore::open(path).map_err(|e| BootError::Config(e.to_string()))?);
            file_store = Some(store.clone());
            store
        }
        StoreConfig::Dynamodb { table } => {
            let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Arc::new(bridge_aws::DynamoStore::new(bridge_aws::aws_sdk_dynamodb::Client::new(&aws), table.clone()))
        }
    };
    let (queue, files_rx) = LocalQueue::<FileJob>::new();
    let (work, work_rx) = LocalQueue::<Work>::new();
    // Presigned local URLs only need to be unguessable for this process's lifetime.
    let secret = uuid::Uuid::new_v4().as_bytes().to_vec();
    let blob = Arc::new(DirBlobStore::new(cfg.files.dir.clone(), public_base_url.clone(), secret));
    let infra = Infra { store, work: Arc::new(work), file_jobs: Arc::new(queue), blob: Some(blob.clone()) };
    let tuning =
        Tuning { config_settings_override: true, public_url: Some(public_base_url.clone()), ..Tuning::default() };
    let app = build_app(cfg.accounts, infra, tuning).await?;
    // Messages recorded before a restart but never commented: queue their conversations again.
    if let Some(store) = file_store {
        let waiting: Vec<Work> = store
            .waiting_conversations()
            .await
            .into_iter()
            .map(|(account, phone)| Work::Conversation {
                account,
                phone,
                message_id: format!("restart-{}", uuid::Uuid::new_v4()),
            })
            .collect();
        if !waiting.is_empty() {
            tracing::info!(conversations = waiting.len(), "resuming conversations with waiting messages");
            app.work.enqueue(&waiting).await.map_err(|e| BootError::Config(e.to_string()))?;
        }
    }
    Ok(LocalRuntime { app, work: work_rx, file_jobs: files_rx, blob })
}
