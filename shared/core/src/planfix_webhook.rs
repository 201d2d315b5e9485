//! The request a Planfix scenario ("comment added" → "send HTTP request") makes to the bridge.
//! Planfix does not sign requests: it carries a per-account shared secret, and only ids —
//! everything else is read back by REST, never trusted from the templated body.

use base64::Engine;
use http::HeaderMap;
use serde::Deserialize;

use crate::config::Secret;
use crate::ports::WebhookError;

/// Header carrying the shared secret (Basic auth with the secret as password also works).
pub const SECRET_HEADER: &str = "x-bridge-token";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentNotice {
    pub task_id: Option<i64>,
    pub comment_id: i64,
}

pub fn authenticate(secret: &Secret, headers: &HeaderMap) -> Result<(), WebhookError> {
    if let Some(token) = headers.get(SECRET_HEADER) {
        return if secret.matches(token.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("wrong shared secret"))
        };
    }
    let basic = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .ok_or(WebhookError::Unauthorized("missing X-Bridge-Token or Basic authorization"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .map_err(|_| WebhookError::Unauthorized("malformed Basic authorization"))?;
    let password =
        decoded.splitn(2, |b| *b == b':').nth(1).ok_or(WebhookError::Unauthorized("malformed Basic authorization"))?;
    if secret.matches(password) {
        Ok(())
    } else {
        Err(WebhookError::Unauthorized("wrong shared secret"))
    }
}

/// Planfix substitutes `{{…}}` variables as text, so ids arrive as numbers or numeric strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Number(i64),
    Text(String),
}

#[derive(Deserialize)]
struct Notice {
    #[serde(default)]
    task: Option<Id>,
    comment: Option<Id>,
}

fn id(value: Option<Id>, what: &str) -> Result<Option<i64>, WebhookError> {
    match value {
        None => Ok(None),
        Some(Id::Number(n)) if n > 0 => Ok(Some(n)),
        Some(Id::Text(t)) => match t.trim().trim_start_matches('#').parse::<i64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ if t.contains("{{") => Err(WebhookError::BadRequest(format!(
                "{what} is the unreplaced template {t:?}: check the variable name in the Planfix scenario"
            ))),
            _ => Err(WebhookError::BadRequest(format!("{what} must be a positive number, got {t:?}"))),
        },
        Some(Id::Number(n)) => Err(WebhookError::BadRequest(format!("{what} must be a positive number, got {n}"))),
    }
}

/// Accepts JSON (`{"task":"123","comment":"456"}`) or a form body with the same fields.
pub fn parse_notice(content_type: Option<&str>, body: &[u8]) -> Result<CommentNotice, WebhookError> {
    let is_form = content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let notice: Notice = if is_form {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| Id::Text(v.clone()));
        Notice { task: get("task"), comment: get("comment") }
    } else {
        serde_json::from_slice(body).map_err(|e| {
            WebhookError::BadRequest(format!("expected JSON like {{\"task\":\"…\",\"comment\":\"…\"}}: {e}"))
        })?
    };
    let comment_id =
        id(notice.comment, "comment")?.ok_or_else(|| WebhookError::BadRequest("missing comment id".into()))?;
    Ok(CommentNotice { task_id: id(notice.task, "task")?, comment_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_and_form_bodies() {
        let want = CommentNotice { task_id: Some(12), comment_id: 34 };
        assert_eq!(parse_notice(Some("application/json"), br#"{"task":"12","comment":34}"#).unwrap(), want);
        assert_eq!(parse_notice(Some("application/x-www-form-urlencoded"), b"task=12&comment=34").unwrap(), want);
        assert_eq!(
            parse_notice(None, br#"{"comment":"34"}"#).unwrap(),
            CommentNotice { task_id: None, comment_id: 34 }
        );
    }

    #[test]
    fn explains_bad_bodies() {
        for body in [
            &br#"{"task":"1"}"#[..],
            br#"{"comment":"{{Comment.Id}}"}"#,
            br#"{"comment":-1}"#,
            b"garbage",
            br#"{"comment":"abc"}"#,
        ] {
            assert!(
                matches!(parse_notice(None, body), Err(WebhookError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn checks_the_secret_in_header_or_basic_auth() {
        let secret = Secret::new("s3cret");
        let mut h = HeaderMap::new();
        assert!(authenticate(&secret, &h).is_err());
        h.insert(SECRET_HEADER, "s3cret".parse().unwrap());
        assert!(authenticate(&secret, &h).is_ok());
        h.insert(SECRET_HEADER, "nope".parse().unwrap());
        assert!(authenticate(&secret, &h).is_err());
        let mut b = HeaderMap::new();
        let cred = base64::engine::general_purpose::STANDARD.encode("planfix:s3cret");
        b.insert(http::header::AUTHORIZATION, format!("Basic {cred}").parse().unwrap());
        assert!(authenticate(&secret, &b).is_ok());
    }
}
