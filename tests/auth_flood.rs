//! A flood of unauthenticated requests through the real route table (DynamoDB and SQS on moto):
//! bad Meta signatures and wrong Planfix secrets for a known account, and requests for accounts
//! that do not exist, sent concurrently with one valid signed Meta message. Every bad request is
//! refused (401 / 404) before it costs a table write or a queued work item, and the valid message
//! is recorded, queued and commented in Planfix as if the flood were not there.
//!
//! API Gateway's per-route throttle cannot run here; `scripts/check_iam.py` checks that every
//! route of template.yaml has one. What this test covers is the protection the API cannot give
//! per account: refusing before touching the store.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_aws::DynamoStore;
use bridge_core::config::Settings;
use bridge_core::ports::Store;
use bridge_http::Surface;
use bytes::Bytes;
use e2e_tests::{meta_sample, text_from_sample, Harness, APP_SECRET, PLANFIX_HOOK_SECRET};
use tokio::task::JoinSet;

/// Requests of each kind in the flood.
const FLOOD: usize = 500;
const CUSTOMER: &str = "972987654321";
const VALID_WAMID: &str = "wamid.flood-valid";

/// Every (pk, sk) in the table (a test table of its own: a Scan is cheap and exact).
async fn keys(client: &aws_sdk_dynamodb::Client, table: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .projection_expression("pk, sk")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the test table");
        for item in page.items() {
            let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            out.insert((get("pk"), get("sk")));
        }
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => return out,
        }
    }
}

/// One request through the surface its Lambda serves: (status, body).
async fn call(h: &Harness, surface: Surface, req: http::Request<Bytes>) -> (u16, String) {
    let resp = bridge_http::handle(&h.app, surface, req).await;
    (resp.status().as_u16(), String::from_utf8_lossy(resp.body()).into_owned())
}

fn meta_post(account: &str, body: &[u8], signature: &str) -> http::Request<Bytes> {
    http::Request::post(format!("/webhooks/meta/{account}"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

/// A Planfix scenario request for `account`; `auth` is the header carrying the secret, if any.
fn planfix_post(account: &str, comment: usize, auth: Option<(&str, String)>) -> http::Request<Bytes> {
    let body = serde_json::json!({ "task": "1", "comment": comment.to_string() }).to_string();
    let mut req = http::Request::post(format!("/planfix/{account}")).header("content-type", "application/json");
    if let Some((name, value)) = auth {
        req = req.header(name, value);
    }
    req.body(Bytes::from(body)).unwrap()
}

/// One request of the flood (or the valid message) and the status it must get.
struct Shot {
    what: String,
    surface: Surface,
    req: http::Request<Bytes>,
    expect: u16,
}

/// The flood: `FLOOD` bad signatures and `FLOOD` wrong Planfix secrets for the known account,
/// `FLOOD` requests for accounts that do not exist.
fn flood(sample: &serde_json::Value) -> Vec<Shot> {
    let mut shots = Vec::new();
    for i in 0..FLOOD {
        // Well-formed Meta payloads (each a new message id, so a write would show) signed with
        // the wrong secret, a wrong digest, or garbage.
        let body = text_from_sample(sample, &format!("wamid.flood-{i}"), CUSTOMER, 1_700_000_000, "flood")
            .to_string()
            .into_bytes();
        let signature = match i % 3 {
            0 => meta_sim::webhook::sign(b"not-the-app-secret", &body),
            1 => format!("sha256={}", "0".repeat(64)),
            _ => "garbage".to_owned(),
        };
        shots.push(Shot {
            what: format!("bad signature #{i}"),
            surface: Surface::ProviderWebhooks,
            req: meta_post("acme", &body, &signature),
            expect: 401,
        });

        // Wrong, missing and wrong-Basic Planfix secrets for the known account.
        let auth = match i % 3 {
            0 => Some(("x-bridge-token", format!("wrong-{i}"))),
            1 => None,
            // base64("planfix:wrong-secret")
            _ => Some(("authorization", "Basic cGxhbmZpeDp3cm9uZy1zZWNyZXQ=".to_owned())),
        };
        shots.push(Shot {
            what: format!("wrong planfix secret #{i}"),
            surface: Surface::PlanfixWebhooks,
            req: planfix_post("acme", 1000 + i, auth),
            expect: 401,
        });

        // Unknown accounts with the credentials that are right for `acme` (so the account alone
        // refuses them), and account ids that cannot exist.
        let ghost = if i % 5 == 4 { format!("no.such~{i}") } else { format!("ghost-{i}") };
        let (surface, req) = if i % 2 == 0 {
            let signature = meta_sim::webhook::sign(APP_SECRET.as_bytes(), &body);
            (Surface::ProviderWebhooks, meta_post(&ghost, &body, &signature))
        } else {
            let auth = Some(("x-bridge-token", PLANFIX_HOOK_SECRET.to_owned()));
            (Surface::PlanfixWebhooks, planfix_post(&ghost, 5000 + i, auth))
        };
        shots.push(Shot { what: format!("unknown account {ghost}"), surface, req, expect: 401 });
    }
    shots
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unauthenticated_flood_costs_no_writes_and_does_not_starve_a_valid_message() {
    let client = aws_sdk_dynamodb::Client::new(&e2e_tests::aws_config().await);
    let table = format!("bridge-test-{}", uuid::Uuid::new_v4());
    DynamoStore::create_table(&client, &table).await.expect("create table in moto");
    let store: Arc<dyn Store> = Arc::new(DynamoStore::new(client.clone(), table.clone()));
    let h = Arc::new(Harness::with_store(Settings::default(), store).await);
    let sample = meta_sample("inbound_text.json");
    // What the bridge wrote while it started (the account's settings).
    let before = keys(&client, &table).await;

    let mut shots = flood(&sample);
    let valid = text_from_sample(&sample, VALID_WAMID, CUSTOMER, 1_700_000_100, "the real one").to_string();
    let signature = meta_sim::webhook::sign(APP_SECRET.as_bytes(), valid.as_bytes());
    // The valid message goes out in the middle of the flood.
    shots.insert(
        shots.len() / 2,
        Shot {
            what: "the valid message".into(),
            surface: Surface::ProviderWebhooks,
            req: meta_post("acme", valid.as_bytes(), &signature),
            expect: 200,
        },
    );
    let mut running = JoinSet::new();
    for shot in shots {
        let h = h.clone();
        running.spawn(async move {
            let started = Instant::now();
            let (status, body) = call(&h, shot.surface, shot.req).await;
            (shot.what, shot.expect, status, body, started.elapsed())
        });
    }
    let mut answered = 0;
    while let Some(done) = running.join_next().await {
        let (what, expect, status, body, took) = done.expect("request task");
        assert_eq!(status, expect, "{what}: {body}");
        if expect == 200 {
            // Within the provider-webhook function's timeout (template.yaml), flood or not.
            assert!(took < Duration::from_secs(10), "{what} took {took:?}");
        }
        answered += 1;
    }
    assert_eq!(answered, 3 * FLOOD + 1);

    // Only the valid message was written: its dedupe item and its inbox entry.
    let after = keys(&client, &table).await;
    let written: Vec<&(String, String)> = after.difference(&before).collect();
    let pks: BTreeSet<&str> = written.iter().map(|(pk, _)| pk.as_str()).collect();
    let (msg_pk, inbox_pk) = (format!("acme#MSG#{VALID_WAMID}"), format!("acme#INBOX#{CUSTOMER}"));
    assert_eq!(
        pks,
        BTreeSet::from([msg_pk.as_str(), inbox_pk.as_str()]),
        "items written during the flood: {written:?}"
    );
    assert_eq!(written.len(), 2, "one dedupe item and one inbox entry: {written:?}");
    assert!(before.is_subset(&after), "nothing written before the flood was removed");
    // Only its work was queued, and no route called Planfix.
    assert_eq!(h.worker.pending().await, 1, "one work item: the valid message's conversation");
    assert!(h.planfix.requests().is_empty(), "the webhooks never call Planfix");

    // The worker turns it into a comment, as without the flood.
    h.settle().await;
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "one task, for the valid message");
    let comments = h.planfix.comments(tasks[0].id);
    assert_eq!(comments.iter().map(|c| c.description.as_str()).collect::<Vec<_>>(), vec!["the real one"]);
    h.assert_spec_clean();
}
