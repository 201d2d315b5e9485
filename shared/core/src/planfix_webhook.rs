//! The requests Planfix scenarios ("comment added", "task status changed" → "send HTTP
//! request") make to the bridge.
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

/// The shared secret, from `X-Bridge-Token` or a Basic password: exactly one of them, once.
pub fn authenticate(secret: &Secret, headers: &HeaderMap) -> Result<(), WebhookError> {
    let token = crate::credentials::single(headers, SECRET_HEADER)?;
    let basic = crate::credentials::authorization(headers, "Basic");
    let presented = match (token, basic) {
        (Some(_), Ok(Some(_)) | Err(_)) => {
            return Err(WebhookError::Unauthorized("send either X-Bridge-Token or Basic authorization, not both"))
        }
        (Some(token), Ok(None)) => token.as_bytes().to_vec(),
        (None, Ok(Some(basic))) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic)
                .map_err(|_| WebhookError::Unauthorized("malformed Basic authorization"))?;
            decoded
                .splitn(2, |b| *b == b':')
                .nth(1)
                .ok_or(WebhookError::Unauthorized("malformed Basic authorization"))?
                .to_vec()
        }
        (None, Ok(None)) => return Err(WebhookError::Unauthorized("missing X-Bridge-Token or Basic authorization")),
        (None, Err(e)) => return Err(e),
    };
    if secret.matches(&presented) {
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

/// Media types are case-insensitive (RFC 9110 §8.3.1); parameters (`; charset=…`) are not read.
fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// A form body's fields by name, each at most once.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, k: &str) -> Result<Option<Id>, WebhookError> {
        let mut values = self.0.iter().filter(|(n, _)| n == k).map(|(_, v)| Id::Text(v.clone()));
        let first = values.next();
        // As duplicate JSON keys are refused: which one counts would be a guess.
        if values.next().is_some() {
            return Err(WebhookError::BadRequest(format!("{k} is given more than once")));
        }
        Ok(first)
    }
}

/// Accepts JSON (`{"task":"123","comment":"456"}`) or a form body with the same fields.
pub fn parse_notice(content_type: Option<&str>, body: &[u8]) -> Result<CommentNotice, WebhookError> {
    let notice: Notice = if is_form(content_type) {
        let form = Form::parse(body);
        Notice { task: form.get("task")?, comment: form.get("comment")? }
    } else {
        serde_json::from_slice(body).map_err(|e| {
            WebhookError::BadRequest(format!("expected JSON like {{\"task\":\"…\",\"comment\":\"…\"}}: {e}"))
        })?
    };
    let comment_id =
        id(notice.comment, "comment")?.ok_or_else(|| WebhookError::BadRequest("missing comment id".into()))?;
    Ok(CommentNotice { task_id: id(notice.task, "task")?, comment_id })
}

/// The request of the scenario "task status changed" (`POST /planfix/{account}/task-status`).
/// Only the task id counts: the worker reads the task's status back by REST. `status_id` (the
/// new status, if the scenario sends it) is logged, never trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStatusNotice {
    pub task_id: i64,
    pub status_id: Option<i64>,
}

#[derive(Deserialize)]
struct StatusNotice {
    task: Option<Id>,
    #[serde(default)]
    status: Option<Id>,
}

/// Accepts JSON (`{"task":"123","status":"3"}`, `status` optional) or a form body with the
/// same fields; other fields are ignored.
pub fn parse_task_status(content_type: Option<&str>, body: &[u8]) -> Result<TaskStatusNotice, WebhookError> {
    let notice: StatusNotice = if is_form(content_type) {
        let form = Form::parse(body);
        StatusNotice { task: form.get("task")?, status: form.get("status")? }
    } else {
        serde_json::from_slice(body)
            .map_err(|e| WebhookError::BadRequest(format!("expected JSON like {{\"task\":\"…\"}}: {e}")))?
    };
    let task_id = id(notice.task, "task")?.ok_or_else(|| WebhookError::BadRequest("missing task id".into()))?;
    // An unreplaced or odd status variable must not cost the notice: the status is re-read.
    let status_id = id(notice.status, "status").unwrap_or(None);
    Ok(TaskStatusNotice { task_id, status_id })
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
        let mut upper = HeaderMap::new();
        upper.insert(http::header::AUTHORIZATION, format!("BASIC {cred}").parse().unwrap());
        assert!(authenticate(&secret, &upper).is_ok(), "schemes are case-insensitive");
    }

    #[test]
    fn ambiguous_credentials_are_refused() {
        let secret = Secret::new("s3cret-s3cret-s3cret");
        let mut two = HeaderMap::new();
        two.append(SECRET_HEADER, "s3cret-s3cret-s3cret".parse().unwrap());
        two.append(SECRET_HEADER, "wrong".parse().unwrap());
        assert!(authenticate(&secret, &two).is_err(), "the right token first, a wrong one second");
        let mut both = HeaderMap::new();
        both.insert(SECRET_HEADER, "s3cret-s3cret-s3cret".parse().unwrap());
        let cred = base64::engine::general_purpose::STANDARD.encode("planfix:other");
        both.insert(http::header::AUTHORIZATION, format!("Basic {cred}").parse().unwrap());
        assert!(authenticate(&secret, &both).is_err());
    }

    #[test]
    fn task_status_notices_need_a_task_id_only() {
        let json = Some("application/json");
        assert_eq!(
            parse_task_status(json, br##"{"task":"#12","status":"3","secret":"x"}"##).unwrap(),
            TaskStatusNotice { task_id: 12, status_id: Some(3) }
        );
        assert_eq!(
            parse_task_status(None, r#"{"task":12,"status":"{{Задача.Статус.Идентификатор}}"}"#.as_bytes()).unwrap(),
            TaskStatusNotice { task_id: 12, status_id: None }
        );
        let form = Some("application/x-www-form-urlencoded");
        assert_eq!(parse_task_status(form, b"task=12").unwrap(), TaskStatusNotice { task_id: 12, status_id: None });
        for body in [&br#"{}"#[..], r#"{"task":"{{Задача.Номер}}"}"#.as_bytes(), br#"{"task":0}"#, b"task=12"]
        {
            assert!(
                matches!(parse_task_status(None, body), Err(WebhookError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(parse_task_status(form, b"task=1&task=2"), Err(WebhookError::BadRequest(_))));
    }

    #[test]
    fn form_bodies_are_read_in_any_case_and_refuse_repeated_fields() {
        let want = CommentNotice { task_id: Some(12), comment_id: 34 };
        let upper = Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8");
        assert_eq!(parse_notice(upper, b"task=12&comment=34").unwrap(), want);
        let form = Some("application/x-www-form-urlencoded");
        assert!(matches!(parse_notice(form, b"task=12&comment=1&comment=2"), Err(WebhookError::BadRequest(_))));
        assert!(matches!(parse_notice(None, br#"{"comment":1,"comment":2}"#), Err(WebhookError::BadRequest(_))));
    }
}
