//! The AWS deployment: table, queues and bucket from the environment, accounts from SSM.

use std::sync::Arc;
use std::time::Duration;

use bridge_aws::aws_sdk_dynamodb;
use bridge_aws::aws_sdk_sqs;
use bridge_aws::aws_sdk_ssm;
use bridge_aws::{DynamoStore, SqsFileJobQueue, SqsWorkQueue, SsmAccounts};
use bridge_core::accounts::AccountSource;
use bridge_core::domain::{FileJob, Work};
use bridge_core::ports::{BlobStore, FileJobQueue, QueueError, WorkQueue};
use bridge_core::Bridge;

use crate::bootstrap::{build_app_refreshing, BootError, Infra, Tuning};

/// How long accounts read from SSM are trusted before they are read again (`BRIDGE_CONFIG_TTL_SECS`).
const DEFAULT_CONFIG_TTL: Duration = Duration::from_secs(300);

fn env(name: &'static str) -> Result<String, BootError> {
    std::env::var(name).map_err(|_| BootError::MissingEnv(name))
}

/// Lambda: table `BRIDGE_TABLE`, accounts from SSM under `BRIDGE_SSM_PREFIX`, work to the SQS
/// FIFO queue `BRIDGE_WORK_QUEUE_URL` (webhooks), file jobs to the SQS queue
/// `BRIDGE_FILE_QUEUE_URL` (worker), files in the S3 bucket `BRIDGE_BUCKET` (relay;
/// `BRIDGE_S3_PATH_STYLE=true` for emulators), webhooks reached at `BRIDGE_PUBLIC_URL`. Each
/// function gets only the queues it uses.
pub async fn app_from_env() -> Result<Bridge, BootError> {
    app_from_aws(&load_config().await).await
}

/// The AWS configuration from the environment, as `aws_config::load_defaults` loads it, with
/// an HTTP client that trusts the bundled Amazon roots instead of reading the platform's
/// store at the first request (see [`crate::tls`]).
pub async fn load_config() -> aws_config::SdkConfig {
    crate::tls::with_sdk_http_client(aws_config::defaults(aws_config::BehaviorVersion::latest())).load().await
}

/// [`app_from_env`] on an AWS configuration the caller already loaded (a function that needs
/// more clients of its own builds them from the same one).
pub async fn app_from_aws(aws: &aws_config::SdkConfig) -> Result<Bridge, BootError> {
    let aws = aws.clone();
    let table = env("BRIDGE_TABLE")?;
    let prefix = env("BRIDGE_SSM_PREFIX")?;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let source = SsmAccounts { client: ssm, prefix };
    // Only an SSM failure stops the boot; a bad parameter is one broken account.
    let accounts = source.load().await.map_err(BootError::Config)?;
    let ttl = std::env::var("BRIDGE_CONFIG_TTL_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_CONFIG_TTL);
    tracing::info!(accounts = accounts.good.len(), broken = accounts.broken.len(), "configuration loaded from SSM");
    let blob = blob_store(&aws);
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let file_jobs: Arc<dyn FileJobQueue> = match std::env::var("BRIDGE_FILE_QUEUE_URL") {
        Ok(url) => Arc::new(SqsFileJobQueue::new(sqs.clone(), url)),
        Err(_) => Arc::new(NotConfigured("BRIDGE_FILE_QUEUE_URL")),
    };
    let work: Arc<dyn WorkQueue> = match std::env::var("BRIDGE_WORK_QUEUE_URL") {
        Ok(url) => Arc::new(SqsWorkQueue::new(sqs, url)),
        Err(_) => Arc::new(NotConfigured("BRIDGE_WORK_QUEUE_URL")),
    };
    let infra =
        Infra { store: Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table)), work, file_jobs, blob };
    // Where providers call the webhooks (Twilio signs it); set by template.yaml.
    let public_url = std::env::var("BRIDGE_PUBLIC_URL").ok().filter(|u| !u.is_empty());
    let tuning = Tuning { public_url, ..Tuning::default() };
    build_app_refreshing(accounts, infra, tuning, Some((Arc::new(source), ttl))).await
}

/// The bucket `BRIDGE_BUCKET`, in the builds that relay files (feature `s3`).
#[cfg(feature = "s3")]
fn blob_store(aws: &aws_config::SdkConfig) -> Option<Arc<dyn BlobStore>> {
    let bucket = std::env::var("BRIDGE_BUCKET").ok()?;
    let path_style = std::env::var("BRIDGE_S3_PATH_STYLE").is_ok_and(|v| v == "true");
    Some(Arc::new(bridge_aws::S3BlobStore::new(bridge_aws::s3_client(aws, path_style), bucket)))
}

#[cfg(not(feature = "s3"))]
fn blob_store(_: &aws_config::SdkConfig) -> Option<Arc<dyn BlobStore>> {
    None
}

/// A queue a function was not given (least privilege: the webhooks never relay files, the
/// relay never queues work). Using it is a deployment mistake, reported as such.
struct NotConfigured(&'static str);

#[async_trait::async_trait]
impl FileJobQueue for NotConfigured {
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
