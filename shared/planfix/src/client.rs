//! The client: configuration, the shared HTTP clients, pacing, and the one way REST calls go out.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use bridge_core::config::{PlanfixConfig, Secret};
use bridge_core::ports::planfix::*;

use crate::errors::{classify, read_response, without_url};

pub struct PlanfixRest {
    http: reqwest::Client,
    /// For file transfers: never follows redirects itself (it would carry the bearer header to
    /// the storage host) and has no total timeout (files go up to 100 MB), only per-read ones.
    /// `Err` holds why it could not be built; only file calls fail then. Built at the first file
    /// call: a client reads the platform's root certificates when built, and most cold starts
    /// (every webhook's) never transfer a file.
    files: OnceLock<Result<reqwest::Client, String>>,
    /// For the download's redirect hops to the file storage: like `files`, but connects only to
    /// public addresses ([`crate::redirects::PublicOnly`]), only over https, and never through
    /// a proxy from the environment (a proxy would resolve the name itself, past the check).
    /// Built at the first redirect it follows.
    storage: OnceLock<Result<reqwest::Client, String>>,
    /// The account this client acts for, as a metrics/log label.
    label: String,
    /// Paces REST calls to the account's allowance (none: unpaced, e.g. in unit tests).
    throttle: Option<std::sync::Arc<dyn Throttle>>,
    pub(crate) base_url: String,
    pub(crate) token: Secret,
}

impl PlanfixRest {
    /// `http` is shared by all accounts so connections and TLS sessions are reused across them.
    pub fn new(http: reqwest::Client, cfg: &PlanfixConfig) -> Self {
        Self {
            http,
            files: OnceLock::new(),
            storage: OnceLock::new(),
            label: String::new(),
            throttle: None,
            base_url: cfg.base_url.trim_end_matches('/').to_owned(),
            token: cfg.token.clone(),
        }
    }

    /// Every REST call waits for its turn first.
    pub fn with_throttle(mut self, throttle: std::sync::Arc<dyn Throttle>) -> Self {
        self.throttle = Some(throttle);
        self
    }

    pub(crate) async fn wait_turn(&self) -> Result<(), PlanfixError> {
        match &self.throttle {
            Some(t) => t.wait_turn().await,
            None => Ok(()),
        }
    }

    /// Labels metrics and budget warnings with the account.
    pub fn for_account(mut self, account: &bridge_core::domain::AccountId) -> Self {
        self.label = account.to_string();
        self
    }

    pub(crate) fn files_client(&self) -> Result<&reqwest::Client, PlanfixError> {
        let files = self.files.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(Policy::none())
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| format!("file client: {e}"))
        });
        files.as_ref().map_err(|e| PlanfixError::Transport(e.clone()))
    }

    pub(crate) fn storage_client(&self) -> Result<&reqwest::Client, PlanfixError> {
        let storage = self.storage.get_or_init(|| {
            reqwest::Client::builder()
                .redirect(Policy::none())
                .dns_resolver(crate::redirects::PublicOnly::shared())
                .https_only(true)
                .no_proxy()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| format!("file storage client: {e}"))
        });
        storage.as_ref().map_err(|e| PlanfixError::Transport(e.clone()))
    }

    /// A client with the timeouts the bridge wants for Planfix: bounded, so a hung Planfix turns
    /// into a retryable error well inside the Lambda timeout.
    pub fn default_http_client() -> reqwest::Client {
        Self::http_client(Duration::from_secs(15))
    }

    /// The same client with another overall timeout per request.
    pub fn http_client(timeout: Duration) -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .build()
            .unwrap_or_default()
    }

    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<(StatusCode, Option<T>), PlanfixError> {
        let url = format!("{}{}", self.base_url, path);
        // A request refused for coming too fast (HTTP 429) was not carried out, so sending it
        // again in the next slot is safe; anything else is the caller's to judge.
        const RATE_LIMIT_TRIES: usize = 3;
        for attempt in 1..=RATE_LIMIT_TRIES {
            let mut req = self.http.request(method.clone(), &url).bearer_auth(self.token.expose()).query(query);
            if let Some(body) = &body {
                req = req.json(body);
            }
            self.wait_turn().await?;
            let resp = req.send().await.map_err(|e| PlanfixError::Transport(without_url(e)))?;
            bridge_core::metrics::count(&self.label, bridge_core::metrics::Metric::PlanfixCalls, 1.0);
            self.watch_daily_budget(&resp);
            if resp.status() == StatusCode::TOO_MANY_REQUESTS && attempt < RATE_LIMIT_TRIES {
                tracing::warn!(account = %self.label, %method, path, attempt, "Planfix rate limit hit; retrying in the next slot");
                continue;
            }
            return read_response(&method, path, resp).await;
        }
        Err(PlanfixError::Api { http: 429, code: None, message: "rate limited".into(), retry: classify(429, None) })
    }

    /// Planfix reports the requests left today (refreshed about every 10 minutes); warn while
    /// there is still time to act, before code 22 stops the account.
    fn watch_daily_budget(&self, resp: &reqwest::Response) {
        const WARN_BELOW: u64 = 1000;
        let left = resp
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(left) = left.filter(|l| *l < WARN_BELOW) {
            tracing::warn!(account = %self.label, remaining = left, "Planfix daily request budget nearly spent");
        }
    }

    pub(crate) async fn call_required<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<T, PlanfixError> {
        match self.call(method.clone(), path, query, body).await? {
            (_, Some(v)) => Ok(v),
            (status, None) => Err(PlanfixError::Decode(format!("{method} {path}: empty body with HTTP {status}"))),
        }
    }
}
