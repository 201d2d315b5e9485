//! The local run's embedded equivalent of the queue and the worker: the file-backed store plus
//! in-process lanes (one per conversation, in order), through the same webhook handler.

use std::sync::Arc;
use std::time::Duration;

use bridge_app::local_config::{FilesConfig, LocalConfig, StoreConfig};
use bridge_core::config::Settings;
use bridge_core::domain::{AccountId, Phone};
use bridge_core::retry::RetryPolicy;
use bridge_core::Bridge;
use bridge_embedded::local_worker::{run_files, run_work};
use bridge_http::{handle, Surface};
use e2e_tests::{
    account_config, checked_planfix, meta_sample, text_from_sample, SpecGuard, APP_SECRET, GRAPH_TOKEN,
    PHONE_NUMBER_ID, PLANFIX_TOKEN,
};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{Failure, PlanfixSim};

struct Local {
    planfix: PlanfixSim,
    config: LocalConfig,
    /// Fails the test at its end if a request broke the Planfix spec.
    _spec_guard: SpecGuard,
}

async fn local() -> Local {
    let (planfix, spec_guard) = checked_planfix(PLANFIX_TOKEN);
    let pf_url = planfix.serve(None).await.unwrap();
    let graph =
        GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
    let g_url = graph.serve(None).await.unwrap();
    let dir = std::env::temp_dir().join(format!("bridge-local-test-{}", uuid::Uuid::new_v4()));
    let config = LocalConfig {
        store: StoreConfig::File { path: dir.join("store.json") },
        accounts: vec![account_config("acme", &pf_url, &g_url, Settings::default())],
        files: FilesConfig { dir: dir.join("files") },
        public_url: None,
    };
    Local { planfix, config, _spec_guard: spec_guard }
}

async fn post(app: &Arc<Bridge>, payload: &serde_json::Value) -> u16 {
    let body = payload.to_string();
    let sig = meta_sim::webhook::sign(APP_SECRET.as_bytes(), body.as_bytes());
    let req = http::Request::post("/webhooks/meta/acme")
        .header("x-hub-signature-256", sig)
        .body(bytes::Bytes::from(body))
        .unwrap();
    handle(app, Surface::All, req).await.status().as_u16()
}

fn texts(planfix: &PlanfixSim) -> Vec<String> {
    planfix
        .tasks()
        .first()
        .map(|t| planfix.comments(t.id).into_iter().map(|c| c.description).collect())
        .unwrap_or_default()
}

async fn wait_for_comments(planfix: &PlanfixSim, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let t = texts(planfix);
        if t.len() >= n {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("only {:?} arrived", texts(planfix));
}

const QUICK: RetryPolicy = RetryPolicy {
    attempts: 5,
    min_delay: Duration::from_millis(10),
    max_delay: Duration::from_millis(50),
    max_pause: Duration::from_millis(50),
};

#[tokio::test]
async fn local_worker_retries_and_keeps_order() {
    let sample = meta_sample("inbound_text.json");
    let l = local().await;
    let rt = bridge_app::local::app_from_local(l.config.clone(), "http://127.0.0.1:1").await.unwrap();
    let app = Arc::new(rt.app);
    tokio::spawn(run_work(app.clone(), rt.work, QUICK));
    tokio::spawn(run_files(app.clone(), rt.file_jobs));
    l.planfix.fail_next(
        2,
        Failure::Status { http: 500, body: serde_json::json!({"result":"fail","code":0,"error":"down"}) },
    );
    let message = |i: i64| {
        text_from_sample(&sample, &format!("wamid.local-{i}"), "972555555555", 1_700_000_000 + i, &format!("l{i}"))
    };
    let phone = Phone::parse("972555555555").unwrap();
    for i in 0..5 {
        assert_eq!(post(&app, &message(i)).await, 200);
    }
    let first_five: Vec<String> = (0..5).map(|i| format!("l{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 5).await, first_five);
    wait_until_processed(&app, &phone).await;
    // A later message of the same conversation: its lane runs its work after all of the work
    // queued before it, retries included, so once it is processed any duplicate of l0..l4
    // would already be in the task.
    assert_eq!(post(&app, &message(5)).await, 200);
    let all: Vec<String> = (0..6).map(|i| format!("l{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 6).await, all, "once each, in order");
    wait_until_processed(&app, &phone).await;
    assert_eq!(texts(&l.planfix), all, "once each, in order");
}

/// Waits (bounded) until the conversation's inbox is empty: every message recorded so far has
/// been processed and marked done.
async fn wait_until_processed(app: &Bridge, phone: &Phone) {
    let acme = AccountId::parse("acme").unwrap();
    for _ in 0..200 {
        if app.store.inbox(&acme, phone, 10).await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the inbox of {phone} did not drain");
}

#[tokio::test]
async fn messages_recorded_before_a_restart_are_commented_after_it() {
    let sample = meta_sample("inbound_text.json");
    let l = local().await;
    {
        // Accepted (200) by a bridge that stops before its worker ran.
        let rt = bridge_app::local::app_from_local(l.config.clone(), "http://127.0.0.1:1").await.unwrap();
        let stopped = Arc::new(rt.app);
        for i in 0..3 {
            assert_eq!(
                post(
                    &stopped,
                    &text_from_sample(
                        &sample,
                        &format!("wamid.restart-{i}"),
                        "972566666666",
                        1_700_000_000 + i,
                        &format!("r{i}")
                    )
                )
                .await,
                200
            );
        }
    }
    assert!(l.planfix.requests().is_empty());
    let rt = bridge_app::local::app_from_local(l.config.clone(), "http://127.0.0.1:1").await.unwrap();
    let app = Arc::new(rt.app);
    tokio::spawn(run_work(app.clone(), rt.work, QUICK));
    assert_eq!(wait_for_comments(&l.planfix, 3).await, ["r0", "r1", "r2"]);
}
