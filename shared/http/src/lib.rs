//! The bridge's one route table, shared by the HTTP Lambda functions and the local server:
//!
//! * `GET  /webhooks/{provider}/{account}` — provider subscription handshake (Meta).
//! * `POST /webhooks/{provider}/{account}` — provider webhook: verify → record → queue → 200, in
//!   the body the provider expects (JSON; Twilio: empty TwiML).
//! * `POST /webhooks/{provider}/{account}/status` — delivery statuses, for providers whose sends
//!   name their own status callback URL (Twilio).
//! * `POST /planfix/{account}` — Planfix scenario "comment added": secret → queue → 200.
//! * `POST /planfix/{account}/task-status` — Planfix scenario "task status changed" (same
//!   secret): task id → queue → 200.
//!
//! Paths match exactly (an account may be called `planfix` or `webhooks`); the same routes
//! are also served under one leading segment, an API Gateway stage (`/prod/webhooks/…`).
//! No route calls Planfix or the provider: the answer depends on the store and the queue only,
//! and the worker (`bridge_core::worker`) does the rest.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

use bridge_core::domain::{AccountId, Work};
use bridge_core::intake::{self, IntakeError};
use bridge_core::metrics::{self, Metric};
use bridge_core::planfix_webhook;
use bridge_core::ports::{Ack, WebhookError, WebhookRequest, WebhookRoute};
use bridge_core::{AccountRuntime, Bridge};

/// Webhook bodies are small JSON documents; anything bigger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which routes a deployment unit serves: each Lambda only its own (least privilege), the local
/// server all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    ProviderWebhooks,
    PlanfixWebhooks,
    All,
}

type App = Arc<Bridge>;

/// The routes of `surface`, at the root and under one stage segment.
pub fn router(app: App, surface: Surface) -> Router {
    let mut routes = Router::new();
    if surface != Surface::PlanfixWebhooks {
        routes = routes
            .route("/webhooks/{provider}/{account}", get(provider_handshake).post(provider_post))
            .route("/webhooks/{provider}/{account}/status", post(provider_status_post));
    }
    if surface != Surface::ProviderWebhooks {
        routes = routes
            .route("/planfix/{account}", post(planfix_post))
            .route("/planfix/{account}/task-status", post(planfix_task_status_post));
    }
    let routes = routes.method_not_allowed_fallback(|| async {
        error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this route")
    });
    Router::new()
        .merge(routes.clone())
        .nest("/{stage}", routes)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .with_state(app)
}

/// One request through [`router`], with the body collected: for callers that hold a whole
/// request (the Lambda adapter, tests). Building the router per call costs microseconds.
pub async fn handle(app: &App, surface: Surface, req: Request<Bytes>) -> Response<Bytes> {
    use tower::ServiceExt;
    let resp = match router(app.clone(), surface).oneshot(req.map(Body::from)).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let (parts, body) = resp.into_parts();
    // Our own handlers' bodies are small and in memory; collecting cannot exceed the limit.
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    metrics::flush();
    Response::from_parts(parts, bytes)
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn error(status: StatusCode, reason: impl Into<String>) -> Response<Body> {
    reply(status, json!({ "error": reason.into() }))
}

/// The one answer to a caller who has not proven to be the account's provider (or Planfix):
/// an unknown account, an account of another provider, a missing, wrong, repeated or forged
/// credential all read the same, so nobody can probe which accounts exist or which check
/// failed. The reason is logged, with the account, for the operator.
fn refused() -> Response<Body> {
    error(StatusCode::UNAUTHORIZED, "unauthorized")
}

/// The account `raw` names, or the answer for one that cannot serve: unknown ([`refused`]), or
/// configured with a broken configuration (503 on every route until the operator fixes it; the
/// caller's retries then find it working).
async fn account_runtime(app: &Bridge, raw: &str) -> Result<Arc<AccountRuntime>, Response<Body>> {
    use bridge_core::accounts::Lookup;
    let Ok(id) = AccountId::parse(raw) else {
        return Err(refused());
    };
    match app.accounts.lookup(&id).await {
        Lookup::Ready(acct) => Ok(acct),
        Lookup::Broken => Err(error(StatusCode::SERVICE_UNAVAILABLE, "account temporarily unavailable")),
        Lookup::Unknown => {
            tracing::info!("webhook for an unknown account refused");
            Err(refused())
        }
    }
}

/// The provider segments of `/webhooks/{provider}/…` (each [`bridge_core::config::ProviderConfig::kind`]).
const PROVIDERS: [&str; 5] = ["meta", "twilio", "green-api", "360dialog", "wazzup"];

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

/// The body, or the answer that refuses it.
async fn body_bytes(body: Body) -> Result<Bytes, Response<Body>> {
    to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB"))
}

/// The account behind `{provider}/{account}`, refusing unknown accounts and accounts of
/// another provider alike.
async fn provider_account(app: &Bridge, provider: &str, account: &str) -> Result<Arc<AccountRuntime>, Response<Body>> {
    if !PROVIDERS.contains(&provider) {
        return Err(error(StatusCode::NOT_FOUND, "no such route"));
    }
    let acct = account_runtime(app, account).await?;
    // An account's URL only accepts its own provider: a Meta payload can never reach a
    // Twilio-configured account through a guessed URL.
    if acct.provider_kind != provider {
        tracing::warn!(account = %acct.id, provider, "webhook on another provider's route refused");
        return Err(refused());
    }
    Ok(acct)
}

/// Path parameters with or without the stage segment.
#[derive(serde::Deserialize)]
struct ProviderPath {
    provider: String,
    account: String,
}

#[derive(serde::Deserialize)]
struct AccountPath {
    account: String,
}

async fn provider_handshake(
    State(app): State<App>,
    Path(path): Path<ProviderPath>,
    RawQuery(query): RawQuery,
) -> Response<Body> {
    let acct = match provider_account(&app, &path.provider, &path.account).await {
        Ok(acct) => acct,
        Err(resp) => return resp,
    };
    let _span = tracing::info_span!("webhook", account = %acct.id, provider = %path.provider).entered();
    if acct.webhook.conceals_account() {
        return webhook_error(WebhookError::UnknownAccount);
    }
    match acct.webhook.handshake(&query_pairs(query.as_deref())) {
        Some(Ok(challenge)) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain")
            .body(Body::from(challenge))
            .unwrap_or_else(|_| Response::new(Body::empty())),
        Some(Err(e)) => webhook_error(e),
        None => error(StatusCode::METHOD_NOT_ALLOWED, "this provider has no subscription handshake"),
    }
}

async fn provider_post(State(app): State<App>, Path(path): Path<ProviderPath>, req: Request<Body>) -> Response<Body> {
    provider_webhook(app, path, WebhookRoute::Main, req).await
}

async fn provider_status_post(
    State(app): State<App>,
    Path(path): Path<ProviderPath>,
    req: Request<Body>,
) -> Response<Body> {
    provider_webhook(app, path, WebhookRoute::Status, req).await
}

/// The URL the provider called, from the configured public base (never the request's Host,
/// which a caller controls): `{base}/webhooks/{provider}/{account}[/status][?query]`.
fn public_url(app: &Bridge, path: &ProviderPath, route: WebhookRoute, query: Option<&str>) -> Option<String> {
    let base = app.public_url.as_deref()?.trim_end_matches('/');
    let tail = if route == WebhookRoute::Status { "/status" } else { "" };
    let query = query.filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("{base}/webhooks/{}/{}{tail}{query}", path.provider, path.account))
}

async fn provider_webhook(app: App, path: ProviderPath, route: WebhookRoute, req: Request<Body>) -> Response<Body> {
    let acct = match provider_account(&app, &path.provider, &path.account).await {
        Ok(acct) => acct,
        Err(resp) => return resp,
    };
    if route == WebhookRoute::Status && !acct.webhook.has_status_route() {
        if acct.webhook.conceals_account() {
            return webhook_error(WebhookError::UnknownAccount);
        }
        return error(StatusCode::NOT_FOUND, "this provider has no status route");
    }
    let (parts, body) = req.into_parts();
    let body = match body_bytes(body).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let public_url = public_url(&app, &path, route, parts.uri.query());
    let request = WebhookRequest { route, public_url: public_url.as_deref(), headers: &parts.headers, body: &body };
    let accepted = match intake::accept(app.store.as_ref(), &acct, &request).await {
        Ok(a) => a,
        Err(IntakeError::Webhook(e)) => {
            tracing::warn!(account = %acct.id, error = %e, "webhook refused");
            return webhook_error(e);
        }
        Err(e) => {
            tracing::error!(account = %acct.id, error = %e, "could not record webhook");
            return error(StatusCode::SERVICE_UNAVAILABLE, "could not record the webhook; retry");
        }
    };
    if let Err(e) = intake::hand_over(app.work.as_ref(), &acct, &accepted).await {
        tracing::error!(account = %acct.id, error = %e, "could not queue webhook work");
        return error(StatusCode::SERVICE_UNAVAILABLE, "could not queue the webhook; retry");
    }
    metrics::count(acct.id.as_str(), Metric::Duplicates, accepted.duplicates as f64);
    metrics::count(acct.id.as_str(), Metric::StatusesIn, accepted.statuses.len() as f64);
    tracing::info!(account = %acct.id, messages = accepted.to_process.len(), duplicates = accepted.duplicates, statuses = accepted.statuses.len(), ignored = accepted.ignored, rejected = accepted.rejected, "webhook accepted");
    match acct.webhook.ack() {
        Ack::Json => reply(
            StatusCode::OK,
            json!({ "status": "accepted", "messages": accepted.to_process.len(), "duplicates": accepted.duplicates, "statuses": accepted.statuses.len(), "ignored": accepted.ignored, "rejected": accepted.rejected }),
        ),
        // An empty TwiML document: Twilio sends nothing back to the customer.
        Ack::EmptyTwiml => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/xml")
            .body(Body::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"))
            .unwrap_or_else(|_| Response::new(Body::empty())),
    }
}

/// Planfix sends scenario requests one at a time per account and freezes them for minutes after
/// a failure, so everything the bridge merely does not care about is a 200.
async fn planfix_post(State(app): State<App>, Path(path): Path<AccountPath>, req: Request<Body>) -> Response<Body> {
    let acct = match account_runtime(&app, &path.account).await {
        Ok(acct) => acct,
        Err(resp) => return resp,
    };
    let (parts, body) = req.into_parts();
    if let Err(e) = planfix_webhook::authenticate(&acct.planfix_webhook_secret, &parts.headers) {
        tracing::warn!(account = %acct.id, error = %e, "planfix webhook refused");
        return webhook_error(e);
    }
    let body = match body_bytes(body).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let content_type = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let notice = match planfix_webhook::parse_notice(content_type, &body) {
        Ok(n) => n,
        Err(e) => return webhook_error(e),
    };
    let work = Work::Reply { account: acct.id.clone(), task_id: notice.task_id, comment_id: notice.comment_id };
    match app.work.enqueue(std::slice::from_ref(&work)).await {
        Ok(()) => {
            tracing::info!(account = %acct.id, comment = notice.comment_id, "planfix comment queued");
            reply(StatusCode::OK, json!({ "status": "accepted", "comment": notice.comment_id }))
        }
        Err(e) => {
            tracing::error!(account = %acct.id, comment = notice.comment_id, error = %e, "could not queue the planfix comment; Planfix will retry");
            error(StatusCode::SERVICE_UNAVAILABLE, "could not queue the comment; retry")
        }
    }
}

/// The scenario "task status changed": authenticated and answered like the comment route. The
/// work goes in the task's conversation's queue group when the bridge knows it (one store
/// read), so it is applied in order with that conversation's messages.
async fn planfix_task_status_post(
    State(app): State<App>,
    Path(path): Path<AccountPath>,
    req: Request<Body>,
) -> Response<Body> {
    let acct = match account_runtime(&app, &path.account).await {
        Ok(acct) => acct,
        Err(resp) => return resp,
    };
    let (parts, body) = req.into_parts();
    if let Err(e) = planfix_webhook::authenticate(&acct.planfix_webhook_secret, &parts.headers) {
        tracing::warn!(account = %acct.id, error = %e, "planfix task status webhook refused");
        return webhook_error(e);
    }
    let body = match body_bytes(body).await {
        Ok(body) => body,
        Err(resp) => return resp,
    };
    let content_type = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let notice = match planfix_webhook::parse_task_status(content_type, &body) {
        Ok(n) => n,
        Err(e) => return webhook_error(e),
    };
    let phone = match app.store.get_task_conversation(&acct.id, notice.task_id).await {
        Ok(conv) => conv.map(|c| c.phone),
        // Only the queue group depends on it; the worker looks the conversation up itself.
        Err(e) => {
            tracing::warn!(account = %acct.id, task = notice.task_id, error = %e, "task lookup failed; queued in the task's group");
            None
        }
    };
    let work = Work::task_status(acct.id.clone(), notice.task_id, phone);
    match app.work.enqueue(std::slice::from_ref(&work)).await {
        Ok(()) => {
            tracing::info!(account = %acct.id, task = notice.task_id, status = ?notice.status_id, "planfix task status change queued");
            reply(StatusCode::OK, json!({ "status": "accepted", "task": notice.task_id }))
        }
        Err(e) => {
            tracing::error!(account = %acct.id, task = notice.task_id, error = %e, "could not queue the task status change; Planfix will retry");
            error(StatusCode::SERVICE_UNAVAILABLE, "could not queue the task status change; retry")
        }
    }
}

fn webhook_error(e: WebhookError) -> Response<Body> {
    let status = match e {
        // The very answer of `account_runtime` for an account that does not exist.
        WebhookError::Unauthorized(_) | WebhookError::UnknownAccount => return refused(),
        WebhookError::Forbidden(_) => StatusCode::FORBIDDEN,
        WebhookError::BadRequest(_) => StatusCode::BAD_REQUEST,
    };
    // A parser's message may quote the value it choked on, a customer's number among them.
    error(status, bridge_core::domain::Phone::mask_numbers_in(&e.to_string()))
}
