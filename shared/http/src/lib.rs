//! HTTP routing on plain `http` types, shared by the Lambda functions and the local server.
//!
//! Routes:
//! * `GET  /webhooks/{provider}/{account}` — provider subscription handshake (Meta).
//! * `POST /webhooks/{provider}/{account}` — provider webhook: verify → record → queue → 200.
//! * `POST /planfix/{account}` — Planfix scenario "comment added": secret → queue → 200.
//!
//! No route calls Planfix or the provider: the answer depends on the store and the queue only,
//! and the worker ([`crate::core::worker`]) does the rest.
//!
//! A leading path prefix (an API Gateway stage) is tolerated.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::json;

use crate::core::inbound::InboundProcessor;
use crate::core::outbound::OutboundProcessor;
use crate::core::planfix_webhook;
use crate::core::intake::{self, IntakeError};
use crate::core::AccountRuntime;
use crate::domain::{AccountId, Work};
use crate::metrics::{self, Metric};
use crate::ports::{Store, WebhookError, WorkQueue};

/// Webhook bodies are small JSON documents; anything bigger is refused before parsing.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct App {
    pub accounts: crate::core::accounts::Accounts,
    pub store: Arc<dyn Store>,
    /// Present where files are relayed (the file-relay function, the local run).
    pub blob: Option<Arc<dyn crate::ports::BlobStore>>,
    pub relay: crate::core::file_relay::FileRelay,
    pub inbound: InboundProcessor,
    pub outbound: OutboundProcessor,
    /// Where the webhooks hand work to the worker.
    pub work: Arc<dyn WorkQueue>,
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Bytes::new()))
}

fn error(status: StatusCode, reason: impl Into<String>) -> Response<Bytes> {
    reply(status, json!({ "error": reason.into() }))
}

async fn account_runtime(app: &App, raw: &str) -> Option<Arc<AccountRuntime>> {
    let id = AccountId::parse(raw).ok()?;
    app.accounts.get(&id).await
}

fn query_pairs(req: &Request<Bytes>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Which routes a deployment unit serves: each Lambda only its own (least privilege), the local
/// server all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    ProviderWebhooks,
    PlanfixWebhooks,
    All,
}

pub async fn handle(app: &App, surface: Surface, req: Request<Bytes>) -> Response<Bytes> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let planfix = segments.iter().position(|s| *s == "planfix").filter(|_| surface != Surface::ProviderWebhooks);
    let provider = segments.iter().position(|s| *s == "webhooks").filter(|_| surface != Surface::PlanfixWebhooks);
    if let Some(start) = planfix {
        return match &segments[start + 1..] {
            [account] => planfix_route(app, account, req).await,
            _ => error(StatusCode::NOT_FOUND, "expected /planfix/{account}"),
        };
    }
    let Some(start) = provider else {
        return error(StatusCode::NOT_FOUND, "no such route");
    };
    let [provider, account] = match &segments[start + 1..] {
        [p, a] => [*p, *a],
        _ => return error(StatusCode::NOT_FOUND, "expected /webhooks/{provider}/{account}"),
    };
    let Some(acct) = account_runtime(app, account).await else {
        return error(StatusCode::NOT_FOUND, "unknown account");
    };
    // An account's URL only accepts its own provider: a Meta payload can never reach a
    // Twilio-configured account through a guessed URL.
    if acct.provider_kind != provider {
        return error(StatusCode::NOT_FOUND, "this account does not use that provider");
    }
    let span = tracing::info_span!("webhook", account = %acct.id, provider);
    let _enter = span.enter();
    match *req.method() {
        Method::GET => match acct.webhook.handshake(&query_pairs(&req)) {
            Ok(challenge) => Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "text/plain")
                .body(Bytes::from(challenge))
                .unwrap_or_else(|_| Response::new(Bytes::new())),
            Err(e) => webhook_error(e),
        },
        Method::POST => {
            drop(_enter);
            provider_post(app, &acct, req).await
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST"),
    }
}

async fn provider_post(app: &App, acct: &AccountRuntime, req: Request<Bytes>) -> Response<Bytes> {
    let (parts, body) = req.into_parts();
    if body.len() > MAX_BODY_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "webhook body over 1 MiB");
    }
    let accepted = match intake::accept(app.store.as_ref(), acct, &parts.headers, &body).await {
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
    if let Err(e) = intake::hand_over(app.work.as_ref(), acct, &accepted).await {
        tracing::error!(account = %acct.id, error = %e, "could not queue webhook work");
        return error(StatusCode::SERVICE_UNAVAILABLE, "could not queue the webhook; retry");
    }
    metrics::count(acct.id.as_str(), Metric::Duplicates, accepted.duplicates as f64);
    metrics::count(acct.id.as_str(), Metric::StatusesIn, accepted.statuses.len() as f64);
    tracing::info!(account = %acct.id, messages = accepted.to_process.len(), duplicates = accepted.duplicates, statuses = accepted.statuses.len(), "webhook accepted");
    reply(
        StatusCode::OK,
        json!({ "status": "accepted", "messages": accepted.to_process.len(), "duplicates": accepted.duplicates, "statuses": accepted.statuses.len() }),
    )
}

/// Planfix sends scenario requests one at a time per account and freezes them for minutes after
/// a failure, so everything the bridge merely does not care about is a 200.
async fn planfix_route(app: &App, account: &str, req: Request<Bytes>) -> Response<Bytes> {
    let Some(acct) = account_runtime(app, account).await else {
        return error(StatusCode::NOT_FOUND, "unknown account");
    };
    if req.method() != Method::POST {
        return error(StatusCode::METHOD_NOT_ALLOWED, "use POST");
    }
    let (parts, body) = req.into_parts();
    if let Err(e) = planfix_webhook::authenticate(&acct.planfix_webhook_secret, &parts.headers) {
        tracing::warn!(account = %acct.id, error = %e, "planfix webhook refused");
        return webhook_error(e);
    }
    if body.len() > MAX_BODY_BYTES {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB");
    }
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

fn webhook_error(e: WebhookError) -> Response<Bytes> {
    let status = match e {
        WebhookError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        WebhookError::Forbidden(_) => StatusCode::FORBIDDEN,
        WebhookError::BadRequest(_) => StatusCode::BAD_REQUEST,
    };
    error(status, e.to_string())
}
