//! Account configuration from SSM Parameter Store (SecureString, decrypted) through the real SDK.

use aws_sdk_ssm::types::ParameterType;
use e2e_tests::aws_config;
use shared::config::{load_accounts_from_ssm, ProviderConfig};

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
    let ProviderConfig::Meta(meta) = &a.provider;
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
    ssm.put_parameter().name(format!("{prefix}/accounts/acme")).value(account.to_string()).r#type(ParameterType::SecureString).send().await.unwrap();
    let err = load_accounts_from_ssm(&ssm, &prefix).await.unwrap_err().to_string();
    assert!(err.contains("differs"), "{err}");
    assert!(!err.contains("\"t\""), "no secret in the error");
}
