//! The simulator over loopback HTTP, driven with reqwest like the bridge drives Twilio.

mod callbacks;
mod media;
mod send;

use axum::Router;
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::Value;

use super::*;
use crate::webhook;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "test-auth-token";
const SENDER: &str = "whatsapp:+14155238886";
const USER: &str = "whatsapp:+79051234567";

async fn start() -> (TwilioSim, String, reqwest::Client) {
    let sim = TwilioSim::new(TwilioSimConfig {
        account_sid: ACCOUNT.into(),
        auth_token: TOKEN.into(),
        whatsapp_from: "+14155238886".into(),
    });
    let base = sim.serve(None).await.expect("bind loopback");
    (sim, base, reqwest::Client::new())
}

/// Serves a helper app (media origin, callback receiver) on a loopback port.
async fn serve_app(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn messages_url(base: &str) -> String {
    format!("{base}/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
}

fn form(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// POSTs a form with Basic `user:password` (none when `auth` is `None`); answers status and JSON.
async fn post_form(
    client: &reqwest::Client,
    url: &str,
    auth: Option<(&str, &str)>,
    items: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request =
        client.post(url).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(webhook::encode(&form(items)));
    if let Some((user, password)) = auth {
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.expect("json answer"))
}

async fn send(client: &reqwest::Client, base: &str, items: &[(&str, &str)]) -> (StatusCode, Value) {
    post_form(client, &messages_url(base), Some((ACCOUNT, TOKEN)), items).await
}

/// Twilio's error JSON, checked whole.
fn assert_twilio_error(answer: &Value, http: u16, code: i64) {
    assert_eq!(answer["code"], code, "{answer}");
    assert_eq!(answer["status"], http, "{answer}");
    assert_eq!(answer["more_info"], format!("https://www.twilio.com/docs/errors/{code}"), "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
}
