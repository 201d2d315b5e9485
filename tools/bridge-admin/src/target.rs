//! Which deployment a command acts on: where accounts, the store and the queues are.
//!
//! Accounts come from `--config bridge.toml` (local runs; read-only) or else from SSM. The store
//! is `--local bridge.db` (a local run's SQLite database), else DynamoDB `--table`, else the
//! `[store]` of `--config`. A local run's queues are in its SQLite database (`--local`, or the
//! one `--config` names), which this tool opens beside a running `bridge-local serve`: what it
//! queues there, the server's workers pick up. AWS endpoint and credentials come from the usual
//! AWS environment (`AWS_ENDPOINT_URL`, profiles…). Two SQS queue pairs exist: the file-job
//! queue with its DLQ, and the FIFO work queue with its DLQ.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use bridge_app::local::{open_database, LegacyStore, LocalDatabase};
use bridge_app::local_config::{read_file, LocalConfig, StoreConfig, DEFAULT_DATABASE};
use bridge_aws::{DynamoStore, SqsWorkQueue};
use bridge_core::accounts::{BrokenAccount, LoadedAccounts};
use bridge_core::config::AccountConfig;
use bridge_core::ports::{Store, WorkQueue};
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
    /// A local run's SQLite database (`.bridge-data/bridge.db`): its store and its queues.
    #[arg(long, global = true, value_name = "BRIDGE_DB")]
    pub local: Option<PathBuf>,
    /// A local run's TOML config: its accounts (read-only) and its `[store]` (the SQLite
    /// database with the store and the queues, or DynamoDB with the local queues).
    #[arg(long, global = true, value_name = "BRIDGE_TOML")]
    pub config: Option<PathBuf>,
}

enum Accounts {
    Ssm {
        client: aws_sdk_ssm::Client,
        prefix: String,
    },
    /// The file's good accounts and its broken ones (this tool lists both; the server refuses
    /// to start with a broken one).
    File {
        path: PathBuf,
        accounts: Vec<AccountConfig>,
        broken: Vec<BrokenAccount>,
    },
    Missing(&'static str),
}

pub struct Target {
    accounts: Accounts,
    store: Option<Arc<dyn Store>>,
    /// A local run's database: its queues (and its store, when that is SQLite).
    local: Option<LocalDatabase>,
    sqs: Option<aws_sdk_sqs::Client>,
    queue_url: Option<String>,
    dlq_url: Option<String>,
    work_queue_url: Option<String>,
    work_dlq_url: Option<String>,
}

enum StoreChoice {
    /// The store of the local database.
    Local,
    Dynamo(String),
    None,
}

fn store_choice(args: &TargetArgs, config: Option<&LocalConfig>) -> StoreChoice {
    match (&args.local, &args.table, config.map(|c| &c.store)) {
        (Some(_), _, _) => StoreChoice::Local,
        (None, Some(table), _) => StoreChoice::Dynamo(table.clone()),
        (None, None, Some(StoreConfig::Dynamodb { table, .. })) => StoreChoice::Dynamo(table.clone()),
        (None, None, Some(_)) => StoreChoice::Local,
        (None, None, None) => StoreChoice::None,
    }
}

/// The local database `--local` or `--config` names, as a configuration to open it with: a
/// `--local` file is a SQLite store with the default worker settings; `--config` is taken as is.
fn local_config(args: &TargetArgs, config: Option<&LocalConfig>) -> Result<Option<LocalConfig>> {
    if let Some(path) = &args.local {
        if path.extension().is_some_and(|e| e == "json") {
            return Err(format!(
                "--local takes a local run's SQLite database ({DEFAULT_DATABASE}); {} looks like the JSON file store \
                 of earlier versions, which bridge-local (or bridge-admin --local {}) imports once when it opens the \
                 database beside it",
                path.display(),
                Path::new(path).with_file_name("bridge.db").display()
            ));
        }
        return Ok(Some(LocalConfig {
            store: StoreConfig::Sqlite { path: path.clone() },
            accounts: Vec::new(),
            files: Default::default(),
            public_url: None,
            worker: config.map(|c| c.worker.clone()).unwrap_or_default(),
        }));
    }
    Ok(config.cloned())
}

impl Target {
    /// Loads the AWS environment only when something on AWS is addressed, so purely local use
    /// never waits on credential or region discovery.
    pub async fn connect(args: &TargetArgs) -> Result<Self> {
        let config = args.config.as_deref().map(read_file).transpose()?.map(|(config, _)| config);
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
        Self::from_args(args, aws.as_ref()).await
    }

    /// Builds the target from an already loaded AWS configuration (tests pass moto's). Opens a
    /// local run's database when one is named (importing a JSON file store of an earlier version
    /// beside it once, as `bridge-local` does).
    pub async fn from_args(args: &TargetArgs, aws: Option<&SdkConfig>) -> Result<Self> {
        let (config, broken) = match args.config.as_deref().map(read_file).transpose()? {
            Some((config, broken)) => (Some(config), broken),
            None => (None, Vec::new()),
        };
        let local = match local_config(args, config.as_ref())? {
            Some(cfg) => {
                let db = open_database(&cfg, LegacyStore::Import).await.map_err(|e| e.to_string())?;
                if let Some((kept, report)) = &db.imported {
                    eprintln!(
                        "imported the JSON file store of an earlier version ({report}); kept as {}",
                        kept.display()
                    );
                }
                Some(db)
            }
            None => None,
        };
        let store: Option<Arc<dyn Store>> = match store_choice(args, config.as_ref()) {
            StoreChoice::Local => match local.as_ref().and_then(|l| l.store.clone()) {
                Some(store) => Some(Arc::new(store)),
                None => return Err("the local database holds no store".into()),
            },
            StoreChoice::Dynamo(table) => {
                let aws = aws.ok_or("DynamoDB needs the AWS environment")?;
                Some(Arc::new(DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), table)))
            }
            StoreChoice::None => None,
        };
        let accounts = match (config, &args.config, aws) {
            (Some(cfg), Some(path), _) => Accounts::File { path: path.clone(), accounts: cfg.accounts, broken },
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
            local,
            sqs: aws.map(aws_sdk_sqs::Client::new),
            queue_url: args.queue_url.clone(),
            dlq_url: args.dlq_url.clone(),
            work_queue_url: args.work_queue_url.clone(),
            work_dlq_url: args.work_dlq_url.clone(),
        })
    }

    pub(crate) fn store(&self) -> Result<&dyn Store> {
        self.store.as_deref().ok_or_else(|| {
            "no store selected: pass --table <name> (stack output TableName), --config bridge.toml or --local <bridge.db>"
                .into()
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

    /// A local run's database (its queues), when one is named.
    pub(crate) fn local(&self) -> Option<&LocalDatabase> {
        self.local.as_ref()
    }

    pub(crate) fn work_dlq_url(&self) -> Result<&str> {
        self.work_dlq_url.as_deref().ok_or_else(|| "pass --work-dlq-url (stack output WorkDeadLetterQueueUrl)".into())
    }

    pub(crate) fn work_queue_url(&self) -> Option<&str> {
        self.work_queue_url.as_deref()
    }

    /// Where replayed work goes, as the webhooks queue it, and its name for people: the SQS work
    /// queue (`--work-queue-url`), else a local run's work queue in its database.
    pub(crate) fn work_queue(&self) -> Result<Option<(Arc<dyn WorkQueue>, String)>> {
        if let Some(url) = &self.work_queue_url {
            return Ok(Some((Arc::new(SqsWorkQueue::new(self.sqs()?.clone(), url.clone())), url.clone())));
        }
        Ok(self.local.as_ref().map(|local| {
            let name = format!("the local work queue in {}", local.db.path().display());
            (Arc::new(local.work.clone()) as Arc<dyn WorkQueue>, name)
        }))
    }

    /// Every account, as the bridge would read it: the ones it serves and the broken ones.
    pub(crate) async fn load_accounts(&self) -> Result<LoadedAccounts> {
        match &self.accounts {
            Accounts::Ssm { client, prefix } => {
                bridge_aws::ssm::read_accounts_from_ssm(client, prefix).await.map_err(|e| e.to_string())
            }
            Accounts::File { accounts, broken, .. } => {
                Ok(LoadedAccounts { good: accounts.clone(), broken: broken.clone() })
            }
            Accounts::Missing(why) => Err((*why).into()),
        }
    }

    pub(crate) async fn account(&self, id: &str) -> Result<AccountConfig> {
        let id = crate::account_id(id)?;
        let LoadedAccounts { good, broken } = self.load_accounts().await?;
        if let Some(b) = broken.iter().find(|b| b.id == id.as_str()) {
            return Err(format!("account {id} is broken (not served until fixed): {}", b.reason));
        }
        good.into_iter().find(|a| a.id == id).ok_or_else(|| format!("no account {id} in {}", self.accounts_source()))
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
