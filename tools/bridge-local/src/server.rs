//! The local HTTP server: every webhook route through `bridge_http`, the presigned blob URLs
//! (`GET /blobs/{key}`), plus `/sim/*` pages in simulation mode; and the workers draining the
//! local database's queues behind it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, Path, Query, RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bridge_app::local::{app_from_local_with, LegacyStore, LocalParts};
use bridge_app::local_config::{load_file, FilesConfig, LocalConfig, StoreConfig, WorkerConfig};
use bridge_core::domain::AccountId;
use bridge_core::ports::blob::BlobError;
use bridge_core::Bridge;
use bridge_embedded::local_worker::{WorkerOptions, Workers};
use bridge_embedded::DirBlobStore;
use bridge_http::{self as web, MAX_BODY_BYTES};
use http::{header, StatusCode};
use serde_json::{json, Value};

use crate::cli::{Provider, ServeArgs};
use crate::demo::{account_of, Simulation, DEMO_PLANFIX_HOOK_SECRET};

/// Uploads to the simulators (`send --file`, `reply --file`) may be as large as WhatsApp files.
const MAX_SIM_UPLOAD_BYTES: usize = 110 * 1024 * 1024;

/// What the router serves: the bridge, its blob store and, in simulation mode, the simulators.
#[derive(Clone)]
pub struct Server {
    pub app: Arc<Bridge>,
    /// The bridge's own blob store (`LocalRuntime::blob`), whose presigned URLs `/blobs` answers.
    pub blobs: Arc<DirBlobStore>,
    pub sim: Option<Arc<Simulation>>,
}

/// The bridge started (workers running), its listener bound but not yet served.
pub struct Started {
    /// `http://<listen>` (a wildcard address as 127.0.0.1): the local public URL.
    pub url: String,
    pub listener: tokio::net::TcpListener,
    pub server: Server,
    /// The accounts served: (id, provider kind).
    pub accounts: Vec<(String, &'static str)>,
    /// The local database, its queues and store.
    pub local: LocalParts,
    /// The workers draining the queues.
    pub workers: Workers,
}

/// Every route of the local server.
pub fn router(server: Server) -> Router {
    let uploads = Router::new()
        .route("/sim/planfix/file", post(planfix_file))
        .route("/sim/meta/media", post(meta_media))
        // The Meta upload's older name.
        .route("/sim/whatsapp/media", post(meta_media))
        .route("/sim/twilio/media", post(twilio_media))
        .route("/sim/green-api/media", post(green_media))
        .route("/sim/360dialog/media", post(dialog360_media))
        .route("/sim/wazzup/media", post(wazzup_media))
        .layer(DefaultBodyLimit::max(MAX_SIM_UPLOAD_BYTES));
    Router::new()
        .route("/blobs/{*key}", get(blob))
        .route("/sim/accounts", get(accounts))
        .route("/sim/planfix", get(planfix_state))
        .route("/sim/whatsapp", get(whatsapp_state))
        .route("/sim/overview", get(overview))
        .route("/sim/planfix/reply", post(planfix_reply))
        .route("/sim/planfix/complete", post(planfix_complete))
        .merge(uploads)
        .fallback(bridge)
        .with_state(server)
}

/// `bridge-local serve`: start, print how to use it, serve until Ctrl-C (then let the workers
/// finish what they have in hand; whatever is still queued waits in the database for the next
/// start).
pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let started = start(&args).await?;
    println!("{}", banner(&started));
    let Started { listener, server, workers, .. } = started;
    let served = axum::serve(listener, router(server))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string());
    workers.shutdown().await;
    served
}

/// A started bridge served in a background task (for tests and embedding).
pub struct Serving {
    pub url: String,
    server: Server,
    local: LocalParts,
    task: tokio::task::JoinHandle<()>,
    workers: Workers,
}

impl Serving {
    pub fn app(&self) -> &Arc<Bridge> {
        &self.server.app
    }

    /// The local database, its queues and store.
    pub fn local(&self) -> &LocalParts {
        &self.local
    }

    /// What the router serves (the app, its blob store, the simulators).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Stops serving and stops the workers (items in hand get their grace; what is queued
    /// stays in the database for the next start).
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        self.workers.shutdown().await;
    }
}

/// Serves a started bridge in a background task (for tests and embedding). Dropping the
/// answer leaves it running.
pub fn spawn(started: Started) -> Serving {
    let Started { url, listener, server, local, workers, .. } = started;
    let routes = router(server.clone());
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, routes).await {
            tracing::error!(%error, "local server stopped");
        }
    });
    Serving { url, server, local, task, workers }
}

/// Binds the listener, starts the simulators (no `--config`), builds the bridge and starts its
/// workers.
pub async fn start(args: &ServeArgs) -> Result<Started, String> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    match &args.config {
        Some(path) => start_config(listener, load_file(path)?, |_| {}).await,
        None => {
            let url = local_url(&listener)?;
            let sim = Simulation::start(args).await?;
            let config = simulation_config(args, &sim)?;
            start_with(listener, url, config, Some(sim), LegacyStore::Ignore, |_| {}).await
        }
    }
}

/// Builds the bridge of a configuration on a bound listener and starts its workers, as `serve
/// --config` does; `tune` may adjust the workers first (tests shorten their retries).
pub async fn start_config(
    listener: tokio::net::TcpListener,
    config: LocalConfig,
    tune: impl FnOnce(&mut WorkerOptions),
) -> Result<Started, String> {
    let url = local_url(&listener)?;
    start_with(listener, url, config, None, LegacyStore::Import, tune).await
}

fn local_url(listener: &tokio::net::TcpListener) -> Result<String, String> {
    Ok(format!("http://{}", loopback(listener.local_addr().map_err(|e| e.to_string())?)))
}

async fn start_with(
    listener: tokio::net::TcpListener,
    url: String,
    config: LocalConfig,
    sim: Option<Simulation>,
    legacy: LegacyStore,
    tune: impl FnOnce(&mut WorkerOptions),
) -> Result<Started, String> {
    let accounts = config.accounts.iter().map(|a| (a.id.to_string(), a.provider.kind())).collect();
    let mut local = app_from_local_with(config, &url, legacy).await.map_err(|e| e.to_string())?;
    tune(&mut local.workers);
    // The worker and the file relay run in this process, fed by the database's durable queues
    // (SQS's stand-ins).
    let (app, workers, local) = local.start_workers();
    if let Some(sim) = &sim {
        sim.call_the_bridge(app.public_url.as_deref().unwrap_or(&url)).await?;
    }
    let server = Server { app, blobs: local.blob.clone(), sim: sim.map(Arc::new) };
    Ok(Started { url, listener, server, accounts, local, workers })
}

fn simulation_config(args: &ServeArgs, sim: &Simulation) -> Result<LocalConfig, String> {
    // The simulators start empty, so the links of an earlier session would point nowhere.
    for path in sqlite_files(&args.sim_store) {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot reset the simulation's database {}: {e}", path.display())),
        }
    }
    Ok(LocalConfig {
        store: StoreConfig::Sqlite { path: args.sim_store.clone() },
        accounts: sim.accounts(),
        files: FilesConfig { dir: args.sim_store.with_file_name("sim-files") },
        public_url: None,
        worker: WorkerConfig::default(),
    })
}

/// A SQLite database's files: the database, its write-ahead log and its shared-memory index.
fn sqlite_files(db: &std::path::Path) -> [std::path::PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

/// What `serve` prints once listening: per account its webhook URL and, in simulation mode, an
/// example `send`.
pub fn banner(started: &Started) -> String {
    let public = started.server.app.public_url.clone().unwrap_or_else(|| started.url.clone());
    let public = public.trim_end_matches('/');
    let mut out = format!(
        "bridge listening on {}\nstate (store and queues): {}\n",
        started.url,
        started.local.db.path().display()
    );
    let Some(sim) = &started.server.sim else {
        out.push_str("accounts from the config file; their providers call:\n");
        for (id, kind) in &started.accounts {
            out.push_str(&format!("  {id}: {public}/webhooks/{kind}/{id}\n"));
        }
        return out;
    };
    let bridge_flag =
        if started.url == "http://127.0.0.1:8080" { String::new() } else { format!(" --bridge {}", started.url) };
    out.push_str(&format!(
        "simulation mode: one simulated Planfix for every demo account ({}, state: {}/sim/planfix)\n",
        sim.planfix_url, started.url
    ));
    for provider in sim.providers() {
        let account = account_of(provider);
        let name = provider.name();
        out.push_str(&format!(
            "\n  {account} ({name}, simulator {})\n    webhook: {public}/webhooks/{}/{account}\n",
            sim.api_url(provider).unwrap_or_default(),
            provider.kind()
        ));
        match provider {
            Provider::Twilio => out.push_str(&format!("    statuses: {public}/webhooks/twilio/{account}/status\n")),
            Provider::Dialog360 => out.push_str("    (the simulator posts its statuses there with X-Bridge-Secret)\n"),
            Provider::Wazzup => {
                out.push_str("    (the simulator posts its echoes and statuses there with Bearer crmKey)\n")
            }
            Provider::GreenApi => {
                out.push_str("    (the simulator posts its echoes and statuses there with the webhookUrlToken)\n")
            }
            Provider::Meta => {}
        }
        out.push_str(&format!(
            "    try:     cargo run -p bridge-local -- send --provider {}{bridge_flag} \"Hello from {name}\"\n",
            provider.kind()
        ));
    }
    if let Some(phone) = sim.providers().into_iter().find(|p| p.reports_phone_messages()) {
        out.push_str(&format!(
            "\nthe company's own phone (all but Twilio):\n       \
             cargo run -p bridge-local -- send --provider {} --from-phone{bridge_flag} \"We have it in stock\"\n",
            phone.kind()
        ));
    }
    out.push_str(&format!(
        "\nthen:  cargo run -p bridge-local -- show{bridge_flag}\n       \
         cargo run -p bridge-local -- reply{bridge_flag} \"Hello, it ships today\"   (answers the latest task, on its provider)\n       \
         cargo run -p bridge-local -- complete{bridge_flag}   (completes the latest task; the next message opens a new one)\n"
    ));
    out
}

async fn bridge(State(server): State<Server>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB").into_response();
    };
    let resp = web::handle(&server.app, web::Surface::All, http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = resp.into_parts();
    Response::from_parts(parts, Body::from(body))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// `GET /blobs/{key}?expires=…&name=…&sig=…`: a presigned URL of the blob store, fetched by the
/// providers that take files by URL. The body is streamed from the file.
async fn blob(State(server): State<Server>, Path(key): Path<String>, RawQuery(query): RawQuery) -> Response {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    match server.blobs.open_presigned(&key, &query).await {
        Ok(Some((meta, disposition, body))) => {
            let mut resp = Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, meta.content_type)
                .header(header::CONTENT_LENGTH, meta.size);
            if let Some(disposition) = disposition {
                resp = resp.header(header::CONTENT_DISPOSITION, disposition);
            }
            resp.body(Body::from_stream(body))
                .unwrap_or_else(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
        }
        Ok(None) => error(StatusCode::FORBIDDEN, "invalid or expired signature"),
        Err(BlobError::NotFound(_)) => error(StatusCode::NOT_FOUND, "no such file"),
        Err(e) => {
            tracing::warn!(error = %e, "presigned blob could not be served");
            error(StatusCode::INTERNAL_SERVER_ERROR, "the file could not be read")
        }
    }
}

fn not_simulating() -> Response {
    error(StatusCode::NOT_FOUND, "not in simulation mode")
}

/// The demo accounts served: `[{account, provider, webhook}]`.
async fn accounts(State(server): State<Server>) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    let base = server.app.public_url.clone().unwrap_or_default();
    let list: Vec<Value> = sim
        .providers()
        .into_iter()
        .map(|p| {
            let account = account_of(p);
            json!({ "account": account, "provider": p.kind(), "webhook": format!("{base}/webhooks/{}/{account}", p.kind()) })
        })
        .collect();
    Json(Value::Array(list)).into_response()
}

async fn planfix_state(State(server): State<Server>) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    Json(sim.planfix.snapshot()).into_response()
}

async fn whatsapp_state(State(server): State<Server>) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    Json(crate::overview::whatsapp_dump(sim)).into_response()
}

async fn overview(State(server): State<Server>) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    Json(crate::overview::build(&server.app, sim).await).into_response()
}

#[derive(serde::Deserialize)]
struct ReplyRequest {
    task: Option<i64>,
    text: String,
    notify_contact: bool,
    #[serde(default)]
    file_ids: Vec<i64>,
}

#[derive(serde::Deserialize)]
struct FileQuery {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mime: Option<String>,
    /// Twilio: the `MessageSid` of the webhook the media belongs to.
    #[serde(default)]
    sid: Option<String>,
}

impl FileQuery {
    fn mime(&self) -> &str {
        self.mime.as_deref().unwrap_or("application/octet-stream")
    }
}

/// Puts a file into the simulated Planfix (as an employee's upload would), for `reply --file`.
async fn planfix_file(State(server): State<Server>, Query(q): Query<FileQuery>, body: bytes::Bytes) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    let name = q.name.as_deref().unwrap_or("file");
    Json(json!({ "id": sim.planfix.add_file(name, body.to_vec()) })).into_response()
}

/// Media a WhatsApp user sends on Meta (`send --provider meta --file`): the media id.
async fn meta_media(State(server): State<Server>, Query(q): Query<FileQuery>, body: bytes::Bytes) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    match sim.meta.as_ref() {
        Some(graph) => Json(json!({ "id": graph.add_media(body.to_vec(), q.mime()) })).into_response(),
        None => error(StatusCode::NOT_FOUND, "the Meta demo account is not served (see serve --provider)"),
    }
}

/// Media of an inbound Twilio message (`send --provider twilio --file`): its `MediaUrl`.
async fn twilio_media(State(server): State<Server>, Query(q): Query<FileQuery>, body: bytes::Bytes) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    match sim.twilio.as_ref() {
        Some(twilio) => {
            let sid = q.sid.clone().unwrap_or_else(|| twilio_sim::webhook::message_sid(true));
            Json(json!({ "id": twilio.add_message_media(&sid, body.to_vec(), q.mime()) })).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "the Twilio demo account is not served (see serve --provider)"),
    }
}

/// Media of an inbound Green-API message (`send --provider green-api --file`): its `downloadUrl`.
async fn green_media(State(server): State<Server>, Query(q): Query<FileQuery>, body: bytes::Bytes) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    match sim.green.as_ref() {
        Some(green) => Json(json!({ "id": green.add_media(body.to_vec(), q.mime()) })).into_response(),
        None => error(StatusCode::NOT_FOUND, "the Green-API demo account is not served (see serve --provider)"),
    }
}

/// Media of an inbound 360dialog message (`send --provider 360dialog --file`): the media id.
async fn dialog360_media(State(server): State<Server>, Query(q): Query<FileQuery>, body: bytes::Bytes) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    match sim.dialog360.as_ref() {
        Some(d360) => Json(json!({ "id": d360.add_media(body.to_vec(), q.mime()) })).into_response(),
        None => error(StatusCode::NOT_FOUND, "the 360dialog demo account is not served (see serve --provider)"),
    }
}

/// Media of an inbound Wazzup message (`send --provider wazzup --file`): its `contentUri`.
async fn wazzup_media(State(server): State<Server>, Query(q): Query<FileQuery>, body: bytes::Bytes) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    match sim.wazzup.as_ref() {
        Some(wazzup) => {
            let name = q.name.as_deref().unwrap_or("");
            Json(json!({ "id": wazzup.add_media(body.to_vec(), q.mime(), name) })).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "the Wazzup demo account is not served (see serve --provider)"),
    }
}

/// The demo account whose conversation a task is: the bridge's own record (task → conversation,
/// written when it created the task), asked of each demo account in turn. Every demo account
/// shares the one simulated Planfix, so the task alone does not say.
pub async fn owner_of_task(app: &Bridge, accounts: &[AccountId], task: i64) -> Option<AccountId> {
    for account in accounts {
        if let Ok(Some(_)) = app.store.get_task_conversation(account, task).await {
            return Some(account.clone());
        }
    }
    None
}

/// A Planfix employee (user 1) comments in the task; then the simulated scenario "comment added →
/// send HTTP request" calls the bridge's `/planfix/<account>` route, for the demo account whose
/// task it is, with the ids and the shared secret.
async fn planfix_reply(State(server): State<Server>, Json(req): Json<ReplyRequest>) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    let tasks = sim.planfix.tasks();
    let task = match req.task {
        Some(id) => tasks.iter().find(|t| t.id == id),
        None => tasks.iter().max_by_key(|t| t.id),
    };
    let Some(task) = task else {
        return error(StatusCode::BAD_REQUEST, "no such task; send a WhatsApp message first");
    };
    let Some(account) = owner_of_task(&server.app, &sim.account_ids(), task.id).await else {
        return error(StatusCode::BAD_REQUEST, format!("task {} is no demo account's WhatsApp conversation", task.id));
    };
    let contact: Vec<i64> = task
        .assigner
        .strip_prefix("contact:")
        .and_then(|c| c.parse().ok())
        .filter(|_| req.notify_contact)
        .into_iter()
        .collect();
    let comment = sim.planfix.add_employee_comment_with_files(task.id, 1, &req.text, &contact, &req.file_ids);
    let scenario = http::Request::post(format!("/planfix/{account}"))
        .header("content-type", "application/json")
        .header("x-bridge-token", DEMO_PLANFIX_HOOK_SECRET)
        .body(bytes::Bytes::from(json!({ "task": task.id.to_string(), "comment": comment.to_string() }).to_string()));
    let Ok(scenario) = scenario else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "could not build the scenario request");
    };
    let resp = web::handle(&server.app, web::Surface::PlanfixWebhooks, scenario).await;
    let answer: Value = serde_json::from_slice(resp.body()).unwrap_or_default();
    Json(json!({ "task": task.id, "comment": comment, "account": account.as_str(), "bridge_answer": answer }))
        .into_response()
}

#[derive(serde::Deserialize)]
struct CompleteRequest {
    task: Option<i64>,
}

/// A Planfix employee completes the task; then the simulated scenario "task status changed →
/// send HTTP request" calls the bridge's `/planfix/<account>/task-status` route with the task
/// id and the shared secret, for the demo account whose task it is.
async fn planfix_complete(State(server): State<Server>, Json(req): Json<CompleteRequest>) -> Response {
    let Some(sim) = server.sim.as_deref() else { return not_simulating() };
    let task = match req.task {
        Some(id) => Some(id),
        None => sim.planfix.tasks().iter().map(|t| t.id).max(),
    };
    let Some(task) = task.filter(|id| sim.planfix.tasks().iter().any(|t| t.id == *id)) else {
        return error(StatusCode::BAD_REQUEST, "no such task; send a WhatsApp message first");
    };
    let Some(account) = owner_of_task(&server.app, &sim.account_ids(), task).await else {
        return error(StatusCode::BAD_REQUEST, format!("task {task} is no demo account's WhatsApp conversation"));
    };
    sim.planfix.complete_task(task);
    let scenario = http::Request::post(format!("/planfix/{account}/task-status"))
        .header("content-type", "application/json")
        .header("x-bridge-token", DEMO_PLANFIX_HOOK_SECRET)
        .body(bytes::Bytes::from(json!({ "task": task.to_string() }).to_string()));
    let Ok(scenario) = scenario else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "could not build the scenario request");
    };
    let resp = web::handle(&server.app, web::Surface::PlanfixWebhooks, scenario).await;
    let answer: Value = serde_json::from_slice(resp.body()).unwrap_or_default();
    Json(json!({ "task": task, "account": account.as_str(), "bridge_answer": answer })).into_response()
}

/// Where a socket address is reached from this machine.
pub fn loopback(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(Ipv4Addr::LOCALHOST.into());
    }
    addr
}
