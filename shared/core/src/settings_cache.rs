//! Per-account settings read from the store at most once per TTL per instance: an operator's
//! change takes effect within the TTL, and a warm Lambda does not pay a read per message.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::config::Settings;
use crate::domain::AccountId;
use crate::ports::{Store, StoreError};

pub struct SettingsCache {
    ttl: Duration,
    entries: Mutex<HashMap<AccountId, (Instant, Settings)>>,
}

impl SettingsCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    pub async fn get(&self, store: &dyn Store, account: &AccountId) -> Result<Settings, StoreError> {
        if let Some((at, s)) = self.entries.lock().await.get(account) {
            if at.elapsed() < self.ttl {
                return Ok(s.clone());
            }
        }
        let settings = store.get_settings(account).await?.unwrap_or_default();
        self.entries.lock().await.insert(account.clone(), (Instant::now(), settings.clone()));
        Ok(settings)
    }
}
