//! Simulation mode: the demo accounts (one per provider, all on one simulated Planfix) and the
//! simulators they are wired to.

use std::sync::Arc;

use bridge_core::config::{
    AccountConfig, GreenApiConfig, GreenApiFileSend, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings,
    TwilioConfig,
};
use bridge_core::domain::AccountId;
use green_api_sim::{GreenApiSim, GreenApiSimConfig};
use meta_sim::graph::{GraphSim, GraphSimConfig};
use meta_sim::webhook::Business;
use planfix_sim::{PlanfixSim, PlanfixSimConfig, SpecValidator};
use twilio_sim::{TwilioSim, TwilioSimConfig};

use crate::cli::{Provider, ServeArgs};

pub const DEMO_PLANFIX_TOKEN: &str = "demo-planfix-token";
pub const DEMO_PLANFIX_HOOK_SECRET: &str = "demo-planfix-hook-secret";

pub const DEMO_ACCOUNT: &str = "demo";
pub const DEMO_APP_SECRET: &str = "demo-app-secret";
pub const DEMO_ACCESS_TOKEN: &str = "demo-graph-token";
pub const DEMO_PHONE_NUMBER_ID: &str = "100200300400500";

pub const DEMO_TWILIO_ACCOUNT: &str = "demo-twilio";
pub const DEMO_TWILIO_SID: &str = "AC00000000000000000000000000000001";
pub const DEMO_TWILIO_TOKEN: &str = "demo-twilio-auth-token";
/// Twilio's WhatsApp sandbox number.
pub const DEMO_TWILIO_FROM: &str = "+14155238886";

pub const DEMO_GREEN_ACCOUNT: &str = "demo-green";
pub const DEMO_GREEN_INSTANCE: i64 = 1_101_000_001;
pub const DEMO_GREEN_TOKEN: &str = "demo-green-api-token";
pub const DEMO_GREEN_WID: &str = "79990001122@c.us";
/// The instance's `webhookUrlToken`: the demo never accepts unauthenticated Green-API webhooks.
pub const DEMO_GREEN_WEBHOOK_TOKEN: &str = "demo-green-webhook-token";

/// The demo account of a provider.
pub fn account_of(provider: Provider) -> &'static str {
    match provider {
        Provider::Meta => DEMO_ACCOUNT,
        Provider::Twilio => DEMO_TWILIO_ACCOUNT,
        Provider::GreenApi => DEMO_GREEN_ACCOUNT,
    }
}

pub fn demo_business() -> Business {
    Business {
        phone_number_id: DEMO_PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    }
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
        let mut sim = Simulation { planfix, planfix_url, meta: None, twilio: None, green: None };
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
        Ok(sim)
    }

    /// The providers served, in the order Meta, Twilio, Green-API.
    pub fn providers(&self) -> Vec<Provider> {
        let mut out = Vec::new();
        if self.meta.is_some() {
            out.push(Provider::Meta);
        }
        if self.twilio.is_some() {
            out.push(Provider::Twilio);
        }
        if self.green.is_some() {
            out.push(Provider::GreenApi);
        }
        out
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
        out
    }

    /// Lets the simulators call the bridge at `bridge_url` (the local public URL) by themselves,
    /// as the real providers do: Twilio posts each send's status callbacks to the URL the send
    /// named (`…/webhooks/twilio/demo-twilio/status`), Green-API posts its echoes and statuses to
    /// the instance's webhook URL with its token.
    pub fn call_the_bridge(&self, bridge_url: &str) {
        if let Some(twilio) = &self.twilio {
            twilio.deliver_callbacks(true);
        }
        if let Some(green) = &self.green {
            let url = format!("{}/webhooks/green-api/{DEMO_GREEN_ACCOUNT}", bridge_url.trim_end_matches('/'));
            green.deliver_webhooks(Some((url, Some(DEMO_GREEN_WEBHOOK_TOKEN.to_owned()))));
        }
    }
}
