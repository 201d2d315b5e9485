//! One driver per WhatsApp provider for the provider contract test: it starts the provider's
//! simulator, configures an account on it, builds that provider's webhooks exactly as the
//! provider would (signed, or with its token), and reads back what the provider sent to the
//! customer. The scenarios in `provider_contract.rs` are written once against this.

use bytes::Bytes;
use http::Request;
use serde_json::Value;

use bridge_core::config::{
    Dialog360Config, GreenApiConfig, GreenApiFileSend, MetaConfig, ProviderConfig, Secret, TwilioConfig, WazzupConfig,
};
use dialog360_sim::{Dialog360Sim, Dialog360SimConfig};
use green_api_sim::webhook::Chat;
use green_api_sim::{GreenApiSim, GreenApiSimConfig};
use meta_sim::webhook::{Business, Sender};
use meta_sim::{GraphSim, GraphSimConfig};
use twilio_sim::{TwilioSim, TwilioSimConfig};
use wazzup_sim::{WazzupSim, WazzupSimConfig};

use crate::{APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, PUBLIC_URL, VERIFY_TOKEN};

pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "test-twilio-auth-token-0123456789";
pub const TWILIO_FROM: &str = "+14155238886";
pub const GREEN_INSTANCE: i64 = 1_101_000_001;
pub const GREEN_TOKEN: &str = "test-green-api-instance-token-0123456789";
pub const GREEN_HOOK_TOKEN: &str = "test-green-webhook-url-token";
pub const GREEN_WID: &str = "79990001122@c.us";
pub const D360_KEY: &str = "test-360dialog-api-key";
pub const D360_SECRET: &str = "test-360dialog-webhook-secret";
pub const WAZZUP_KEY: &str = "test-wazzup-api-key";
pub const WAZZUP_CRM_KEY: &str = "test-wazzup-crm-key-0123456789";
pub const WAZZUP_CHANNEL: &str = "00000000-0000-4000-8000-000000000001";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Meta,
    Twilio,
    GreenApi,
    Dialog360,
    Wazzup,
}

/// A file the provider delivered to the customer.
#[derive(Debug, Clone)]
pub struct SentFile {
    pub to: String,
    pub bytes: Vec<u8>,
    pub name: Option<String>,
}

pub enum Driver {
    Meta(GraphSim),
    Twilio(TwilioSim),
    GreenApi(GreenApiSim),
    Dialog360(Dialog360Sim),
    Wazzup(WazzupSim),
}

fn business() -> Business {
    Business {
        phone_number_id: PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    }
}

fn request(path: &str, content_type: &str, headers: &[(&str, String)], body: Vec<u8>) -> Request<Bytes> {
    let mut req = Request::post(path).header("content-type", content_type);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.body(Bytes::from(body)).expect("request builds")
}

impl Driver {
    pub async fn start(kind: Kind) -> Self {
        match kind {
            Kind::Meta => {
                let sim = GraphSim::new(GraphSimConfig {
                    access_token: GRAPH_TOKEN.into(),
                    phone_number_id: PHONE_NUMBER_ID.into(),
                });
                sim.serve(None).await.expect("graph sim starts");
                Driver::Meta(sim)
            }
            Kind::Twilio => {
                let sim = TwilioSim::new(TwilioSimConfig {
                    account_sid: TWILIO_SID.into(),
                    auth_token: TWILIO_TOKEN.into(),
                    whatsapp_from: TWILIO_FROM.into(),
                });
                sim.serve(None).await.expect("twilio sim starts");
                Driver::Twilio(sim)
            }
            Kind::GreenApi => {
                let sim = GreenApiSim::new(GreenApiSimConfig {
                    id_instance: GREEN_INSTANCE,
                    api_token: GREEN_TOKEN.into(),
                    wid: GREEN_WID.into(),
                });
                sim.serve(None).await.expect("green-api sim starts");
                Driver::GreenApi(sim)
            }
            Kind::Dialog360 => {
                let sim = Dialog360Sim::new(Dialog360SimConfig {
                    api_key: D360_KEY.into(),
                    phone_number_id: PHONE_NUMBER_ID.into(),
                });
                sim.serve(None).await.expect("360dialog sim starts");
                Driver::Dialog360(sim)
            }
            Kind::Wazzup => {
                let channel = wazzup_sim::Channel {
                    channel_id: WAZZUP_CHANNEL.into(),
                    transport: "whatsapp".into(),
                    plain_id: "79990001122".into(),
                    state: "active".into(),
                };
                let sim = WazzupSim::new(WazzupSimConfig { api_key: WAZZUP_KEY.into(), channels: vec![channel] });
                sim.serve(None).await.expect("wazzup sim starts");
                Driver::Wazzup(sim)
            }
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Driver::Meta(_) => Kind::Meta,
            Driver::Twilio(_) => Kind::Twilio,
            Driver::GreenApi(_) => Kind::GreenApi,
            Driver::Dialog360(_) => Kind::Dialog360,
            Driver::Wazzup(_) => Kind::Wazzup,
        }
    }

    /// The account's provider section, pointing at the simulator.
    pub fn provider_config(&self) -> ProviderConfig {
        match self {
            Driver::Meta(sim) => ProviderConfig::Meta(MetaConfig {
                app_secret: Secret::new(APP_SECRET),
                verify_token: Secret::new(VERIFY_TOKEN),
                access_token: Secret::new(GRAPH_TOKEN),
                phone_number_id: PHONE_NUMBER_ID.into(),
                graph_base_url: sim.base_url().expect("served"),
                graph_api_version: "v21.0".into(),
            }),
            Driver::Twilio(sim) => ProviderConfig::Twilio(TwilioConfig {
                account_sid: TWILIO_SID.into(),
                auth_token: Secret::new(TWILIO_TOKEN),
                whatsapp_from: TWILIO_FROM.into(),
                api_base_url: sim.base_url().expect("served"),
                media_auth: true,
            }),
            Driver::GreenApi(sim) => ProviderConfig::GreenApi(GreenApiConfig {
                id_instance: GREEN_INSTANCE,
                api_token_instance: Secret::new(GREEN_TOKEN),
                api_url: sim.base_url().expect("served"),
                media_url: None,
                webhook_url_token: Some(Secret::new(GREEN_HOOK_TOKEN)),
                allow_unauthenticated_webhooks: false,
                file_send: GreenApiFileSend::Url,
            }),
            Driver::Dialog360(sim) => ProviderConfig::Dialog360(Dialog360Config {
                api_key: Secret::new(D360_KEY),
                phone_number_id: PHONE_NUMBER_ID.into(),
                webhook_secret: Secret::new(D360_SECRET),
                api_base_url: sim.base_url().expect("served"),
            }),
            Driver::Wazzup(sim) => ProviderConfig::Wazzup(WazzupConfig {
                api_key: Secret::new(WAZZUP_KEY),
                channel_id: WAZZUP_CHANNEL.into(),
                crm_key: Secret::new(WAZZUP_CRM_KEY),
                api_base_url: sim.base_url().expect("served"),
            }),
        }
    }

    /// A fresh message id in the provider's own shape.
    pub fn new_id(&self) -> String {
        let hex = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        match self {
            Driver::Meta(_) | Driver::Dialog360(_) => format!("wamid.HBgL{hex}"),
            Driver::Wazzup(_) => uuid::Uuid::new_v4().to_string(),
            Driver::Twilio(_) => twilio_sim::webhook::message_sid(false),
            Driver::GreenApi(_) => hex,
        }
    }

    fn path(&self) -> &'static str {
        match self {
            Driver::Meta(_) => "/webhooks/meta/acme",
            Driver::Twilio(_) => "/webhooks/twilio/acme",
            Driver::GreenApi(_) => "/webhooks/green-api/acme",
            Driver::Dialog360(_) => "/webhooks/360dialog/acme",
            Driver::Wazzup(_) => "/webhooks/wazzup/acme",
        }
    }

    fn d360_request(&self, body: &Value) -> Request<Bytes> {
        request(
            self.path(),
            "application/json",
            &[("x-bridge-secret", D360_SECRET.to_owned())],
            body.to_string().into_bytes(),
        )
    }

    fn wazzup_request(&self, body: &Value) -> Request<Bytes> {
        let auth = ("authorization", format!("Bearer {WAZZUP_CRM_KEY}"));
        // Wazzup's documented content type, typo included.
        request(self.path(), "application/json; charset-utf-8", &[auth], body.to_string().into_bytes())
    }

    fn wazzup_chat(from: &str, name: &str) -> wazzup_sim::webhook::Chat {
        wazzup_sim::webhook::Chat { channel_id: WAZZUP_CHANNEL.into(), chat_id: from.into(), name: name.into() }
    }

    fn iso(ts: i64) -> String {
        time_iso(ts)
    }

    fn twilio_request(path: &str, params: &[(String, String)]) -> Request<Bytes> {
        let signature = twilio_sim::webhook::sign(TWILIO_TOKEN, &format!("{PUBLIC_URL}{path}"), params);
        let body = twilio_sim::webhook::encode(params).into_bytes();
        request(path, "application/x-www-form-urlencoded", &[("x-twilio-signature", signature)], body)
    }

    fn green_request(&self, body: &Value) -> Request<Bytes> {
        let auth = ("authorization", format!("Bearer {GREEN_HOOK_TOKEN}"));
        request(self.path(), "application/json", &[auth], body.to_string().into_bytes())
    }

    fn meta_request(&self, body: &Value) -> Request<Bytes> {
        let (bytes, signature) = meta_sim::webhook::signed_body(APP_SECRET.as_bytes(), body);
        request(self.path(), "application/json", &[("x-hub-signature-256", signature)], bytes)
    }

    /// The customer's text message, as the provider delivers it.
    pub fn text(&self, from: &str, name: &str, id: &str, ts: i64, text: &str) -> Request<Bytes> {
        match self {
            Driver::Meta(_) => {
                let sender = Sender { wa_id: from.into(), profile_name: name.into() };
                self.meta_request(&meta_sim::webhook::text_message(&business(), &sender, id, ts, text))
            }
            Driver::Twilio(_) => {
                let inbound = twilio_sim::webhook::Inbound {
                    account_sid: TWILIO_SID.into(),
                    from: format!("+{from}"),
                    to: TWILIO_FROM.into(),
                    profile_name: Some(name.into()),
                };
                Self::twilio_request(self.path(), &twilio_sim::webhook::text(&inbound, id, text))
            }
            Driver::GreenApi(sim) => {
                let chat = Chat { chat_id: format!("{from}@c.us"), sender_name: name.into() };
                self.green_request(&green_api_sim::webhook::incoming_text(&sim.instance(), &chat, id, ts, text))
            }
            Driver::Dialog360(sim) => {
                let sender = Sender { wa_id: from.into(), profile_name: name.into() };
                self.d360_request(&dialog360_sim::webhook::text(&sim.business(), &sender, id, ts, text))
            }
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(from, name);
                self.wazzup_request(&wazzup_sim::webhook::inbound_text(&chat, id, &Self::iso(ts), text))
            }
        }
    }

    /// The customer's file (a document, or an image by its type), stored in the simulator first.
    pub fn media(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        bytes: Vec<u8>,
        mime: &str,
        name: &str,
        caption: &str,
    ) -> Request<Bytes> {
        let kind = if mime.starts_with("image/") { "image" } else { "document" };
        match self {
            Driver::Meta(sim) => {
                let media_id = sim.add_media(bytes, mime);
                let sender = Sender { wa_id: from.into(), profile_name: "Customer".into() };
                let filename = Some(name).filter(|_| kind == "document");
                let body = meta_sim::webhook::media_message(
                    &business(),
                    &sender,
                    id,
                    ts,
                    kind,
                    &media_id,
                    mime,
                    Some(caption).filter(|c| !c.is_empty()),
                    filename,
                    false,
                );
                self.meta_request(&body)
            }
            Driver::Twilio(sim) => {
                let url = sim.add_message_media(id, bytes, mime);
                let inbound = twilio_sim::webhook::Inbound {
                    account_sid: TWILIO_SID.into(),
                    from: format!("+{from}"),
                    to: TWILIO_FROM.into(),
                    profile_name: None,
                };
                Self::twilio_request(
                    self.path(),
                    &twilio_sim::webhook::media(&inbound, id, caption, &[(url, mime.into())]),
                )
            }
            Driver::GreenApi(sim) => {
                let url = sim.add_media(bytes, mime);
                let chat = Chat { chat_id: format!("{from}@c.us"), sender_name: "Customer".into() };
                let type_message = if kind == "image" { "imageMessage" } else { "documentMessage" };
                let caption = Some(caption).filter(|c| !c.is_empty());
                let body = green_api_sim::webhook::incoming_file(
                    &sim.instance(),
                    &chat,
                    id,
                    ts,
                    type_message,
                    &url,
                    mime,
                    name,
                    caption,
                );
                self.green_request(&body)
            }
            Driver::Dialog360(sim) => {
                let media_id = sim.add_media(bytes, mime);
                let sender = Sender { wa_id: from.into(), profile_name: "Customer".into() };
                let filename = Some(name).filter(|_| kind == "document");
                let caption = Some(caption).filter(|c| !c.is_empty());
                let body = dialog360_sim::webhook::media(
                    &sim.business(),
                    &sender,
                    id,
                    ts,
                    kind,
                    &media_id,
                    mime,
                    caption,
                    filename,
                    false,
                );
                self.d360_request(&body)
            }
            Driver::Wazzup(sim) => {
                let uri = sim.add_media(bytes, mime, name);
                let chat = Self::wazzup_chat(from, "Customer");
                let caption = Some(caption).filter(|c| !c.is_empty());
                self.wazzup_request(&wazzup_sim::webhook::inbound_media(&chat, id, &Self::iso(ts), kind, &uri, caption))
            }
        }
    }

    /// What the company wrote to customer `to` from the WhatsApp phone itself, as the provider
    /// reports it; None for providers that do not (Twilio). Meta and 360dialog: the
    /// `smb_message_echoes` field of a number in coexistence with the Business app.
    pub fn phone_message(&self, to: &str, id: &str, ts: i64, text: &str) -> Option<Request<Bytes>> {
        let echo = |biz: &Business| {
            serde_json::json!({
                "object": "whatsapp_business_account",
                "entry": [{
                    "id": biz.waba_id,
                    "changes": [{
                        "field": "smb_message_echoes",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": { "display_phone_number": biz.display_phone_number, "phone_number_id": biz.phone_number_id },
                            "message_echoes": [{
                                "from": biz.display_phone_number,
                                "to": format!("+{to}"),
                                "id": id,
                                "timestamp": ts.to_string(),
                                "type": "text",
                                "text": { "body": text },
                            }],
                        },
                    }],
                }],
            })
        };
        match self {
            Driver::Meta(_) => Some(self.meta_request(&echo(&business()))),
            Driver::Dialog360(sim) => Some(self.d360_request(&echo(&sim.business()))),
            Driver::Twilio(_) => None,
            Driver::GreenApi(sim) => {
                let chat = Chat { chat_id: format!("{to}@c.us"), sender_name: "Customer".into() };
                Some(self.green_request(&green_api_sim::webhook::outgoing_from_phone(
                    &sim.instance(),
                    &chat,
                    id,
                    ts,
                    text,
                )))
            }
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(to, "Customer");
                let body = wazzup_sim::webhook::echo_from_phone(&chat, id, &Self::iso(ts), text, "Manager");
                Some(self.wazzup_request(&body))
            }
        }
    }

    /// The same request without the provider's authentication.
    pub fn unauthenticated(&self, req: &Request<Bytes>) -> Request<Bytes> {
        let mut out = Request::post(req.uri().clone()).body(req.body().clone()).expect("request builds");
        for (name, value) in req.headers() {
            if !matches!(
                name.as_str(),
                "x-hub-signature-256" | "x-twilio-signature" | "authorization" | "x-bridge-secret"
            ) {
                out.headers_mut().insert(name.clone(), value.clone());
            }
        }
        out
    }

    /// A request to the same route with another body, authenticated as the provider would (a
    /// Twilio body is a form; the others JSON).
    pub fn resigned(&self, req: &Request<Bytes>, body: Vec<u8>) -> Request<Bytes> {
        let content_type =
            req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/json");
        let auth = match self {
            Driver::Meta(_) => ("x-hub-signature-256", meta_sim::webhook::sign(APP_SECRET.as_bytes(), &body)),
            Driver::Twilio(_) => {
                let params = twilio_sim::webhook::parse(std::str::from_utf8(&body).unwrap_or(""));
                let url = format!("{PUBLIC_URL}{}", req.uri().path());
                ("x-twilio-signature", twilio_sim::webhook::sign(TWILIO_TOKEN, &url, &params))
            }
            Driver::GreenApi(_) => ("authorization", format!("Bearer {GREEN_HOOK_TOKEN}")),
            Driver::Dialog360(_) => ("x-bridge-secret", D360_SECRET.to_owned()),
            Driver::Wazzup(_) => ("authorization", format!("Bearer {WAZZUP_CRM_KEY}")),
        };
        request(req.uri().path(), content_type, &[auth], body)
    }

    /// The same request with a signature or token made with the wrong key.
    pub fn forged(&self, req: &Request<Bytes>) -> Request<Bytes> {
        let mut out = self.unauthenticated(req);
        let (name, value) = match self {
            Driver::Meta(_) => ("x-hub-signature-256", meta_sim::webhook::sign(b"not-the-app-secret", req.body())),
            Driver::Twilio(_) => {
                let params = twilio_sim::webhook::parse(std::str::from_utf8(req.body()).unwrap_or(""));
                let url = format!("{PUBLIC_URL}{}", req.uri().path());
                ("x-twilio-signature", twilio_sim::webhook::sign("not-the-auth-token", &url, &params))
            }
            Driver::GreenApi(_) => ("authorization", "Bearer not-the-webhook-token".to_owned()),
            Driver::Dialog360(_) => ("x-bridge-secret", "not-the-webhook-secret".to_owned()),
            Driver::Wazzup(_) => ("authorization", "Bearer not-the-crm-key".to_owned()),
        };
        out.headers_mut().insert(name, value.parse().expect("header value"));
        out
    }

    /// Texts the provider accepted for the customer: (recipient digits, text).
    pub fn sent_texts(&self) -> Vec<(String, String)> {
        match self {
            Driver::Meta(sim) => {
                sim.sent().iter().filter_map(|m| m.text().map(|t| (m.to.clone(), t.to_owned()))).collect()
            }
            Driver::Twilio(sim) => sim
                .sent()
                .iter()
                .filter(|m| m.media.is_none())
                .filter_map(|m| m.body.clone().map(|b| (digits(&m.to), b)))
                .collect(),
            Driver::GreenApi(sim) => {
                sim.sent().iter().filter_map(|m| m.message.clone().map(|t| (digits(&m.chat_id), t))).collect()
            }
            Driver::Dialog360(sim) => {
                sim.sent().iter().filter_map(|m| m.text().map(|t| (m.to.clone(), t.to_owned()))).collect()
            }
            Driver::Wazzup(sim) => {
                sim.sent().iter().filter_map(|m| m.text.clone().map(|t| (m.chat_id.clone(), t))).collect()
            }
        }
    }

    /// The message each accepted text answers (its reply context), in the order of
    /// [`Driver::sent_texts`]; Twilio has none.
    pub fn sent_reply_contexts(&self) -> Vec<Option<String>> {
        match self {
            Driver::Meta(sim) => {
                sim.sent().iter().filter(|m| m.text().is_some()).map(|m| m.reply_to().map(str::to_owned)).collect()
            }
            Driver::Twilio(sim) => {
                sim.sent().iter().filter(|m| m.media.is_none() && m.body.is_some()).map(|_| None).collect()
            }
            Driver::GreenApi(sim) => {
                sim.sent().iter().filter(|m| m.message.is_some()).map(|m| m.quoted.clone()).collect()
            }
            Driver::Dialog360(sim) => {
                sim.sent().iter().filter(|m| m.text().is_some()).map(|m| m.reply_to().map(str::to_owned)).collect()
            }
            Driver::Wazzup(sim) => {
                sim.sent().iter().filter(|m| m.text.is_some()).map(|m| m.ref_message_id.clone()).collect()
            }
        }
    }

    /// Files the provider delivered to the customer.
    pub fn sent_files(&self) -> Vec<SentFile> {
        match self {
            Driver::Meta(sim) => sim
                .sent()
                .iter()
                .filter(|m| m.kind != "text")
                .filter_map(|m| {
                    let media = m.body.get(&m.kind)?;
                    let id = media.get("id")?.as_str()?;
                    Some(SentFile {
                        to: m.to.clone(),
                        bytes: sim.media_bytes(id)?,
                        name: media.get("filename").and_then(Value::as_str).map(str::to_owned),
                    })
                })
                .collect(),
            Driver::Twilio(sim) => sim
                .sent()
                .iter()
                .filter_map(|m| {
                    let media = m.media.as_ref()?;
                    Some(SentFile { to: digits(&m.to), bytes: media.bytes.clone(), name: media.filename.clone() })
                })
                .collect(),
            Driver::GreenApi(sim) => sim
                .sent()
                .iter()
                .filter_map(|m| {
                    let file = m.file.as_ref()?;
                    Some(SentFile {
                        to: digits(&m.chat_id),
                        bytes: file.bytes.clone(),
                        name: Some(file.file_name.clone()),
                    })
                })
                .collect(),
            Driver::Dialog360(sim) => sim
                .sent()
                .iter()
                .filter(|m| m.kind != "text")
                .filter_map(|m| {
                    let media = m.body.get(&m.kind)?;
                    let id = media.get("id")?.as_str()?;
                    Some(SentFile {
                        to: m.to.clone(),
                        bytes: sim.media_bytes(id)?,
                        name: media.get("filename").and_then(Value::as_str).map(str::to_owned),
                    })
                })
                .collect(),
            Driver::Wazzup(sim) => sim
                .sent()
                .iter()
                .filter_map(|m| {
                    let (bytes, _, name) = m.content.clone()?;
                    Some(SentFile { to: m.chat_id.clone(), bytes, name })
                })
                .collect(),
        }
    }

    /// Requests the bridge made to the provider's API so far (any endpoint, any answer).
    pub fn provider_requests(&self) -> usize {
        match self {
            Driver::Meta(sim) => sim.requests().len(),
            Driver::Twilio(sim) => sim.requests().len(),
            Driver::GreenApi(sim) => sim.requests().len(),
            Driver::Dialog360(sim) => sim.requests().len(),
            Driver::Wazzup(sim) => sim.requests().len(),
        }
    }

    /// Makes replies to `to` fail the way this provider fails them: Meta refuses at once (window
    /// closed), Twilio accepts and reports 63016 in a status callback, Green-API accepts and
    /// reports `noAccount` (its standard product has no 24-hour window).
    pub fn make_undeliverable(&self, to: &str) {
        match self {
            Driver::Meta(sim) => sim.fail_for_recipient(to, 131047, 400),
            Driver::Twilio(sim) => sim.fail_for_recipient_async(&format!("+{to}"), 63016),
            Driver::GreenApi(sim) => sim.fail_for_recipient(to, "noAccount"),
            Driver::Dialog360(sim) => sim.fail_for_recipient(to, 131047, 400),
            Driver::Wazzup(sim) => sim.fail_for_recipient(to, "24_HOURS_EXCEEDED", "24 hours passed"),
        }
    }

    /// What the words of the note for an undeliverable reply say, per provider.
    pub fn undeliverable_words(&self) -> &'static str {
        match self {
            Driver::Meta(_) | Driver::Twilio(_) | Driver::Dialog360(_) | Driver::Wazzup(_) => "24 hours",
            Driver::GreenApi(_) => "may not use WhatsApp",
        }
    }

    /// Everything the provider would POST back after the bridge's sends (statuses, and for
    /// Green-API the echoes of the bridge's own sends), as requests to the bridge's routes.
    /// Meta's simulator keeps no callbacks: `sent` and `delivered` are built for each send.
    pub fn callbacks(&self, since: usize) -> Vec<Request<Bytes>> {
        match self {
            Driver::Meta(sim) => sim
                .sent()
                .iter()
                .skip(since)
                .flat_map(|m| {
                    ["sent", "delivered"].map(|state| {
                        let body =
                            meta_sim::webhook::status_update(&business(), &m.to, &m.wamid, state, 1_700_000_100, None);
                        self.meta_request(&body)
                    })
                })
                .collect(),
            Driver::Twilio(sim) => sim
                .take_callbacks()
                .into_iter()
                .map(|cb| {
                    let path = cb.url.strip_prefix(PUBLIC_URL).expect("callbacks go to the public URL").to_owned();
                    let body = twilio_sim::webhook::encode(&cb.params).into_bytes();
                    request(&path, "application/x-www-form-urlencoded", &[("x-twilio-signature", cb.signature)], body)
                })
                .collect(),
            Driver::GreenApi(sim) => sim.take_webhooks().iter().map(|w| self.green_request(w)).collect(),
            Driver::Dialog360(sim) => sim.take_webhooks().iter().map(|w| self.d360_request(w)).collect(),
            Driver::Wazzup(sim) => sim.take_webhooks().iter().map(|w| self.wazzup_request(w)).collect(),
        }
    }

    /// The status a provider answers a refused webhook with: 401, except 360dialog, whose
    /// secret answers exactly like an unknown account (404).
    /// Every provider: one answer for an unknown account and a failed check alike.
    pub fn refused_status(&self) -> u16 {
        401
    }
}

/// The message kinds beyond text and files (`message_kinds.rs`), each built as the provider
/// documents it; None where the provider does not carry the kind (the report of step 10 names
/// the page for each).
impl Driver {
    fn kind_sender(from: &str) -> Sender {
        Sender { wa_id: from.into(), profile_name: "Customer".into() }
    }

    fn kind_twilio_inbound(from: &str) -> twilio_sim::webhook::Inbound {
        twilio_sim::webhook::Inbound {
            account_sid: TWILIO_SID.into(),
            from: format!("+{from}"),
            to: TWILIO_FROM.into(),
            profile_name: Some("Customer".into()),
        }
    }

    fn kind_green_chat(from: &str) -> Chat {
        Chat { chat_id: format!("{from}@c.us"), sender_name: "Customer".into() }
    }

    /// A vCard 3.0 of a card, as WhatsApp shares one (`FN`, `TEL;type=CELL`, `EMAIL`, `ORG`).
    fn kind_vcard(card: &bridge_core::domain::ContactCard) -> String {
        let mut lines = vec!["BEGIN:VCARD".to_owned(), "VERSION:3.0".to_owned(), format!("FN:{}", card.name)];
        lines.extend(card.phones.iter().map(|p| format!("TEL;type=CELL:{p}")));
        lines.extend(card.emails.iter().map(|e| format!("EMAIL;type=INTERNET:{e}")));
        lines.extend(card.organization.iter().map(|o| format!("ORG:{o}")));
        lines.push("END:VCARD".to_owned());
        lines.join("\n")
    }

    /// A tap on reply button `button_id` ("title") of the business's message `replied`.
    pub fn button_reply(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        replied: &str,
        button_id: &str,
        title: &str,
    ) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        Some(match self {
            Driver::Meta(_) => self.meta_request(&meta_sim::webhook::button_reply(
                &business(),
                &sender,
                id,
                ts,
                replied,
                button_id,
                title,
            )),
            Driver::Dialog360(sim) => self.d360_request(&dialog360_sim::webhook::button_reply(
                &sim.business(),
                &sender,
                id,
                ts,
                replied,
                button_id,
                title,
            )),
            Driver::Twilio(_) => {
                let params = twilio_sim::webhook::button(&Self::kind_twilio_inbound(from), id, title, button_id, None);
                Self::twilio_request(self.path(), &params)
            }
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_buttons_response(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                replied,
                button_id,
                title,
            )),
            Driver::Wazzup(_) => return None,
        })
    }

    /// A row (`row_id`, "title", description) chosen in the business's list message `replied`;
    /// the description goes only where the provider documents one (Meta, 360dialog).
    #[allow(clippy::too_many_arguments)]
    pub fn list_reply(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        replied: &str,
        row_id: &str,
        title: &str,
        description: Option<&str>,
    ) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        Some(match self {
            Driver::Meta(_) => self.meta_request(&meta_sim::webhook::list_reply(
                &business(),
                &sender,
                id,
                ts,
                replied,
                row_id,
                title,
                description,
            )),
            Driver::Dialog360(sim) => self.d360_request(&dialog360_sim::webhook::list_reply(
                &sim.business(),
                &sender,
                id,
                ts,
                replied,
                row_id,
                title,
                description,
            )),
            // Twilio names no row description.
            Driver::Twilio(_) => {
                let params = twilio_sim::webhook::list_reply(&Self::kind_twilio_inbound(from), id, row_id, title);
                Self::twilio_request(self.path(), &params)
            }
            // Green-API documents no row description (`…/selected-buttons/ListResponseMessage`).
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_list_response(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                replied,
                row_id,
                title,
                None,
            )),
            Driver::Wazzup(_) => return None,
        })
    }

    /// A tap on a quick-reply button ("text", `payload`) of the business's template `replied`.
    pub fn quick_reply(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        replied: &str,
        payload: &str,
        text: &str,
    ) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        Some(match self {
            Driver::Meta(_) => {
                self.meta_request(&meta_sim::webhook::quick_reply(&business(), &sender, id, ts, replied, payload, text))
            }
            Driver::Dialog360(sim) => self.d360_request(&dialog360_sim::webhook::quick_reply(
                &sim.business(),
                &sender,
                id,
                ts,
                replied,
                payload,
                text,
            )),
            Driver::Twilio(_) => {
                let params = twilio_sim::webhook::button(&Self::kind_twilio_inbound(from), id, text, payload, None);
                Self::twilio_request(self.path(), &params)
            }
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_template_button_reply(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                replied,
                0,
                payload,
                text,
            )),
            Driver::Wazzup(_) => return None,
        })
    }

    /// Shared contact cards. Twilio delivers a shared contact as a `.vcf` file (attached like any
    /// file), so None there.
    pub fn contact_cards(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        cards: &[bridge_core::domain::ContactCard],
    ) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        let meta_cards = || -> Vec<Value> {
            cards
                .iter()
                .map(|c| {
                    let phones: Vec<(&str, &str, Option<&str>)> =
                        c.phones.iter().map(|p| (p.as_str(), "CELL", None)).collect();
                    let emails: Vec<&str> = c.emails.iter().map(String::as_str).collect();
                    let org = c.organization.as_deref().map(|o| (o, None));
                    meta_sim::webhook::contact_card(&c.name, &phones, &emails, org)
                })
                .collect()
        };
        Some(match self {
            Driver::Meta(_) => {
                self.meta_request(&meta_sim::webhook::contacts_message(&business(), &sender, id, ts, meta_cards()))
            }
            Driver::Dialog360(sim) => {
                self.d360_request(&dialog360_sim::webhook::contacts(&sim.business(), &sender, id, ts, meta_cards()))
            }
            Driver::GreenApi(sim) => {
                let chat = Self::kind_green_chat(from);
                let vcards: Vec<(String, String)> =
                    cards.iter().map(|c| (c.name.clone(), Self::kind_vcard(c))).collect();
                let body = match vcards.as_slice() {
                    [(name, vcard)] => {
                        green_api_sim::webhook::incoming_contact(&sim.instance(), &chat, id, ts, name, vcard)
                    }
                    many => {
                        let pairs: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                        green_api_sim::webhook::incoming_contacts_array(&sim.instance(), &chat, id, ts, &pairs)
                    }
                };
                self.green_request(&body)
            }
            Driver::Wazzup(_) => {
                let vcards: Vec<String> = cards.iter().map(Self::kind_vcard).collect();
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_vcard(&chat, id, &Self::iso(ts), &vcards.join("\n")))
            }
            Driver::Twilio(_) => return None,
        })
    }

    /// A shared location with a name and an address. Wazzup's `geo` fields are not documented
    /// (W1), so None there.
    #[allow(clippy::too_many_arguments)]
    pub fn location(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        latitude: f64,
        longitude: f64,
        name: &str,
        address: &str,
    ) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        let object =
            serde_json::json!({ "latitude": latitude, "longitude": longitude, "name": name, "address": address });
        Some(match self {
            Driver::Meta(_) => self.meta_request(&meta_sim::webhook::typed_message(
                &business(),
                &sender,
                id,
                ts,
                "location",
                Some(object),
            )),
            Driver::Dialog360(sim) => self.d360_request(&dialog360_sim::webhook::typed(
                &sim.business(),
                &sender,
                id,
                ts,
                "location",
                Some(object),
            )),
            Driver::Twilio(_) => {
                let params = twilio_sim::webhook::location(
                    &Self::kind_twilio_inbound(from),
                    id,
                    latitude,
                    longitude,
                    Some(address),
                    Some(name),
                );
                Self::twilio_request(self.path(), &params)
            }
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_location(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                latitude,
                longitude,
                name,
                address,
            )),
            Driver::Wazzup(_) => return None,
        })
    }

    /// A sticker (a WebP picture), stored in the simulator first. Twilio has no sticker marker: the
    /// picture arrives as `image/webp` media. Wazzup sends an animated sticker as a `.was` file
    /// (W1's example) and, presumably, a still one as `.webp` (unconfirmed).
    pub fn sticker(&self, from: &str, id: &str, ts: i64, bytes: Vec<u8>, animated: bool) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        Some(match self {
            Driver::Meta(sim) => {
                let media_id = sim.add_media(bytes, "image/webp");
                let mut body = meta_sim::webhook::media_message(
                    &business(),
                    &sender,
                    id,
                    ts,
                    "sticker",
                    &media_id,
                    "image/webp",
                    None,
                    None,
                    false,
                );
                meta_sim::webhook::set_sticker_animated(&mut body, animated);
                self.meta_request(&body)
            }
            Driver::Dialog360(sim) => {
                let media_id = sim.add_media(bytes, "image/webp");
                let mut body = dialog360_sim::webhook::media(
                    &sim.business(),
                    &sender,
                    id,
                    ts,
                    "sticker",
                    &media_id,
                    "image/webp",
                    None,
                    None,
                    false,
                );
                dialog360_sim::webhook::set_sticker_animated(&mut body, animated);
                self.d360_request(&body)
            }
            Driver::Twilio(sim) => {
                let url = sim.add_message_media(id, bytes, "image/webp");
                let params =
                    twilio_sim::webhook::media(&Self::kind_twilio_inbound(from), id, "", &[(url, "image/webp".into())]);
                Self::twilio_request(self.path(), &params)
            }
            Driver::GreenApi(sim) => {
                let url = sim.add_media(bytes, "image/webp");
                self.green_request(&green_api_sim::webhook::incoming_sticker(
                    &sim.instance(),
                    &Self::kind_green_chat(from),
                    id,
                    ts,
                    &url,
                    "a0128ca6-be8d-4813-9af7-54cdaf384317.webp",
                    animated,
                ))
            }
            Driver::Wazzup(sim) => {
                let (mime, name) = if animated {
                    ("application/octet-stream", "00000000-0000-4000-8000-000000000c01.was")
                } else {
                    ("image/webp", "00000000-0000-4000-8000-000000000c02.webp")
                };
                let uri = sim.add_media(bytes, mime, name);
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_media(&chat, id, &Self::iso(ts), "image", &uri, None))
            }
        })
    }

    /// A poll the customer created. Only Green-API passes polls on (`pollMessage`); Meta and
    /// 360dialog withhold them (`unsupported`), Wazzup sends them as text, Twilio documents none.
    pub fn poll(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        question: &str,
        options: &[&str],
        multiple: bool,
    ) -> Option<Request<Bytes>> {
        match self {
            Driver::GreenApi(sim) => Some(self.green_request(&green_api_sim::webhook::incoming_poll(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                question,
                options,
                multiple,
            ))),
            _ => None,
        }
    }

    /// The customer's vote in poll `poll_id`: `chosen` list the customer among their voters,
    /// `others` only someone else.
    #[allow(clippy::too_many_arguments)]
    pub fn poll_vote(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        poll_id: &str,
        question: &str,
        chosen: &[&str],
        others: &[&str],
    ) -> Option<Request<Bytes>> {
        match self {
            Driver::GreenApi(sim) => {
                let customer = format!("{from}@c.us");
                let me = [customer.as_str()];
                let someone = ["79990001122@c.us"];
                let votes: Vec<(&str, &[&str])> =
                    chosen.iter().map(|o| (*o, &me[..])).chain(others.iter().map(|o| (*o, &someone[..]))).collect();
                Some(self.green_request(&green_api_sim::webhook::incoming_poll_update(
                    &sim.instance(),
                    &Self::kind_green_chat(from),
                    id,
                    ts,
                    poll_id,
                    question,
                    &votes,
                    chosen.len() > 1,
                )))
            }
            _ => None,
        }
    }

    /// Something WhatsApp does not pass on, as the provider reports it: Meta `unsupported` with
    /// `unsupported.type:"poll_creation"`, 360dialog `unknown` (D1), Wazzup `unsupported` (W1).
    /// Green-API and Twilio document no such message.
    pub fn withheld(&self, from: &str, id: &str, ts: i64) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        Some(match self {
            Driver::Meta(_) => self.meta_request(&meta_sim::webhook::unsupported_message(
                &business(),
                &sender,
                id,
                ts,
                Some("poll_creation"),
            )),
            Driver::Dialog360(sim) => {
                self.d360_request(&dialog360_sim::webhook::not_passed(&sim.business(), &sender, id, ts, true))
            }
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_typed(&chat, id, &Self::iso(ts), "unsupported"))
            }
            Driver::GreenApi(_) | Driver::Twilio(_) => return None,
        })
    }

    /// A message of a kind the bridge does not read: Meta/360dialog `order`, Green-API a
    /// `typeMessage` it may add later, Twilio a `MessageType` without body or media, Wazzup
    /// `wapi_template`.
    pub fn unread_kind(&self, from: &str, id: &str, ts: i64) -> Request<Bytes> {
        let sender = Self::kind_sender(from);
        let order = serde_json::json!({ "catalog_id": "354160437058781", "text": "", "product_items": [] });
        match self {
            Driver::Meta(_) => self.meta_request(&meta_sim::webhook::typed_message(
                &business(),
                &sender,
                id,
                ts,
                "order",
                Some(order),
            )),
            Driver::Dialog360(sim) => {
                self.d360_request(&dialog360_sim::webhook::typed(&sim.business(), &sender, id, ts, "order", Some(order)))
            }
            Driver::Twilio(_) => Self::twilio_request(
                self.path(),
                &twilio_sim::webhook::bodiless(&Self::kind_twilio_inbound(from), id, "carousel"),
            ),
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_message_data(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                serde_json::json!({ "typeMessage": "groupInviteMessage", "groupInviteMessageData": { "groupName": "x" } }),
            )),
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_typed(&chat, id, &Self::iso(ts), "wapi_template"))
            }
        }
    }

    /// A forwarded text (`frequently`: forwarded many times). Wazzup documents no forward mark.
    pub fn forwarded_text(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        text: &str,
        frequently: bool,
    ) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        let mark = |body: &mut Value| {
            if frequently {
                meta_sim::webhook::set_frequently_forwarded(body)
            } else {
                meta_sim::webhook::set_forwarded(body)
            }
        };
        Some(match self {
            Driver::Meta(_) => {
                let mut body = meta_sim::webhook::text_message(&business(), &sender, id, ts, text);
                mark(&mut body);
                self.meta_request(&body)
            }
            Driver::Dialog360(sim) => {
                let mut body = dialog360_sim::webhook::text(&sim.business(), &sender, id, ts, text);
                mark(&mut body);
                self.d360_request(&body)
            }
            Driver::Twilio(_) => {
                let mut params = twilio_sim::webhook::text(&Self::kind_twilio_inbound(from), id, text);
                twilio_sim::webhook::set_forwarded(&mut params, frequently);
                Self::twilio_request(self.path(), &params)
            }
            Driver::GreenApi(sim) => {
                let mut body =
                    green_api_sim::webhook::incoming_text(&sim.instance(), &Self::kind_green_chat(from), id, ts, text);
                green_api_sim::webhook::set_forwarded(&mut body, if frequently { 5 } else { 1 });
                self.green_request(&body)
            }
            Driver::Wazzup(_) => return None,
        })
    }

    /// The provider's ids of the messages the bridge sent, in order (what reactions, replies
    /// and statuses name).
    pub fn sent_ids(&self) -> Vec<String> {
        match self {
            Driver::Meta(sim) => sim.sent().iter().map(|m| m.wamid.clone()).collect(),
            Driver::Twilio(sim) => sim.sent().iter().map(|m| m.sid.clone()).collect(),
            Driver::GreenApi(sim) => sim.sent().iter().map(|m| m.id_message.clone()).collect(),
            Driver::Dialog360(sim) => sim.sent().iter().map(|m| m.wamid.clone()).collect(),
            Driver::Wazzup(sim) => sim.sent().iter().map(|m| m.message_id.clone()).collect(),
        }
    }

    /// The customer's reaction `emoji` (empty: removed) to the message `to_id`. Meta and
    /// 360dialog: `type:"reaction"`, `reaction.{message_id, emoji}` (Meta's reaction webhook);
    /// Green-API: `reactionMessage`. Twilio and Wazzup document none.
    pub fn reaction_to(&self, from: &str, id: &str, ts: i64, to_id: &str, emoji: &str) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        let reaction = serde_json::json!({ "message_id": to_id, "emoji": emoji });
        Some(match self {
            Driver::Meta(_) => self.meta_request(&meta_sim::webhook::typed_message(
                &business(),
                &sender,
                id,
                ts,
                "reaction",
                Some(reaction),
            )),
            Driver::Dialog360(sim) => self.d360_request(&dialog360_sim::webhook::typed(
                &sim.business(),
                &sender,
                id,
                ts,
                "reaction",
                Some(reaction),
            )),
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_reaction(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                emoji,
                to_id,
            )),
            Driver::Twilio(_) | Driver::Wazzup(_) => return None,
        })
    }

    /// The customer's text quoting the message `quoted_id`: Meta and 360dialog `context.{from,id}`,
    /// Green-API `quotedMessage`, Wazzup `quotedMessage`. Twilio documents no reply context.
    pub fn reply_to(&self, from: &str, id: &str, ts: i64, text: &str, quoted_id: &str) -> Option<Request<Bytes>> {
        let sender = Self::kind_sender(from);
        Some(match self {
            Driver::Meta(_) => {
                let mut body = meta_sim::webhook::text_message(&business(), &sender, id, ts, text);
                meta_sim::webhook::set_reply_context(&mut body, &business().display_phone_number, quoted_id);
                self.meta_request(&body)
            }
            Driver::Dialog360(sim) => {
                let mut body = dialog360_sim::webhook::text(&sim.business(), &sender, id, ts, text);
                meta_sim::webhook::set_reply_context(&mut body, &business().display_phone_number, quoted_id);
                self.d360_request(&body)
            }
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_quoted(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                text,
                quoted_id,
            )),
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_reply(&chat, id, &Self::iso(ts), text, quoted_id))
            }
            Driver::Twilio(_) => return None,
        })
    }

    /// The customer edited their message `original_id` (whose text was `old_text`) to `text`;
    /// `id` is the edit event's id where the provider gives it one (Green-API), Wazzup repeats
    /// the original's. Meta, 360dialog and Twilio do not pass edits on.
    pub fn edit_of(
        &self,
        from: &str,
        id: &str,
        ts: i64,
        original_id: &str,
        old_text: &str,
        text: &str,
    ) -> Option<Request<Bytes>> {
        Some(match self {
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_edited(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                original_id,
                text,
            )),
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_edited(
                    &chat,
                    original_id,
                    &Self::iso(ts),
                    text,
                    old_text,
                ))
            }
            Driver::Meta(_) | Driver::Dialog360(_) | Driver::Twilio(_) => return None,
        })
    }

    /// The customer deleted their message `original_id` for everyone (Green-API, Wazzup).
    pub fn deletion_of(&self, from: &str, id: &str, ts: i64, original_id: &str) -> Option<Request<Bytes>> {
        Some(match self {
            Driver::GreenApi(sim) => self.green_request(&green_api_sim::webhook::incoming_deleted(
                &sim.instance(),
                &Self::kind_green_chat(from),
                id,
                ts,
                original_id,
            )),
            Driver::Wazzup(_) => {
                let chat = Self::wazzup_chat(from, "Customer");
                self.wazzup_request(&wazzup_sim::webhook::inbound_deleted(&chat, original_id, &Self::iso(ts)))
            }
            Driver::Meta(_) | Driver::Dialog360(_) | Driver::Twilio(_) => return None,
        })
    }
}

/// `2023-11-14T22:13:20Z` for a Unix time (Wazzup's `dateTime`).
fn time_iso(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm): no date crate needed for a test fixture.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn digits(address: &str) -> String {
    address.chars().filter(char::is_ascii_digit).collect()
}
