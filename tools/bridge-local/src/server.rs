//! The local HTTP server: every webhook route through `bridge_http`, plus `/sim/*` pages in
//! simulation mode.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bridge_app::local_config::{load_file, LocalConfig, StoreConfig};
use bridge_core::Bridge;
use bridge_http::{self as web, MAX_BODY_BYTES};
use meta_sim::graph::{GraphSim, GraphSimConfig};
use planfix_sim::{PlanfixSim, PlanfixSimConfig, SpecValidator};

use crate::cli::ServeArgs;
use crate::simulation::{
    demo_account, DEMO_ACCESS_TOKEN, DEMO_PHONE_NUMBER_ID, DEMO_PLANFIX_HOOK_SECRET, DEMO_PLANFIX_TOKEN,
};

#[derive(Clone)]
struct Ctx {
    app: Arc<Bridge>,
    planfix: Option<PlanfixSim>,
    graph: Option<GraphSim>,
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let (config, planfix, graph) = match &args.config {
        Some(path) => (load_file(path)?, None, None),
        None => {
            let (cfg, p, g) = start_simulators(&args).await?;
            (cfg, Some(p), Some(g))
        }
    };
    let local = bridge_app::local::app_from_local(config, &format!("http://{}", args.listen))
        .await
        .map_err(|e| e.to_string())?;
    let app = Arc::new(local.app);
    // The worker and the file relay run in this process, fed by in-process queues (SQS's stand-ins).
    tokio::spawn(bridge_embedded::local_worker::run_work(
        app.clone(),
        local.work,
        bridge_embedded::local_worker::default_work_retry(),
    ));
    tokio::spawn(bridge_embedded::local_worker::run_files(app.clone(), local.file_jobs));
    let ctx = Ctx { app, planfix, graph };
    let router = Router::new()
        .route("/sim/planfix", get(planfix_state))
        .route("/sim/whatsapp", get(whatsapp_state))
        .route("/sim/planfix/reply", axum::routing::post(planfix_reply))
        .route("/sim/planfix/file", axum::routing::post(planfix_file))
        .route("/sim/whatsapp/media", axum::routing::post(whatsapp_media))
        .fallback(bridge)
        .with_state(ctx);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    tracing::info!("bridge listening on http://{} (webhooks: /webhooks/meta/<account>)", args.listen);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

async fn start_simulators(args: &ServeArgs) -> Result<(LocalConfig, PlanfixSim, GraphSim), String> {
    let spec = match &args.planfix_spec {
        Some(path) => Some(Arc::new(SpecValidator::from_file(path)?)),
        None => None,
    };
    let planfix = PlanfixSim::new(PlanfixSimConfig { token: DEMO_PLANFIX_TOKEN.into(), spec });
    let planfix_url = planfix.serve(Some(args.planfix_sim)).await.map_err(|e| format!("Planfix simulator: {e}"))?;
    let graph = GraphSim::new(GraphSimConfig {
        access_token: DEMO_ACCESS_TOKEN.into(),
        phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
    });
    let graph_url = graph.serve(Some(args.graph_sim)).await.map_err(|e| format!("Graph API simulator: {e}"))?;
    // The simulators start empty, so the links of an earlier session would point nowhere.
    let _ = std::fs::remove_file(&args.sim_store);
    tracing::info!(%planfix_url, %graph_url, "simulation mode: account `demo` uses the built-in simulators");
    let files = bridge_app::local_config::FilesConfig { dir: args.sim_store.with_file_name("sim-files") };
    let config = LocalConfig {
        store: StoreConfig::File { path: args.sim_store.clone() },
        accounts: vec![demo_account(planfix_url, graph_url)],
        files,
        public_url: None,
    };
    Ok((config, planfix, graph))
}

async fn bridge(State(ctx): State<Ctx>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return (http::StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB").into_response();
    };
    let resp = web::handle(&ctx.app, web::Surface::All, http::Request::from_parts(parts, bytes)).await;
    let (parts, body) = resp.into_parts();
    Response::from_parts(parts, Body::from(body))
}

async fn planfix_state(State(ctx): State<Ctx>) -> Response {
    match &ctx.planfix {
        Some(sim) => Json(sim.snapshot()).into_response(),
        None => (http::StatusCode::NOT_FOUND, "not in simulation mode").into_response(),
    }
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
    name: String,
    #[serde(default)]
    mime: Option<String>,
}

/// Puts a file into the simulated Planfix (as an employee's upload would), for `reply --file`.
async fn planfix_file(
    State(ctx): State<Ctx>,
    axum::extract::Query(q): axum::extract::Query<FileQuery>,
    body: bytes::Bytes,
) -> Response {
    match &ctx.planfix {
        Some(sim) => Json(serde_json::json!({ "id": sim.add_file(&q.name, body.to_vec()) })).into_response(),
        None => (http::StatusCode::NOT_FOUND, "not in simulation mode").into_response(),
    }
}

/// Puts a media file into the simulated WhatsApp (as a user's upload would), for `send --file`.
async fn whatsapp_media(
    State(ctx): State<Ctx>,
    axum::extract::Query(q): axum::extract::Query<FileQuery>,
    body: bytes::Bytes,
) -> Response {
    match &ctx.graph {
        Some(sim) => {
            let mime = q.mime.unwrap_or_else(|| "application/octet-stream".into());
            Json(serde_json::json!({ "id": sim.add_media(body.to_vec(), &mime) })).into_response()
        }
        None => (http::StatusCode::NOT_FOUND, "not in simulation mode").into_response(),
    }
}

/// A Planfix employee (user 1) comments in the task; then the simulated scenario "comment added →
/// send HTTP request" calls the bridge's `/planfix/demo` route with the ids and the shared secret.
async fn planfix_reply(State(ctx): State<Ctx>, Json(req): Json<ReplyRequest>) -> Response {
    let Some(sim) = &ctx.planfix else {
        return (http::StatusCode::NOT_FOUND, "not in simulation mode").into_response();
    };
    let tasks = sim.tasks();
    let Some(task) = req.task.and_then(|id| tasks.iter().find(|t| t.id == id)).or(tasks.last()) else {
        return (http::StatusCode::BAD_REQUEST, "no such task; send a WhatsApp message first").into_response();
    };
    let contact: Vec<i64> = task
        .assigner
        .strip_prefix("contact:")
        .and_then(|c| c.parse().ok())
        .filter(|_| req.notify_contact)
        .into_iter()
        .collect();
    let comment = sim.add_employee_comment_with_files(task.id, 1, &req.text, &contact, &req.file_ids);
    let scenario = http::Request::post("/planfix/demo")
        .header("content-type", "application/json")
        .header("x-bridge-token", DEMO_PLANFIX_HOOK_SECRET)
        .body(bytes::Bytes::from(
            serde_json::json!({ "task": task.id.to_string(), "comment": comment.to_string() }).to_string(),
        ));
    let Ok(scenario) = scenario else {
        return (http::StatusCode::INTERNAL_SERVER_ERROR, "could not build the scenario request").into_response();
    };
    let resp = web::handle(&ctx.app, web::Surface::PlanfixWebhooks, scenario).await;
    let bridge: serde_json::Value = serde_json::from_slice(resp.body()).unwrap_or_default();
    Json(serde_json::json!({ "task": task.id, "comment": comment, "bridge_answer": bridge })).into_response()
}

async fn whatsapp_state(State(ctx): State<Ctx>) -> Response {
    match &ctx.graph {
        Some(sim) => Json(serde_json::json!({ "sent": sim.sent() })).into_response(),
        None => (http::StatusCode::NOT_FOUND, "not in simulation mode").into_response(),
    }
}
