//! What an account configuration must hold beyond its shape (serde checks the shape): https URLs,
//! credentials in their provider's form, webhook secrets long enough to resist guessing.
//! `bridge-admin accounts put` refuses an account that breaks any rule, listing every problem at
//! once, and every load (SSM, the local TOML) checks each account the same way: one that breaks
//! a rule is not served. A problem names the field and the rule, never the value: most fields
//! here are secrets, and an operator's terminal or CI log is no place for them.

use std::fmt;

use super::{
    AccountConfig, Dialog360Config, GreenApiConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, TwilioConfig,
    WazzupConfig,
};

/// Shortest shared secret a caller must present (Planfix `webhook_secret`, Green-API
/// `webhook_url_token`): 16 random characters are beyond guessing through an HTTP API.
const MIN_WEBHOOK_SECRET_CHARS: usize = 16;

/// Twilio auth tokens are 32 hexadecimal characters; anything shorter is a truncated paste.
const MIN_TWILIO_AUTH_TOKEN_CHARS: usize = 32;

/// Meta app secrets are 32 hexadecimal characters; 16 catches an empty or truncated paste
/// without betting on Meta's format.
const MIN_META_APP_SECRET_CHARS: usize = 16;

/// One rule an account configuration breaks (or, from [`AccountConfig::warnings`], a risk it
/// accepts). Displayed as `field: rule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where, as the path in the account JSON: `planfix.webhook_secret`, `provider.account_sid`.
    pub field: &'static str,
    /// What is wrong and what would be right, without the value.
    pub rule: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

impl AccountConfig {
    /// Every rule the account breaks, or Ok. Fields are checked independently, so one run shows
    /// all that needs fixing.
    pub fn validate(&self) -> Result<(), Vec<ConfigProblem>> {
        let mut p = Problems::default();
        check_planfix(&mut p, &self.planfix);
        match &self.provider {
            ProviderConfig::Meta(meta) => check_meta(&mut p, meta),
            ProviderConfig::Twilio(twilio) => check_twilio(&mut p, twilio),
            ProviderConfig::GreenApi(green) => check_green_api(&mut p, green),
            ProviderConfig::Dialog360(d360) => check_dialog360(&mut p, d360),
            ProviderConfig::Wazzup(wazzup) => check_wazzup(&mut p, wazzup),
        }
        if p.0.is_empty() {
            Ok(())
        } else {
            Err(p.0)
        }
    }

    /// Valid but risky choices the operator should see (nothing when there are none).
    pub fn warnings(&self) -> Vec<ConfigProblem> {
        let mut warnings = Vec::new();
        if let ProviderConfig::GreenApi(green) = &self.provider {
            if green.allow_unauthenticated_webhooks && !has_token(green) {
                warnings.push(ConfigProblem {
                    field: "provider.allow_unauthenticated_webhooks",
                    rule: "webhooks are accepted without a webhook_url_token: anyone who learns the webhook URL \
                           can write into this account's Planfix tasks; set a token (setSettings webhookUrlToken) \
                           as soon as possible"
                        .into(),
                });
            }
        }
        warnings
    }
}

#[derive(Default)]
struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn push(&mut self, field: &'static str, rule: impl Into<String>) {
        self.0.push(ConfigProblem { field, rule: rule.into() });
    }

    /// A credential: present, without stray whitespace, at least `min_chars` long.
    fn secret(&mut self, field: &'static str, value: &Secret, min_chars: usize) {
        let raw = value.expose();
        if raw.trim().is_empty() {
            self.push(field, "is empty");
        } else if raw.trim() != raw {
            self.push(field, "has leading or trailing whitespace (a copy-paste slip?); remove it");
        } else if raw.chars().count() < min_chars {
            self.push(field, format!("is too short: use at least {min_chars} characters"));
        }
    }

    /// An absolute https URL with a host (http only for a loopback host), without whitespace.
    fn url(&mut self, field: &'static str, value: &str, example: &str) {
        if let Some(rule) = url_rule(value) {
            self.push(field, format!("{rule}, e.g. {example}"));
        }
    }
}

fn url_rule(value: &str) -> Option<&'static str> {
    if value.trim() != value {
        return Some("has leading or trailing whitespace; it must be a bare https URL");
    }
    if value.chars().any(char::is_whitespace) {
        return Some("must not contain whitespace");
    }
    // The URL parser forgives what a typo looks like (`https:host`, `https:///host`), so the
    // `scheme://host` shape is checked on the text first.
    let Some((scheme, rest)) = value.split_once("://") else {
        return Some("must be an absolute https URL");
    };
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return Some("must be an https URL");
    }
    if rest.is_empty() || rest.starts_with(['/', ':', '?', '#']) {
        return Some("must name a host after the scheme");
    }
    let Ok(url) = url::Url::parse(value) else {
        return Some("is not a valid URL");
    };
    let Some(host) = url.host() else {
        return Some("must name a host after the scheme");
    };
    // The parser lowercases the scheme and domain: `HTTPS://` and `LOCALHOST` pass as well.
    match url.scheme() {
        "https" => None,
        "http" if is_loopback(&host) => None,
        _ => Some("must use https (plain http only for a loopback host: 127.0.0.0/8, ::1, localhost)"),
    }
}

/// Loopback hosts, where plain http stays on the machine (tests, the simulation mode).
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

fn check_planfix(p: &mut Problems, cfg: &PlanfixConfig) {
    let PlanfixConfig { base_url, token, webhook_secret, requests_per_second } = cfg;
    p.url("planfix.base_url", base_url, "https://acme.planfix.com/rest");
    p.secret("planfix.token", token, 1);
    p.secret("planfix.webhook_secret", webhook_secret, MIN_WEBHOOK_SECRET_CHARS);
    if !(requests_per_second.is_finite() && *requests_per_second > 0.0) {
        p.push("planfix.requests_per_second", "must be a positive number (Planfix allows 1 per second)");
    }
}

fn check_meta(p: &mut Problems, cfg: &MetaConfig) {
    let MetaConfig { app_secret, verify_token, access_token, phone_number_id, graph_base_url, graph_api_version } = cfg;
    p.secret("provider.app_secret", app_secret, MIN_META_APP_SECRET_CHARS);
    // Chosen by the operator and the only proof of a subscription handshake: a shared secret.
    p.secret("provider.verify_token", verify_token, MIN_WEBHOOK_SECRET_CHARS);
    p.secret("provider.access_token", access_token, 1);
    if !digits(phone_number_id) {
        p.push(
            "provider.phone_number_id",
            "must be the digits of the phone number ID (WhatsApp -> API Setup), not the phone number",
        );
    }
    p.url("provider.graph_base_url", graph_base_url, "https://graph.facebook.com");
    let version_ok = graph_api_version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(major, minor)| digits(major) && digits(minor));
    if !version_ok {
        p.push("provider.graph_api_version", "must be a Graph API version such as v21.0");
    }
}

fn check_twilio(p: &mut Problems, cfg: &TwilioConfig) {
    let TwilioConfig { account_sid, auth_token, whatsapp_from, api_base_url, media_auth: _ } = cfg;
    let sid_ok =
        account_sid.strip_prefix("AC").is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !sid_ok {
        p.push("provider.account_sid", "must be AC followed by 32 hexadecimal characters (Console -> Account info)");
    }
    p.secret("provider.auth_token", auth_token, MIN_TWILIO_AUTH_TOKEN_CHARS);
    if let Some(rule) = e164_rule(whatsapp_from) {
        p.push("provider.whatsapp_from", rule);
    }
    p.url("provider.api_base_url", api_base_url, "https://api.twilio.com");
}

/// `+` and 8 to 15 digits, the first not 0 (E.164; WhatsApp senders are full numbers).
fn e164_rule(value: &str) -> Option<&'static str> {
    if value.starts_with("whatsapp:") {
        return Some("must be the bare E.164 number, without the whatsapp: prefix (the bridge adds it)");
    }
    let ok = value.strip_prefix('+').is_some_and(|d| (8..=15).contains(&d.len()) && digits(d) && !d.starts_with('0'));
    (!ok).then_some("must be an E.164 number: + and the country code and number, digits only, e.g. +14155238886")
}

fn check_green_api(p: &mut Problems, cfg: &GreenApiConfig) {
    let GreenApiConfig {
        id_instance,
        api_token_instance,
        api_url,
        media_url,
        webhook_url_token,
        allow_unauthenticated_webhooks,
        file_send: _,
    } = cfg;
    if *id_instance <= 0 {
        p.push("provider.id_instance", "must be the instance's idInstance, a positive number (console)");
    }
    p.secret("provider.api_token_instance", api_token_instance, 1);
    p.url("provider.api_url", api_url, "https://1101.api.greenapi.com");
    if let Some(media_url) = media_url {
        p.url("provider.media_url", media_url, "https://1101.media.greenapi.com");
    }
    match webhook_url_token {
        // A token that is set is checked on every webhook, waiver or not: it must be strong.
        Some(token) if !token.expose().is_empty() => {
            p.secret("provider.webhook_url_token", token, MIN_WEBHOOK_SECRET_CHARS)
        }
        _ if *allow_unauthenticated_webhooks => {}
        _ => p.push(
            "provider.webhook_url_token",
            format!(
                "is required: the token Green-API sends with every webhook (setSettings webhookUrlToken), at \
                 least {MIN_WEBHOOK_SECRET_CHARS} characters; only allow_unauthenticated_webhooks = true waives it"
            ),
        ),
    }
}

fn check_dialog360(p: &mut Problems, cfg: &Dialog360Config) {
    let Dialog360Config { api_key, phone_number_id, webhook_secret, api_base_url } = cfg;
    p.secret("provider.api_key", api_key, 1);
    if !digits(phone_number_id) {
        p.push("provider.phone_number_id", "must be the digits of the number's phone_number_id (360dialog hub)");
    }
    // The only proof a webhook is 360dialog's: it must resist guessing.
    p.secret("provider.webhook_secret", webhook_secret, MIN_WEBHOOK_SECRET_CHARS);
    p.url("provider.api_base_url", api_base_url, "https://waba-v2.360dialog.io");
}

fn check_wazzup(p: &mut Problems, cfg: &WazzupConfig) {
    let WazzupConfig { api_key, channel_id, crm_key, api_base_url } = cfg;
    p.secret("provider.api_key", api_key, 1);
    if channel_id.trim().is_empty() {
        p.push("provider.channel_id", "is empty: use the channelId of the WhatsApp channel (GET /v3/channels)");
    }
    p.secret("provider.crm_key", crm_key, MIN_WEBHOOK_SECRET_CHARS);
    p.url("provider.api_base_url", api_base_url, "https://api.wazzup24.com");
}

fn has_token(cfg: &GreenApiConfig) -> bool {
    cfg.webhook_url_token.as_ref().is_some_and(|t| !t.expose().is_empty())
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinctive secret values: no problem text may contain any of them.
    const SECRETS: [&str; 8] = [
        "pf-token-VALUE-1",
        "hook-secret-VALUE-2",
        "app-secret-VALUE-3",
        "verify-token-VALUE-4",
        "EAAG-VALUE-5",
        "twilio-auth-token-VALUE-6-0123456789",
        "green-token-VALUE-7",
        "green-webhook-VALUE-8",
    ];

    fn account(provider: serde_json::Value) -> AccountConfig {
        serde_json::from_value(serde_json::json!({
            "id": "acme",
            "planfix": { "base_url": "https://acme.planfix.com/rest", "token": SECRETS[0], "webhook_secret": SECRETS[1] },
            "provider": provider,
        }))
        .unwrap()
    }

    fn meta() -> serde_json::Value {
        serde_json::json!({ "kind": "meta", "app_secret": SECRETS[2], "verify_token": SECRETS[3],
            "access_token": SECRETS[4], "phone_number_id": "1122334455667" })
    }

    fn twilio() -> serde_json::Value {
        serde_json::json!({ "kind": "twilio", "account_sid": "AC0123456789abcdef0123456789ABCDEF",
            "auth_token": SECRETS[5], "whatsapp_from": "+14155238886" })
    }

    fn green() -> serde_json::Value {
        serde_json::json!({ "kind": "green-api", "id_instance": 1101000001, "api_token_instance": SECRETS[6],
            "api_url": "https://1101.api.greenapi.com", "webhook_url_token": SECRETS[7] })
    }

    fn dialog360() -> serde_json::Value {
        serde_json::json!({ "kind": "360dialog", "api_key": "d360-key", "phone_number_id": "1122334455667",
            "webhook_secret": "d360-webhook-secret-0123" })
    }

    fn wazzup() -> serde_json::Value {
        serde_json::json!({ "kind": "wazzup", "api_key": "wz-key", "channel_id": "5d1f2e3a",
            "crm_key": "wazzup-crm-key-0123" })
    }

    fn with(mut v: serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
        v[key] = value;
        v
    }

    /// The fields named by the problems, checking on the way that none quotes a secret.
    fn fields(a: &AccountConfig) -> Vec<&'static str> {
        let problems = a.validate().expect_err("invalid");
        for problem in &problems {
            let text = problem.to_string();
            for secret in SECRETS {
                assert!(!text.contains(secret), "{secret} quoted: {text}");
            }
        }
        problems.iter().map(|p| p.field).collect()
    }

    #[test]
    fn good_accounts_of_every_provider_pass_without_warnings() {
        for provider in [meta(), twilio(), green(), dialog360(), wazzup()] {
            let a = account(provider);
            assert_eq!(a.validate(), Ok(()), "{}", a.provider.kind());
            assert!(a.warnings().is_empty());
        }
    }

    #[test]
    fn planfix_rules() {
        let mut a = account(meta());
        a.planfix.base_url = "https://acme.planfix.com/rest ".into();
        assert_eq!(fields(&a), ["planfix.base_url"]);
        for bad in [
            "acme.planfix.com/rest",
            "ftp://acme.planfix.com",
            "https://",
            "https:///rest",
            "https:acme.planfix.com/rest",
            "https://a b/rest",
            "https://exa mple.com",
            "https://:443/rest",
            "",
            // Plain http leaves the machine: only loopback may use it.
            "http://acme.planfix.com/rest",
            "HTTP://acme.planfix.com/rest",
            "http://10.0.0.5/rest",
            "http://[::2]/rest",
            "http://localhost.example.com/rest",
            "http://127.0.0.1.example.com/rest",
        ] {
            a.planfix.base_url = bad.into();
            assert_eq!(fields(&a), ["planfix.base_url"], "{bad:?}");
        }
        a.planfix.base_url = "http://shop.planfix.com/rest".into();
        let problem = a.validate().unwrap_err().remove(0);
        assert!(problem.rule.contains("must use https"), "{problem}");
        assert!(!problem.rule.contains("shop.planfix.com"), "the value is not quoted: {problem}");
        for good in [
            "http://127.0.0.1:8081/rest",
            "http://127.9.8.7/rest",
            "http://[::1]:8081/rest",
            "http://localhost:8081/rest",
            "HTTP://LOCALHOST:8081/rest",
            "HTTPS://acme.planfix.com/rest",
            "https://acme.planfix.com",
        ] {
            a.planfix.base_url = good.into();
            assert_eq!(a.validate(), Ok(()), "{good:?}");
        }

        a.planfix.webhook_secret = Secret::new("short-secret-15");
        a.planfix.token = Secret::new("  ");
        a.planfix.requests_per_second = 0.0;
        assert_eq!(fields(&a), ["planfix.token", "planfix.webhook_secret", "planfix.requests_per_second"]);
        let problems = a.validate().unwrap_err();
        assert!(problems[1].rule.contains("at least 16"), "{}", problems[1]);
        assert!(!problems[1].to_string().contains("short-secret-15"));

        a.planfix.webhook_secret = Secret::new(format!("{}\n", SECRETS[1]));
        a.planfix.token = Secret::new(SECRETS[0]);
        a.planfix.requests_per_second = f64::NAN;
        assert_eq!(fields(&a), ["planfix.webhook_secret", "planfix.requests_per_second"]);
        assert!(a.validate().unwrap_err()[0].rule.contains("whitespace"));
    }

    #[test]
    fn meta_rules() {
        let a = account(with(with(meta(), "app_secret", "".into()), "phone_number_id", "+1 555 0100".into()));
        assert_eq!(fields(&a), ["provider.app_secret", "provider.phone_number_id"]);
        let a = account(with(
            with(meta(), "graph_api_version", "21.0".into()),
            "graph_base_url",
            "graph.facebook.com".into(),
        ));
        assert_eq!(fields(&a), ["provider.graph_base_url", "provider.graph_api_version"]);
        let a = account(with(with(meta(), "verify_token", "".into()), "access_token", "".into()));
        assert_eq!(fields(&a), ["provider.verify_token", "provider.access_token"]);
        // Meta app secrets are 32 hex; the verify token is a shared secret of the operator's.
        let a = account(with(with(meta(), "app_secret", "0123456789abcde".into()), "verify_token", "vt-12".into()));
        assert_eq!(fields(&a), ["provider.app_secret", "provider.verify_token"]);
        for problem in a.validate().unwrap_err() {
            assert!(problem.rule.contains("at least 16"), "{problem}");
        }
        let a = account(with(meta(), "graph_base_url", "http://graph.facebook.com".into()));
        assert_eq!(fields(&a), ["provider.graph_base_url"]);
        let a = account(with(meta(), "graph_base_url", "http://127.0.0.1:9090".into()));
        assert_eq!(a.validate(), Ok(()));
    }

    #[test]
    fn twilio_rules() {
        for sid in ["AC0123", "SK0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcdeg", ""] {
            assert_eq!(fields(&account(with(twilio(), "account_sid", sid.into()))), ["provider.account_sid"], "{sid}");
        }
        let short = "0123456789abcdef0123456789abcde";
        assert_eq!(fields(&account(with(twilio(), "auth_token", short.into()))), ["provider.auth_token"]);
        assert_eq!(fields(&account(with(twilio(), "auth_token", "".into()))), ["provider.auth_token"]);
        for from in ["14155238886", "whatsapp:+14155238886", "+1 415 523 8886", "+0123456789", "+1234", ""] {
            assert_eq!(
                fields(&account(with(twilio(), "whatsapp_from", from.into()))),
                ["provider.whatsapp_from"],
                "{from}"
            );
        }
        let prefixed = account(with(twilio(), "whatsapp_from", "whatsapp:+14155238886".into())).validate().unwrap_err();
        assert!(prefixed[0].rule.contains("without the whatsapp: prefix"), "{}", prefixed[0]);
        for url in ["api.twilio.com", "http://api.twilio.com"] {
            assert_eq!(
                fields(&account(with(twilio(), "api_base_url", url.into()))),
                ["provider.api_base_url"],
                "{url}"
            );
        }
        // Every problem at once.
        let all = with(
            with(with(twilio(), "account_sid", "x".into()), "auth_token", "x".into()),
            "whatsapp_from",
            "x".into(),
        );
        assert_eq!(fields(&account(all)), ["provider.account_sid", "provider.auth_token", "provider.whatsapp_from"]);
    }

    #[test]
    fn green_api_rules() {
        assert_eq!(fields(&account(with(green(), "id_instance", 0.into()))), ["provider.id_instance"]);
        assert_eq!(fields(&account(with(green(), "api_token_instance", "".into()))), ["provider.api_token_instance"]);
        assert_eq!(fields(&account(with(green(), "api_url", "1101.api.greenapi.com".into()))), ["provider.api_url"]);
        assert_eq!(fields(&account(with(green(), "media_url", "ftp://x".into()))), ["provider.media_url"]);
        let plain =
            with(with(green(), "api_url", "http://1101.api.greenapi.com".into()), "media_url", "http://m".into());
        assert_eq!(fields(&account(plain)), ["provider.api_url", "provider.media_url"]);
        assert_eq!(
            fields(&account(with(green(), "webhook_url_token", "too-short".into()))),
            ["provider.webhook_url_token"]
        );

        // No token: refused, unless explicitly waived, which is valid but warned about.
        let mut no_token = green();
        no_token.as_object_mut().unwrap().remove("webhook_url_token");
        assert_eq!(fields(&account(no_token.clone())), ["provider.webhook_url_token"]);
        assert_eq!(fields(&account(with(green(), "webhook_url_token", "".into()))), ["provider.webhook_url_token"]);
        let waived = account(with(no_token, "allow_unauthenticated_webhooks", true.into()));
        assert_eq!(waived.validate(), Ok(()));
        let warnings = waived.warnings();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].field, "provider.allow_unauthenticated_webhooks");
        // A token that is set is checked even under the waiver (the webhook still demands it).
        let weak =
            with(with(green(), "allow_unauthenticated_webhooks", true.into()), "webhook_url_token", "short".into());
        assert_eq!(fields(&account(weak)), ["provider.webhook_url_token"]);
        let strong = account(with(green(), "allow_unauthenticated_webhooks", true.into()));
        assert_eq!((strong.validate(), strong.warnings()), (Ok(()), vec![]));
    }

    #[test]
    fn dialog360_and_wazzup_rules() {
        let a =
            account(with(with(dialog360(), "webhook_secret", "short".into()), "api_base_url", "http://x.io".into()));
        assert_eq!(fields(&a), ["provider.webhook_secret", "provider.api_base_url"]);
        let a = account(with(with(wazzup(), "crm_key", "".into()), "api_base_url", "http://api.wazzup24.com".into()));
        assert_eq!(fields(&a), ["provider.crm_key", "provider.api_base_url"]);
        let a = account(with(wazzup(), "api_base_url", "http://127.0.0.1:7070".into()));
        assert_eq!(a.validate(), Ok(()));
    }
}
