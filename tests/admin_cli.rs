//! The operator tool (`bridge-admin`) against moto: accounts in SSM, settings, links and dead
//! letters in DynamoDB, the file-job and work dead-letter queues; and against a local run's
//! SQLite database (its store, its queues and their dead letters). Commands are parsed from argv
//! like the binary does.

use aws_sdk_sqs::Client as Sqs;
use aws_sdk_ssm::types::ParameterType;
use bridge_aws::load_accounts_from_ssm;
use bridge_aws::DynamoStore;
use bridge_core::config::{ProviderConfig, Settings};
use bridge_core::domain::{AccountId, FileJob, InboundMessage, MessageContent, Phone, Work};
use bridge_core::ports::{ConversationLink, DeadLetter, InboxEntry, LinkLock, Store};
use bridge_embedded::sqlite::QueueOptions;
use bridge_embedded::{SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};
use e2e_tests::{aws_config, fresh_fifo_queue, fresh_queue};

const SECRETS: [&str; 5] =
    ["pf-secret-token", "hook-secret-xyz-0123", "app-secret-abc-0123", "verify-token-def", "EAAGaccess123"];

fn account_json(base_url: &str) -> String {
    serde_json::json!({
        "id": "acme",
        "planfix": { "base_url": base_url, "token": SECRETS[0], "webhook_secret": SECRETS[1] },
        "provider": { "kind": "meta", "app_secret": SECRETS[2], "verify_token": SECRETS[3], "access_token": SECRETS[4], "phone_number_id": "1122334455667" },
        "settings": { "single_task": true, "assignee_user_ids": [5] }
    })
    .to_string()
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bridge-admin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `bridge-admin <args>` on moto, as the binary would with AWS_ENDPOINT_URL set.
async fn admin(args: &[&str]) -> Result<String, String> {
    let cli = bridge_admin::parse(std::iter::once("bridge-admin").chain(args.iter().copied()))?;
    let target = bridge_admin::Target::from_args(&cli.target, Some(&aws_config().await)).await?;
    bridge_admin::run(cli.command, &target).await
}

/// Runs `bridge-admin <args>` connecting as the binary does (local flags only: no AWS involved).
async fn local(args: &[&str]) -> Result<String, String> {
    let cli = bridge_admin::parse(std::iter::once("bridge-admin").chain(args.iter().copied()))?;
    let target = bridge_admin::Target::connect(&cli.target).await?;
    bridge_admin::run(cli.command, &target).await
}

/// A fresh DynamoDB table: its name (for `--table`) and a store on it (to check effects).
async fn fresh_table() -> (String, DynamoStore) {
    let client = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = format!("bridge-admin-{}", uuid::Uuid::new_v4());
    DynamoStore::create_table(&client, &table).await.unwrap();
    (table.clone(), DynamoStore::new(client, table))
}

fn assert_no_secret(out: &str) {
    for s in SECRETS {
        assert!(!out.contains(s), "secret {s} printed:\n{out}");
    }
}

#[tokio::test]
async fn accounts_put_writes_a_secure_string_the_bridge_reads_and_nothing_prints_secrets() {
    let prefix = format!("/bridge-admin-{}", uuid::Uuid::new_v4());
    let (table, store) = fresh_table().await;
    let file = temp_file("acme.json", &account_json("https://acme.planfix.com/rest"));
    let out = admin(&["--ssm-prefix", &prefix, "--table", &table, "accounts", "put", "--file", file.to_str().unwrap()])
        .await
        .unwrap();
    assert_no_secret(&out);
    assert!(out.contains(&format!("{prefix}/accounts/acme")) && out.contains("***"), "{out}");

    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let param = ssm.get_parameter().name(format!("{prefix}/accounts/acme")).send().await.unwrap().parameter.unwrap();
    assert_eq!(param.r#type(), Some(&ParameterType::SecureString));
    let accounts = load_accounts_from_ssm(&ssm, &prefix).await.unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].planfix.token.expose(), SECRETS[0]);
    let ProviderConfig::Meta(meta) = &accounts[0].provider else { panic!("a Meta account") };
    assert_eq!(meta.access_token.expose(), SECRETS[4]);
    let acme = AccountId::parse("acme").unwrap();
    assert_eq!(
        store.get_settings(&acme).await.unwrap(),
        Some(Settings { single_task: true, assignee_user_ids: vec![5], ..Settings::default() })
    );

    // Overwrites.
    std::fs::write(&file, account_json("https://acme2.planfix.com/rest")).unwrap();
    admin(&["--ssm-prefix", &prefix, "accounts", "put", "--file", file.to_str().unwrap()]).await.unwrap();

    let list = admin(&["--ssm-prefix", &prefix, "accounts", "list"]).await.unwrap();
    assert_no_secret(&list);
    for expected in ["acme", "meta", "https://acme2.planfix.com/rest", "1122334455667", "***"] {
        assert!(list.contains(expected), "{expected} missing:\n{list}");
    }
    let show = admin(&["--ssm-prefix", &prefix, "--table", &table, "accounts", "show", "acme"]).await.unwrap();
    assert_no_secret(&show);
    assert!(show.contains("\"single_task\": true"), "{show}");
    assert!(admin(&["--ssm-prefix", &prefix, "accounts", "show", "other"])
        .await
        .unwrap_err()
        .contains("no account other"));
}

#[tokio::test]
async fn invalid_accounts_are_refused_clearly_without_echoing_secrets() {
    let prefix = format!("/bridge-admin-{}", uuid::Uuid::new_v4());
    let put = |path: std::path::PathBuf| {
        let prefix = prefix.clone();
        async move { admin(&["--ssm-prefix", &prefix, "accounts", "put", "--file", path.to_str().unwrap()]).await }
    };
    // A token of the wrong type: serde would quote it.
    let wrong_type = account_json("https://x/rest").replace(&format!("\"{}\"", SECRETS[0]), "987654321");
    let err = put(temp_file("a.json", &wrong_type)).await.unwrap_err();
    assert!(err.contains("not a valid account") && err.contains("expected a string"), "{err}");
    assert!(!err.contains("987654321"), "{err}");

    let bad_id = account_json("https://x/rest").replace("\"acme\"", "\"ac/me\"");
    let err = put(temp_file("b.json", &bad_id)).await.unwrap_err();
    assert!(err.contains("invalid account id"), "{err}");
    assert_no_secret(&err);

    let err = put(temp_file("c.json", "{\"id\": \"acme\",")).await.unwrap_err();
    assert!(err.contains("not a valid account"), "{err}");
    let err = put(std::env::temp_dir().join("does-not-exist.json")).await.unwrap_err();
    assert!(err.contains("cannot read"), "{err}");

    // Nothing was written.
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    assert!(load_accounts_from_ssm(&ssm, &prefix).await.unwrap().is_empty());
}

/// Secrets of the Twilio and Green-API accounts below: never printed, stored as given.
const TWILIO_AUTH_TOKEN: &str = "tw-auth-0123456789abcdef0123456789ab";
const GREEN_API_TOKEN: &str = "ga-instance-token-4f1e";
const GREEN_WEBHOOK_TOKEN: &str = "ga-webhook-token-9c2d7e";

fn twilio_json() -> serde_json::Value {
    serde_json::json!({
        "id": "shop",
        "planfix": { "base_url": "https://shop.planfix.com/rest", "token": SECRETS[0], "webhook_secret": SECRETS[1] },
        "provider": { "kind": "twilio", "account_sid": "AC0123456789abcdef0123456789abcdef",
            "auth_token": TWILIO_AUTH_TOKEN, "whatsapp_from": "+14155238886" }
    })
}

fn green_api_json() -> serde_json::Value {
    serde_json::json!({
        "id": "cafe",
        "planfix": { "base_url": "https://cafe.planfix.com/rest", "token": SECRETS[0], "webhook_secret": SECRETS[1] },
        "provider": { "kind": "green-api", "id_instance": 1101000001, "api_token_instance": GREEN_API_TOKEN,
            "api_url": "https://1101.api.greenapi.com", "webhook_url_token": GREEN_WEBHOOK_TOKEN }
    })
}

fn assert_no_provider_secret(out: &str) {
    assert_no_secret(out);
    for s in [TWILIO_AUTH_TOKEN, GREEN_API_TOKEN, GREEN_WEBHOOK_TOKEN] {
        assert!(!out.contains(s), "secret {s} printed:\n{out}");
    }
}

#[tokio::test]
async fn twilio_and_green_api_accounts_are_put_and_shown_masked_and_invalid_ones_are_refused_unwritten() {
    let prefix = format!("/bridge-admin-{}", uuid::Uuid::new_v4());
    let put = |json: String| {
        let prefix = prefix.clone();
        async move {
            let file = temp_file("account.json", &json);
            admin(&["--ssm-prefix", &prefix, "accounts", "put", "--file", file.to_str().unwrap()]).await
        }
    };
    for account in [twilio_json(), green_api_json()] {
        let out = put(account.to_string()).await.unwrap();
        assert_no_provider_secret(&out);
        assert!(out.contains("wrote SecureString") && !out.contains("warning"), "{out}");
    }

    let list = admin(&["--ssm-prefix", &prefix, "accounts", "list"]).await.unwrap();
    assert_no_provider_secret(&list);
    for expected in ["shop  provider=twilio", "from=+14155238886", "cafe  provider=green-api", "id_instance=1101000001"]
    {
        assert!(list.contains(expected), "{expected} missing:\n{list}");
    }
    let show = admin(&["--ssm-prefix", &prefix, "accounts", "show", "shop"]).await.unwrap();
    assert_no_provider_secret(&show);
    for expected in [r#""auth_token": "***""#, r#""account_sid": "AC0123456789abcdef0123456789abcdef""#] {
        assert!(show.contains(expected), "{expected} missing:\n{show}");
    }
    let show = admin(&["--ssm-prefix", &prefix, "accounts", "show", "cafe"]).await.unwrap();
    assert_no_provider_secret(&show);
    for expected in [r#""api_token_instance": "***""#, r#""webhook_url_token": "***""#, r#""id_instance": 1101000001"#]
    {
        assert!(show.contains(expected), "{expected} missing:\n{show}");
    }

    // What the bridge reads back is exactly what was put.
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let mut accounts = load_accounts_from_ssm(&ssm, &prefix).await.unwrap();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["cafe", "shop"]);
    let ProviderConfig::GreenApi(green) = &accounts[0].provider else { panic!("a Green-API account") };
    assert_eq!(green.api_token_instance.expose(), GREEN_API_TOKEN);
    assert_eq!(green.webhook_url_token.as_ref().map(|t| t.expose()), Some(GREEN_WEBHOOK_TOKEN));
    let ProviderConfig::Twilio(twilio) = &accounts[1].provider else { panic!("a Twilio account") };
    assert_eq!(twilio.auth_token.expose(), TWILIO_AUTH_TOKEN);

    // Invalid: every problem listed, no value quoted, nothing written (not even over the
    // existing account of the same id).
    let mut bad_twilio = twilio_json();
    bad_twilio["provider"]["account_sid"] = "SK123".into();
    bad_twilio["provider"]["auth_token"] = "tw-short-token".into();
    bad_twilio["provider"]["whatsapp_from"] = "whatsapp:+14155238886".into();
    bad_twilio["planfix"]["webhook_secret"] = "hook-short".into();
    let err = put(bad_twilio.to_string()).await.unwrap_err();
    assert!(err.contains("is not a valid account: 4 problem(s)"), "{err}");
    for field in ["planfix.webhook_secret", "provider.account_sid", "provider.auth_token", "provider.whatsapp_from"] {
        assert!(err.contains(&format!("  - {field}: ")), "{field} missing:\n{err}");
    }
    for value in ["SK123", "tw-short-token", "hook-short"] {
        assert!(!err.contains(value), "{value} quoted:\n{err}");
    }

    let mut no_token = green_api_json();
    no_token["provider"].as_object_mut().unwrap().remove("webhook_url_token");
    no_token["id"] = "bistro".into();
    let err = put(no_token.to_string()).await.unwrap_err();
    assert!(err.contains("1 problem(s)") && err.contains("provider.webhook_url_token: is required"), "{err}");
    assert_no_provider_secret(&err);

    let mut after = load_accounts_from_ssm(&ssm, &prefix).await.unwrap();
    after.sort_by(|a, b| a.id.cmp(&b.id));
    let ProviderConfig::Twilio(twilio) = &after[1].provider else { panic!("a Twilio account") };
    assert_eq!((after.len(), twilio.auth_token.expose()), (2, TWILIO_AUTH_TOKEN), "nothing was written");

    // The explicit waiver is accepted, with a warning.
    no_token["provider"]["allow_unauthenticated_webhooks"] = true.into();
    let out = put(no_token.to_string()).await.unwrap();
    assert!(out.contains("warning: provider.allow_unauthenticated_webhooks"), "{out}");
    assert_no_provider_secret(&out);
}

/// Secrets of the 360dialog and Wazzup accounts below: never printed, stored as given.
const D360_API_KEY: &str = "d360-api-key-7Hq2Lx";
const D360_WEBHOOK_SECRET: &str = "d360-hook-secret-5b8e1f";
const WAZZUP_API_KEY: &str = "wz-api-key-3c9aKp";
const WAZZUP_CRM_KEY: &str = "wz-crm-key-0d4e6a2b";

fn dialog360_json() -> serde_json::Value {
    serde_json::json!({
        "id": "studio",
        "planfix": { "base_url": "https://studio.planfix.com/rest", "token": SECRETS[0], "webhook_secret": SECRETS[1] },
        "provider": { "kind": "360dialog", "api_key": D360_API_KEY, "phone_number_id": "2233445566778",
            "webhook_secret": D360_WEBHOOK_SECRET }
    })
}

fn wazzup_json() -> serde_json::Value {
    serde_json::json!({
        "id": "salon",
        "planfix": { "base_url": "https://salon.planfix.com/rest", "token": SECRETS[0], "webhook_secret": SECRETS[1] },
        "provider": { "kind": "wazzup", "api_key": WAZZUP_API_KEY,
            "channel_id": "5d1f2e3a-0b4c-4d5e-8f60-718293a4b5c6", "crm_key": WAZZUP_CRM_KEY },
        "settings": { "phone_author_user_id": 7 }
    })
}

fn assert_no_new_provider_secret(out: &str) {
    assert_no_secret(out);
    for s in [D360_API_KEY, D360_WEBHOOK_SECRET, WAZZUP_API_KEY, WAZZUP_CRM_KEY] {
        assert!(!out.contains(s), "secret {s} printed:\n{out}");
    }
}

/// The account JSON at the start of `accounts show` (the store's settings follow it).
fn shown_account(show: &str) -> serde_json::Value {
    serde_json::Deserializer::from_str(show).into_iter::<serde_json::Value>().next().unwrap().unwrap()
}

#[tokio::test]
async fn dialog360_and_wazzup_accounts_are_put_and_shown_masked_and_invalid_ones_are_refused_unwritten() {
    let prefix = format!("/bridge-admin-{}", uuid::Uuid::new_v4());
    let (table, store) = fresh_table().await;
    let put = |json: String| {
        let (prefix, table) = (prefix.clone(), table.clone());
        async move {
            let file = temp_file("account.json", &json);
            admin(&["--ssm-prefix", &prefix, "--table", &table, "accounts", "put", "--file", file.to_str().unwrap()])
                .await
        }
    };
    for account in [dialog360_json(), wazzup_json()] {
        let out = put(account.to_string()).await.unwrap();
        assert_no_new_provider_secret(&out);
        assert!(out.contains("wrote SecureString") && !out.contains("warning"), "{out}");
    }
    // The Wazzup account's phone author reached the store.
    assert_eq!(
        store.get_settings(&AccountId::parse("salon").unwrap()).await.unwrap(),
        Some(Settings { phone_author_user_id: Some(7), ..Settings::default() })
    );

    let list = admin(&["--ssm-prefix", &prefix, "accounts", "list"]).await.unwrap();
    assert_no_new_provider_secret(&list);
    for expected in [
        "studio  provider=360dialog",
        "phone_number_id=2233445566778",
        "salon  provider=wazzup",
        "channel_id=5d1f2e3a-0b4c-4d5e-8f60-718293a4b5c6",
    ] {
        assert!(list.contains(expected), "{expected} missing:\n{list}");
    }

    let show = admin(&["--ssm-prefix", &prefix, "--table", &table, "accounts", "show", "studio"]).await.unwrap();
    assert_no_new_provider_secret(&show);
    let shown = shown_account(&show);
    assert_eq!(
        shown["provider"],
        serde_json::json!({ "kind": "360dialog", "api_key": "***", "phone_number_id": "2233445566778",
            "webhook_secret": "***", "api_base_url": "https://waba-v2.360dialog.io" }),
        "{show}"
    );
    assert_eq!(shown["planfix"]["webhook_secret"], "***", "{show}");

    let show = admin(&["--ssm-prefix", &prefix, "--table", &table, "accounts", "show", "salon"]).await.unwrap();
    assert_no_new_provider_secret(&show);
    let shown = shown_account(&show);
    assert_eq!(
        shown["provider"],
        serde_json::json!({ "kind": "wazzup", "api_key": "***", "channel_id": "5d1f2e3a-0b4c-4d5e-8f60-718293a4b5c6",
            "crm_key": "***", "api_base_url": "https://api.wazzup24.com" }),
        "{show}"
    );
    assert!(show.contains("\"phone_author_user_id\": 7"), "{show}");

    // What the bridge reads back is exactly what was put.
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let read_back = || async {
        let mut accounts = load_accounts_from_ssm(&ssm, &prefix).await.unwrap();
        accounts.sort_by(|a, b| a.id.cmp(&b.id));
        accounts
    };
    let accounts = read_back().await;
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["salon", "studio"]);
    let ProviderConfig::Wazzup(wazzup) = &accounts[0].provider else { panic!("a Wazzup account") };
    assert_eq!((wazzup.api_key.expose(), wazzup.crm_key.expose()), (WAZZUP_API_KEY, WAZZUP_CRM_KEY));
    let ProviderConfig::Dialog360(d360) = &accounts[1].provider else { panic!("a 360dialog account") };
    assert_eq!((d360.api_key.expose(), d360.webhook_secret.expose()), (D360_API_KEY, D360_WEBHOOK_SECRET));

    // Invalid: every problem listed, no value quoted, nothing written over the accounts above.
    let mut bad_d360 = dialog360_json();
    bad_d360["provider"]["api_key"] = "".into();
    bad_d360["provider"]["phone_number_id"] = "+49 30 1234567".into();
    bad_d360["provider"]["webhook_secret"] = "d360-short".into();
    bad_d360["provider"]["api_base_url"] = "waba-v2.360dialog.io".into();
    let err = put(bad_d360.to_string()).await.unwrap_err();
    assert!(err.contains("is not a valid account: 4 problem(s)"), "{err}");
    for field in ["provider.api_key", "provider.phone_number_id", "provider.webhook_secret", "provider.api_base_url"] {
        assert!(err.contains(&format!("  - {field}: ")), "{field} missing:\n{err}");
    }
    assert!(err.contains("provider.webhook_secret: is too short: use at least 16 characters"), "{err}");
    for value in ["+49 30 1234567", "d360-short"] {
        assert!(!err.contains(value), "{value} quoted:\n{err}");
    }

    let mut bad_wazzup = wazzup_json();
    bad_wazzup["provider"]["api_key"] = " wz-key-padded ".into();
    bad_wazzup["provider"]["channel_id"] = "  ".into();
    bad_wazzup["provider"]["crm_key"] = "wz-crm-short".into();
    bad_wazzup["provider"]["api_base_url"] = "ftp://api.wazzup24.com".into();
    bad_wazzup["planfix"]["webhook_secret"] = "hook-short".into();
    let err = put(bad_wazzup.to_string()).await.unwrap_err();
    assert!(err.contains("is not a valid account: 5 problem(s)"), "{err}");
    for field in [
        "planfix.webhook_secret",
        "provider.api_key",
        "provider.channel_id",
        "provider.crm_key",
        "provider.api_base_url",
    ] {
        assert!(err.contains(&format!("  - {field}: ")), "{field} missing:\n{err}");
    }
    assert!(err.contains("provider.api_key: has leading or trailing whitespace"), "{err}");
    for value in ["wz-key-padded", "wz-crm-short", "hook-short"] {
        assert!(!err.contains(value), "{value} quoted:\n{err}");
    }

    // A Wazzup account without a crmKey, or a 360dialog one without its secret header, cannot
    // be put at all: their webhooks would be unauthenticated.
    let mut no_crm_key = wazzup_json();
    no_crm_key["provider"].as_object_mut().unwrap().remove("crm_key");
    let err = put(no_crm_key.to_string()).await.unwrap_err();
    assert!(err.contains("not a valid account") && err.contains("missing field `crm_key`"), "{err}");
    let mut no_secret = dialog360_json();
    no_secret["provider"].as_object_mut().unwrap().remove("webhook_secret");
    let err = put(no_secret.to_string()).await.unwrap_err();
    assert!(err.contains("not a valid account") && err.contains("missing field `webhook_secret`"), "{err}");
    assert_no_new_provider_secret(&err);

    let after = read_back().await;
    let ProviderConfig::Wazzup(wazzup) = &after[0].provider else { panic!("a Wazzup account") };
    let ProviderConfig::Dialog360(d360) = &after[1].provider else { panic!("a 360dialog account") };
    assert_eq!(
        (after.len(), wazzup.crm_key.expose(), d360.webhook_secret.expose()),
        (2, WAZZUP_CRM_KEY, D360_WEBHOOK_SECRET),
        "nothing was written"
    );
    assert_eq!(
        store.get_settings(&AccountId::parse("salon").unwrap()).await.unwrap(),
        Some(Settings { phone_author_user_id: Some(7), ..Settings::default() }),
        "the refused accounts' settings were not written either"
    );
}

#[tokio::test]
async fn settings_set_changes_only_what_is_given() {
    let (table, store) = fresh_table().await;
    let acme = AccountId::parse("acme").unwrap();
    let out = admin(&["--table", &table, "settings", "get", "acme"]).await.unwrap();
    assert!(out.contains("no settings stored"), "{out}");

    admin(&[
        "--table",
        &table,
        "settings",
        "set",
        "acme",
        "--single-task",
        "true",
        "--task-template-id",
        "7",
        "--reopen-status-id",
        "3",
        "--assignee-user-ids",
        "1,2",
    ])
    .await
    .unwrap();
    let expected = Settings {
        single_task: true,
        task_template_id: Some(7),
        reopen_status_id: Some(3),
        assignee_user_ids: vec![1, 2],
        ..Settings::default()
    };
    assert_eq!(store.get_settings(&acme).await.unwrap(), Some(expected));
    let out = admin(&["settings", "get", "acme", "--table", &table]).await.unwrap();
    assert!(out.contains("\"task_template_id\": 7") && out.contains("\"single_task\": true"), "{out}");

    admin(&["--table", &table, "settings", "set", "acme", "--task-template-id", "none", "--assignee-user-ids", "none"])
        .await
        .unwrap();
    let s = store.get_settings(&acme).await.unwrap().unwrap();
    assert_eq!(
        (s.single_task, s.task_template_id, s.reopen_status_id, s.assignee_user_ids),
        (true, None, Some(3), vec![])
    );

    for bad in [
        vec!["--table", &table, "settings", "set", "acme", "--single-task", "maybe"],
        vec!["--table", &table, "settings", "set", "acme", "--task-template-id", "-4"],
        vec!["--table", &table, "settings", "set", "acme"],
        vec!["--table", &table, "settings", "set", "ac me", "--single-task", "false"],
        vec!["settings", "get", "acme"],
    ] {
        assert!(admin(&bad).await.is_err(), "{bad:?} accepted");
    }
    assert!(admin(&["settings", "get", "acme"]).await.unwrap_err().contains("--table"));
}

#[tokio::test]
async fn link_prints_the_conversation_ids_only() {
    let (table, store) = fresh_table().await;
    let out = admin(&["--table", &table, "link", "acme", "+7 905 123-45-67"]).await.unwrap();
    assert_eq!(out, "no conversation");

    let acme = AccountId::parse("acme").unwrap();
    let phone = Phone::parse("79051234567").unwrap();
    let now = 1_714_000_000;
    assert!(matches!(store.lock_link(&acme, &phone, None, "w1", now, 30).await.unwrap(), LinkLock::Acquired { .. }));
    store
        .commit_link(
            &acme,
            &phone,
            "w1",
            &ConversationLink { contact_id: 4711, task_id: 815, task_count: 2, updated_at: now, task_closed: false },
        )
        .await
        .unwrap();

    let out = admin(&["--table", &table, "link", "acme", "whatsapp:+79051234567"]).await.unwrap();
    for expected in ["contact_id: 4711", "task_id: 815", "task_count: 2", "2024-04-24T23:06:40Z", "lease: none"] {
        assert!(out.contains(expected), "{expected} missing:\n{out}");
    }
    assert!(!out.contains("9051234567"), "the phone is not echoed:\n{out}");
    // Accounts are kept apart.
    assert_eq!(admin(&["--table", &table, "link", "other", "79051234567"]).await.unwrap(), "no conversation");

    let err = admin(&["--table", &table, "link", "acme", "12ab"]).await.unwrap_err();
    assert!(err.contains("not an international number"), "{err}");
}

fn jobs() -> Vec<FileJob> {
    let acme = AccountId::parse("acme").unwrap();
    let phone = Phone::parse("79051234567").unwrap();
    vec![
        FileJob::Inbound {
            account: acme.clone(),
            phone: phone.clone(),
            message_id: "wamid.IN1".into(),
            task_id: 10,
            comment_id: 20,
            caption_html: "private caption".into(),
            media: bridge_core::domain::MediaRef::Id("m1".into()),
            media_kind: "image".into(),
            mime_type: Some("image/jpeg".into()),
            filename: Some("passport.jpg".into()),
        },
        FileJob::Outbound {
            account: acme,
            phone,
            task_id: 11,
            comment_id: 21,
            file_id: 31,
            author: Some("user:5".into()),
        },
    ]
}

async fn fill_dlq(sqs: &Sqs, dlq: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for job in jobs() {
        let out =
            sqs.send_message().queue_url(dlq).message_body(serde_json::to_string(&job).unwrap()).send().await.unwrap();
        ids.push(out.message_id.unwrap());
    }
    ids
}

/// Everything on a queue (received and deleted), as jobs.
async fn drain(sqs: &Sqs, queue: &str) -> Vec<FileJob> {
    let mut jobs = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return jobs;
        }
        for m in messages {
            jobs.push(serde_json::from_str(m.body().unwrap()).unwrap());
            sqs.delete_message().queue_url(queue).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
        }
    }
}

#[tokio::test]
async fn dead_letters_list_without_personal_data_and_replay_all_to_the_main_queue() {
    let (sqs, main) = fresh_queue().await;
    let (_, dlq) = fresh_queue().await;
    let ids = fill_dlq(&sqs, &dlq).await;

    let out = admin(&["--dlq-url", &dlq, "dead-letters", "list"]).await.unwrap();
    assert!(out.starts_with("2 job(s)"), "{out}");
    for expected in [
        ids[0].as_str(),
        ids[1].as_str(),
        "inbound account=acme task=10 comment=20 message=wamid.IN1",
        "outbound account=acme task=11 comment=21 file=31",
        "receives=",
    ] {
        assert!(out.contains(expected), "{expected} missing:\n{out}");
    }
    for private in ["9051234567", "private caption", "passport.jpg"] {
        assert!(!out.contains(private), "{private} printed:\n{out}");
    }
    // Listing left them in the queue, visible.
    let again = admin(&["--dlq-url", &dlq, "dead-letters", "list"]).await.unwrap();
    assert!(again.starts_with("2 job(s)"), "{again}");

    let out = admin(&["--dlq-url", &dlq, "--queue-url", &main, "dead-letters", "replay", "--all"]).await.unwrap();
    assert!(out.starts_with("moved 2 job(s)"), "{out}");
    let mut moved = drain(&sqs, &main).await;
    moved.sort_by_key(|j| j.job_key());
    let mut expected = jobs();
    expected.sort_by_key(|j| j.job_key());
    assert_eq!(moved, expected);
    assert!(drain(&sqs, &dlq).await.is_empty(), "the DLQ is empty");
    assert!(admin(&["--dlq-url", &dlq, "dead-letters", "list"]).await.unwrap().starts_with("0 job(s)"));
}

#[tokio::test]
async fn dead_letters_replay_one_finding_the_main_queue_from_the_redrive_policy() {
    let (sqs, dlq) = fresh_queue().await;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .unwrap();
    let main = sqs
        .create_queue()
        .queue_name(format!("bridge-admin-main-{}", uuid::Uuid::new_v4()))
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5 }).to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let ids = fill_dlq(&sqs, &dlq).await;

    let err = admin(&["--dlq-url", &dlq, "dead-letters", "replay", "--id", "no-such-id"]).await.unwrap_err();
    assert!(err.contains("no job with message id no-such-id"), "{err}");
    let out = admin(&["--dlq-url", &dlq, "dead-letters", "replay", "--id", &ids[1]]).await.unwrap();
    assert!(out.starts_with("moved 1 job(s)") && out.contains(&main), "{out}");
    assert_eq!(drain(&sqs, &main).await, vec![jobs().remove(1)]);
    // The other job stays, visible at once.
    assert_eq!(drain(&sqs, &dlq).await, vec![jobs().remove(0)]);

    assert!(admin(&["--dlq-url", &dlq, "dead-letters", "replay"]).await.is_err(), "--all or --id is required");
    assert!(admin(&["dead-letters", "list"]).await.unwrap_err().contains("--dlq-url"));
}

fn local_config_toml(store: &std::path::Path) -> String {
    format!(
        "[store]\nkind = \"sqlite\"\npath = {:?}\n\n[[accounts]]\nid = \"acme\"\n[accounts.planfix]\nbase_url = \"http://127.0.0.1:8081/rest\"\ntoken = \"{}\"\nwebhook_secret = \"{}\"\n\
         [accounts.provider]\nkind = \"meta\"\napp_secret = \"{}\"\nverify_token = \"{}\"\naccess_token = \"{}\"\nphone_number_id = \"42\"\n",
        store.to_str().unwrap(),
        SECRETS[0],
        SECRETS[1],
        SECRETS[2],
        SECRETS[3],
        SECRETS[4]
    )
}

fn sqlite_store(path: &std::path::Path) -> SqliteStore {
    SqliteStore::new(SqliteDb::open(path).unwrap())
}

#[tokio::test]
async fn local_runs_read_accounts_from_the_config_and_keep_settings_in_the_sqlite_store() {
    let dir = temp_file("unused", "").parent().unwrap().to_path_buf();
    let store_path = dir.join("bridge.db");
    let config = dir.join("bridge.toml");
    std::fs::write(&config, local_config_toml(&store_path)).unwrap();
    let config = config.to_str().unwrap();
    let out = local(&["--config", config, "accounts", "list"]).await.unwrap();
    assert!(out.contains("acme") && out.contains("phone_number_id=42"), "{out}");
    assert_no_secret(&out);

    // The config's [store], or the same file named with --local.
    local(&["--config", config, "settings", "set", "acme", "--single-task", "true"]).await.unwrap();
    let stored = sqlite_store(&store_path).get_settings(&acme()).await.unwrap();
    assert!(stored.unwrap().single_task);
    local(&["--local", store_path.to_str().unwrap(), "settings", "set", "acme", "--single-task", "false"])
        .await
        .unwrap();
    assert!(!sqlite_store(&store_path).get_settings(&acme()).await.unwrap().unwrap().single_task);
    let account = temp_file("acme.json", &account_json("https://acme.planfix.com/rest"));
    let err = local(&["--config", config, "accounts", "put", "--file", account.to_str().unwrap()]).await.unwrap_err();
    assert!(err.contains("read-only"), "{err}");
}

#[tokio::test]
async fn the_json_file_store_of_earlier_versions_is_refused_with_what_to_do() {
    let json = temp_file("store.json", "{}");
    let err =
        local(&["--local", json.to_str().unwrap(), "dead-letters", "list", "--account", "acme"]).await.unwrap_err();
    assert!(err.contains("--local takes a local run's SQLite database") && err.contains("imports once"), "{err}");
    let config = json.with_file_name("bridge.toml");
    std::fs::write(&config, format!("[store]\nkind = \"file\"\npath = {:?}\n", json.to_str().unwrap())).unwrap();
    let err =
        local(&["--config", config.to_str().unwrap(), "dead-letters", "list", "--account", "acme"]).await.unwrap_err();
    assert!(err.contains("kind = \"file\" is no longer supported") && err.contains("kind = \"sqlite\""), "{err}");
    assert!(json.exists(), "the old file stays where it is");
}

/// A `store.json` of an earlier version beside the database is imported the first time the
/// database is opened, by bridge-admin as by bridge-local, and kept renamed.
#[tokio::test]
async fn a_json_store_beside_the_database_is_imported_once() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/embedded/src/testdata/store-json-v1.json");
    let json = temp_file("store.json", &std::fs::read_to_string(fixture).unwrap());
    let db = json.with_file_name("bridge.db");
    let out = local(&["--local", db.to_str().unwrap(), "dead-letters", "list", "--account", "acme"]).await.unwrap();
    assert!(out.starts_with("1 dead letter(s) in account acme") && out.contains("acme#reply#5002"), "{out}");
    assert!(!json.exists() && json.with_file_name("store.json.imported").exists(), "kept, renamed");
    let out = local(&["--local", db.to_str().unwrap(), "link", "acme", "+79051234567"]).await.unwrap();
    assert!(out.contains("815"), "{out}");
    // The conversation with waiting messages is queued for the server's worker.
    let work = SqliteWorkQueue::with_options(
        SqliteDb::open(&db).unwrap(),
        QueueOptions { hold_back: std::time::Duration::ZERO, ..QueueOptions::work() },
    );
    assert_eq!(work.counts().await.unwrap().queued, 1);
}

/// What must never show in a listing of dead letters.
const MESSAGE_TEXT: &str = "my card is 4111 1111";
const PROFILE_NAME: &str = "Ivan Petrov";

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

fn customer() -> Phone {
    Phone::parse("79051234567").unwrap()
}

/// A message the worker gave up on (Planfix refused it) and a reply that failed every try.
fn dead_letters() -> (DeadLetter, DeadLetter) {
    let message = InboundMessage {
        id: "wamid.DEAD1".into(),
        from: customer(),
        profile_name: Some(PROFILE_NAME.into()),
        timestamp: 1_714_000_000,
        content: MessageContent::Text { body: MESSAGE_TEXT.into() },
        origin: Default::default(),
        reply_to: None,
    };
    let work = Work::Conversation { account: acme(), phone: customer(), message_id: message.id.clone() };
    let conversation = DeadLetter {
        key: work.key(),
        work,
        entry: Some(InboxEntry::new(message, 0)),
        error: "Planfix answered HTTP 400 (code Some(1000)): task not found".into(),
        attempts: 3,
        failed_at: 1_714_000_100,
    };
    let work = Work::Reply { account: acme(), task_id: Some(815), comment_id: 4711 };
    let reply = DeadLetter {
        key: work.key(),
        work,
        entry: None,
        error: "WhatsApp unavailable\nafter 8 tries".into(),
        attempts: 8,
        failed_at: 1_714_000_200,
    };
    (conversation, reply)
}

/// Everything on a FIFO queue (received and deleted), with each message's group.
async fn drain_fifo(sqs: &Sqs, queue: &str) -> Vec<(String, String)> {
    let mut items = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return items;
        }
        for m in messages {
            let group = m
                .attributes()
                .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId))
                .cloned()
                .unwrap_or_default();
            items.push((group, m.body().unwrap().to_owned()));
            sqs.delete_message().queue_url(queue).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
        }
    }
}

#[tokio::test]
async fn store_dead_letters_list_without_the_message_and_replay_into_the_work_queue() {
    let (table, store) = fresh_table().await;
    let (sqs, work_queue) = fresh_fifo_queue().await;
    let (conversation, reply) = dead_letters();
    // As the worker left it: the message recorded (and not done), its letter kept.
    let message = &conversation.entry.as_ref().unwrap().message;
    store.record_message(&acme(), message, bridge_core::domain::unix_now()).await.unwrap();
    store.put_dead_letter(&acme(), &conversation).await.unwrap();
    store.put_dead_letter(&acme(), &reply).await.unwrap();

    let out = admin(&["--table", &table, "dead-letters", "list", "--account", "acme"]).await.unwrap();
    assert!(out.starts_with("2 dead letter(s) in account acme"), "{out}");
    for expected in [
        "acme#msg#wamid.DEAD1  failed 2024-04-24T23:08:20Z  attempts=3  message from +790******67: text, sent 2024-04-24T23:06:40Z  error: Planfix answered HTTP 400",
        "acme#reply#4711  failed 2024-04-24T23:10:00Z  attempts=8  reply comment 4711 in task 815  error: WhatsApp unavailable after 8 tries",
    ] {
        assert!(out.contains(expected), "{expected} missing:\n{out}");
    }
    for private in [MESSAGE_TEXT, PROFILE_NAME, "9051234567"] {
        assert!(!out.contains(private), "{private} printed:\n{out}");
    }
    assert_eq!(
        admin(&["--table", &table, "dead-letters", "list", "--account", "other"]).await.unwrap(),
        "no dead letters in account other"
    );

    // Missing or contradicting flags.
    for bad in [
        vec!["--table", &table, "dead-letters", "replay", "--account", "acme"],
        vec!["--table", &table, "dead-letters", "replay", "--key", "acme#reply#4711"],
        vec!["--table", &table, "dead-letters", "replay", "--account", "acme", "--key", "acme#reply#4711", "--all"],
        vec!["--table", &table, "dead-letters", "replay", "--account", "acme", "--id", "x"],
        vec!["--table", &table, "dead-letters", "list", "--account", "acme", "--queue", "work"],
    ] {
        assert!(admin(&bad).await.is_err(), "{bad:?} accepted");
    }
    let err = admin(&["--table", &table, "dead-letters", "replay", "--account", "acme", "--all"]).await.unwrap_err();
    assert!(err.contains("--work-queue-url"), "{err}");
    assert!(admin(&["dead-letters", "list", "--account", "acme"]).await.unwrap_err().contains("--table"));
    let err = admin(&[
        "--table",
        &table,
        "--work-queue-url",
        &work_queue,
        "dead-letters",
        "replay",
        "--account",
        "acme",
        "--key",
        "acme#msg#nope",
    ])
    .await
    .unwrap_err();
    assert!(err.contains("no dead letter with key acme#msg#nope"), "{err}");
    assert_eq!(store.list_dead_letters(&acme()).await.unwrap().len(), 2, "nothing replayed by the failures");

    // One: the message is back in its conversation's inbox, its work queued in its group.
    let out = admin(&[
        "--table",
        &table,
        "--work-queue-url",
        &work_queue,
        "dead-letters",
        "replay",
        "--account",
        "acme",
        "--key",
        &conversation.key,
    ])
    .await
    .unwrap();
    assert!(
        out.starts_with("replayed 1 dead letter(s) of acme") && out.contains("acme#msg#wamid.DEAD1: queued again"),
        "{out}"
    );
    assert_eq!(store.list_dead_letters(&acme()).await.unwrap(), vec![reply.clone()]);
    // … with a fresh retry budget: the attempts spent so far no longer count.
    let back = bridge_core::ports::InboxEntry {
        attempts_before: conversation.attempts,
        ..conversation.entry.clone().unwrap()
    };
    assert_eq!(store.inbox(&acme(), &customer(), 10).await.unwrap(), vec![back]);
    let queued = drain_fifo(&sqs, &work_queue).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    let work: Work = serde_json::from_str(&queued[0].1).unwrap();
    let Work::Conversation { account, phone, .. } = &work else { panic!("{work:?}") };
    assert_eq!((account, phone), (&acme(), &customer()));
    assert_eq!(queued[0].0, "acme#79051234567", "the conversation's group: account and phone digits");

    // The rest.
    let out = admin(&[
        "--table",
        &table,
        "--work-queue-url",
        &work_queue,
        "dead-letters",
        "replay",
        "--account",
        "acme",
        "--all",
    ])
    .await
    .unwrap();
    assert!(
        out.starts_with("replayed 1 dead letter(s) of acme") && out.contains("acme#reply#4711: queued again"),
        "{out}"
    );
    assert!(store.list_dead_letters(&acme()).await.unwrap().is_empty());
    let queued = drain_fifo(&sqs, &work_queue).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(serde_json::from_str::<Work>(&queued[0].1).unwrap(), reply.work);
    assert_eq!(queued[0].0, "acme#task#815");
    assert_eq!(
        admin(&["--table", &table, "dead-letters", "list", "--account", "acme"]).await.unwrap(),
        "no dead letters in account acme"
    );
}

/// Receives `n` items, waiting out their hold-back (at most 10 s).
async fn receive_all<T: bridge_embedded::sqlite::QueueItem>(
    queue: &bridge_embedded::sqlite::SqliteQueue<T>,
    n: usize,
) -> Vec<bridge_embedded::sqlite::Received<T>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < n && std::time::Instant::now() < deadline {
        let wait = std::time::Duration::from_secs(1);
        got.extend(queue.receive_wait(n - got.len(), std::time::Duration::from_secs(60), wait).await.unwrap());
    }
    got
}

/// The local work queue of a database, without hold-back (to look at what is queued).
fn local_work_queue(db: &std::path::Path) -> SqliteWorkQueue {
    SqliteWorkQueue::with_options(
        SqliteDb::open(db).unwrap(),
        QueueOptions { hold_back: std::time::Duration::ZERO, ..QueueOptions::work() },
    )
}

#[tokio::test]
async fn local_store_dead_letters_replay_into_the_local_work_queue() {
    let path = temp_file("unused", "").with_file_name("bridge.db");
    let (conversation, reply) = dead_letters();
    {
        let store = sqlite_store(&path);
        // As the worker left it: the message recorded (and not done), its letter kept.
        let message = &conversation.entry.as_ref().unwrap().message;
        store.record_message(&acme(), message, bridge_core::domain::unix_now()).await.unwrap();
        store.put_dead_letter(&acme(), &conversation).await.unwrap();
        store.put_dead_letter(&acme(), &reply).await.unwrap();
    }
    let path_str = path.to_str().unwrap();
    let out = local(&["--local", path_str, "dead-letters", "list", "--account", "acme"]).await.unwrap();
    assert!(out.starts_with("2 dead letter(s)") && !out.contains(MESSAGE_TEXT), "{out}");

    let out = local(&["--local", path_str, "dead-letters", "replay", "--account", "acme", "--all"]).await.unwrap();
    assert!(out.starts_with("replayed 2 dead letter(s) of acme to the local work queue in"), "{out}");
    assert!(
        out.contains("acme#msg#wamid.DEAD1: queued again") && out.contains("acme#reply#4711: queued again"),
        "{out}"
    );

    let store = sqlite_store(&path);
    assert!(store.list_dead_letters(&acme()).await.unwrap().is_empty());
    let back = bridge_core::ports::InboxEntry {
        attempts_before: conversation.attempts,
        ..conversation.entry.clone().unwrap()
    };
    assert_eq!(store.inbox(&acme(), &customer(), 10).await.unwrap(), vec![back]);
    // Both on the local work queue, each in its group (held back as any new work).
    let mut queued: Vec<(Option<String>, Work)> =
        receive_all(&local_work_queue(&path), 2).await.into_iter().map(|r| (r.group, r.body)).collect();
    queued.sort_by_key(|(group, _)| group.clone());
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert_eq!(queued[0].0.as_deref(), Some("acme#79051234567"));
    assert!(matches!(&queued[0].1, Work::Conversation { phone, .. } if *phone == customer()), "{queued:?}");
    assert_eq!(queued[1], (Some("acme#task#815".to_owned()), reply.work));
}

#[tokio::test]
async fn local_queue_dead_letters_are_listed_and_replayed() {
    let path = temp_file("unused", "").with_file_name("bridge.db");
    let db = SqliteDb::open(&path).unwrap();
    // A file job that failed its one receive, and a work item past its receives.
    let files =
        SqliteFileJobQueue::with_options(db.clone(), QueueOptions { max_receives: 1, ..QueueOptions::file_jobs() });
    files.send(&jobs()[..1]).await.unwrap();
    let visibility = std::time::Duration::from_millis(1);
    assert_eq!(files.receive(1, visibility).await.unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(files.receive(1, visibility).await.unwrap().is_empty(), "dead-lettered instead");
    let work = SqliteWorkQueue::with_options(
        db,
        QueueOptions { hold_back: std::time::Duration::ZERO, max_receives: 1, ..QueueOptions::work() },
    );
    let reply = Work::Reply { account: acme(), task_id: Some(815), comment_id: 4711 };
    work.send(std::slice::from_ref(&reply)).await.unwrap();
    assert_eq!(work.receive(1, visibility).await.unwrap().len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(work.receive(1, visibility).await.unwrap().is_empty());

    let db_arg = path.to_str().unwrap();
    let out = local(&["--local", db_arg, "dead-letters", "list"]).await.unwrap();
    assert!(out.starts_with("1 file job(s) in the dead letters of"), "{out}");
    assert!(
        out.contains("inbound account=acme") && out.contains("receives=1") && out.contains("reason: received 1 times"),
        "{out}"
    );
    let out = local(&["--local", db_arg, "dead-letters", "list", "--queue", "work"]).await.unwrap();
    assert!(
        out.starts_with("1 work item(s) in the dead letters of")
            && out.contains("reply account=acme task=815 comment=4711"),
        "{out}"
    );
    let id = out.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_owned();

    let err =
        local(&["--local", db_arg, "dead-letters", "replay", "--queue", "work", "--id", "999"]).await.unwrap_err();
    assert!(err.contains("no dead letter with id 999"), "{err}");
    let out = local(&["--local", db_arg, "dead-letters", "replay", "--queue", "work", "--id", &id]).await.unwrap();
    assert!(out.starts_with("moved 1 work item(s) from the dead letters back to the queue"), "{out}");
    let back = receive_all(&work, 1).await;
    assert_eq!(
        back.iter().map(|r| (&r.body, r.receive_count)).collect::<Vec<_>>(),
        vec![(&reply, 1)],
        "a fresh receive count"
    );
    let out = local(&["--local", db_arg, "dead-letters", "replay", "--all"]).await.unwrap();
    assert!(out.starts_with("moved 1 file job(s)"), "{out}");
    assert_eq!(files.counts().await.unwrap().dead, 0);
    assert_eq!(files.counts().await.unwrap().queued, 1);
}

#[tokio::test]
async fn work_dead_letter_queue_replays_into_the_right_group_with_a_fresh_dedupe_id() {
    let (sqs, work_queue) = fresh_fifo_queue().await;
    let (_, work_dlq) = fresh_fifo_queue().await;
    let message = Work::Conversation { account: acme(), phone: customer(), message_id: "wamid.W1".into() };
    let reply = Work::Reply { account: acme(), task_id: None, comment_id: 99 };
    // The original went into the work queue moments ago: its dedupe id is still inside SQS's
    // five-minute window there, so replay must not reuse it (moto dedupes against what is still
    // queued, hence the original stays until the end).
    sqs.send_message()
        .queue_url(&work_queue)
        .message_body(serde_json::to_string(&message).unwrap())
        .message_group_id(message.group())
        .message_deduplication_id(message.dedupe_id())
        .send()
        .await
        .unwrap();
    for (body, group, dedupe) in [
        (serde_json::to_string(&message).unwrap(), message.group(), message.dedupe_id()),
        (serde_json::to_string(&reply).unwrap(), reply.group(), reply.dedupe_id()),
        ("{\"kind\":\"mystery\"}".to_owned(), "odd".to_owned(), "odd-1".to_owned()),
    ] {
        sqs.send_message()
            .queue_url(&work_dlq)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(dedupe)
            .send()
            .await
            .unwrap();
    }

    assert!(admin(&["dead-letters", "list", "--queue", "work"]).await.unwrap_err().contains("--work-dlq-url"));
    let out = admin(&["--work-dlq-url", &work_dlq, "dead-letters", "list", "--queue", "work"]).await.unwrap();
    assert!(out.starts_with("3 work item(s) in the work dead-letter queue"), "{out}");
    for expected in [
        "message account=acme from=+790******67 message=wamid.W1",
        "reply account=acme task=? comment=99",
        "not a work item",
        "receives=",
    ] {
        assert!(out.contains(expected), "{expected} missing:\n{out}");
    }
    assert!(!out.contains("9051234567"), "{out}");

    let out = admin(&[
        "--work-dlq-url",
        &work_dlq,
        "--work-queue-url",
        &work_queue,
        "dead-letters",
        "replay",
        "--queue",
        "work",
        "--all",
    ])
    .await
    .unwrap();
    assert!(out.starts_with(&format!("moved 2 work item(s) from the dead-letter queue to {work_queue}")), "{out}");
    assert!(out.contains("left 1 message(s) in the dead-letter queue: not work items"), "{out}");
    let mut moved = drain_fifo(&sqs, &work_queue).await;
    moved.sort();
    let body = |w: &Work| serde_json::to_string(w).unwrap();
    // The groups as the worker's queue names them: a conversation by account and phone digits,
    // a reply without a task by its comment.
    let (conversation_group, reply_group) = ("acme#79051234567".to_owned(), "acme#comment#99".to_owned());
    let mut expected = vec![
        (conversation_group.clone(), body(&message)),
        (conversation_group, body(&message)),
        (reply_group, body(&reply)),
    ];
    expected.sort();
    assert_eq!(moved, expected);
    // The unreadable one stays, visible at once.
    let left = drain_fifo(&sqs, &work_dlq).await;
    assert_eq!(left, vec![("odd".to_owned(), "{\"kind\":\"mystery\"}".to_owned())]);
}
