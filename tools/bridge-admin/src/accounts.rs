//! Accounts: listed and shown with every secret masked; put into SSM as the bridge reads them.

use std::path::PathBuf;

use aws_sdk_ssm::types::ParameterType;
use bridge_core::config::{
    AccountConfig, Dialog360Config, GreenApiConfig, MetaConfig, PlanfixConfig, ProviderConfig, TwilioConfig,
    WazzupConfig,
};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::target::Target;
use crate::{Result, MASK};

#[derive(Debug, Subcommand)]
pub enum AccountsCmd {
    /// Ids, provider, Planfix base URL, phone_number_id (secrets print as ***); broken accounts
    /// (not served until fixed) with the field and rule they break.
    List,
    /// One account, plus its settings in the store when a store is selected.
    Show { id: String },
    /// Validate an account JSON file and write it to SSM `{prefix}/accounts/{id}` (SecureString,
    /// overwriting); its `settings`, if any, also go to the selected store. An account that
    /// breaks a rule (URLs, credential forms, secret lengths) is refused with every problem
    /// listed, and nothing is written.
    Put {
        #[arg(long, value_name = "ACCOUNT_JSON")]
        file: PathBuf,
        /// KMS key for the SecureString (default: the account's `aws/ssm` key).
        #[arg(long)]
        kms_key_id: Option<String>,
    },
}

pub async fn run(cmd: AccountsCmd, target: &Target) -> Result<String> {
    match cmd {
        AccountsCmd::List => list(target).await,
        AccountsCmd::Show { id } => show(target, &id).await,
        AccountsCmd::Put { file, kms_key_id } => put(target, &file, kms_key_id.as_deref()).await,
    }
}

async fn list(target: &Target) -> Result<String> {
    let accounts = target.load_accounts().await?;
    if accounts.good.is_empty() && accounts.broken.is_empty() {
        return Ok(format!("no accounts in {}", target.accounts_source()));
    }
    let good = accounts.good.iter().map(summary_line);
    // The reason names the field and the rule, never the value.
    let broken = accounts.broken.iter().map(|b| format!("{}  BROKEN (not served): {}", b.id, b.reason));
    Ok(good.chain(broken).collect::<Vec<_>>().join("\n"))
}

fn summary_line(a: &AccountConfig) -> String {
    let number = match &a.provider {
        ProviderConfig::Meta(meta) => format!("phone_number_id={}", meta.phone_number_id),
        ProviderConfig::Twilio(twilio) => format!("from={}", twilio.whatsapp_from),
        ProviderConfig::GreenApi(green) => format!("id_instance={}", green.id_instance),
        ProviderConfig::Dialog360(d360) => format!("phone_number_id={}", d360.phone_number_id),
        ProviderConfig::Wazzup(wazzup) => format!("channel_id={}", wazzup.channel_id),
    };
    format!("{}  provider={}  planfix={}  {number}  secrets={MASK}", a.id, a.provider.kind(), a.planfix.base_url)
}

async fn show(target: &Target, id: &str) -> Result<String> {
    let account = target.account(id).await?;
    let mut out = pretty(&masked(&account));
    out.push('\n');
    out.push_str(&crate::settings::describe_stored(target, &account.id).await?);
    Ok(out)
}

async fn put(target: &Target, file: &std::path::Path, kms_key_id: Option<&str>) -> Result<String> {
    let (ssm, prefix) = target.ssm_for_write()?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let account = parse_account(&text).map_err(|e| format!("{} is not a valid account: {e}", file.display()))?;
    let name = format!("{prefix}/accounts/{}", account.id);
    // Written from the typed value, not the file's text: SSM then holds exactly what the bridge
    // parses (defaults filled in, nothing unknown).
    let value = serde_json::to_string(&account).map_err(|e| e.to_string())?;
    ssm.put_parameter()
        .name(&name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .set_key_id(kms_key_id.map(str::to_owned))
        .send()
        .await
        .map_err(|e| format!("SSM put {name} failed: {}", aws_sdk_ssm::error::DisplayErrorContext(e)))?;

    let mut out = format!("wrote SecureString {name}\n{}\n", pretty(&masked(&account)));
    for warning in account.warnings() {
        out.push_str(&format!("warning: {warning}\n"));
    }
    match (&account.settings, target.has_store()) {
        (Some(settings), true) => {
            target.store()?.put_settings(&account.id, settings).await.map_err(|e| e.to_string())?;
            out.push_str("settings written to the store");
        }
        (Some(_), false) => out.push_str(
            "settings NOT written to the store (no --table/--local): the bridge seeds them at its next cold start only if the store has none",
        ),
        (None, _) => out.push_str("no settings in the file: the store's settings are unchanged"),
    }
    out.push_str("\nrunning functions re-read accounts within BRIDGE_CONFIG_TTL_SECS (default 5 minutes)");
    Ok(out)
}

/// Deserializes like the bridge does, then checks the account's rules
/// ([`AccountConfig::validate`]: URLs, credential forms, secret lengths), reporting every
/// problem, one per line. The id is checked by `AccountId`'s own parser (serde `try_from`), so a
/// bad id fails here with its rule. Error texts never quote a value.
pub(crate) fn parse_account(text: &str) -> Result<AccountConfig> {
    let account: AccountConfig = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    account.validate().map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        format!("{} problem(s):\n{}", problems.len(), lines.join("\n"))
    })?;
    Ok(account)
}

/// serde_json quotes the offending value in "invalid type/value/length" errors, and that value
/// may be a token: keep only what was expected and where.
fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let quotes_value = ["invalid type", "invalid value", "invalid length"].iter().any(|p| msg.starts_with(p));
    if !quotes_value {
        return msg;
    }
    match msg.rfind(", expected ") {
        Some(i) => format!("a value has the wrong type or form (not shown: it may be a secret){}", &msg[i..]),
        None => format!(
            "a value has the wrong type or form (not shown: it may be a secret) at line {} column {}",
            e.line(),
            e.column()
        ),
    }
}

/// The account with every secret replaced by `***`. Destructured without `..` on purpose: a
/// field added to the config does not compile here until someone decides whether it is secret.
pub(crate) fn masked(a: &AccountConfig) -> Value {
    let AccountConfig { id, planfix, provider, settings } = a;
    let PlanfixConfig { base_url, token: _, webhook_secret: _, requests_per_second: _ } = planfix;
    let provider = match provider {
        ProviderConfig::Meta(MetaConfig {
            app_secret: _,
            verify_token: _,
            access_token: _,
            phone_number_id,
            graph_base_url,
            graph_api_version,
        }) => json!({
            "kind": "meta",
            "app_secret": MASK,
            "verify_token": MASK,
            "access_token": MASK,
            "phone_number_id": phone_number_id,
            "graph_base_url": graph_base_url,
            "graph_api_version": graph_api_version,
        }),
        ProviderConfig::Twilio(TwilioConfig {
            account_sid,
            auth_token: _,
            whatsapp_from,
            api_base_url,
            media_auth,
        }) => {
            json!({
                "kind": "twilio",
                "account_sid": account_sid,
                "auth_token": MASK,
                "whatsapp_from": whatsapp_from,
                "api_base_url": api_base_url,
                "media_auth": media_auth,
            })
        }
        ProviderConfig::GreenApi(GreenApiConfig {
            id_instance,
            api_token_instance: _,
            api_url,
            media_url,
            webhook_url_token,
            allow_unauthenticated_webhooks,
            file_send,
        }) => json!({
            "kind": "green-api",
            "id_instance": id_instance,
            "api_token_instance": MASK,
            "api_url": api_url,
            "media_url": media_url,
            "webhook_url_token": webhook_url_token.as_ref().map(|_| MASK),
            "allow_unauthenticated_webhooks": allow_unauthenticated_webhooks,
            "file_send": file_send,
        }),
        ProviderConfig::Dialog360(Dialog360Config { api_key: _, phone_number_id, webhook_secret: _, api_base_url }) => {
            json!({
                "kind": "360dialog",
                "api_key": MASK,
                "phone_number_id": phone_number_id,
                "webhook_secret": MASK,
                "api_base_url": api_base_url,
            })
        }
        ProviderConfig::Wazzup(WazzupConfig { api_key: _, channel_id, crm_key: _, api_base_url }) => json!({
            "kind": "wazzup",
            "api_key": MASK,
            "channel_id": channel_id,
            "crm_key": MASK,
            "api_base_url": api_base_url,
        }),
    };
    json!({
        "id": id,
        "planfix": { "base_url": base_url, "token": MASK, "webhook_secret": MASK },
        "provider": provider,
        "settings": settings,
    })
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"acme",
        "planfix":{"base_url":"https://acme.planfix.com/rest","token":"pf-tok","webhook_secret":"hk-s-0123456789abcdef"},
        "provider":{"kind":"meta","app_secret":"app-s-0123456789abcdef","verify_token":"vt-s-0123456789abcdef","access_token":"EAAGxyz","phone_number_id":"1122"}}"#;

    const TWILIO: &str = r#"{"id":"shop",
        "planfix":{"base_url":"https://shop.planfix.com/rest","token":"pf-tok","webhook_secret":"hk-s-0123456789abcdef"},
        "provider":{"kind":"twilio","account_sid":"AC0123456789abcdef0123456789abcdef",
            "auth_token":"tw-tok-0123456789abcdef0123456789","whatsapp_from":"+14155238886"}}"#;

    const GREEN: &str = r#"{"id":"cafe",
        "planfix":{"base_url":"https://cafe.planfix.com/rest","token":"pf-tok","webhook_secret":"hk-s-0123456789abcdef"},
        "provider":{"kind":"green-api","id_instance":1101000001,"api_token_instance":"ga-tok",
            "api_url":"https://1101.api.greenapi.com","webhook_url_token":"ga-hook-0123456789"}}"#;

    #[test]
    fn masks_every_secret() {
        let a = parse_account(GOOD).unwrap();
        let shown = masked(&a).to_string();
        for secret in ["pf-tok", "hk-s", "app-s", "vt-s", "EAAGxyz"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("1122") && shown.contains("acme.planfix.com"));
        for (text, secrets, shown_fields) in [
            (TWILIO, ["pf-tok", "hk-s", "tw-tok"], ["AC0123456789abcdef0123456789abcdef", "+14155238886"]),
            (GREEN, ["pf-tok", "hk-s", "ga-tok"], ["1101000001", "https://1101.api.greenapi.com"]),
        ] {
            let shown = masked(&parse_account(text).unwrap()).to_string();
            for secret in secrets.into_iter().chain(["ga-hook"]) {
                assert!(!shown.contains(secret), "{secret} leaked: {shown}");
            }
            for field in shown_fields {
                assert!(shown.contains(field), "{field} missing: {shown}");
            }
        }
    }

    #[test]
    fn rule_breaks_are_listed_together_without_values() {
        let bad = TWILIO
            .replace("AC0123456789abcdef0123456789abcdef", "AC-not-a-sid")
            .replace("tw-tok-0123456789abcdef0123456789", "tw-tok-short")
            .replace("hk-s-0123456789abcdef", "hk-s-short");
        let err = parse_account(&bad).unwrap_err();
        assert!(err.starts_with("3 problem(s):"), "{err}");
        for field in ["planfix.webhook_secret", "provider.account_sid", "provider.auth_token"] {
            assert!(err.contains(&format!("  - {field}: ")), "{field} missing: {err}");
        }
        for value in ["AC-not-a-sid", "tw-tok-short", "hk-s-short"] {
            assert!(!err.contains(value), "{value} quoted: {err}");
        }
    }

    #[test]
    fn errors_do_not_quote_values() {
        let err = parse_account(&GOOD.replace(r#""pf-tok""#, "98765")).unwrap_err();
        assert!(!err.contains("98765"), "{err}");
        assert!(err.contains("expected a string"), "{err}");
        let err = parse_account(&GOOD.replace(r#""acme""#, r#""ac me""#)).unwrap_err();
        assert!(err.contains("invalid account id"), "{err}");
    }

    /// A local config with a broken account: listed with its reason (the server would refuse to
    /// start), never with its value; `show` says why it is not there.
    #[tokio::test]
    async fn list_names_broken_accounts_and_their_reason() {
        let dir = std::env::temp_dir().join(format!("bridge-admin-broken-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let account = |id: &str, webhook_secret: &str| {
            format!(
                "[[accounts]]\nid = \"{id}\"\n[accounts.planfix]\nbase_url = \"https://{id}.planfix.com/rest\"\n\
                 token = \"pf-tok\"\nwebhook_secret = \"{webhook_secret}\"\n[accounts.provider]\nkind = \"meta\"\n\
                 app_secret = \"app-s-0123456789abcdef\"\nverify_token = \"vt-s-0123456789abcdef\"\n\
                 access_token = \"EAAGxyz\"\nphone_number_id = \"1122\"\n"
            )
        };
        let config = dir.join("bridge.toml");
        let text = format!(
            "[store]\nkind = \"sqlite\"\npath = {:?}\n{}{}",
            dir.join("bridge.db").to_str().unwrap(),
            account("acme", "hk-s-0123456789abcdef"),
            account("shop", "hook-typo-7c")
        );
        std::fs::write(&config, text).unwrap();
        let cli = |cmd: &[&str]| {
            let args = ["bridge-admin", "--config", config.to_str().unwrap()].into_iter().chain(cmd.iter().copied());
            crate::parse(args).unwrap()
        };
        let list = cli(&["accounts", "list"]);
        let target = Target::from_args(&list.target, None).await.unwrap();
        let out = crate::run(list.command, &target).await.unwrap();
        assert!(out.lines().any(|l| l.starts_with("acme  provider=meta")), "{out}");
        assert!(
            out.contains("shop  BROKEN (not served): planfix.webhook_secret: is too short: use at least 16 characters"),
            "{out}"
        );
        let show = crate::run(cli(&["accounts", "show", "shop"]).command, &target).await.unwrap_err();
        assert!(show.contains("account shop is broken") && show.contains("planfix.webhook_secret"), "{show}");
        for printed in [&out, &show] {
            assert!(!printed.contains("hook-typo-7c") && !printed.contains("pf-tok"), "{printed}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
