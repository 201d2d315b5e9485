//! The one route table (`bridge_http::router`, reached through `bridge_http::handle` as the
//! Lambda adapter and the local server reach it): exact paths, so an account may be called
//! `planfix` or `webhooks`; the same routes under one stage segment; JSON reasons for 404, 405
//! and 413; each Lambda's surface serves only its own routes.
//!
//! No emulator: the bridge runs on the embedded SQLite store and queues (a database file in a
//! temp dir). The routes only verify, record and queue, so the Planfix and Graph
//! simulators are there to show that no route ever calls them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, Phone, Work};
use bridge_core::ports::Store;
use bridge_core::Bridge;
use bridge_embedded::sqlite::QueueOptions;
use bridge_embedded::{SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};
use bridge_http::{Surface, MAX_BODY_BYTES};
use bytes::Bytes;
use e2e_tests::{account_config, APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, PLANFIX_HOOK_SECRET, PLANFIX_TOKEN};
use http::{Method, Request};
use meta_sim::webhook::{text_message, Business, Sender};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{PlanfixSim, PlanfixSimConfig};
use serde_json::{json, Value};

const CUSTOMER: &str = "4915112345678";
/// Accounts whose names are also route words.
const ACCOUNTS: [&str; 3] = ["acme", "planfix", "webhooks"];

struct Rig {
    app: Arc<Bridge>,
    store: Arc<SqliteStore>,
    work: SqliteWorkQueue,
    planfix: PlanfixSim,
    graph: GraphSim,
    dir: PathBuf,
}

impl Rig {
    async fn start() -> Self {
        let planfix = PlanfixSim::new(PlanfixSimConfig { token: PLANFIX_TOKEN.into(), spec: None });
        let planfix_url = planfix.serve(None).await.expect("planfix sim starts");
        let graph =
            GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
        let graph_url = graph.serve(None).await.expect("graph sim starts");
        let dir = std::env::temp_dir().join(format!("bridge-routes-{}", uuid::Uuid::new_v4()));
        let db = SqliteDb::open(dir.join("bridge.db")).expect("the database opens");
        let store = Arc::new(SqliteStore::new(db.clone()));
        // No hold-back: what the routes queued is there to look at at once.
        let work = SqliteWorkQueue::with_options(
            db.clone(),
            QueueOptions { hold_back: Duration::ZERO, ..QueueOptions::work() },
        );
        let infra = Infra {
            store: store.clone(),
            work: Arc::new(work.clone()),
            file_jobs: Arc::new(SqliteFileJobQueue::new(db)),
            blob: None,
        };
        let accounts =
            ACCOUNTS.iter().map(|id| account_config(id, &planfix_url, &graph_url, Settings::default())).collect();
        let app = build_app(accounts, infra, Tuning::default()).await.expect("app builds");
        Self { app: Arc::new(app), store, work, planfix, graph, dir }
    }

    async fn call(&self, surface: Surface, req: Request<Bytes>) -> (u16, Value) {
        let resp = bridge_http::handle(&self.app, surface, req).await;
        (resp.status().as_u16(), serde_json::from_slice(resp.body()).unwrap_or(Value::Null))
    }

    /// Work the routes queued since the last look (taken off the queue), in queue order.
    async fn queued(&mut self) -> Vec<Work> {
        let mut taken = Vec::new();
        // One item per conversation at a time: receive again for the next of each.
        loop {
            let items = self.work.receive(100, Duration::from_secs(60)).await.unwrap();
            if items.is_empty() {
                break;
            }
            for item in items {
                assert!(self.work.delete(item.receipt).await.unwrap());
                taken.push((item.id(), item.body));
            }
        }
        taken.sort_by_key(|(id, _)| *id);
        taken.into_iter().map(|(_, work)| work).collect()
    }

    /// Message ids waiting in the customer's inbox of `account`.
    async fn inbox(&self, account: &str) -> Vec<String> {
        let account = AccountId::parse(account).unwrap();
        let entries = self.store.inbox(&account, &customer(), 100).await.unwrap();
        entries.into_iter().map(|e| e.message.id).collect()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
        if std::thread::panicking() {
            return;
        }
        assert!(self.planfix.requests().is_empty(), "a route called Planfix: {:#?}", self.planfix.requests());
        assert!(self.graph.requests().is_empty(), "a route called WhatsApp: {:#?}", self.graph.requests());
    }
}

fn customer() -> Phone {
    Phone::parse(CUSTOMER).unwrap()
}

fn text(wamid: &str) -> Value {
    let biz = Business {
        phone_number_id: PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    };
    let from = Sender { wa_id: CUSTOMER.into(), profile_name: "Anna".into() };
    text_message(&biz, &from, wamid, 1_700_000_000, "hello")
}

/// `body` as Meta sends it: signed with the account's app secret.
fn meta_bytes(method: Method, path: &str, body: Vec<u8>) -> Request<Bytes> {
    let signature = meta_sim::webhook::sign(APP_SECRET.as_bytes(), &body);
    Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(Bytes::from(body))
        .unwrap()
}

fn meta(method: Method, path: &str, payload: &Value) -> Request<Bytes> {
    meta_bytes(method, path, payload.to_string().into_bytes())
}

/// What the Planfix scenario sends, with the shared secret.
fn planfix_bytes(method: Method, path: &str, body: Vec<u8>) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-bridge-token", PLANFIX_HOOK_SECRET)
        .body(Bytes::from(body))
        .unwrap()
}

fn planfix(method: Method, path: &str, task: i64, comment: i64) -> Request<Bytes> {
    let body = json!({ "task": task.to_string(), "comment": comment.to_string() }).to_string();
    planfix_bytes(method, path, body.into_bytes())
}

/// Both routes of `account` under `prefix`, on `surface`: the signed Meta webhook is recorded in
/// that account's inbox and queued as its conversation's work; the Planfix request is queued as
/// that account's reply.
async fn assert_reachable(rig: &mut Rig, surfaces: (Surface, Surface), prefix: &str, account: &str, n: i64) {
    let id = AccountId::parse(account).unwrap();
    let wamid = format!("wamid.{account}.{n}");
    let path = format!("{prefix}/webhooks/meta/{account}");
    let (status, body) = rig.call(surfaces.0, meta(Method::POST, &path, &text(&wamid))).await;
    assert_eq!(
        (status, body["status"].as_str(), body["messages"].as_u64()),
        (200, Some("accepted"), Some(1)),
        "POST {path}: {body}"
    );
    assert_eq!(
        rig.queued().await,
        vec![Work::Conversation { account: id.clone(), phone: customer(), message_id: wamid.clone() }],
        "POST {path}"
    );
    assert!(rig.inbox(account).await.contains(&wamid), "POST {path}: recorded for account {account}");

    let path = format!("{prefix}/planfix/{account}");
    let (status, body) = rig.call(surfaces.1, planfix(Method::POST, &path, 100 + n, 1000 + n)).await;
    assert_eq!(
        (status, body["status"].as_str(), body["comment"].as_i64()),
        (200, Some("accepted"), Some(1000 + n)),
        "POST {path}: {body}"
    );
    assert_eq!(
        rig.queued().await,
        vec![Work::Reply { account: id, task_id: Some(100 + n), comment_id: 1000 + n }],
        "POST {path}"
    );
}

/// The local server (all routes) and the two webhook Lambdas (each its own routes).
const DEPLOYMENTS: [(Surface, Surface); 2] =
    [(Surface::All, Surface::All), (Surface::ProviderWebhooks, Surface::PlanfixWebhooks)];

#[tokio::test]
async fn accounts_named_planfix_or_webhooks_are_reachable_on_both_routes() {
    let mut rig = Rig::start().await;
    let mut n = 0;
    for surfaces in DEPLOYMENTS {
        for account in ACCOUNTS {
            n += 1;
            assert_reachable(&mut rig, surfaces, "", account, n).await;
        }
    }
    // Each account got only its own messages.
    for account in ACCOUNTS {
        let inbox = rig.inbox(account).await;
        assert_eq!(inbox.len(), 2, "{account}: {inbox:?}");
        assert!(inbox.iter().all(|id| id.starts_with(&format!("wamid.{account}."))), "{account}: {inbox:?}");
    }
}

#[tokio::test]
async fn the_same_routes_work_under_a_stage_prefix() {
    let mut rig = Rig::start().await;
    let mut n = 0;
    for surfaces in DEPLOYMENTS {
        for stage in ["/prod", "/v2-test"] {
            for account in ACCOUNTS {
                n += 1;
                assert_reachable(&mut rig, surfaces, stage, account, n).await;
            }
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_404_with_a_json_reason() {
    let mut rig = Rig::start().await;
    // Near misses of real routes: exact matching accepts none of them (a lenient router that
    // looked for a `planfix` or `webhooks` segment anywhere would accept several).
    let paths = [
        "/",
        "/nothing",
        "/webhooks",
        "/webhooks/meta",
        "/webhooks/meta/acme/",
        "/webhooks/meta/acme/extra",
        "/webhook/meta/acme",
        "/xwebhooks/meta/acme",
        "/planfix",
        "/planfix/",
        "/planfix/acme/",
        "/planfix/acme/extra",
        "/planfixes/acme",
        "/prod",
        "/prod/webhooks/meta",
        "/prod/planfix",
        "/prod/planfix/acme/extra",
        "/two/stages/planfix/acme",
        "/two/stages/webhooks/meta/acme",
        "/acme/planfix",
    ];
    for path in paths {
        for surface in [Surface::All, Surface::ProviderWebhooks, Surface::PlanfixWebhooks] {
            // Valid as a Planfix request and as a signed Meta webhook at once (headers of both).
            let mut req = meta(Method::POST, path, &text("wamid.stray"));
            req.headers_mut().insert("x-bridge-token", PLANFIX_HOOK_SECRET.parse().unwrap());
            let (status, body) = rig.call(surface, req).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (404, Some("no such route")),
                "POST {path} on {surface:?}: {body}"
            );
        }
        let (status, body) = rig.call(Surface::All, Request::get(path).body(Bytes::new()).unwrap()).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("no such route")), "GET {path}: {body}");
    }
    assert!(rig.queued().await.is_empty());
    assert!(rig.inbox("acme").await.is_empty());
}

#[tokio::test]
async fn unknown_accounts_and_wrong_providers_answer_like_a_failed_check() {
    let mut rig = Rig::start().await;
    // The answer of a bad signature or secret on a known account (item 12 of step 12): nobody
    // can tell an existing account from a missing one, or which check failed.
    let cases = [
        ("/webhooks/meta/nobody", 401, "unauthorized"),
        ("/prod/webhooks/meta/nobody", 401, "unauthorized"),
        ("/webhooks/meta/not%20an%20id", 401, "unauthorized"),
        ("/planfix/nobody", 401, "unauthorized"),
        ("/prod/planfix/nobody", 401, "unauthorized"),
        ("/webhooks/twilio/acme", 401, "unauthorized"),
        ("/prod/webhooks/twilio/planfix", 401, "unauthorized"),
        ("/webhooks/telegram/acme", 404, "no such route"),
    ];
    for (path, code, reason) in cases {
        let req = if path.contains("/planfix/") && !path.contains("/webhooks/") {
            planfix(Method::POST, path, 1, 2)
        } else {
            meta(Method::POST, path, &text("wamid.nobody"))
        };
        let (status, body) = rig.call(Surface::All, req).await;
        assert_eq!((status, body["error"].as_str()), (code, Some(reason)), "POST {path}: {body}");
    }
    assert!(rig.queued().await.is_empty());
}

#[tokio::test]
async fn a_wrong_method_is_405_with_a_json_reason() {
    let mut rig = Rig::start().await;
    let cases = [
        (Method::PUT, "/webhooks/meta/acme"),
        (Method::DELETE, "/webhooks/meta/planfix"),
        (Method::PATCH, "/prod/webhooks/meta/acme"),
        (Method::GET, "/planfix/acme"),
        (Method::PUT, "/planfix/webhooks"),
        (Method::PUT, "/prod/planfix/acme"),
    ];
    for (method, path) in cases {
        for surface in [
            Surface::All,
            if path.contains("/webhooks/") { Surface::ProviderWebhooks } else { Surface::PlanfixWebhooks },
        ] {
            let mut req = meta(method.clone(), path, &text("wamid.put"));
            req.headers_mut().insert("x-bridge-token", PLANFIX_HOOK_SECRET.parse().unwrap());
            let (status, body) = rig.call(surface, req).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (405, Some("method not allowed on this route")),
                "{method} {path} on {surface:?}: {body}"
            );
        }
    }
    assert!(rig.queued().await.is_empty());
    assert!(rig.inbox("acme").await.is_empty());
}

#[tokio::test]
async fn each_lambda_surface_serves_only_its_own_routes() {
    let mut rig = Rig::start().await;
    // The provider-webhook function does not serve the Planfix route, root or staged, any method.
    for path in ["/planfix/acme", "/planfix/planfix", "/prod/planfix/acme"] {
        for method in [Method::POST, Method::GET] {
            let (status, body) = rig.call(Surface::ProviderWebhooks, planfix(method.clone(), path, 1, 2)).await;
            assert_eq!((status, body["error"].as_str()), (404, Some("no such route")), "{method} {path}: {body}");
        }
    }
    // The planfix-webhook function does not serve the provider routes (webhook nor handshake).
    for path in ["/webhooks/meta/acme", "/webhooks/meta/planfix", "/prod/webhooks/meta/acme"] {
        let (status, body) = rig.call(Surface::PlanfixWebhooks, meta(Method::POST, path, &text("wamid.x"))).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("no such route")), "POST {path}: {body}");
        let handshake =
            format!("{path}?hub.mode=subscribe&hub.verify_token={}&hub.challenge=42", e2e_tests::VERIFY_TOKEN);
        let (status, body) =
            rig.call(Surface::PlanfixWebhooks, Request::get(handshake.as_str()).body(Bytes::new()).unwrap()).await;
        assert_eq!((status, body["error"].as_str()), (404, Some("no such route")), "GET {handshake}: {body}");
    }
    assert!(rig.queued().await.is_empty(), "nothing was recorded or queued");
    assert!(rig.inbox("acme").await.is_empty());
    assert!(rig.inbox("planfix").await.is_empty());
    // …while the handshake is served where it belongs.
    let handshake =
        format!("/webhooks/meta/acme?hub.mode=subscribe&hub.verify_token={}&hub.challenge=42", e2e_tests::VERIFY_TOKEN);
    let resp =
        bridge_http::handle(&rig.app, Surface::ProviderWebhooks, Request::get(handshake).body(Bytes::new()).unwrap())
            .await;
    assert_eq!((resp.status().as_u16(), resp.body().as_ref()), (200, &b"42"[..]));
}

/// `payload` serialised and padded with JSON whitespace to exactly `len` bytes.
fn padded(payload: &Value, len: usize) -> Vec<u8> {
    let mut body = payload.to_string().into_bytes();
    assert!(body.len() <= len);
    body.resize(len, b' ');
    body
}

#[tokio::test]
async fn a_body_over_1_mib_is_413_and_1_mib_is_accepted() {
    let mut rig = Rig::start().await;
    assert_eq!(MAX_BODY_BYTES, 1024 * 1024);
    let over = MAX_BODY_BYTES + 1;
    for (surface, path) in [
        (Surface::All, "/webhooks/meta/acme"),
        (Surface::ProviderWebhooks, "/webhooks/meta/acme"),
        (Surface::ProviderWebhooks, "/prod/webhooks/meta/planfix"),
    ] {
        // Signed, valid JSON: only its size is wrong.
        let req = meta_bytes(Method::POST, path, padded(&text("wamid.big"), over));
        let (status, body) = rig.call(surface, req).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (413, Some("body over 1 MiB")),
            "POST {path} on {surface:?}: {body}"
        );
    }
    for (surface, path) in [
        (Surface::All, "/planfix/acme"),
        (Surface::PlanfixWebhooks, "/planfix/webhooks"),
        (Surface::PlanfixWebhooks, "/prod/planfix/acme"),
    ] {
        let body = padded(&json!({ "task": "1", "comment": "2" }), over);
        let (status, answer) = rig.call(surface, planfix_bytes(Method::POST, path, body)).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (413, Some("body over 1 MiB")),
            "POST {path} on {surface:?}: {answer}"
        );
    }
    assert!(rig.queued().await.is_empty(), "nothing over the limit was recorded or queued");
    assert!(rig.inbox("acme").await.is_empty());

    // Exactly 1 MiB is within the limit, on both routes.
    let req = meta_bytes(Method::POST, "/webhooks/meta/acme", padded(&text("wamid.full"), MAX_BODY_BYTES));
    let (status, body) = rig.call(Surface::ProviderWebhooks, req).await;
    assert_eq!((status, body["messages"].as_u64()), (200, Some(1)), "{body}");
    let body = padded(&json!({ "task": "1", "comment": "2" }), MAX_BODY_BYTES);
    let (status, answer) = rig.call(Surface::PlanfixWebhooks, planfix_bytes(Method::POST, "/planfix/acme", body)).await;
    assert_eq!((status, answer["comment"].as_i64()), (200, Some(2)), "{answer}");
    assert_eq!(rig.queued().await.len(), 2);
    assert_eq!(rig.inbox("acme").await, vec!["wamid.full".to_string()]);
}

#[tokio::test]
async fn the_status_route_exists_only_for_providers_that_post_statuses_there() {
    let mut rig = Rig::start().await;
    for path in ["/webhooks/meta/acme/status", "/prod/webhooks/meta/acme/status"] {
        // Signed and valid: only the route is wrong for Meta, which posts statuses to the main one.
        let req = meta_bytes(Method::POST, path, text("wamid.status-route").to_string().into_bytes());
        let (status, body) = rig.call(Surface::ProviderWebhooks, req).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("this provider has no status route")),
            "{path}: {body}"
        );
    }
    assert!(rig.queued().await.is_empty());
    assert!(rig.inbox("acme").await.is_empty());
}
