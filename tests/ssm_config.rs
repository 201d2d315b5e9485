//! Account configuration from SSM Parameter Store (SecureString, decrypted) through the real SDK.

use aws_sdk_ssm::types::ParameterType;
use bridge_aws::load_accounts_from_ssm;
use bridge_core::config::ProviderConfig;
use e2e_tests::aws_config;

#[tokio::test]
async fn accounts_load_from_secure_string_parameters() {
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    let account = serde_json::json!({
        "id": "acme",
        "planfix": { "base_url": "https://acme.planfix.com/rest", "token": "pf-secret-token", "webhook_secret": "hook-secret" },
        "provider": { "kind": "meta", "app_secret": "s3cr3t", "verify_token": "vt", "access_token": "EAAG", "phone_number_id": "1122" },
        "settings": { "single_task": true }
    });
    ssm.put_parameter()
        .name(format!("{prefix}/accounts/acme"))
        .value(account.to_string())
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();

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
async fn a_parameter_whose_name_differs_from_its_id_is_refused() {
    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    let account = serde_json::json!({
        "id": "other",
        "planfix": { "base_url": "https://x/rest", "token": "t", "webhook_secret": "w" },
        "provider": { "kind": "meta", "app_secret": "s", "verify_token": "v", "access_token": "a", "phone_number_id": "1" }
    });
    ssm.put_parameter()
        .name(format!("{prefix}/accounts/acme"))
        .value(account.to_string())
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let err = load_accounts_from_ssm(&ssm, &prefix).await.unwrap_err().to_string();
    assert!(err.contains("differs"), "{err}");
    assert!(!err.contains("\"t\""), "no secret in the error");
}

/// A rotated app secret takes effect after the configuration TTL, without a new deployment, and
/// settings changed in the store by an operator survive the refresh.
#[tokio::test]
async fn rotated_secret_takes_effect_after_the_ttl() {
    use std::sync::Arc;
    use std::time::Duration;

    use bridge_app::bootstrap::{build_app_refreshing, Infra, Tuning};
    use bridge_aws::SsmAccounts;
    use bridge_core::config::Settings;
    use bridge_core::ports::Store;

    let ssm = aws_sdk_ssm::Client::new(&aws_config().await);
    let prefix = format!("/bridge-test-{}", uuid::Uuid::new_v4());
    let put = |secret: &'static str| {
        let ssm = ssm.clone();
        let name = format!("{prefix}/accounts/acme");
        async move {
            let account = serde_json::json!({
                "id": "acme",
                "planfix": { "base_url": "http://127.0.0.1:9/rest", "token": "t", "webhook_secret": "w" },
                "provider": { "kind": "meta", "app_secret": secret, "verify_token": "v", "access_token": "a", "phone_number_id": "1" },
                "settings": { "single_task": false }
            });
            ssm.put_parameter()
                .name(name)
                .value(account.to_string())
                .r#type(ParameterType::SecureString)
                .overwrite(true)
                .send()
                .await
                .unwrap();
        }
    };
    put("old-secret").await;
    let source = SsmAccounts { client: ssm.clone(), prefix: prefix.clone() };
    let accounts = load_accounts_from_ssm(&ssm, &prefix).await.unwrap();
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
    let acme = bridge_core::domain::AccountId::parse("acme").unwrap();
    // An operator turns single_task on in the store; the SSM copy says false.
    store.put_settings(&acme, &Settings { single_task: true, ..Settings::default() }).await.unwrap();

    // A status callback: verified, accepted, no Planfix call needed.
    let body = r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"statuses":[{"id":"wamid.1","status":"read","timestamp":"1"}]}}]}]}"#;
    let post = |secret: &str| {
        let sig = meta_sim::webhook::sign(secret.as_bytes(), body.as_bytes());
        http::Request::post("/webhooks/meta/acme")
            .header("x-hub-signature-256", sig)
            .body(bytes::Bytes::from(body))
            .unwrap()
    };
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, post("old-secret")).await.status(), 200);
    put("new-secret").await;
    let before_ttl = bridge_http::handle(&app, bridge_http::Surface::All, post("new-secret")).await.status();
    let checked_within = before_build.elapsed();
    assert!(
        checked_within < ttl,
        "the test is void: reaching the 'not before the TTL' check took {checked_within:?}, over the {ttl:?} TTL"
    );
    assert_eq!(before_ttl, 401, "not before the TTL");
    tokio::time::sleep_until(built + ttl + Duration::from_millis(200)).await;
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, post("new-secret")).await.status(), 200);
    assert_eq!(bridge_http::handle(&app, bridge_http::Surface::All, post("old-secret")).await.status(), 401);
    assert!(store.get_settings(&acme).await.unwrap().unwrap().single_task, "the store's settings were not overwritten");
}
