//! Sending text through the Graph API: `POST /{version}/{phone_number_id}/messages` (NOTES 2.4),
//! errors mapped to [`SendFailure`] by Meta's `code` (NOTES 2.6). The same struct sends and fetches
//! media (`media.rs`), reusing the client, token and error mapping defined here.

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use bridge_core::config::{MetaConfig, Secret};
use bridge_core::domain::Phone;
use bridge_core::ports::{Capabilities, FileSend, ProviderSender, SendFailure};

/// Meta's limit for `text.body`, in characters.
const MAX_TEXT_CHARS: usize = 4096;

/// How requests to a Cloud API host are authorized.
#[derive(Clone)]
pub(crate) enum CloudAuth {
    /// Meta: `Authorization: Bearer <system-user token>`.
    Bearer(Secret),
    /// 360dialog: `D360-API-KEY: <key>`.
    ApiKey(Secret),
}

/// Meta's Cloud API client; 360dialog serves the same API on its own host with its own key, so
/// the same client (endpoints and auth given) is its sender too.
pub struct MetaClient {
    pub(super) http: reqwest::Client,
    /// `{graph_base_url}/{graph_api_version}`; the root of media ids. Holds no secret.
    pub(super) graph_url: String,
    /// `{graph_url}/{phone_number_id}/messages`.
    messages_url: String,
    /// `{graph_url}/{phone_number_id}/media`.
    pub(super) media_url: String,
    auth: CloudAuth,
    /// Where media URLs are fetched: None = as given (Meta's lookaside host); Some(base) = the
    /// same path and query on this host (360dialog proxies Meta's media, NOTES §4).
    pub(super) media_host: Option<String>,
}

impl MetaClient {
    /// `http` is shared across accounts (connection reuse); its timeouts bound each send.
    pub fn new(http: reqwest::Client, cfg: &MetaConfig) -> Self {
        let graph_url =
            format!("{}/{}", cfg.graph_base_url.trim_end_matches('/'), cfg.graph_api_version.trim_matches('/'));
        let messages_url = format!("{graph_url}/{}/messages", cfg.phone_number_id);
        let media_url = format!("{graph_url}/{}/media", cfg.phone_number_id);
        Self {
            http,
            graph_url,
            messages_url,
            media_url,
            auth: CloudAuth::Bearer(cfg.access_token.clone()),
            media_host: None,
        }
    }

    /// A client for a Cloud API served at `base` (no version segment: `{base}/messages`,
    /// `{base}/media`, `{base}/{media-id}`), media fetched through `base` too.
    pub(crate) fn hosted(http: reqwest::Client, base: &str, auth: CloudAuth) -> Self {
        let base = base.trim_end_matches('/').to_owned();
        Self {
            http,
            messages_url: format!("{base}/messages"),
            media_url: format!("{base}/media"),
            graph_url: base.clone(),
            auth,
            media_host: Some(base),
        }
    }

    /// Adds the account's credentials to a request.
    pub(super) fn authorize(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            CloudAuth::Bearer(token) => req.bearer_auth(token.expose()),
            CloudAuth::ApiKey(key) => req.header("D360-API-KEY", key.expose()),
        }
    }

    /// `POST …/messages` with a complete message body; Ok = `messages[0].id` (the wamid).
    pub(super) async fn post_message(&self, body: &serde_json::Value) -> Result<String, SendFailure> {
        let resp = self.authorize(self.http.post(&self.messages_url)).json(body).send().await.map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        tracing::debug!(status = status.as_u16(), "meta send");
        if !status.is_success() {
            return Err(classify(status, &bytes));
        }
        // A 2xx means Meta accepted the message: an unreadable answer must not trigger a resend.
        serde_json::from_slice::<Sent>(&bytes)
            .ok()
            .and_then(|sent| sent.messages.into_iter().next())
            .map(|m| m.id)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| SendFailure::Rejected {
                code: None,
                reason: format!("HTTP {status} without messages[0].id; the message may have been sent"),
            })
    }
}

#[async_trait]
impl ProviderSender for MetaClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_text_chars: MAX_TEXT_CHARS,
            file_send: FileSend::Upload,
            media_limits: super::media::META_LIMITS,
            replies: true,
        }
    }

    /// Sends one text message. A text over 4096 characters (Meta's limit) is refused with `Rejected`
    /// before any request: splitting long Planfix comments is the caller's job.
    ///
    /// A timeout after the request left may still have delivered the message; a retry can then
    /// duplicate it (Meta has no idempotency key for sends).
    async fn send_text(
        &self,
        to: &Phone,
        text: &str,
        _reference: &str,
        reply_to: Option<&str>,
    ) -> Result<String, SendFailure> {
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(SendFailure::Rejected {
                code: None,
                reason: format!("text is {chars} characters; Meta accepts at most {MAX_TEXT_CHARS}"),
            });
        }
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.digits(),
            "type": "text",
            // Comments often hold Planfix links; a preview card would be noise.
            "text": { "preview_url": false, "body": text },
        });
        if let Some(id) = reply_to {
            body["context"] = json!({ "message_id": id });
        }
        self.post_message(&body).await
    }
}

/// Network-level failure; `without_url` keeps the endpoint out of logs and stored errors.
pub(super) fn transport(e: reqwest::Error) -> SendFailure {
    SendFailure::Transient { reason: e.without_url().to_string() }
}

#[derive(Deserialize)]
struct Sent {
    #[serde(default)]
    messages: Vec<SentId>,
}

#[derive(Deserialize)]
struct SentId {
    id: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    code: Option<i64>,
    error_subcode: Option<i64>,
    error_data: Option<ErrorData>,
    fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorData {
    details: Option<String>,
}

/// Maps a non-2xx answer: by Meta's `code` when the envelope is there (Meta advises keying on
/// `code` and `error_data.details`, never on titles), else by HTTP status.
pub(super) fn classify(status: StatusCode, body: &[u8]) -> SendFailure {
    let Some(err) = serde_json::from_slice::<ErrorEnvelope>(body).ok().map(|e| e.error) else {
        let reason = format!("HTTP {status} without a Graph error envelope");
        // 360dialog's own throttling answer is a 400 saying so (NOTES §4, D7).
        let throttled = String::from_utf8_lossy(body).to_ascii_lowercase().contains("exceeded the endpoint rate limit");
        return if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || throttled {
            SendFailure::Transient { reason }
        } else {
            SendFailure::Rejected { code: None, reason }
        };
    };
    // fbtrace_id is what Meta support asks for; the message text never reaches the log.
    tracing::warn!(
        status = status.as_u16(),
        code = ?err.code,
        subcode = ?err.error_subcode,
        fbtrace_id = err.fbtrace_id.as_deref().unwrap_or(""),
        "meta send refused"
    );
    let reason = err.error_data.and_then(|d| d.details).filter(|d| !d.trim().is_empty()).unwrap_or(err.message);
    let Some(code) = err.code else {
        return if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            SendFailure::Transient { reason }
        } else {
            SendFailure::Rejected { code: None, reason }
        };
    };
    match code {
        // Throttling and server-side errors (NOTES 2.6 table; 1 "API Unknown", 2 "API Service",
        // 4 "API Too Many Calls", 80007 WABA rate limit: Meta's error-code table as restated by
        // developers.kaleyra.io/docs/cloud-api-error-codes and niswey.com/knowledge-base/error-codes-meta).
        1 | 2 | 4 | 80007 | 130429 | 131000 | 131056 => SendFailure::Transient { reason },
        // Re-engagement message (NOTES 2.6).
        131047 => SendFailure::WindowClosed,
        // 131026 message undeliverable (NOTES 2.6); 131030 "Recipient phone number not in allowed
        // list" (test numbers) and 131021 "Recipient cannot be sender": Meta's error-code table.
        131021 | 131026 | 131030 => SendFailure::InvalidRecipient { reason },
        // 100 naming the `to` parameter is about the number, not our request. Judgement: Meta's
        // exact wording is unconfirmed; other 100s (including subcode 33, an unknown
        // phone_number_id) stay Rejected.
        100 if names_recipient(&reason) => SendFailure::InvalidRecipient { reason },
        // 190 token, 100 parameter, 131051 unsupported type, 368 policy block…: retrying won't help.
        _ => SendFailure::Rejected { code: Some(code.to_string()), reason },
    }
}

fn names_recipient(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    ["param to ", "parameter to ", "['to']", "recipient"].iter().any(|needle| r.contains(needle))
}

#[cfg(test)]
mod tests {
    use meta_sim::{GraphFailure, GraphSim, GraphSimConfig};

    use super::*;

    const TOKEN: &str = "test-access-token";
    const NUMBER_ID: &str = "1000001";
    const TO: &str = "79051234567";

    fn config(base_url: &str, token: &str) -> MetaConfig {
        MetaConfig {
            app_secret: Secret::new("app-secret"),
            verify_token: Secret::new("verify"),
            access_token: Secret::new(token),
            phone_number_id: NUMBER_ID.into(),
            graph_base_url: base_url.into(),
            graph_api_version: "v21.0".into(),
        }
    }

    /// A running meta-sim and a sender that presents `token` to it.
    async fn sim_with(token: &str) -> (GraphSim, MetaClient) {
        let sim = GraphSim::new(GraphSimConfig { access_token: TOKEN.into(), phone_number_id: NUMBER_ID.into() });
        let base = sim.serve(None).await.expect("serve meta-sim");
        (sim, MetaClient::new(reqwest::Client::new(), &config(&base, token)))
    }

    async fn sim() -> (GraphSim, MetaClient) {
        sim_with(TOKEN).await
    }

    fn phone() -> Phone {
        Phone::parse(TO).expect("valid phone")
    }

    #[tokio::test]
    async fn sends_text_and_returns_wamid() {
        let (sim, sender) = sim().await;
        let text = "Привет! Your order <b>#12</b> ships today 🚚";
        let wamid = sender.send_text(&phone(), text, "ref", None).await.expect("sent");
        let sent = sim.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].wamid, wamid);
        assert_eq!(sent[0].to, TO);
        assert_eq!(sent[0].kind, "text");
        assert_eq!(sent[0].text(), Some(text));
        assert_eq!(sent[0].body["recipient_type"], "individual");
        assert_eq!(sent[0].body["text"]["preview_url"], false);
        assert_eq!(sent[0].reply_to(), None, "no context unless answering");
        sender.send_text(&phone(), "It ships today", "ref-2", Some("wamid.QUOTED")).await.expect("sent");
        assert_eq!(sim.sent()[1].reply_to(), Some("wamid.QUOTED"), "a reply carries context.message_id");
    }

    #[tokio::test]
    async fn window_closed() {
        let (sim, sender) = sim().await;
        sim.fail_for_recipient(TO, 131047, 400);
        assert_eq!(sender.send_text(&phone(), "hi", "ref", None).await, Err(SendFailure::WindowClosed));
        assert!(sim.sent().is_empty());
    }

    #[tokio::test]
    async fn undeliverable_is_invalid_recipient() {
        let (sim, sender) = sim().await;
        sim.fail_for_recipient(TO, 131026, 400);
        let err = sender.send_text(&phone(), "hi", "ref", None).await.expect_err("refused");
        assert!(
            matches!(err, SendFailure::InvalidRecipient { ref reason } if reason.contains("Unable to deliver")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn throughput_and_server_errors_are_transient() {
        let (sim, sender) = sim().await;
        sim.fail_for_recipient(TO, 130429, 400);
        let err = sender.send_text(&phone(), "hi", "ref", None).await.expect_err("throttled");
        assert!(err.retry().is_retryable(), "{err:?}");
        sim.clear_recipient_failure(TO);

        sim.fail_next(1, GraphFailure::Error { http: 500, code: 131000, message: "boom".into() });
        let err = sender.send_text(&phone(), "hi", "ref", None).await.expect_err("server error");
        assert_eq!(err, SendFailure::Transient { reason: "boom".into() });
        // The failure was one-shot: the next send goes through.
        assert!(sender.send_text(&phone(), "hi", "ref", None).await.is_ok());
    }

    #[tokio::test]
    async fn wrong_token_is_rejected_190() {
        let (sim, sender) = sim_with("not-the-token").await;
        let err = sender.send_text(&phone(), "hi", "ref", None).await.expect_err("unauthorized");
        assert!(matches!(err, SendFailure::Rejected { code: Some(ref c), .. } if c == "190"), "{err:?}");
        assert!(!err.retry().is_retryable());
        assert!(!err.to_string().contains("not-the-token"));
        assert!(sim.sent().is_empty());
    }

    #[tokio::test]
    async fn connection_refused_is_transient() {
        // A port that was just free: nothing listens there any more.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let sender = MetaClient::new(reqwest::Client::new(), &config(&format!("http://{addr}"), TOKEN));
        let err = sender.send_text(&phone(), "hi", "ref", None).await.expect_err("refused");
        assert!(err.retry().is_retryable(), "{err:?}");
        assert!(!err.to_string().contains(NUMBER_ID), "no URL in the reason: {err}");
    }

    #[tokio::test]
    async fn over_long_text_is_rejected_without_a_request() {
        let (sim, sender) = sim().await;
        let err = sender.send_text(&phone(), &"я".repeat(MAX_TEXT_CHARS + 1), "ref", None).await.expect_err("too long");
        assert!(matches!(err, SendFailure::Rejected { code: None, .. }), "{err:?}");
        assert!(sim.requests().is_empty());
        // Exactly at the limit (counted in characters, not bytes) is fine.
        assert!(sender.send_text(&phone(), &"я".repeat(MAX_TEXT_CHARS), "ref", None).await.is_ok());
    }

    #[test]
    fn classify_without_envelope_uses_http_status() {
        assert!(classify(StatusCode::BAD_GATEWAY, b"<html>").retry().is_retryable());
        assert!(classify(StatusCode::TOO_MANY_REQUESTS, b"").retry().is_retryable());
        assert!(matches!(classify(StatusCode::FORBIDDEN, b"nope"), SendFailure::Rejected { code: None, .. }));
    }

    #[test]
    fn classify_codes() {
        let envelope = |code: i64, details: &str| {
            json!({ "error": { "message": format!("(#{code}) title"), "type": "OAuthException", "code": code,
                "error_data": { "messaging_product": "whatsapp", "details": details }, "fbtrace_id": "x" } })
            .to_string()
        };
        let c = |code, details| classify(StatusCode::BAD_REQUEST, envelope(code, details).as_bytes());
        for code in [1, 2, 4, 80007, 130429, 131000, 131056] {
            assert!(c(code, "d").retry().is_retryable(), "{code}");
        }
        for code in [131021, 131026, 131030] {
            assert_eq!(c(code, "d"), SendFailure::InvalidRecipient { reason: "d".into() }, "{code}");
        }
        assert!(matches!(c(100, "Param to must be a phone number."), SendFailure::InvalidRecipient { .. }));
        assert_eq!(
            c(100, "Param text['body'] is required."),
            SendFailure::Rejected { code: Some("100".into()), reason: "Param text['body'] is required.".into() }
        );
        assert!(matches!(c(131051, "d"), SendFailure::Rejected { code: Some(ref c), .. } if c == "131051"));
        // No details: the message is the reason.
        let bare = json!({ "error": { "message": "(#190) expired", "code": 190 } }).to_string();
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, bare.as_bytes()),
            SendFailure::Rejected { code: Some("190".into()), reason: "(#190) expired".into() }
        );
    }
}
