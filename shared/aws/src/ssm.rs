use aws_sdk_ssm::Client;

use bridge_core::config::AccountConfig;

#[derive(Debug, thiserror::Error)]
pub enum SsmError {
    #[error("SSM request failed: {0}")]
    Request(String),
    #[error("SSM parameter {name} is not a valid account config: {reason}")]
    Invalid { name: String, reason: String },
}

/// Reads every account under `{prefix}/accounts/` (one SecureString per account holding the
/// account's JSON config), decrypted, in as few calls as SSM pagination allows. Called once per
/// cold start; the Lambda role only needs `ssm:GetParametersByPath` on that path.
pub async fn load_accounts_from_ssm(client: &Client, prefix: &str) -> Result<Vec<AccountConfig>, SsmError> {
    let path = format!("{}/accounts/", prefix.trim_end_matches('/'));
    let mut accounts = Vec::new();
    let mut pages =
        client.get_parameters_by_path().path(&path).recursive(true).with_decryption(true).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| SsmError::Request(aws_sdk_ssm::error::DisplayErrorContext(e).to_string()))?;
        for p in page.parameters() {
            let name = p.name().unwrap_or_default().to_owned();
            let value = p.value().unwrap_or_default();
            let account: AccountConfig = serde_json::from_str(value)
                // Never echo the value: it holds secrets.
                .map_err(|e| SsmError::Invalid { name: name.clone(), reason: e.to_string() })?;
            let expected = name.rsplit('/').next().unwrap_or_default();
            if account.id.as_str() != expected {
                return Err(SsmError::Invalid {
                    name,
                    reason: format!("its id {:?} differs from the parameter name", account.id.as_str()),
                });
            }
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// Accounts from SSM, for the refreshes of [`bridge_core::accounts::Accounts`].
pub struct SsmAccounts {
    pub client: Client,
    pub prefix: String,
}

#[async_trait::async_trait]
impl bridge_core::accounts::AccountSource for SsmAccounts {
    async fn load(&self) -> Result<Vec<AccountConfig>, String> {
        load_accounts_from_ssm(&self.client, &self.prefix).await.map_err(|e| e.to_string())
    }
}
