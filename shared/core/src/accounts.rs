//! The accounts one instance serves. Loaded at cold start; when they come from SSM they are
//! re-read after a short TTL, so a rotated secret or a new account takes effect without a
//! redeploy, while a warm instance still pays one SSM call per TTL, not per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::RwLock;

use super::AccountRuntime;
use crate::config::AccountConfig;
use crate::domain::AccountId;

/// Where account configurations come from on refresh.
#[async_trait]
pub trait AccountSource: Send + Sync {
    async fn load(&self) -> Result<Vec<AccountConfig>, String>;
}

/// Turns a configuration into its runtime (clients, verifiers); shared HTTP clients inside.
pub type RuntimeBuilder = Arc<dyn Fn(&AccountConfig) -> AccountRuntime + Send + Sync>;

struct Loaded {
    at: Instant,
    map: HashMap<AccountId, Arc<AccountRuntime>>,
}

pub struct Accounts {
    refresh: Option<(Arc<dyn AccountSource>, Duration)>,
    build: RuntimeBuilder,
    loaded: RwLock<Loaded>,
}

fn build_map(
    configs: &[AccountConfig],
    build: &RuntimeBuilder,
) -> Result<HashMap<AccountId, Arc<AccountRuntime>>, String> {
    let mut map = HashMap::new();
    for cfg in configs {
        if map.insert(cfg.id.clone(), Arc::new(build(cfg))).is_some() {
            return Err(format!("account {} is configured twice", cfg.id));
        }
    }
    Ok(map)
}

impl Accounts {
    /// `refresh`: re-read from the source once the loaded set is older than the TTL.
    pub fn new(
        configs: &[AccountConfig],
        build: RuntimeBuilder,
        refresh: Option<(Arc<dyn AccountSource>, Duration)>,
    ) -> Result<Self, String> {
        let map = build_map(configs, &build)?;
        Ok(Self { refresh, build, loaded: RwLock::new(Loaded { at: Instant::now(), map }) })
    }

    pub async fn get(&self, id: &AccountId) -> Option<Arc<AccountRuntime>> {
        if let Some((source, ttl)) = &self.refresh {
            let stale = self.loaded.read().await.at.elapsed() >= *ttl;
            if stale {
                self.reload(source.as_ref(), *ttl).await;
            }
        }
        self.loaded.read().await.map.get(id).cloned()
    }

    /// Any account (tools and benchmarks).
    pub async fn any(&self) -> Option<Arc<AccountRuntime>> {
        self.loaded.read().await.map.values().next().cloned()
    }

    async fn reload(&self, source: &dyn AccountSource, ttl: Duration) {
        let mut loaded = self.loaded.write().await;
        // Another request may have refreshed while this one waited for the lock.
        if loaded.at.elapsed() < ttl {
            return;
        }
        match source.load().await.and_then(|configs| build_map(&configs, &self.build)) {
            Ok(map) => {
                tracing::info!(accounts = map.len(), "account configuration refreshed");
                *loaded = Loaded { at: Instant::now(), map };
            }
            Err(e) => {
                // Keep serving with what worked; try again after another TTL.
                tracing::warn!(error = %e, "account configuration refresh failed; keeping the previous one");
                loaded.at = Instant::now();
            }
        }
    }
}
