//! HTTP routing on plain `http` types, shared by the Lambda functions and the local server.
//!
//! Routes:
//! * `GET  /webhooks/{provider}/{account}` — provider subscription handshake (Meta).
//! * `POST /webhooks/{provider}/{account}` — provider webhook: verify → record → process.
//! * `POST /planfix/{account}` — Planfix scenario "comment added": secret → read comment → send.
//!
//! A leading path prefix (an API Gateway stage) is tolerated.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::json;

use crate::core::inbound::{InboundProcessor, ProcessError};
use crate::core::outbound::{OutboundProcessor, ReplyOutcome};
use crate::core::planfix_webhook;
use crate::core::intake::{self, IntakeError};
use crate::core::AccountRuntime;
use crate::domain::AccountId;
use crate::metrics::{self, Metric};
use crate::ports::{Store, WebhookError};

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
        Err(IntakeError::Store(e)) => {
            tracing::error!(account = %acct.id, error = %e, "could not record webhook");
            return error(StatusCode::SERVICE_UNAVAILABLE, "could not record the webhook; retry");
        }
    };
    metrics::count(acct.id.as_str(), Metric::Duplicates, accepted.duplicates as f64);
    metrics::count(acct.id.as_str(), Metric::StatusesIn, accepted.statuses.len() as f64);
    for status in &accepted.statuses {
        tracing::info!(account = %acct.id, message = %status.message_id, status = %status.status, "delivery status");
        if let Err(e) = app.outbound.apply_status(app.store.as_ref(), acct, status).await {
            tracing::error!(account = %acct.id, error = %e, "delivery status not applied; provider will retry");
            return process_error(&e);
        }
    }
    let mut processed = 0;
    for msg in &accepted.to_process {
        // Messages of one webhook go in send order; the first failure stops the rest so they
        // are not overtaken: the provider's retry resumes where this stopped.
        if let Err(e) = app.inbound.process(app.store.as_ref(), acct, msg).await {
            tracing::error!(account = %acct.id, message = %msg.id, error = %e, "processing failed; provider will retry");
            metrics::count(acct.id.as_str(), Metric::Failures, 1.0);
            return process_error(&e);
        }
        metrics::count(acct.id.as_str(), Metric::MessagesIn, 1.0);
        processed += 1;
    }
    reply(
        StatusCode::OK,
        json!({ "status": "ok", "processed": processed, "duplicates": accepted.duplicates, "statuses": accepted.statuses.len() }),
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
    match app.outbound.process_comment(app.store.as_ref(), &acct, notice.task_id, notice.comment_id).await {
        Ok(outcome) => {
            match &outcome {
                ReplyOutcome::Sent { .. } => metrics::count(acct.id.as_str(), Metric::RepliesSent, 1.0),
                ReplyOutcome::NotDelivered(_) => metrics::count(acct.id.as_str(), Metric::RepliesNotDelivered, 1.0),
                _ => {}
            }
            let (result, detail) = match &outcome {
                ReplyOutcome::Sent { .. } => ("sent", String::new()),
                ReplyOutcome::Ignored(why) => ("ignored", (*why).to_owned()),
                ReplyOutcome::NotDelivered(why) => ("not_delivered", why.clone()),
                ReplyOutcome::AlreadyDone => ("duplicate", String::new()),
            };
            reply(StatusCode::OK, json!({ "status": "ok", "result": result, "detail": detail }))
        }
        Err(e) => {
            tracing::error!(account = %acct.id, comment = notice.comment_id, error = %e, "planfix comment not handled; Planfix will retry");
            metrics::count(acct.id.as_str(), Metric::Failures, 1.0);
            process_error(&e)
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

fn process_error(e: &ProcessError) -> Response<Bytes> {
    let status = match e {
        ProcessError::Planfix(_) => StatusCode::BAD_GATEWAY,
        ProcessError::Store(_) | ProcessError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        ProcessError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
        ProcessError::Queue(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, format!("not processed yet, retry: {e}"))
}
