//! The app under test: the production app over the SQLite store and queues, its route table
//! served over loopback HTTP (plus a baseline route that never touches the store), a Planfix
//! simulator, the worker loop, and the HTTP client playing Meta.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Json;
use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_core::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings};
use bridge_core::domain::{AccountId, Phone, Work};
use bridge_core::ports::Store;
use bridge_core::retry::RetryPolicy;
use bridge_core::worker::{self, WorkOutcome};
use bridge_core::Bridge;
use bridge_embedded::sqlite::{
    QueueOptions, Received, SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue, Synchronous,
};

use crate::counting::{CountingStore, Pacing, StoreCounts};
use bridge_http::Surface;
use meta_sim::webhook::{signed_body, text_message, Business, Sender};
use planfix_sim::{PlanfixSim, PlanfixSimConfig};
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinSet;

pub const ACCOUNT: &str = "bench";
const APP_SECRET: &str = "store-bench-app-secret";
const PHONE_NUMBER_ID: &str = "106540352242922";
const PLANFIX_TOKEN: &str = "store-bench-planfix-token";
/// The account's Planfix rate: high enough that pacing never waits.
const NO_RATE_LIMIT: f64 = 1_000_000.0;

/// The route table's webhook path for the account, and the baseline route beside it.
pub const WEBHOOK_PATH: &str = "/webhooks/meta/bench";
pub const BASELINE_PATH: &str = "/baseline/meta/bench";

/// The worker's own retry budget (below the queue's redrive, as in production) and backoff.
const MAX_ATTEMPTS: u32 = 8;
fn work_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: MAX_ATTEMPTS as usize,
        min_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        max_pause: Duration::from_secs(60),
    }
}
/// Items per receive (SQS's maximum), how long an item stays hidden while handled, and the
/// long poll.
const RECEIVE_MAX: usize = 10;
const VISIBILITY: Duration = Duration::from_secs(300);
const LONG_POLL: Duration = Duration::from_secs(1);

pub fn account_id() -> AccountId {
    AccountId::parse(ACCOUNT).expect("a valid account id")
}

/// A customer's number: `7905` + scenario digit + six digits (Russian mobile numbers).
pub fn customer_phone(scenario: u8, customer: usize) -> String {
    format!("7905{}{customer:06}", scenario % 10)
}

pub fn phone(digits: &str) -> Phone {
    Phone::parse(digits).expect("a valid phone number")
}

fn account(planfix_url: &str) -> AccountConfig {
    AccountConfig {
        id: account_id(),
        planfix: PlanfixConfig {
            base_url: planfix_url.to_owned(),
            token: Secret::new(PLANFIX_TOKEN),
            webhook_secret: Secret::new("store-bench-hook-secret"),
            requests_per_second: NO_RATE_LIMIT,
        },
        provider: ProviderConfig::Meta(MetaConfig {
            app_secret: Secret::new(APP_SECRET),
            verify_token: Secret::new("store-bench-verify"),
            access_token: Secret::new("store-bench-graph-token"),
            phone_number_id: PHONE_NUMBER_ID.into(),
            // Inbound text never calls the Graph API: nothing listens here.
            graph_base_url: "http://127.0.0.1:9".into(),
            graph_api_version: "v21.0".into(),
        }),
        settings: Some(Settings::default()),
    }
}

/// Opens the file with `mode` off the async runtime (migrations block).
pub async fn open_db(path: &Path, mode: Synchronous) -> Result<SqliteDb, String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || SqliteDb::open_with(&path, crate::options(mode)))
        .await
        .map_err(|e| format!("open: {e}"))?
        .map_err(|e| format!("open: {e}"))
}

/// One signed Meta text webhook: (body, `X-Hub-Signature-256`).
pub struct Webhook {
    pub body: Vec<u8>,
    pub signature: String,
}

pub fn webhook(from: &str, wamid: &str, timestamp: i64, text: &str) -> Webhook {
    let biz = Business {
        phone_number_id: PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001234".into(),
        waba_id: "102290129340398".into(),
    };
    let sender = Sender { wa_id: from.to_owned(), profile_name: format!("Customer {from}") };
    let payload = text_message(&biz, &sender, wamid, timestamp, text);
    let (body, signature) = signed_body(APP_SECRET.as_bytes(), &payload);
    Webhook { body, signature }
}

/// The production app on one database file, served on a loopback port.
pub struct Rig {
    pub app: Arc<Bridge>,
    pub store: Arc<dyn Store>,
    pub counts: Arc<StoreCounts>,
    pub work: SqliteWorkQueue,
    pub planfix: PlanfixSim,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    stop_server: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Rig {
    pub async fn start(path: &Path, mode: Synchronous, pacing: Pacing) -> Result<Self, String> {
        let db = open_db(path, mode).await?;
        let counting = CountingStore::new(SqliteStore::new(db.clone()), pacing);
        let counts = counting.counts.clone();
        let store: Arc<dyn Store> = Arc::new(counting);
        let work = SqliteWorkQueue::with_options(db.clone(), QueueOptions::work());
        let files = SqliteFileJobQueue::with_options(db, QueueOptions::file_jobs());
        let planfix = PlanfixSim::new(PlanfixSimConfig { token: PLANFIX_TOKEN.into(), spec: None });
        let planfix_url = planfix.serve(None).await.map_err(|e| format!("planfix simulator: {e}"))?;
        let infra =
            Infra { store: store.clone(), work: Arc::new(work.clone()), file_jobs: Arc::new(files), blob: None };
        let app = Arc::new(
            build_app(vec![account(&planfix_url)], infra, Tuning::default()).await.map_err(|e| e.to_string())?,
        );

        // The baseline reads the whole body and answers a small JSON document, as the webhook
        // route does, without verifying, recording or queueing anything.
        let routes =
            bridge_http::router(app.clone(), Surface::All).route(
                "/baseline/{provider}/{account}",
                post(|body: bytes::Bytes| async move {
                    Json(serde_json::json!({ "status": "accepted", "bytes": body.len() }))
                }),
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| format!("bind: {e}"))?;
        let base_url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let (stop_server, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, routes).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                eprintln!("store-bench: server stopped: {e}");
            }
        });
        Ok(Self { app, store, counts, work, planfix, base_url, stop_server, server })
    }

    /// Stops the server (give the client back first: its idle connections would hold it).
    pub async fn stop(self) {
        let _ = self.stop_server.send(());
        let mut server = self.server;
        if tokio::time::timeout(Duration::from_secs(5), &mut server).await.is_err() {
            server.abort();
        }
    }
}

/// Plays Meta: posts webhooks over one connection pool and times each answer.
pub struct Poster {
    client: reqwest::Client,
    base_url: String,
}

/// One answer: its status and how long it took from the send to the last byte of the body.
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    pub status: u16,
    pub latency: Duration,
}

impl Poster {
    pub fn new(base_url: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(usize::MAX)
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Self { client, base_url: base_url.to_owned() })
    }

    pub async fn post(&self, path: &str, hook: &Webhook) -> Answer {
        let started = Instant::now();
        let sent = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &hook.signature)
            .body(hook.body.clone())
            .send()
            .await;
        let status = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(_) => status,
                    Err(_) => 0,
                }
            }
            Err(_) => 0,
        };
        Answer { status, latency: started.elapsed() }
    }

    /// Every webhook at once (one task each, started together); answers in input order.
    pub async fn burst(self: &Arc<Self>, path: &'static str, hooks: Arc<Vec<Webhook>>) -> Vec<Answer> {
        let barrier = Arc::new(tokio::sync::Barrier::new(hooks.len()));
        let tasks: Vec<_> = (0..hooks.len())
            .map(|i| {
                let (poster, hooks, barrier) = (self.clone(), hooks.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    poster.post(path, &hooks[i]).await
                })
            })
            .collect();
        let mut answers = Vec::with_capacity(tasks.len());
        for task in tasks {
            answers.push(task.await.unwrap_or(Answer { status: 0, latency: Duration::ZERO }));
        }
        answers
    }

    /// The webhooks with `concurrency` in flight (a provider's sustained traffic).
    pub async fn stream(&self, path: &str, hooks: &[Webhook], concurrency: usize) -> Vec<Answer> {
        use futures_util::StreamExt;
        futures_util::stream::iter(hooks)
            .map(|hook| self.post(path, hook))
            .buffer_unordered(concurrency)
            .collect()
            .await
    }
}

/// What the worker loop did.
#[derive(Default)]
pub struct WorkerStats {
    /// Messages commented (from the worker's outcomes).
    pub processed: AtomicUsize,
    pub handled: AtomicUsize,
    /// Receives that handed out work, and the items they handed out.
    pub receives: AtomicUsize,
    pub received: AtomicUsize,
    pub retried: AtomicUsize,
    pub dead_lettered: AtomicUsize,
    pub queue_errors: AtomicUsize,
}

impl WorkerStats {
    pub fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::Relaxed)
    }
}

/// The worker loop: one dispatcher receiving from the work queue and at most `concurrency`
/// deliveries handled at once, each deleted when done or put back with the backoff.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    pub stats: Arc<WorkerStats>,
}

impl Worker {
    pub fn start(app: Arc<Bridge>, queue: SqliteWorkQueue, concurrency: usize) -> Self {
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(WorkerStats::default());
        let task = tokio::spawn(dispatch(app, queue, concurrency.max(1), stats.clone(), stopped));
        Self { stop, task, stats }
    }

    /// Stops receiving and abandons what is in flight (the queue would redeliver it).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn dispatch(
    app: Arc<Bridge>,
    queue: SqliteWorkQueue,
    concurrency: usize,
    stats: Arc<WorkerStats>,
    mut stopped: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        let first = tokio::select! {
            _ = stopped.changed() => break,
            permit = permits.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
        };
        let max = (permits.available_permits() + 1).min(RECEIVE_MAX);
        let received = tokio::select! {
            _ = stopped.changed() => break,
            received = queue.receive_wait(max, VISIBILITY, LONG_POLL) => received,
        };
        let items = match received {
            Ok(items) => items,
            Err(e) => {
                stats.queue_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("store-bench: receive failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !items.is_empty() {
            stats.receives.fetch_add(1, Ordering::Relaxed);
            stats.received.fetch_add(items.len(), Ordering::Relaxed);
        }
        let mut first = Some(first);
        for item in items {
            let permit = match first.take() {
                Some(p) => p,
                None => match permits.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (app, queue, stats) = (app.clone(), queue.clone(), stats.clone());
            running.spawn(async move {
                handle_one(&app, &queue, item, &stats).await;
                drop(permit);
            });
        }
    }
    running.shutdown().await;
}

async fn handle_one(app: &Bridge, queue: &SqliteWorkQueue, item: Received<Work>, stats: &WorkerStats) {
    let delivery = item.delivery(MAX_ATTEMPTS, None);
    match worker::handle(app, &item.body, delivery).await {
        Ok(outcome) => {
            match outcome {
                WorkOutcome::Drained { processed } | WorkOutcome::Continued { processed } => {
                    stats.processed.fetch_add(processed, Ordering::Relaxed);
                }
                WorkOutcome::DeadLettered { key, reason } => {
                    stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    eprintln!("store-bench: dead letter {key}: {reason}");
                }
                _ => {}
            }
            if queue.delete(item.receipt).await.is_err() {
                stats.queue_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        Err(e) => {
            stats.retried.fetch_add(1, Ordering::Relaxed);
            let wait = work_retry().delay(item.receive_count, e.retry());
            if queue.retry_later(item.receipt, wait).await.is_err() {
                stats.queue_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    stats.handled.fetch_add(1, Ordering::Relaxed);
}
