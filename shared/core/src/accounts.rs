//! The accounts one instance serves. Loaded at cold start; when they come from SSM they are
//! re-read after a short TTL, so a rotated secret or a new account takes effect without a
//! redeploy, while a warm instance still pays one SSM call per TTL, not per request.
//!
//! An account whose configuration does not parse or breaks a rule ([`AccountConfig::validate`])
//! is *broken*: held beside the good ones, answered "temporarily unavailable" and its work kept
//! for later, while every other account serves. One bad parameter never stops the others.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::RwLock;

use super::AccountRuntime;
use crate::config::AccountConfig;
use crate::domain::AccountId;
use crate::metrics::{self, Metric};

/// An account that cannot serve, and why: the field and the rule, never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenAccount {
    /// As the source names it (an SSM parameter's last segment, a TOML entry's `id`); it may not
    /// even be a valid [`AccountId`].
    pub id: String,
    pub reason: String,
}

/// What a source holds: the accounts that can serve and the ones that cannot.
#[derive(Clone, Debug, Default)]
pub struct LoadedAccounts {
    pub good: Vec<AccountConfig>,
    pub broken: Vec<BrokenAccount>,
}

impl From<Vec<AccountConfig>> for LoadedAccounts {
    /// Configs built in code go through the same rules ([`LoadedAccounts::checked`]).
    fn from(good: Vec<AccountConfig>) -> Self {
        Self { good, broken: Vec::new() }.checked()
    }
}

impl LoadedAccounts {
    /// Moves every good config that breaks a rule to the broken ones, and every id configured
    /// more than once (good or broken) to a single broken entry, so no entry shadows another.
    /// Checking twice changes nothing.
    pub fn checked(self) -> Self {
        let mut broken = self.broken;
        let mut good = Vec::with_capacity(self.good.len());
        for cfg in self.good {
            match cfg.validate() {
                Ok(()) => good.push(cfg),
                Err(problems) => {
                    let reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    broken.push(BrokenAccount { id: cfg.id.to_string(), reason: reasons.join("; ") })
                }
            }
        }
        // An id given twice is refused whole: serving either entry could be the wrong one.
        let ids: Vec<String> =
            good.iter().map(|c| c.id.to_string()).chain(broken.iter().map(|b| b.id.clone())).collect();
        let mut count: HashMap<&str, usize> = HashMap::new();
        for id in &ids {
            *count.entry(id).or_default() += 1;
        }
        let twice = |id: &str| count.get(id).is_some_and(|n| *n > 1);
        good.retain(|c| !twice(c.id.as_str()));
        broken.retain(|b| !twice(&b.id));
        let mut reported: Vec<&str> = Vec::new();
        for id in ids.iter().filter(|id| twice(id)) {
            if !reported.contains(&id.as_str()) {
                reported.push(id);
                broken.push(BrokenAccount {
                    id: id.clone(),
                    reason: format!(
                        "configured {} times: an account id must be unique, keep one entry",
                        count[id.as_str()]
                    ),
                });
            }
        }
        Self { good, broken }
    }
}

/// Where account configurations come from on refresh. `Err`: the source itself could not be
/// read (the previous accounts stay); a bad account is a [`BrokenAccount`] in the `Ok`.
#[async_trait]
pub trait AccountSource: Send + Sync {
    async fn load(&self) -> Result<LoadedAccounts, String>;
}

/// Turns a configuration into its runtime (clients, verifiers); shared HTTP clients inside.
pub type RuntimeBuilder = Arc<dyn Fn(&AccountConfig) -> AccountRuntime + Send + Sync>;

/// What an id names right now.
pub enum Lookup {
    Ready(Arc<AccountRuntime>),
    /// Configured, but its configuration is broken: it serves again once the operator fixes it.
    Broken,
    Unknown,
}

struct Loaded {
    at: Instant,
    map: HashMap<AccountId, Arc<AccountRuntime>>,
    /// id → reason.
    broken: HashMap<String, String>,
}

pub struct Accounts {
    refresh: Option<(Arc<dyn AccountSource>, Duration)>,
    build: RuntimeBuilder,
    loaded: RwLock<Loaded>,
}

/// Builds the runtimes of the good accounts and reports each broken one: one error line and one
/// metric per broken account, at every load, so an alarm on the metric holds until it is fixed.
fn build_loaded(accounts: LoadedAccounts, build: &RuntimeBuilder) -> Loaded {
    let LoadedAccounts { good, broken } = accounts.checked();
    let map = good.iter().map(|cfg| (cfg.id.clone(), Arc::new(build(cfg)))).collect();
    for b in &broken {
        tracing::error!(account = %b.id, reason = %b.reason, "account configuration is broken; the account is not served until it is fixed");
        metrics::count(&b.id, Metric::BrokenAccounts, 1.0);
    }
    Loaded { at: Instant::now(), map, broken: broken.into_iter().map(|b| (b.id, b.reason)).collect() }
}

impl Accounts {
    /// `refresh`: re-read from the source once the loaded set is older than the TTL.
    pub fn new(
        accounts: LoadedAccounts,
        build: RuntimeBuilder,
        refresh: Option<(Arc<dyn AccountSource>, Duration)>,
    ) -> Self {
        let loaded = build_loaded(accounts, &build);
        Self { refresh, build, loaded: RwLock::new(loaded) }
    }

    /// The account `id`, ready to serve; None when it is unknown or broken (see [`Self::lookup`]).
    pub async fn get(&self, id: &AccountId) -> Option<Arc<AccountRuntime>> {
        match self.lookup(id).await {
            Lookup::Ready(acct) => Some(acct),
            Lookup::Broken | Lookup::Unknown => None,
        }
    }

    pub async fn lookup(&self, id: &AccountId) -> Lookup {
        if let Some((source, ttl)) = &self.refresh {
            let stale = self.loaded.read().await.at.elapsed() >= *ttl;
            if stale {
                self.reload(source.as_ref(), *ttl).await;
            }
        }
        let loaded = self.loaded.read().await;
        match loaded.map.get(id) {
            Some(acct) => Lookup::Ready(acct.clone()),
            None if loaded.broken.contains_key(id.as_str()) => Lookup::Broken,
            None => Lookup::Unknown,
        }
    }

    /// Any account (tools and benchmarks).
    pub async fn any(&self) -> Option<Arc<AccountRuntime>> {
        self.loaded.read().await.map.values().next().cloned()
    }

    /// The broken accounts as last loaded, by id.
    pub async fn broken(&self) -> Vec<BrokenAccount> {
        let loaded = self.loaded.read().await;
        let mut broken: Vec<BrokenAccount> =
            loaded.broken.iter().map(|(id, reason)| BrokenAccount { id: id.clone(), reason: reason.clone() }).collect();
        broken.sort_by(|a, b| a.id.cmp(&b.id));
        broken
    }

    async fn reload(&self, source: &dyn AccountSource, ttl: Duration) {
        let mut loaded = self.loaded.write().await;
        // Another request may have refreshed while this one waited for the lock.
        if loaded.at.elapsed() < ttl {
            return;
        }
        match source.load().await {
            Ok(accounts) => {
                *loaded = build_loaded(accounts, &self.build);
                tracing::info!(
                    accounts = loaded.map.len(),
                    broken = loaded.broken.len(),
                    "account configuration refreshed"
                );
            }
            Err(e) => {
                // Keep serving with what worked; try again after another TTL.
                tracing::warn!(error = %e, "account configuration refresh failed; keeping the previous one");
                loaded.at = Instant::now();
            }
        }
    }

    /// The ids of the ready accounts, sorted (the sweeper goes through them; [`Self::get`]
    /// refreshes a stale set).
    pub async fn ids(&self) -> Vec<AccountId> {
        let mut ids: Vec<AccountId> = self.loaded.read().await.map.keys().cloned().collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, webhook_secret: &str) -> AccountConfig {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "planfix": { "base_url": "https://acme.planfix.com/rest", "token": "pf", "webhook_secret": webhook_secret },
            "provider": { "kind": "meta", "app_secret": "0123456789abcdef0123456789abcdef",
                "verify_token": "verify-token-0123456789", "access_token": "EAAG", "phone_number_id": "1122" },
        }))
        .unwrap()
    }

    const GOOD: &str = "hook-secret-0123456789";

    #[test]
    fn rule_breakers_and_duplicated_ids_are_broken_and_the_rest_serve() {
        let loaded = LoadedAccounts {
            good: vec![
                account("acme", GOOD),
                account("shop", "short-7c"),
                account("cafe", GOOD),
                account("acme", GOOD),
            ],
            broken: vec![
                BrokenAccount { id: "cafe".into(), reason: "not valid JSON".into() },
                BrokenAccount { id: "bistro".into(), reason: "not valid JSON".into() },
            ],
        }
        .checked();
        assert!(loaded.good.is_empty(), "{:?}", loaded.good.iter().map(|a| a.id.as_str()).collect::<Vec<_>>());
        let broken: Vec<(&str, &str)> = loaded.broken.iter().map(|b| (b.id.as_str(), b.reason.as_str())).collect();
        assert_eq!(
            broken,
            [
                ("bistro", "not valid JSON"),
                ("shop", "planfix.webhook_secret: is too short: use at least 16 characters"),
                ("acme", "configured 2 times: an account id must be unique, keep one entry"),
                ("cafe", "configured 2 times: an account id must be unique, keep one entry"),
            ]
        );
        assert!(!broken.iter().any(|(_, reason)| reason.contains("short-7c")));

        let again = loaded.clone().checked();
        assert_eq!(again.broken, loaded.broken, "checking twice changes nothing");

        let fine = LoadedAccounts::from(vec![account("acme", GOOD), account("cafe", GOOD)]);
        assert_eq!(fine.good.len(), 2);
        assert!(fine.broken.is_empty());
    }
}
