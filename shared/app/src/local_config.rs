use std::path::{Path, PathBuf};

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

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreConfig {
    /// The embedded, file-backed store (state survives restarts).
    File { path: PathBuf },
    /// DynamoDB (endpoint from the usual AWS environment, e.g. `AWS_ENDPOINT_URL`).
    Dynamodb { table: String },
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::File { path: PathBuf::from(".bridge-data/store.json") }
    }
}

pub fn load_file(path: &Path) -> Result<LocalConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid config {}: {e}", path.display()))
}
