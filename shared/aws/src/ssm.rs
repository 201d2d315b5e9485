use aws_sdk_ssm::Client;

use bridge_core::accounts::{BrokenAccount, LoadedAccounts};
use bridge_core::config::{account_from_json, AccountConfig};

#[derive(Debug, thiserror::Error)]
pub enum SsmError {
    #[error("SSM request failed: {0}")]
    Request(String),
}

/// Reads every account under `{prefix}/accounts/` (one SecureString per account holding the
/// account's JSON config), decrypted, in as few calls as SSM pagination allows. Called once per
/// cold start and at every refresh; the Lambda role only needs `ssm:GetParametersByPath` on
/// that path. A parameter that does not parse, breaks a rule or names another id is a
/// [`BrokenAccount`] (named by the parameter's last segment), never an error: the other
/// accounts still serve. Only a failed SSM request is an `Err`.
pub async fn read_accounts_from_ssm(client: &Client, prefix: &str) -> Result<LoadedAccounts, SsmError> {
    let path = format!("{}/accounts/", prefix.trim_end_matches('/'));
    let mut loaded = LoadedAccounts::default();
    let mut pages =
        client.get_parameters_by_path().path(&path).recursive(true).with_decryption(true).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| SsmError::Request(aws_sdk_ssm::error::DisplayErrorContext(e).to_string()))?;
        for p in page.parameters() {
            let name = p.name().unwrap_or_default();
            let id = name.rsplit('/').next().unwrap_or_default().to_owned();
            // The reason never quotes the value: it holds secrets.
            match account_from_json(p.value().unwrap_or_default()) {
                Ok(account) if account.id.as_str() == id => loaded.good.push(account),
                Ok(_) => loaded.broken.push(BrokenAccount {
                    id,
                    reason: format!(
                        "SSM parameter {name}: the id inside differs from the parameter name; they must match"
                    ),
                }),
                Err(reason) => {
                    loaded.broken.push(BrokenAccount { id, reason: format!("SSM parameter {name}: {reason}") })
                }
            }
        }
    }
    // Rules and duplicate ids (a nested parameter may repeat a name).
    Ok(loaded.checked())
}

/// The accounts that can serve (see [`read_accounts_from_ssm`]; broken parameters are left
/// out here, and logged where the bridge loads them).
pub async fn load_accounts_from_ssm(client: &Client, prefix: &str) -> Result<Vec<AccountConfig>, SsmError> {
    Ok(read_accounts_from_ssm(client, prefix).await?.good)
}

/// Accounts from SSM, for the refreshes of [`bridge_core::accounts::Accounts`].
pub struct SsmAccounts {
    pub client: Client,
    pub prefix: String,
}

#[async_trait::async_trait]
impl bridge_core::accounts::AccountSource for SsmAccounts {
    async fn load(&self) -> Result<LoadedAccounts, String> {
        read_accounts_from_ssm(&self.client, &self.prefix).await.map_err(|e| e.to_string())
    }
}
