//! Simulation mode: the demo accounts (one per provider, all on one simulated Planfix) and the
//! simulators they are wired to: Meta (`demo`), Twilio (`demo-twilio`), Green-API
//! (`demo-green`), 360dialog (`demo-360dialog`) and Wazzup (`demo-wazzup`).

use std::sync::Arc;

use bridge_core::config::{
    AccountConfig, Dialog360Config, GreenApiConfig, GreenApiFileSend, MetaConfig, PlanfixConfig, ProviderConfig,
    Secret, Settings, TwilioConfig, WazzupConfig,
};
use bridge_core::domain::AccountId;
use dialog360_sim::{Dialog360Sim, Dialog360SimConfig};
use green_api_sim::{GreenApiSim, GreenApiSimConfig};
use meta_sim::graph::{GraphSim, GraphSimConfig};
use meta_sim::webhook::Business;
use planfix_sim::{PlanfixSim, PlanfixSimConfig, SpecValidator};
use twilio_sim::{TwilioSim, TwilioSimConfig};
use wazzup_sim::{WazzupSim, WazzupSimConfig};

use crate::cli::{Provider, ServeArgs};

pub const DEMO_PLANFIX_TOKEN: &str = "demo-planfix-token";
pub const DEMO_PLANFIX_HOOK_SECRET: &str = "demo-planfix-hook-secret";

pub const DEMO_ACCOUNT: &str = "demo";
pub const DEMO_APP_SECRET: &str = "demo-meta-app-secret";
pub const DEMO_ACCESS_TOKEN: &str = "demo-graph-token";
pub const DEMO_PHONE_NUMBER_ID: &str = "100200300400500";

pub const DEMO_TWILIO_ACCOUNT: &str = "demo-twilio";
pub const DEMO_TWILIO_SID: &str = "AC00000000000000000000000000000001";
pub const DEMO_TWILIO_TOKEN: &str = "demo-twilio-auth-token-0123456789";
/// Twilio's WhatsApp sandbox number.
pub const DEMO_TWILIO_FROM: &str = "+14155238886";

pub const DEMO_GREEN_ACCOUNT: &str = "demo-green";
pub const DEMO_GREEN_INSTANCE: i64 = 1_101_000_001;
pub const DEMO_GREEN_TOKEN: &str = "demo-green-api-token";
pub const DEMO_GREEN_WID: &str = "79990001122@c.us";
/// The instance's `webhookUrlToken`: the demo never accepts unauthenticated Green-API webhooks.
pub const DEMO_GREEN_WEBHOOK_TOKEN: &str = "demo-green-webhook-token";

pub const DEMO_360_ACCOUNT: &str = "demo-360dialog";
pub const DEMO_360_API_KEY: &str = "demo-360dialog-api-key";
pub const DEMO_360_PHONE_NUMBER_ID: &str = "100200300400600";
pub const DEMO_360_DISPLAY_NUMBER: &str = "15550002222";
pub const DEMO_360_WABA_ID: &str = "200300400500700";
/// Registered with the webhook URL (`POST /v1/configs/webhook`), sent back as `X-Bridge-Secret`.
pub const DEMO_360_WEBHOOK_SECRET: &str = "demo-360dialog-webhook-secret";

pub const DEMO_WAZZUP_ACCOUNT: &str = "demo-wazzup";
pub const DEMO_WAZZUP_API_KEY: &str = "demo-wazzup-api-key";
pub const DEMO_WAZZUP_CHANNEL: &str = "00000000-0000-4000-8000-0000000000de";
/// The channel's own number (`plainId`).
pub const DEMO_WAZZUP_NUMBER: &str = "79990003344";
/// Wazzup's `crmKey`: every webhook carries it as `Authorization: Bearer …`.
pub const DEMO_WAZZUP_CRM_KEY: &str = "demo-wazzup-crm-key";

/// The demo account of a provider.
pub fn account_of(provider: Provider) -> &'static str {
    match provider {
        Provider::Meta => DEMO_ACCOUNT,
        Provider::Twilio => DEMO_TWILIO_ACCOUNT,
        Provider::GreenApi => DEMO_GREEN_ACCOUNT,
        Provider::Dialog360 => DEMO_360_ACCOUNT,
        Provider::Wazzup => DEMO_WAZZUP_ACCOUNT,
    }
}

pub fn demo_business() -> Business {
    Business {
        phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    }
}

/// The 360dialog demo number as its webhooks name it.
pub fn dialog360_business() -> Business {
    dialog360_sim::webhook::business(DEMO_360_PHONE_NUMBER_ID, DEMO_360_DISPLAY_NUMBER, DEMO_360_WABA_ID)
}

pub fn green_instance() -> green_api_sim::webhook::Instance {
    green_api_sim::webhook::Instance { id_instance: DEMO_GREEN_INSTANCE, wid: DEMO_GREEN_WID.into() }
}

fn planfix(base_url: &str) -> PlanfixConfig {
    PlanfixConfig {
        base_url: base_url.to_owned(),
        token: Secret::new(DEMO_PLANFIX_TOKEN),
        webhook_secret: Secret::new(DEMO_PLANFIX_HOOK_SECRET),
        // Real Planfix allows 1/s; the simulator is quicker so the demo does not drag.
        requests_per_second: 10.0,
    }
}

fn account(id: &str, planfix_base_url: &str, provider: ProviderConfig) -> AccountConfig {
    AccountConfig {
        id: AccountId::parse(id).expect("static id is valid"),
        planfix: planfix(planfix_base_url),
        provider,
        settings: Some(Settings::default()),
    }
}

/// The Meta demo account `demo`, wired to the simulators' URLs.
pub fn demo_account(planfix_base_url: &str, graph_base_url: &str) -> AccountConfig {
    let provider = ProviderConfig::Meta(MetaConfig {
        app_secret: Secret::new(DEMO_APP_SECRET),
        verify_token: Secret::new("demo-verify-token"),
        access_token: Secret::new(DEMO_ACCESS_TOKEN),
        phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
        graph_base_url: graph_base_url.to_owned(),
        graph_api_version: "v21.0".into(),
    });
    account(DEMO_ACCOUNT, planfix_base_url, provider)
}

/// The Twilio demo account `demo-twilio`.
pub fn demo_twilio_account(planfix_base_url: &str, twilio_base_url: &str) -> AccountConfig {
    let provider = ProviderConfig::Twilio(TwilioConfig {
        account_sid: DEMO_TWILIO_SID.into(),
        auth_token: Secret::new(DEMO_TWILIO_TOKEN),
        whatsapp_from: DEMO_TWILIO_FROM.into(),
        api_base_url: twilio_base_url.to_owned(),
        media_auth: true,
    });
    account(DEMO_TWILIO_ACCOUNT, planfix_base_url, provider)
}

/// The Green-API demo account `demo-green`; files go out by URL (the simulator fetches the
/// bridge's presigned `/blobs/…` link, as Green-API does).
pub fn demo_green_account(planfix_base_url: &str, green_base_url: &str) -> AccountConfig {
    let provider = ProviderConfig::GreenApi(GreenApiConfig {
        id_instance: DEMO_GREEN_INSTANCE,
        api_token_instance: Secret::new(DEMO_GREEN_TOKEN),
        api_url: green_base_url.to_owned(),
        media_url: None,
        webhook_url_token: Some(Secret::new(DEMO_GREEN_WEBHOOK_TOKEN)),
        allow_unauthenticated_webhooks: false,
        file_send: GreenApiFileSend::Url,
    });
    account(DEMO_GREEN_ACCOUNT, planfix_base_url, provider)
}

/// The 360dialog demo account `demo-360dialog`: the simulator posts its webhooks with the
/// `X-Bridge-Secret` header registered with the webhook URL.
pub fn demo_360_account(planfix_base_url: &str, dialog360_base_url: &str) -> AccountConfig {
    let provider = ProviderConfig::Dialog360(Dialog360Config {
        api_key: Secret::new(DEMO_360_API_KEY),
        phone_number_id: DEMO_360_PHONE_NUMBER_ID.into(),
        webhook_secret: Secret::new(DEMO_360_WEBHOOK_SECRET),
        api_base_url: dialog360_base_url.to_owned(),
    });
    account(DEMO_360_ACCOUNT, planfix_base_url, provider)
}

/// The Wazzup demo account `demo-wazzup`; files go out by URL (the simulator fetches the
/// bridge's presigned `/blobs/…` link as `contentUri`, as Wazzup does).
pub fn demo_wazzup_account(planfix_base_url: &str, wazzup_base_url: &str) -> AccountConfig {
    let provider = ProviderConfig::Wazzup(WazzupConfig {
        api_key: Secret::new(DEMO_WAZZUP_API_KEY),
        channel_id: DEMO_WAZZUP_CHANNEL.into(),
        crm_key: Secret::new(DEMO_WAZZUP_CRM_KEY),
        api_base_url: wazzup_base_url.to_owned(),
    });
    account(DEMO_WAZZUP_ACCOUNT, planfix_base_url, provider)
}

/// The running simulators of simulation mode. One Planfix for every demo account (like one
/// Planfix company with several WhatsApp numbers); a provider's simulator only when its demo
/// account is served.
pub struct Simulation {
    pub planfix: PlanfixSim,
    /// `http://…/rest`.
    pub planfix_url: String,
    pub meta: Option<GraphSim>,
    pub twilio: Option<TwilioSim>,
    pub green: Option<GreenApiSim>,
    pub dialog360: Option<Dialog360Sim>,
    pub wazzup: Option<WazzupSim>,
}

impl Simulation {
    /// Starts the Planfix simulator and one simulator per provider served.
    pub async fn start(args: &ServeArgs) -> Result<Self, String> {
        let spec = match &args.planfix_spec {
            Some(path) => Some(Arc::new(SpecValidator::from_file(path)?)),
            None => None,
        };
        let planfix = PlanfixSim::new(PlanfixSimConfig { token: DEMO_PLANFIX_TOKEN.into(), spec });
        let planfix_url = planfix.serve(Some(args.planfix_sim)).await.map_err(|e| format!("Planfix simulator: {e}"))?;
        let wanted = |p: Provider| args.provider.is_none_or(|only| only == p);
        let mut sim =
            Simulation { planfix, planfix_url, meta: None, twilio: None, green: None, dialog360: None, wazzup: None };
        if wanted(Provider::Meta) {
            let graph = GraphSim::new(GraphSimConfig {
                access_token: DEMO_ACCESS_TOKEN.into(),
                phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
            });
            graph.serve(Some(args.graph_sim)).await.map_err(|e| format!("Graph API simulator: {e}"))?;
            sim.meta = Some(graph);
        }
        if wanted(Provider::Twilio) {
            let twilio = TwilioSim::new(TwilioSimConfig {
                account_sid: DEMO_TWILIO_SID.into(),
                auth_token: DEMO_TWILIO_TOKEN.into(),
                whatsapp_from: DEMO_TWILIO_FROM.into(),
            });
            twilio.serve(Some(args.twilio_sim)).await.map_err(|e| format!("Twilio simulator: {e}"))?;
            sim.twilio = Some(twilio);
        }
        if wanted(Provider::GreenApi) {
            let green = GreenApiSim::new(GreenApiSimConfig {
                id_instance: DEMO_GREEN_INSTANCE,
                api_token: DEMO_GREEN_TOKEN.into(),
                wid: DEMO_GREEN_WID.into(),
            });
            green.serve(Some(args.green_api_sim)).await.map_err(|e| format!("Green-API simulator: {e}"))?;
            sim.green = Some(green);
        }
        if wanted(Provider::Dialog360) {
            let d360 = Dialog360Sim::new(Dialog360SimConfig {
                api_key: DEMO_360_API_KEY.into(),
                phone_number_id: DEMO_360_PHONE_NUMBER_ID.into(),
            });
            d360.set_business(DEMO_360_DISPLAY_NUMBER, DEMO_360_WABA_ID);
            d360.serve(Some(args.dialog360_sim)).await.map_err(|e| format!("360dialog simulator: {e}"))?;
            sim.dialog360 = Some(d360);
        }
        if wanted(Provider::Wazzup) {
            let channel = wazzup_sim::Channel {
                channel_id: DEMO_WAZZUP_CHANNEL.into(),
                transport: "whatsapp".into(),
                plain_id: DEMO_WAZZUP_NUMBER.into(),
                state: "active".into(),
            };
            let wazzup =
                WazzupSim::new(WazzupSimConfig { api_key: DEMO_WAZZUP_API_KEY.into(), channels: vec![channel] });
            wazzup.serve(Some(args.wazzup_sim)).await.map_err(|e| format!("Wazzup simulator: {e}"))?;
            sim.wazzup = Some(wazzup);
        }
        Ok(sim)
    }

    /// Whether the provider's demo account is served.
    pub fn serves(&self, provider: Provider) -> bool {
        match provider {
            Provider::Meta => self.meta.is_some(),
            Provider::Twilio => self.twilio.is_some(),
            Provider::GreenApi => self.green.is_some(),
            Provider::Dialog360 => self.dialog360.is_some(),
            Provider::Wazzup => self.wazzup.is_some(),
        }
    }

    /// The base URL of the provider's simulator, when served.
    pub fn api_url(&self, provider: Provider) -> Option<String> {
        match provider {
            Provider::Meta => self.meta.as_ref()?.base_url(),
            Provider::Twilio => self.twilio.as_ref()?.base_url(),
            Provider::GreenApi => self.green.as_ref()?.base_url(),
            Provider::Dialog360 => self.dialog360.as_ref()?.base_url(),
            Provider::Wazzup => self.wazzup.as_ref()?.base_url(),
        }
    }

    /// The providers served, in the order of [`Provider::ALL`].
    pub fn providers(&self) -> Vec<Provider> {
        Provider::ALL.into_iter().filter(|p| self.serves(*p)).collect()
    }

    pub fn account_ids(&self) -> Vec<AccountId> {
        self.providers().into_iter().map(|p| AccountId::parse(account_of(p)).expect("static id is valid")).collect()
    }

    /// The demo accounts, pointing at the simulators.
    pub fn accounts(&self) -> Vec<AccountConfig> {
        let url = |base: Option<String>| base.unwrap_or_default();
        let mut out = Vec::new();
        if let Some(graph) = &self.meta {
            out.push(demo_account(&self.planfix_url, &url(graph.base_url())));
        }
        if let Some(twilio) = &self.twilio {
            out.push(demo_twilio_account(&self.planfix_url, &url(twilio.base_url())));
        }
        if let Some(green) = &self.green {
            out.push(demo_green_account(&self.planfix_url, &url(green.base_url())));
        }
        if let Some(d360) = &self.dialog360 {
            out.push(demo_360_account(&self.planfix_url, &url(d360.base_url())));
        }
        if let Some(wazzup) = &self.wazzup {
            out.push(demo_wazzup_account(&self.planfix_url, &url(wazzup.base_url())));
        }
        out
    }

    /// Lets the simulators call the bridge at `bridge_url` (the local public URL) by themselves,
    /// as the real providers do: Twilio posts each send's status callbacks to the URL the send
    /// named (`…/webhooks/twilio/demo-twilio/status`), Green-API posts its echoes and statuses to
    /// the instance's webhook URL with its token, 360dialog its statuses to the webhook URL
    /// registered with `POST /v1/configs/webhook` with the `X-Bridge-Secret` header, Wazzup its
    /// echoes and statuses to the `webhooksUri` with `Authorization: Bearer <crmKey>`.
    pub async fn call_the_bridge(&self, bridge_url: &str) -> Result<(), String> {
        let base = bridge_url.trim_end_matches('/');
        if let Some(twilio) = &self.twilio {
            twilio.deliver_callbacks(true);
        }
        if let Some(green) = &self.green {
            let url = format!("{base}/webhooks/green-api/{DEMO_GREEN_ACCOUNT}");
            green.deliver_webhooks(Some((url, Some(DEMO_GREEN_WEBHOOK_TOKEN.to_owned()))));
        }
        if let Some(d360) = &self.dialog360 {
            // What an operator does once per number (the simulator keeps no other way to set it).
            let api = d360.base_url().unwrap_or_default();
            let config = serde_json::json!({
                "url": format!("{base}/webhooks/360dialog/{DEMO_360_ACCOUNT}"),
                "headers": { "X-Bridge-Secret": DEMO_360_WEBHOOK_SECRET },
            });
            let resp = reqwest::Client::new()
                .post(format!("{api}/v1/configs/webhook"))
                .header("D360-API-KEY", DEMO_360_API_KEY)
                .json(&config)
                .send()
                .await
                .map_err(|e| format!("360dialog simulator: cannot set the webhook URL: {e}"))?;
            if !resp.status().is_success() {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                return Err(format!("360dialog simulator refused the webhook URL ({status}): {body}"));
            }
            d360.deliver_webhooks(true);
        }
        if let Some(wazzup) = &self.wazzup {
            // Set directly: `PATCH /v3/webhooks` would probe the bridge, which is not serving yet.
            let url = format!("{base}/webhooks/wazzup/{DEMO_WAZZUP_ACCOUNT}");
            wazzup.deliver_webhooks(Some((url, Some(DEMO_WAZZUP_CRM_KEY.to_owned()))));
        }
        Ok(())
    }
}
