use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use bridge_core::config::AccountConfig;

/// The local run's configuration file (TOML). README.md documents it with an example.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    #[serde(default)]
    pub files: FilesConfig,
    /// Where providers reach this server from outside (a tunnel such as
    /// `https://abc.ngrok.app`); default: the listen address. Twilio signs this URL, and
    /// providers that fetch files by URL get links under it.
    #[serde(default)]
    pub public_url: Option<String>,
    #[serde(default)]
    pub worker: WorkerConfig,
}

/// Where the local run keeps relayed files (S3's stand-in).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    pub dir: PathBuf,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self { dir: PathBuf::from(".bridge-data/files") }
    }
}

/// The local worker (the worker Lambda's stand-in).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// How long new work waits before the worker takes it, in milliseconds, so the messages a
    /// customer sends within a moment are all in their conversation's inbox before it is drained
    /// (in send order). As on AWS (the work queue's `DelaySeconds`, `WorkHoldBackSeconds`): 1 s.
    #[serde(default = "default_hold_back_ms")]
    pub hold_back_ms: u64,
    /// Conversations worked on at once (each one in order).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

fn default_hold_back_ms() -> u64 {
    1000
}

fn default_concurrency() -> usize {
    8
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self { hold_back_ms: default_hold_back_ms(), concurrency: default_concurrency() }
    }
}

impl WorkerConfig {
    pub fn hold_back(&self) -> Duration {
        Duration::from_millis(self.hold_back_ms)
    }
}

/// Where the local run keeps its state.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreConfig {
    /// The embedded SQLite database: the store and the durable work and file-job queues in one
    /// file (state survives restarts and crashes; `bridge-admin` may open it while the server runs).
    Sqlite { path: PathBuf },
    /// DynamoDB (endpoint from the usual AWS environment, e.g. `AWS_ENDPOINT_URL`); the local
    /// queues stay in a SQLite file of their own (`queues`).
    Dynamodb {
        table: String,
        #[serde(default = "default_queues_path")]
        queues: PathBuf,
    },
    /// The JSON file store of earlier versions, gone: read only to say what to do instead
    /// ([`StoreConfig::database_path`]).
    File { path: PathBuf },
}

/// Where the SQLite database lives by default.
pub const DEFAULT_DATABASE: &str = ".bridge-data/bridge.db";

fn default_queues_path() -> PathBuf {
    PathBuf::from(".bridge-data/queues.db")
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::Sqlite { path: PathBuf::from(DEFAULT_DATABASE) }
    }
}

impl StoreConfig {
    /// The SQLite file of the local run: the store's and the queues' (`kind = "sqlite"`), or the
    /// queues' alone (`kind = "dynamodb"`). `kind = "file"` is refused with what to do instead.
    pub fn database_path(&self) -> Result<&Path, String> {
        match self {
            StoreConfig::Sqlite { path } => Ok(path),
            StoreConfig::Dynamodb { queues, .. } => Ok(queues),
            StoreConfig::File { path } => Err(file_store_refusal(path)),
        }
    }
}

/// The SQLite file that takes over from a JSON store at `json`: beside it, under the same name
/// when it ends in `.json` (so [`legacy_json_stores`] finds it there), else `bridge.db`.
pub fn replacement_database(json: &Path) -> PathBuf {
    if json.extension().is_some_and(|e| e == "json") {
        json.with_extension("db")
    } else {
        json.with_file_name("bridge.db")
    }
}

fn file_store_refusal(json: &Path) -> String {
    let db = replacement_database(json);
    let found = legacy_json_stores(&db).contains(&json.to_path_buf());
    let rename = if found {
        String::new()
    } else {
        format!(" (rename {} to {} first)", json.display(), db.with_file_name("store.json").display())
    };
    format!(
        "[store] kind = \"file\" is no longer supported: the JSON file store was replaced by an embedded SQLite \
         database, which holds the store and the work and file-job queues, so nothing acknowledged is lost in a \
         crash and bridge-admin can work on it while bridge-local serve runs. In the config, write\n\n  [store]\n  \
         kind = \"sqlite\"\n  path = \"{}\"\n\nand start again: bridge-local imports {} into it once{rename} and keeps \
         the JSON file (renamed to *.imported).",
        db.display(),
        json.display()
    )
}

/// JSON file stores of earlier versions that a SQLite database at `db` takes over: a
/// `store.json` beside it (the old default, `.bridge-data/store.json`), or a file of its own name
/// with `.json` (what [`replacement_database`] suggests for any other name). Only those present.
pub fn legacy_json_stores(db: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    for candidate in [db.with_file_name("store.json"), db.with_extension("json")] {
        if candidate != db && candidate.is_file() && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
}

pub fn load_file(path: &Path) -> Result<LocalConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_sqlite_and_the_worker_holds_work_back_as_on_aws() {
        let config: LocalConfig = toml::from_str("").unwrap();
        assert!(matches!(&config.store, StoreConfig::Sqlite { path } if path == Path::new(DEFAULT_DATABASE)));
        assert_eq!(config.worker.hold_back(), Duration::from_secs(1));
        let config: LocalConfig =
            toml::from_str("[store]\nkind = \"dynamodb\"\ntable = \"t\"\n[worker]\nhold_back_ms = 250\n").unwrap();
        assert_eq!(config.store.database_path().unwrap(), Path::new(".bridge-data/queues.db"));
        assert_eq!(config.worker.hold_back(), Duration::from_millis(250));
        assert_eq!(config.worker.concurrency, 8);
    }

    #[test]
    fn the_file_store_is_refused_with_what_to_write_instead() {
        let config: LocalConfig =
            toml::from_str("[store]\nkind = \"file\"\npath = \".bridge-data/store.json\"\n").unwrap();
        let err = config.store.database_path().unwrap_err();
        assert!(err.contains("kind = \"sqlite\"\n  path = \".bridge-data/store.db\""), "{err}");
        assert!(err.contains("imports .bridge-data/store.json into it once"), "{err}");
        let config: LocalConfig = toml::from_str("[store]\nkind = \"file\"\npath = \"state/data\"\n").unwrap();
        let err = config.store.database_path().unwrap_err();
        assert!(
            err.contains("path = \"state/bridge.db\"") && err.contains("rename state/data to state/store.json"),
            "{err}"
        );
    }

    #[test]
    fn legacy_stores_are_found_beside_the_database() {
        let dir = std::env::temp_dir().join(format!("bridge-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("bridge.db");
        assert!(legacy_json_stores(&db).is_empty());
        std::fs::write(dir.join("store.json"), "{}").unwrap();
        assert_eq!(legacy_json_stores(&db), vec![dir.join("store.json")]);
        std::fs::write(dir.join("bridge.json"), "{}").unwrap();
        assert_eq!(legacy_json_stores(&db), vec![dir.join("store.json"), dir.join("bridge.json")]);
        // Named after the old file, as the refusal suggests.
        assert_eq!(legacy_json_stores(&dir.join("store.db")), vec![dir.join("store.json")]);
        std::fs::remove_dir_all(dir).ok();
    }
}
