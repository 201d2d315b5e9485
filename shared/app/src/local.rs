//! The local run: accounts and store from the TOML configuration, the durable work and file-job
//! queues in the same SQLite database as the store, files in a folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bridge_core::domain::Work;
use bridge_core::ports::Store;
use bridge_core::Bridge;
use bridge_embedded::json_import::{import_json_store, ImportReport};
use bridge_embedded::local_worker::WorkerOptions;
use bridge_embedded::sqlite::QueueOptions;
use bridge_embedded::{DirBlobStore, SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};

use crate::bootstrap::{build_app, BootError, Infra, Tuning};
use crate::local_config::{legacy_json_stores, LocalConfig, StoreConfig, WorkerConfig};

/// The local run: the app, the concrete queues its workers drain
/// ([`bridge_embedded::local_worker::spawn`]) with the options they run with, and the store.
pub struct LocalRuntime {
    pub app: Bridge,
    /// The database file of the store (`kind = "sqlite"`) and of the queues.
    pub db: SqliteDb,
    pub work: SqliteWorkQueue,
    pub file_jobs: SqliteFileJobQueue,
    /// How the workers run: the configuration's `[worker]` on the local defaults.
    pub workers: WorkerOptions,
    /// The app's store (the same one as `app.store`), concrete, when it is the SQLite one.
    pub sqlite: Option<SqliteStore>,
    /// The app's blob store (the same one as `app.blob`), concrete: the local server answers its
    /// presigned URLs (`GET /blobs/{key}`, [`DirBlobStore::open_presigned`]), which providers that
    /// fetch files by URL (Twilio `MediaUrl`, Green-API `sendFileByUrl`) call.
    pub blob: Arc<DirBlobStore>,
}

/// The local run's SQLite database, opened: the queues always, the store when it is SQLite.
#[derive(Clone)]
pub struct LocalDatabase {
    pub db: SqliteDb,
    pub store: Option<SqliteStore>,
    pub work: SqliteWorkQueue,
    pub file_jobs: SqliteFileJobQueue,
    /// The JSON file store of an earlier version this opening imported, and what it held.
    pub imported: Option<(PathBuf, ImportReport)>,
}

/// The worker options of a `[worker]` section.
pub fn worker_options(cfg: &WorkerConfig) -> WorkerOptions {
    WorkerOptions {
        work_concurrency: cfg.concurrency.max(1),
        sweep_every: std::time::Duration::from_secs(cfg.sweep_secs),
        ..WorkerOptions::default()
    }
}

/// The queue options of the local run: the hold-back of its configuration (1 s by default, as on
/// AWS), SQS FIFO's dedupe window, the redrive counts that go with the workers' retry budgets.
pub fn queue_options(cfg: &WorkerConfig) -> (QueueOptions, QueueOptions) {
    let workers = worker_options(cfg);
    let work = QueueOptions {
        hold_back: cfg.hold_back(),
        max_receives: workers.work_queue_max_receives(),
        ..QueueOptions::work()
    };
    let files = QueueOptions { max_receives: workers.file_queue_max_receives(), ..QueueOptions::file_jobs() };
    (work, files)
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// Refuses a file that exists and is not a SQLite database, saying what it looks like.
fn check_is_database(path: &Path) -> Result<(), String> {
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    let mut head = [0u8; 16];
    let read = std::io::Read::read(&mut file, &mut head).unwrap_or(0);
    if read == 0 || head[..read] == SQLITE_HEADER[..read] {
        return Ok(());
    }
    let what = if head[..read].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        format!(
            " but the JSON file store of an earlier version: give the database a file of its own (e.g. {}); a JSON \
             store named store.json beside it is imported once when the database is first opened",
            path.with_file_name("bridge.db").display()
        )
    } else {
        String::new()
    };
    Err(format!("{} is not a SQLite database{what}", path.display()))
}

/// What opening a database does about a JSON file store of an earlier version beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegacyStore {
    /// Import it once (see [`open_database`]).
    Import,
    /// Leave it alone (simulation mode: its database is wiped at every start, and a `store.json`
    /// beside it belongs to the real accounts).
    Ignore,
}

/// Opens the local run's database (creating it, bringing its schema up to date) with the
/// queues of `cfg`. With a SQLite store and [`LegacyStore::Import`], a JSON file store of an
/// earlier version found beside the database ([`legacy_json_stores`]) is imported once: its
/// conversations with waiting messages are queued, and the file is kept, renamed to
/// `*.imported`. Used by `bridge-local` and by `bridge-admin`, which opens the same file while
/// the server runs.
pub async fn open_database(cfg: &LocalConfig, legacy: LegacyStore) -> Result<LocalDatabase, BootError> {
    let path = cfg.store.database_path().map_err(BootError::Config)?.to_owned();
    check_is_database(&path).map_err(BootError::Config)?;
    let opening = path.clone();
    let db = tokio::task::spawn_blocking(move || SqliteDb::open(&opening))
        .await
        .map_err(|e| BootError::Config(format!("{}: {e}", path.display())))?
        .map_err(|e| BootError::Config(format!("{}: {e}", path.display())))?;
    let (work_options, file_options) = queue_options(&cfg.worker);
    let work = SqliteWorkQueue::with_options(db.clone(), work_options);
    let file_jobs = SqliteFileJobQueue::with_options(db.clone(), file_options);
    let store = matches!(cfg.store, StoreConfig::Sqlite { .. }).then(|| SqliteStore::new(db.clone()));
    let imported = match (&store, legacy) {
        (Some(store), LegacyStore::Import) => import_legacy(&path, store, &work).await?,
        _ => None,
    };
    Ok(LocalDatabase { db, store, work, file_jobs, imported })
}

async fn import_legacy(
    db: &Path,
    store: &SqliteStore,
    work: &SqliteWorkQueue,
) -> Result<Option<(PathBuf, ImportReport)>, BootError> {
    let json = match legacy_json_stores(db).as_slice() {
        [] => return Ok(None),
        [one] => one.clone(),
        several => {
            let names: Vec<String> = several.iter().map(|p| p.display().to_string()).collect();
            return Err(BootError::Config(format!(
                "{} JSON file stores of an earlier version beside {}: {}; move aside the one(s) not to import",
                names.len(),
                db.display(),
                names.join(" and ")
            )));
        }
    };
    let refused = |e: String| {
        BootError::Config(format!(
            "{} (the JSON file store of an earlier version) could not be imported into {}: {e}. Nothing was removed; \
             to start without it, move {} aside (the open dead letters and links it held can be re-created with \
             bridge-admin)",
            json.display(),
            db.display(),
            json.display()
        ))
    };
    let report = import_json_store(&json, store).await.map_err(|e| refused(e.to_string()))?;
    let pokes: Vec<Work> = report
        .waiting
        .iter()
        .map(|(account, phone)| Work::Conversation {
            account: account.clone(),
            phone: phone.clone(),
            message_id: format!("import-{}", uuid::Uuid::new_v4()),
        })
        .collect();
    work.send(&pokes).await.map_err(|e| refused(e.to_string()))?;
    let kept = imported_name(&json);
    std::fs::rename(&json, &kept).map_err(|e| {
        BootError::Config(format!(
            "{} was imported into {} but could not be renamed to {} ({e}): move it aside yourself",
            json.display(),
            db.display(),
            kept.display()
        ))
    })?;
    tracing::info!(from = %json.display(), into = %db.display(), kept = %kept.display(), imported = %report,
        "imported the JSON file store of an earlier version");
    Ok(Some((kept, report)))
}

/// `store.json.imported`, or with a number if an earlier import left one.
fn imported_name(json: &Path) -> PathBuf {
    let base = format!("{}.imported", json.display());
    (0..)
        .map(|n| PathBuf::from(if n == 0 { base.clone() } else { format!("{base}.{n}") }))
        .find(|p| !p.exists())
        .unwrap_or_else(|| PathBuf::from(base))
}

/// Local run: accounts and store from the TOML config file; work and file jobs on the durable
/// queues of the local database, for the local workers; files in a local folder.
/// `listen_url`: where this process serves; the config's `public_url` (a tunnel to it, for real
/// providers) replaces it where providers call in.
pub async fn app_from_local(cfg: LocalConfig, listen_url: &str) -> Result<LocalRuntime, BootError> {
    app_from_local_with(cfg, listen_url, LegacyStore::Import).await
}

/// [`app_from_local`], choosing what to do about a JSON file store of an earlier version.
pub async fn app_from_local_with(
    cfg: LocalConfig,
    listen_url: &str,
    legacy: LegacyStore,
) -> Result<LocalRuntime, BootError> {
    // A person started this at a terminal: an account that breaks a rule stops the start, with
    // every problem listed, rather than serving without it (whatever built the config).
    let accounts = bridge_core::accounts::LoadedAccounts::from(cfg.accounts.clone());
    crate::local_config::refuse_broken("the configured accounts", &accounts.broken).map_err(BootError::Config)?;
    let public_base_url = cfg.public_url.clone().unwrap_or_else(|| listen_url.to_owned());
    let database = open_database(&cfg, legacy).await?;
    let store: Arc<dyn Store> = match (&cfg.store, &database.store) {
        (_, Some(sqlite)) => Arc::new(sqlite.clone()),
        (StoreConfig::Dynamodb { table, .. }, None) => {
            let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            Arc::new(bridge_aws::DynamoStore::new(bridge_aws::aws_sdk_dynamodb::Client::new(&aws), table.clone()))
        }
        (other, None) => return Err(BootError::Config(format!("no store for {other:?}"))),
    };
    // Presigned local URLs only need to be unguessable for this process's lifetime.
    let secret = uuid::Uuid::new_v4().as_bytes().to_vec();
    let blob = Arc::new(DirBlobStore::new(cfg.files.dir.clone(), public_base_url.clone(), secret));
    let infra = Infra {
        store,
        work: Arc::new(database.work.clone()),
        file_jobs: Arc::new(database.file_jobs.clone()),
        blob: Some(blob.clone()),
    };
    let tuning =
        Tuning { config_settings_override: true, public_url: Some(public_base_url.clone()), ..Tuning::default() };
    let app = build_app(cfg.accounts, infra, tuning).await?;
    Ok(LocalRuntime {
        app,
        db: database.db,
        work: database.work,
        file_jobs: database.file_jobs,
        workers: worker_options(&cfg.worker),
        sqlite: database.store,
        blob,
    })
}

impl LocalRuntime {
    /// Splits the runtime into the shared app and its running workers.
    pub fn start_workers(self) -> (Arc<Bridge>, bridge_embedded::local_worker::Workers, LocalParts) {
        let app = Arc::new(self.app);
        let workers =
            bridge_embedded::local_worker::spawn(app.clone(), self.work.clone(), self.file_jobs.clone(), self.workers);
        let parts = LocalParts {
            db: self.db,
            work: self.work,
            file_jobs: self.file_jobs,
            sqlite: self.sqlite,
            blob: self.blob,
        };
        (app, workers, parts)
    }
}

/// What stays of a [`LocalRuntime`] once its app and workers run.
#[derive(Clone)]
pub struct LocalParts {
    pub db: SqliteDb,
    pub work: SqliteWorkQueue,
    pub file_jobs: SqliteFileJobQueue,
    pub sqlite: Option<SqliteStore>,
    pub blob: Arc<DirBlobStore>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bridge_embedded::local_worker::shortest_total_wait;

    /// A process killed while it held a message's (or a file job's) lease leaves it behind for
    /// `message_lease_secs`: the next process's retries must not be spent before it expires.
    #[test]
    fn the_local_retries_outlast_a_lease_left_by_a_crashed_process() {
        let lease = std::time::Duration::from_secs(Tuning::default().message_lease_secs as u64);
        let options = worker_options(&WorkerConfig::default());
        for policy in [&options.work_retry, &options.file_retry] {
            assert!(shortest_total_wait(policy) > lease, "{policy:?}: {:?}", shortest_total_wait(policy));
        }
    }
}
