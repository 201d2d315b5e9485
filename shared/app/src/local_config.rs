use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use bridge_core::accounts::{BrokenAccount, LoadedAccounts};
use bridge_core::config::{account_from_document, describe_error, AccountConfig};

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
    /// Seconds between sweeps, which queue again the conversations whose messages waited in
    /// their inbox for 15 minutes (their work was lost); 0 turns the sweep off. Default 300.
    #[serde(default = "default_sweep_secs")]
    pub sweep_secs: u64,
}

fn default_sweep_secs() -> u64 {
    300
}

fn default_hold_back_ms() -> u64 {
    1000
}

fn default_concurrency() -> usize {
    8
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            hold_back_ms: default_hold_back_ms(),
            concurrency: default_concurrency(),
            sweep_secs: default_sweep_secs(),
        }
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

/// [`LocalConfig`] as written, its accounts still unread: each is read on its own, so one
/// broken account is reported as such instead of hiding the others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocalConfig {
    #[serde(default)]
    store: StoreConfig,
    #[serde(default)]
    accounts: Vec<toml::Value>,
    #[serde(default)]
    files: FilesConfig,
    #[serde(default)]
    public_url: Option<String>,
    #[serde(default)]
    worker: WorkerConfig,
}

/// The configuration file, refusing it when any account in it is broken, with every problem of
/// every account: the local server is started by a person at a terminal, who fixes the file and
/// starts again (on AWS a broken account is isolated instead).
pub fn load_file(path: &Path) -> Result<LocalConfig, String> {
    let (config, broken) = read_file(path)?;
    refuse_broken(&format!("invalid config {}", path.display()), &broken)?;
    Ok(config)
}

/// The configuration file with its good accounts, and the broken ones beside it (tools that
/// list accounts show both).
pub fn read_file(path: &Path) -> Result<(LocalConfig, Vec<BrokenAccount>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))
}

/// Every broken account, one line each with the account and the field, or Ok when none is.
/// `context` opens the message (`invalid config bridge.toml`).
pub fn refuse_broken(context: &str, broken: &[BrokenAccount]) -> Result<(), String> {
    if broken.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = broken.iter().map(|b| format!("  - account {}: {}", b.id, b.reason)).collect();
    Err(format!(
        "{context}: {} account(s) cannot be served; fix them and start again:\n{}",
        broken.len(),
        lines.join("\n")
    ))
}

/// Parses the text; only a file that is not TOML, or a section other than `[[accounts]]` that is
/// wrong, is an `Err`. Errors give a position and fixed words, never the file's text: toml's own
/// rendering quotes the offending line, which may hold a secret.
fn parse(text: &str) -> Result<(LocalConfig, Vec<BrokenAccount>), String> {
    let located = |e: toml::de::Error, what: String| match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("{what} (line {line}, column {column})")
        }
        None => what,
    };
    // Syntax first: toml's syntax messages are fixed words about the text's shape.
    toml::from_str::<toml::Table>(text).map_err(|e| {
        let what = e.message().to_owned();
        located(e, what)
    })?;
    let raw: RawLocalConfig = toml::from_str(text).map_err(|e| {
        let what = describe_error(e.message());
        located(e, what)
    })?;
    let mut accounts = LoadedAccounts::default();
    for (i, entry) in raw.accounts.iter().enumerate() {
        // Named by its id where that much is readable, else by its place in the file.
        let id = entry
            .get("id")
            .and_then(|id| id.as_str())
            .filter(|id| bridge_core::domain::AccountId::parse(id).is_ok())
            .map_or_else(|| format!("#{} (its id is unreadable)", i + 1), str::to_owned);
        match account_from_document(entry) {
            Ok(account) => accounts.good.push(account),
            Err(reason) => accounts.broken.push(BrokenAccount { id, reason }),
        }
    }
    let LoadedAccounts { good, broken } = accounts.checked();
    let config = LocalConfig {
        store: raw.store,
        accounts: good,
        files: raw.files,
        public_url: raw.public_url,
        worker: raw.worker,
    };
    Ok((config, broken))
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

    /// One `[[accounts]]` entry; `planfix` and `provider` lines are spliced in as given.
    fn account_toml(id: &str, webhook_secret: &str, verify_token: &str) -> String {
        format!(
            "[[accounts]]\nid = \"{id}\"\n[accounts.planfix]\nbase_url = \"http://127.0.0.1:8081/rest\"\n\
             token = \"pf-token\"\nwebhook_secret = {webhook_secret}\n[accounts.provider]\nkind = \"meta\"\n\
             app_secret = \"0123456789abcdef0123456789abcdef\"\nverify_token = {verify_token}\n\
             access_token = \"EAAG\"\nphone_number_id = \"1122334455667\"\n"
        )
    }

    fn write_config(text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bridge-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bridge.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    const GOOD_SECRET: &str = "\"good-hook-secret-0123\"";
    const GOOD_VERIFY: &str = "\"good-verify-token-0123\"";

    #[test]
    fn a_broken_account_refuses_the_start_naming_every_account_and_field() {
        let text = [
            account_toml("acme", "\"\"", GOOD_VERIFY),
            account_toml("shop", GOOD_SECRET, "\"vt-5c\""),
            account_toml("cafe", GOOD_SECRET, GOOD_VERIFY),
        ]
        .concat();
        let path = write_config(&text);
        let err = load_file(&path).unwrap_err();
        assert!(err.starts_with(&format!("invalid config {}: 2 account(s) cannot be served", path.display())), "{err}");
        assert!(err.contains("  - account acme: planfix.webhook_secret: is empty"), "{err}");
        assert!(err.contains("  - account shop: provider.verify_token: is too short"), "{err}");
        assert!(!err.contains("vt-5c") && !err.contains("cafe"), "{err}");

        // Read leniently (bridge-admin lists both), the good account is there.
        let (config, broken) = read_file(&path).unwrap();
        let ids: Vec<&str> = config.accounts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["cafe"]);
        let broken: Vec<&str> = broken.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(broken, ["acme", "shop"]);
        std::fs::remove_dir_all(path.parent().unwrap()).ok();
    }

    #[test]
    fn a_mistyped_secret_is_never_quoted() {
        const TYPO: &str = "0xDEADBEEF-SECRET-9f8e7d";
        // The value of the wrong type, and a line that breaks the TOML syntax itself.
        let wrong_type = account_toml("acme", &format!("[\"{TYPO}\"]"), GOOD_VERIFY);
        let (config, broken) = parse(&wrong_type).unwrap();
        assert!(config.accounts.is_empty());
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].id, "acme");
        assert!(broken[0].reason.starts_with("planfix.webhook_secret: a value of the wrong type"), "{:?}", broken[0]);
        assert!(!broken[0].reason.contains(TYPO), "{:?}", broken[0]);

        let unterminated = account_toml("acme", &format!("\"{TYPO}"), GOOD_VERIFY);
        let err = parse(&unterminated).unwrap_err();
        assert!(err.contains("(line 6, column"), "{err}");
        assert!(!err.contains(TYPO), "{err}");

        // An id that cannot be read names the entry by its place.
        let no_id =
            account_toml("acme", GOOD_SECRET, GOOD_VERIFY).replace("id = \"acme\"", &format!("id = \"{TYPO} x\""));
        let (_, broken) = parse(&[account_toml("cafe", GOOD_SECRET, GOOD_VERIFY), no_id].concat()).unwrap();
        assert_eq!(broken[0].id, "#2 (its id is unreadable)", "{broken:?}");
        assert!(broken[0].reason.starts_with("id: not a valid account id"), "{broken:?}");
        assert!(!broken[0].reason.contains(TYPO), "{broken:?}");
    }

    #[test]
    fn a_duplicated_id_is_broken_alone() {
        let text = [
            account_toml("acme", GOOD_SECRET, GOOD_VERIFY),
            account_toml("acme", GOOD_SECRET, GOOD_VERIFY),
            account_toml("cafe", GOOD_SECRET, GOOD_VERIFY),
        ]
        .concat();
        let (config, broken) = parse(&text).unwrap();
        assert_eq!(config.accounts.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["cafe"]);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].id, "acme");
        assert!(broken[0].reason.contains("configured 2 times"), "{:?}", broken[0]);
    }

    #[test]
    fn other_sections_are_still_checked_whole() {
        let err = parse("[worker]\nhold_back_ms = \"soon\"\n").unwrap_err();
        assert!(err.contains("wrong type") && err.contains("(line 2, column"), "{err}");
        let err = parse("webhook_secret = \"misplaced-secret-value\"\n").unwrap_err();
        assert!(err.contains("a field this version does not know"), "{err}");
        assert!(!err.contains("misplaced-secret-value"), "{err}");
    }
}
