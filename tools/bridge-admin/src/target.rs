//! Which deployment a command acts on: where accounts, the store and the queues are.
//!
//! Accounts come from `--config bridge.toml` (local runs; read-only) or else from SSM. The store
//! is `--local store.json`, else DynamoDB `--table`, else the `[store]` of `--config`. AWS
//! endpoint and credentials come from the usual AWS environment (`AWS_ENDPOINT_URL`, profiles…).
//! Two queue pairs exist: the file-job queue with its DLQ, and the FIFO work queue with its DLQ.

use std::path::PathBuf;
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use bridge_app::local_config::{load_file, StoreConfig};
use bridge_aws::{DynamoStore, SqsWorkQueue};
use bridge_core::config::AccountConfig;
use bridge_core::ports::Store;
use bridge_embedded::JsonFileStore;
use clap::Args;

use crate::Result;

#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// DynamoDB table (stack output TableName).
    #[arg(long, global = true, conflicts_with = "local")]
    pub table: Option<String>,
    /// SSM path prefix of the accounts (stack parameter SsmPrefix).
    #[arg(long, global = true, default_value = "/planfix-bridge")]
    pub ssm_prefix: String,
    /// The file-job queue; `dead-letters replay` finds it from the DLQ's redrive sources if omitted.
    #[arg(long, global = true)]
    pub queue_url: Option<String>,
    /// The file-job dead-letter queue (stack output FileJobDeadLetterQueueUrl).
    #[arg(long, global = true)]
    pub dlq_url: Option<String>,
    /// The work queue (stack output WorkQueueUrl): where `dead-letters replay --account` sends work;
    /// `--queue work` finds it from the DLQ's redrive sources if omitted.
    #[arg(long, global = true, env = "BRIDGE_WORK_QUEUE_URL")]
    pub work_queue_url: Option<String>,
    /// The work queue's SQS dead-letter queue (stack output WorkDeadLetterQueueUrl), for `--queue work`.
    #[arg(long, global = true)]
    pub work_dlq_url: Option<String>,
    /// AWS region (default: from the AWS environment).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The embedded file store of a local run (`.bridge-data/store.json`).
    #[arg(long, global = true, value_name = "STORE_JSON")]
    pub local: Option<PathBuf>,
    /// Read accounts from a local run's TOML config instead of SSM (read-only).
    #[arg(long, global = true, value_name = "BRIDGE_TOML")]
    pub config: Option<PathBuf>,
}

enum Accounts {
    Ssm { client: aws_sdk_ssm::Client, prefix: String },
    File { path: PathBuf, accounts: Vec<AccountConfig> },
    Missing(&'static str),
}

pub struct Target {
    accounts: Accounts,
    store: Option<Arc<dyn Store>>,
    /// The store is a local run's file (`--local`, or `[store]` of `--config`).
    store_is_file: bool,
    sqs: Option<aws_sdk_sqs::Client>,
    queue_url: Option<String>,
    dlq_url: Option<String>,
    work_queue_url: Option<String>,
    work_dlq_url: Option<String>,
}

enum StoreChoice {
    File(PathBuf),
    Dynamo(String),
    None,
}

fn store_choice(args: &TargetArgs, config: Option<&bridge_app::local_config::LocalConfig>) -> StoreChoice {
    match (&args.local, &args.table, config.map(|c| &c.store)) {
        (Some(path), _, _) => StoreChoice::File(path.clone()),
        (None, Some(table), _) => StoreChoice::Dynamo(table.clone()),
        (None, None, Some(StoreConfig::File { path })) => StoreChoice::File(path.clone()),
        (None, None, Some(StoreConfig::Dynamodb { table })) => StoreChoice::Dynamo(table.clone()),
        (None, None, None) => StoreChoice::None,
    }
}

impl Target {
    /// Loads the AWS environment only when something on AWS is addressed, so purely local use
    /// never waits on credential or region discovery.
    pub async fn connect(args: &TargetArgs) -> Result<Self> {
        let config = args.config.as_deref().map(load_file).transpose()?;
        let needs_aws = (args.config.is_none() && args.local.is_none())
            || matches!(store_choice(args, config.as_ref()), StoreChoice::Dynamo(_))
            || args.queue_url.is_some()
            || args.dlq_url.is_some()
            || args.work_queue_url.is_some()
            || args.work_dlq_url.is_some();
        let aws = if needs_aws {
            let mut loader = aws_config::defaults(BehaviorVersion::latest());
            if let Some(region) = &args.region {
                loader = loader.region(Region::new(region.clone()));
            }
            Some(loader.load().await)
        } else {
            None
        };
        Self::from_args(args, aws.as_ref())
    }

    /// Builds the target from an already loaded AWS configuration (tests pass moto's).
    pub fn from_args(args: &TargetArgs, aws: Option<&SdkConfig>) -> Result<Self> {
        let config = args.config.as_deref().map(load_file).transpose()?;
        let choice = store_choice(args, config.as_ref());
        let store_is_file = matches!(choice, StoreChoice::File(_));
        let store: Option<Arc<dyn Store>> = match choice {
            StoreChoice::File(path) => Some(Arc::new(JsonFileStore::open(&path).map_err(|e| e.to_string())?)),
            StoreChoice::Dynamo(table) => {
                let aws = aws.ok_or("DynamoDB needs the AWS environment")?;
                Some(Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), table)))
            }
            StoreChoice::None => None,
        };
        let accounts = match (config, &args.config, aws) {
            (Some(cfg), Some(path), _) => Accounts::File { path: path.clone(), accounts: cfg.accounts },
            (_, _, _) if args.local.is_some() => {
                Accounts::Missing("a local run's accounts come from --config bridge.toml")
            }
            (_, _, Some(aws)) => Accounts::Ssm {
                client: aws_sdk_ssm::Client::new(aws),
                prefix: args.ssm_prefix.trim_end_matches('/').to_owned(),
            },
            (_, _, None) => Accounts::Missing("accounts need --config bridge.toml or the AWS environment"),
        };
        Ok(Self {
            accounts,
            store,
            store_is_file,
            sqs: aws.map(aws_sdk_sqs::Client::new),
            queue_url: args.queue_url.clone(),
            dlq_url: args.dlq_url.clone(),
            work_queue_url: args.work_queue_url.clone(),
            work_dlq_url: args.work_dlq_url.clone(),
        })
    }

    pub(crate) fn store(&self) -> Result<&dyn Store> {
        self.store.as_deref().ok_or_else(|| {
            "no store selected: pass --table <name> (stack output TableName) or --local <store.json>".into()
        })
    }

    pub(crate) fn has_store(&self) -> bool {
        self.store.is_some()
    }

    pub(crate) fn sqs(&self) -> Result<&aws_sdk_sqs::Client> {
        self.sqs.as_ref().ok_or_else(|| "queues need the AWS environment".into())
    }

    pub(crate) fn dlq_url(&self) -> Result<&str> {
        self.dlq_url.as_deref().ok_or_else(|| "pass --dlq-url (stack output FileJobDeadLetterQueueUrl)".into())
    }

    pub(crate) fn queue_url(&self) -> Option<&str> {
        self.queue_url.as_deref()
    }

    pub(crate) fn store_is_file(&self) -> bool {
        self.store_is_file
    }

    pub(crate) fn work_dlq_url(&self) -> Result<&str> {
        self.work_dlq_url.as_deref().ok_or_else(|| "pass --work-dlq-url (stack output WorkDeadLetterQueueUrl)".into())
    }

    pub(crate) fn work_queue_url(&self) -> Option<&str> {
        self.work_queue_url.as_deref()
    }

    /// The work queue as the webhooks use it (FIFO group and dedupe ids set per item), if given.
    pub(crate) fn work_queue(&self) -> Result<Option<SqsWorkQueue>> {
        match &self.work_queue_url {
            Some(url) => Ok(Some(SqsWorkQueue::new(self.sqs()?.clone(), url.clone()))),
            None => Ok(None),
        }
    }

    /// Every account, as the bridge would read it.
    pub(crate) async fn list_accounts(&self) -> Result<Vec<AccountConfig>> {
        match &self.accounts {
            Accounts::Ssm { client, prefix } => {
                bridge_aws::load_accounts_from_ssm(client, prefix).await.map_err(|e| e.to_string())
            }
            Accounts::File { accounts, .. } => Ok(accounts.clone()),
            Accounts::Missing(why) => Err((*why).into()),
        }
    }

    pub(crate) async fn account(&self, id: &str) -> Result<AccountConfig> {
        let id = crate::account_id(id)?;
        self.list_accounts()
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| format!("no account {id} in {}", self.accounts_source()))
    }

    /// Where accounts are written: SSM only; a local config file stays the operator's to edit.
    pub(crate) fn ssm_for_write(&self) -> Result<(&aws_sdk_ssm::Client, &str)> {
        match &self.accounts {
            Accounts::Ssm { client, prefix } => Ok((client, prefix)),
            Accounts::File { path, .. } => {
                Err(format!("accounts come from {} (read-only): edit that file", path.display()))
            }
            Accounts::Missing(why) => Err((*why).into()),
        }
    }

    pub(crate) fn accounts_source(&self) -> String {
        match &self.accounts {
            Accounts::Ssm { prefix, .. } => format!("SSM {prefix}/accounts/"),
            Accounts::File { path, .. } => path.display().to_string(),
            Accounts::Missing(why) => (*why).to_owned(),
        }
    }
}
