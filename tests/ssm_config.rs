//! Account configuration from SSM Parameter Store (SecureString, decrypted) through the real SDK.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use bridge_app::bootstrap::{build_app_refreshing, Infra, Tuning};
use bridge_aws::ssm::read_accounts_from_ssm;
use bridge_aws::{load_accounts_from_ssm, SsmAccounts};
use bridge_core::config::ProviderConfig;
use bridge_core::domain::{AccountId, Work};
use bridge_core::ports::Store;
use e2e_tests::aws_config;

/// Secrets of the good test accounts: at least 16 characters, as the rules demand.
const HOOK_SECRET: &str = "ssm-test-hook-secret-0123";
const VERIFY_TOKEN: &str = "ssm-test-verify-token-0123";

async fn put_parameter(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

/// A Meta account on nothing reachable (only the webhook routes are called).
fn meta_account(id: &str, app_secret: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "planfix": { "base_url": "http://127.0.0.1:9/rest", "token": "t", "webhook_secret": HOOK_SECRET },
        "provider": { "kind": "meta", "app_secret": app_secret, "verify_token": VERIFY_TOKEN, "access_token": "a", "phone_number_id": "1" },
        "settings": { "single_task": false }
    })
}

#[tokio::test]
async fn accounts_load_from_secure_string_parameters() {
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    let account = serde_json::json!({
        "id": "acme",
        "planfix": { "base_url": "https://acme.planfix.com/rest", "token": "pf-secret-token", "webhook_secret": HOOK_SECRET },
        "provider": { "kind": "meta", "app_secret": "s3cr3t-app-secret-0123", "verify_token": VERIFY_TOKEN, "access_token": "EAAG", "phone_number_id": "1122" },
        "settings": { "single_task": true }
    });
    put_parameter(&ssm, &format!("{prefix}/accounts/acme"), &account.to_string()).await;

    let accounts = load_accounts_from_ssm(&ssm, &prefix).await.unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(a.id.as_str(), "acme");
    assert_eq!(a.planfix.token.expose(), "pf-secret-token");
    assert!(a.settings.as_ref().unwrap().single_task);
    let ProviderConfig::Meta(meta) = &a.provider else { panic!("a Meta account") };
    assert_eq!(meta.graph_base_url, "https://graph.facebook.com", "default applies");
    // Secrets never print.
    assert!(!format!("{a:?}").contains("pf-secret-token"));
    assert!(!format!("{a:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn a_parameter_whose_name_differs_from_its_id_is_a_broken_account() {
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    put_parameter(
        &ssm,
        &format!("{prefix}/accounts/acme"),
        &meta_account("other", "other-app-secret-0123").to_string(),
    )
    .await;
    put_parameter(&ssm, &format!("{prefix}/accounts/cafe"), &meta_account("cafe", "cafe-app-secret-0123").to_string())
        .await;
    let loaded = read_accounts_from_ssm(&ssm, &prefix).await.unwrap();
    assert_eq!(loaded.good.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["cafe"]);
    assert_eq!(loaded.broken.len(), 1);
    let broken = &loaded.broken[0];
    assert_eq!(broken.id, "acme", "named by the parameter");
    assert!(broken.reason.contains("differs from the parameter name"), "{broken:?}");
    assert!(!broken.reason.contains("other-app-secret"), "no secret in the reason");
}

/// A rotated app secret takes effect after the configuration TTL, without a new deployment, and
/// settings changed in the store by an operator survive the refresh.
#[tokio::test]
async fn rotated_secret_takes_effect_after_the_ttl() {
    use bridge_core::config::Settings;

    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    let name = format!("{prefix}/accounts/acme");
    put_parameter(&ssm, &name, &meta_account("acme", "old-app-secret-0123").to_string()).await;
    let source = SsmAccounts { client: ssm.clone(), prefix: prefix.clone() };
    let accounts = read_accounts_from_ssm(&ssm, &prefix).await.unwrap();
    let store = Arc::new(e2e_tests::fresh_dynamo_store().await);
    let (sqs, queue_url) = e2e_tests::fresh_queue().await;
    let rig = e2e_tests::WorkerRig::new().await;
    let infra = Infra {
        store: store.clone(),
        work: rig.queue(),
        file_jobs: Arc::new(bridge_aws::SqsFileJobQueue::new(sqs, queue_url)),
        blob: None,
    };
    // The refresh clock is std's Instant inside the core (no test clock to advance), so the test
    // brackets it with real time instead: the accounts are stamped between `before_build` and
    // `built`; a request before `before_build + ttl` must see the old secret, one after
    // `built + ttl` the new one. The TTL is generous so the first window holds on a loaded
    // machine, and the test says so when it did not.
    let ttl = Duration::from_secs(3);
    let before_build = std::time::Instant::now();
    let app = Arc::new(
        build_app_refreshing(accounts, infra, Tuning::default(), Some((Arc::new(source), ttl))).await.unwrap(),
    );
    let built = tokio::time::Instant::now();
    let acme = AccountId::parse("acme").unwrap();
    // An operator turns single_task on in the store; the SSM copy says false.
    store.put_settings(&acme, &Settings { single_task: true, ..Settings::default() }).await.unwrap();

    let post = |secret: &str| meta_status("acme", secret);
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, post("old-app-secret-0123")).await.status(), 200);
    put_parameter(&ssm, &name, &meta_account("acme", "new-app-secret-0123").to_string()).await;
    let before_ttl = bridge_http::handle(&app, bridge_http::Surface::All, post("new-app-secret-0123")).await.status();
    let checked_within = before_build.elapsed();
    assert!(
        checked_within < ttl,
        "the test is void: reaching the 'not before the TTL' check took {checked_within:?}, over the {ttl:?} TTL"
    );
    assert_eq!(before_ttl, 401, "not before the TTL");
    tokio::time::sleep_until(built + ttl + Duration::from_millis(200)).await;
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, post("new-app-secret-0123")).await.status(), 200);
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, post("old-app-secret-0123")).await.status(), 401);
    assert!(store.get_settings(&acme).await.unwrap().unwrap().single_task, "the store's settings were not overwritten");
}

/// A Meta status callback for `account`, signed with `secret`: verified and accepted without a
/// Planfix call.
fn meta_status(account: &str, secret: &str) -> http::Request<bytes::Bytes> {
    let body = r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"wamid.1","status":"read","timestamp":"1"}]}}]}]}"#;
    let sig = meta_sim::webhook::sign(secret.as_bytes(), body.as_bytes());
    http::Request::post(format!("/webhooks/meta/{account}"))
        .header("x-hub-signature-256", sig)
        .body(bytes::Bytes::from(body))
        .unwrap()
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The mistyped values in the broken parameters: never in a reason, a log line or an answer.
const BAD_VALUES: [&str; 4] = ["BAD-token-7f3a9c0e1d", "BAD-hook-secret-51e2", "987654321987", "vt-5c"];

/// One SSM parameter that is not JSON (quoting a secret where it breaks off), one whose secret
/// has the wrong type, one valid JSON with an empty webhook secret and verify token, one with a
/// 5-character verify token — beside a good account. The functions boot; the good account
/// serves; every broken one answers 503 on every route and its work waits in the queue; nothing
/// quotes the bad values; fixing the parameter brings the account back at the next refresh.
#[tokio::test]
async fn one_broken_parameter_never_takes_the_other_accounts_down() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(captured.clone())
        .finish();
    // #[tokio::test] runs on this one thread: the subscriber sees every task.
    let _logging = tracing::subscriber::set_default(subscriber);

    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    let param = |id: &str| format!("{prefix}/accounts/{id}");
    put_parameter(&ssm, &param("acme"), &meta_account("acme", "acme-app-secret-0123").to_string()).await;
    let cut_off = format!(
        r#"{{"id":"broken-json","planfix":{{"base_url":"https://x.planfix.com/rest","token":"{}","webhook_secret":"{}"#,
        BAD_VALUES[0], BAD_VALUES[1]
    );
    put_parameter(&ssm, &param("broken-json"), &cut_off).await;
    let mut wrong_type = meta_account("broken-type", "unused");
    wrong_type["provider"]["app_secret"] = serde_json::json!(987654321987u64);
    put_parameter(&ssm, &param("broken-type"), &wrong_type.to_string()).await;
    let mut empty = meta_account("empty-secret", "empty-app-secret-0123");
    empty["planfix"]["webhook_secret"] = "".into();
    empty["provider"]["verify_token"] = "".into();
    put_parameter(&ssm, &param("empty-secret"), &empty.to_string()).await;
    let mut short = meta_account("short-verify", "short-app-secret-0123");
    short["provider"]["verify_token"] = BAD_VALUES[3].into();
    put_parameter(&ssm, &param("short-verify"), &short.to_string()).await;

    // What the loader makes of them: one good account, four broken ones named by parameter.
    let loaded = read_accounts_from_ssm(&ssm, &prefix).await.expect("a bad parameter is no load failure");
    assert_eq!(loaded.good.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["acme"]);
    let mut broken = loaded.broken.clone();
    broken.sort_by(|a, b| a.id.cmp(&b.id));
    let reasons: Vec<(&str, &str)> = broken.iter().map(|b| (b.id.as_str(), b.reason.as_str())).collect();
    assert_eq!(
        reasons.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        ["broken-json", "broken-type", "empty-secret", "short-verify"]
    );
    let expected = [
        "not valid JSON: it ends early",
        "provider.app_secret: a value of the wrong type",
        "planfix.webhook_secret: is empty",
        "provider.verify_token: is too short: use at least 16 characters",
    ];
    for ((id, reason), want) in reasons.iter().zip(expected) {
        assert!(reason.contains(want), "{id}: {reason}");
        for bad in BAD_VALUES {
            assert!(!reason.contains(bad), "{id}'s reason quotes {bad}: {reason}");
        }
    }
    assert!(reasons[2].1.contains("provider.verify_token: is empty"), "{}", reasons[2].1);

    // The app boots (the cold start of every function used to fail here).
    let store: Arc<dyn Store> = Arc::new(e2e_tests::fresh_dynamo_store().await);
    let (sqs, queue_url) = e2e_tests::fresh_queue().await;
    let rig = e2e_tests::WorkerRig::new().await;
    let infra = Infra {
        store: store.clone(),
        work: rig.queue(),
        file_jobs: Arc::new(bridge_aws::SqsFileJobQueue::new(sqs, queue_url)),
        blob: None,
    };
    let ttl = Duration::from_secs(2);
    let source = SsmAccounts { client: ssm.clone(), prefix: prefix.clone() };
    let app = Arc::new(
        build_app_refreshing(loaded, infra, Tuning::default(), Some((Arc::new(source), ttl))).await.expect("boots"),
    );
    let built = tokio::time::Instant::now();
    assert_eq!(app.accounts.broken().await.len(), 4);
    let call = |req: http::Request<bytes::Bytes>| {
        let app = app.clone();
        async move {
            let resp = bridge_http::handle(&app, bridge_http::Surface::All, req).await;
            (resp.status().as_u16(), String::from_utf8_lossy(resp.body()).into_owned())
        }
    };

    assert_eq!(call(meta_status("acme", "acme-app-secret-0123")).await.0, 200, "the good account serves");
    let unavailable = (503, r#"{"error":"account temporarily unavailable"}"#.to_owned());
    for id in ["broken-json", "broken-type", "empty-secret", "short-verify"] {
        assert_eq!(call(meta_status(id, "acme-app-secret-0123")).await, unavailable, "{id}: webhook");
        // An empty X-Bridge-Token matched an empty webhook_secret.
        let planfix = http::Request::post(format!("/planfix/{id}"))
            .header("content-type", "application/json")
            .header("x-bridge-token", "")
            .body(bytes::Bytes::from(r#"{"task":"1","comment":"7"}"#))
            .unwrap();
        assert_eq!(call(planfix).await, unavailable, "{id}: planfix");
    }
    // An empty verify token echoed Meta's challenge to anyone; a 5-character one is guessable.
    for (id, token) in [("empty-secret", ""), ("short-verify", BAD_VALUES[3])] {
        let handshake = http::Request::get(format!(
            "/webhooks/meta/{id}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        ))
        .body(bytes::Bytes::new())
        .unwrap();
        assert_eq!(call(handshake).await, unavailable, "{id}: handshake");
    }
    let unknown = http::Request::post("/planfix/nobody").body(bytes::Bytes::new()).unwrap();
    assert_eq!(call(unknown).await.0, 401, "an unknown account keeps its answer");

    // The good account's status was queued and is applied.
    let done = rig.run_once(&app).await.expect("the status work");
    assert!(matches!(done.as_slice(), [(Work::Status { account, .. }, _)] if account.as_str() == "acme"), "{done:?}");
    // Work for a broken account is put back for later, not dead-lettered.
    let empty_id = AccountId::parse("empty-secret").unwrap();
    let work = Work::Reply { account: empty_id.clone(), task_id: Some(1), comment_id: 7 };
    app.work.enqueue(std::slice::from_ref(&work)).await.unwrap();
    let outcomes = rig.run_once(&app).await.expect("the work was received");
    assert!(outcomes.is_empty(), "not done, not dead-lettered: {outcomes:?}");
    assert_eq!(rig.pending().await, 1, "still on the queue");
    assert!(store.list_dead_letters(&empty_id).await.unwrap().is_empty(), "no dead letter");

    // The operator fixes the parameter: the account serves after the next refresh.
    put_parameter(&ssm, &param("empty-secret"), &meta_account("empty-secret", "empty-app-secret-0123").to_string())
        .await;
    tokio::time::sleep_until(built + ttl + Duration::from_millis(200)).await;
    assert_eq!(call(meta_status("empty-secret", "empty-app-secret-0123")).await.0, 200, "fixed");
    assert_eq!(call(meta_status("short-verify", "short-app-secret-0123")).await, unavailable, "still broken");

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for id in ["broken-json", "broken-type", "empty-secret", "short-verify"] {
        assert!(
            logs.lines()
                .any(|l| l.contains("ERROR") && l.contains(id) && l.contains("account configuration is broken")),
            "{id}'s breakage is logged:\n{logs}"
        );
    }
    for bad in BAD_VALUES {
        assert!(!logs.contains(bad), "the logs quote {bad}:\n{logs}");
    }
}
