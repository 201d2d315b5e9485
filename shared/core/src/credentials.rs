//! Reading the credentials a caller presents. One rule for every route: a credential header
//! present more than once is refused (which copy would count would depend on header order, and
//! a proxy may add one), and `Authorization` schemes match case-insensitively (RFC 9110 §11.1).

use http::{HeaderMap, HeaderValue};

use crate::ports::WebhookError;

/// The header's one value; None when absent, refused when repeated.
pub fn single<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<Option<&'a HeaderValue>, WebhookError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(WebhookError::Unauthorized("a credential header is repeated: send it once"));
    }
    Ok(first)
}

/// The credentials of `Authorization: <scheme> <credentials>` when the scheme is `scheme` (any
/// case); None when there is no Authorization header, refused when it is repeated, not text, or
/// of another scheme.
pub fn authorization<'a>(headers: &'a HeaderMap, scheme: &'static str) -> Result<Option<&'a str>, WebhookError> {
    let Some(value) = single(headers, "authorization")? else { return Ok(None) };
    let value = value.to_str().map_err(|_| WebhookError::Unauthorized("malformed Authorization"))?.trim();
    let (given, credentials) = value.split_once(' ').unwrap_or((value, ""));
    if !given.eq_ignore_ascii_case(scheme) {
        return Err(WebhookError::Unauthorized("unexpected Authorization scheme"));
    }
    Ok(Some(credentials.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn repeated_credentials_are_ambiguous() {
        let h = headers(&[("x-bridge-token", "right"), ("x-bridge-token", "wrong")]);
        assert!(single(&h, "x-bridge-token").is_err());
        assert_eq!(single(&headers(&[("x-bridge-token", "right")]), "x-bridge-token").unwrap().unwrap(), "right");
        assert!(single(&HeaderMap::new(), "x-bridge-token").unwrap().is_none());
        let two = headers(&[("authorization", "Bearer a"), ("authorization", "Bearer b")]);
        assert!(authorization(&two, "Bearer").is_err());
    }

    #[test]
    fn schemes_match_in_any_case() {
        for value in ["Bearer tok", "bearer tok", "BEARER  tok ", "BeArEr tok"] {
            assert_eq!(authorization(&headers(&[("authorization", value)]), "Bearer").unwrap(), Some("tok"), "{value}");
        }
        assert!(authorization(&headers(&[("authorization", "Basic tok")]), "Bearer").is_err());
        assert_eq!(authorization(&HeaderMap::new(), "Basic").unwrap(), None);
    }
}
