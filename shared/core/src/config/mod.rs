//! Typed configuration, loaded once per cold start (by the composition root, `bridge-app`).
//!
//! One shape for every source: the local TOML file lists `[[accounts]]`; on AWS each account is
//! one SSM SecureString parameter holding the same fields as JSON.

mod parse;
mod secret;
mod validate;

use serde::{Deserialize, Serialize};

pub use parse::{account_from_document, account_from_json, describe_error};
pub use secret::Secret;
pub use validate::ConfigProblem;

use crate::domain::AccountId;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub id: AccountId,
    pub planfix: PlanfixConfig,
    pub provider: ProviderConfig,
    /// Seeds the account's settings in the store (the store is the source of truth at run time).
    #[serde(default)]
    pub settings: Option<Settings>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanfixConfig {
    /// e.g. `https://example.planfix.com/rest` (no trailing slash needed).
    pub base_url: String,
    pub token: Secret,
    /// Shared secret the Planfix scenario sends (header `X-Bridge-Token` or Basic password).
    pub webhook_secret: Secret,
    /// REST requests per second allowed for this account, across all instances (Planfix: 1).
    #[serde(default = "default_planfix_rate")]
    pub requests_per_second: f64,
}

fn default_planfix_rate() -> f64 {
    1.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProviderConfig {
    Meta(MetaConfig),
    Twilio(TwilioConfig),
    #[serde(rename = "green-api", alias = "green_api")]
    GreenApi(GreenApiConfig),
    #[serde(rename = "360dialog")]
    Dialog360(Dialog360Config),
    Wazzup(WazzupConfig),
}

impl ProviderConfig {
    /// The provider's segment in webhook URLs (`/webhooks/{kind}/{account}`).
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderConfig::Meta(_) => "meta",
            ProviderConfig::Twilio(_) => "twilio",
            ProviderConfig::GreenApi(_) => "green-api",
            ProviderConfig::Dialog360(_) => "360dialog",
            ProviderConfig::Wazzup(_) => "wazzup",
        }
    }
}

/// A Twilio WhatsApp sender (NOTES §3).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// `AC…`: the account in the API path and the Basic-auth user.
    pub account_sid: String,
    /// Basic-auth password and the key of `X-Twilio-Signature`.
    pub auth_token: Secret,
    /// The WhatsApp sender number, E.164 (`+14155238886`); sends go `From=whatsapp:<it>`.
    pub whatsapp_from: String,
    #[serde(default = "default_twilio_api_base_url")]
    pub api_base_url: String,
    /// Whether media URLs need Basic auth (Console → Messaging settings; on by default there).
    #[serde(default = "default_true")]
    pub media_auth: bool,
}

fn default_twilio_api_base_url() -> String {
    "https://api.twilio.com".into()
}

fn default_true() -> bool {
    true
}

/// A Green-API instance (NOTES §5).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GreenApiConfig {
    pub id_instance: i64,
    pub api_token_instance: Secret,
    /// `https://<nnnn>.api.greenapi.com`, shown in the console.
    pub api_url: String,
    /// Host for uploads (`sendFileByUpload`); defaults to `api_url`.
    #[serde(default)]
    pub media_url: Option<String>,
    /// The instance's `webhookUrlToken` (set with `setSettings`), required on every webhook.
    #[serde(default)]
    pub webhook_url_token: Option<Secret>,
    /// Accept webhooks without a token. Off unless set explicitly: without it anyone who learns
    /// the URL could write into the account's tasks.
    #[serde(default)]
    pub allow_unauthenticated_webhooks: bool,
    /// How files go out: `url` (Green-API fetches a presigned link; the default, no bytes
    /// through the bridge's memory) or `upload`.
    #[serde(default)]
    pub file_send: GreenApiFileSend,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GreenApiFileSend {
    #[default]
    Url,
    Upload,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    /// Key of `X-Hub-Signature-256` (the Meta App Secret, not the access token).
    pub app_secret: Secret,
    /// Answer to the `hub.verify_token` handshake.
    pub verify_token: Secret,
    /// System-user token for Graph API calls (sending, media).
    pub access_token: Secret,
    pub phone_number_id: String,
    #[serde(default = "default_graph_base_url")]
    pub graph_base_url: String,
    #[serde(default = "default_graph_version")]
    pub graph_api_version: String,
}

fn default_graph_base_url() -> String {
    "https://graph.facebook.com".into()
}
fn default_graph_version() -> String {
    "v21.0".into()
}

/// A 360dialog number (NOTES §4): Meta's Cloud API behind 360dialog's host and API key.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dialog360Config {
    /// `D360-API-KEY` of the number.
    pub api_key: Secret,
    /// The number's `phone_number_id` (webhooks name it in `metadata`).
    pub phone_number_id: String,
    /// Sent by 360dialog in the `X-Bridge-Secret` header, registered with the webhook URL
    /// (`POST /v1/configs/webhook` with `headers`): 360dialog signs nothing itself.
    pub webhook_secret: Secret,
    #[serde(default = "default_360dialog_base_url")]
    pub api_base_url: String,
}

fn default_360dialog_base_url() -> String {
    "https://waba-v2.360dialog.io".into()
}

/// A Wazzup channel (NOTES §6).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WazzupConfig {
    /// The API key (Bearer on every API call).
    pub api_key: Secret,
    /// The WhatsApp channel the account answers through (`GET /v3/channels`).
    pub channel_id: String,
    /// The `crmKey` Wazzup sends back as `Authorization: Bearer …` on every webhook.
    pub crm_key: Secret,
    #[serde(default = "default_wazzup_base_url")]
    pub api_base_url: String,
}

fn default_wazzup_base_url() -> String {
    "https://api.wazzup24.com".into()
}

/// Per-account behaviour, kept in the store so an operator can change it without a redeploy.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// All of a user's messages go to one task; a completed task is reopened instead of replaced.
    pub single_task: bool,
    /// Task template for new conversation tasks (Planfix `template.id`).
    pub task_template_id: Option<i64>,
    /// Contact template for new contacts.
    pub contact_template_id: Option<i64>,
    /// Employees assigned to new tasks (Planfix user ids).
    pub assignee_user_ids: Vec<i64>,
    /// Status set when a completed task is reopened; default: the first active status of its process.
    pub reopen_status_id: Option<i64>,
    /// The employee (Planfix user id) shown as the author of what the company writes from its
    /// WhatsApp phone (Green-API, Wazzup, Meta coexistence); default: the bridge's own user.
    pub phone_author_user_id: Option<i64>,
    /// The Planfix scenario "task status changed" calls the bridge (`POST
    /// /planfix/{account}/task-status`, docs/planfix-setup.md), so a known conversation's task
    /// is taken as active unless that scenario reported it completed: one Planfix call per
    /// message instead of two. Off: the task's status is read before each message's comment.
    pub task_status_webhook: bool,
}
