//! The Lambda entry point: the sample events in `events/` go through the function's handler
//! exactly as the Lambda runtime would hand them over.

use std::sync::Arc;

use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_core::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings};
use bridge_core::domain::AccountId;
use e2e_tests::{checked_planfix, fresh_dynamo_store, SpecGuard};
use planfix_sim::PlanfixSim;

/// The embedded demo account the events are signed for (see events/README.md).
async fn demo_app() -> (Arc<bridge_core::Bridge>, PlanfixSim, SpecGuard, e2e_tests::WorkerRig) {
    let (planfix, spec_guard) = checked_planfix("t");
    let url = planfix.serve(None).await.unwrap();
    let account = AccountConfig {
        id: AccountId::parse("demo").unwrap(),
        planfix: PlanfixConfig {
            base_url: url,
            token: Secret::new("t"),
            webhook_secret: Secret::new("demo-planfix-hook-secret"),
            requests_per_second: 200.0,
        },
        provider: ProviderConfig::Meta(MetaConfig {
            app_secret: Secret::new("demo-meta-app-secret"),
            verify_token: Secret::new("demo-verify-token"),
            access_token: Secret::new("unused"),
            phone_number_id: "100200300400500".into(),
            graph_base_url: "http://127.0.0.1:9".into(),
            graph_api_version: "v21.0".into(),
        }),
        settings: Some(Settings::default()),
    };
    let store = Arc::new(fresh_dynamo_store().await);
    let (sqs, queue_url) = e2e_tests::fresh_queue().await;
    let rig = e2e_tests::WorkerRig::new().await;
    let infra = Infra {
        store,
        work: rig.queue(),
        file_jobs: Arc::new(bridge_aws::SqsFileJobQueue::new(sqs, queue_url)),
        blob: None,
    };
    (Arc::new(build_app(vec![account], infra, Tuning::default()).await.unwrap()), planfix, spec_guard, rig)
}

fn event(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(file);
    std::fs::read_to_string(&path).unwrap()
}

async fn invoke(app: &Arc<bridge_core::Bridge>, event_file: &str) -> (u16, String) {
    let json = event(event_file);
    let request = lambda_http::request::from_str(&json).expect("a valid API Gateway event");
    let resp = lambda_adapter::handle(app, bridge_http::Surface::ProviderWebhooks, request).await;
    let status = resp.status().as_u16();
    let body = match resp.into_body() {
        lambda_http::Body::Text(t) => t,
        lambda_http::Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    (status, body)
}

#[tokio::test]
async fn sample_events_through_the_lambda_handler() {
    let (app, planfix, _spec_guard, rig) = demo_app().await;

    assert_eq!(invoke(&app, "meta-bad-signature.json").await.0, 401);
    assert!(planfix.requests().is_empty());

    let (status, body) = invoke(&app, "meta-text-message.json").await;
    assert_eq!(status, 200, "{body}");
    assert!(planfix.requests().is_empty(), "the webhook only records and queues");
    // The worker function, invoked with the sample SQS FIFO event for that message.
    let sqs_event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&event("sqs-work-conversation.json")).expect("a valid SQS event");
    let queue = bridge_aws::SqsWorkQueue::new(rig.sqs.clone(), rig.url.clone());
    let response = worker::handle(&app, &queue, &rig.cfg, sqs_event, None).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let tasks = planfix.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(planfix.comments(tasks[0].id)[0].description, "Hello! My order #123 has not arrived.");

    // Lambda retries / provider redelivery of the same event: no second comment.
    assert_eq!(invoke(&app, "meta-text-message.json").await.0, 200);
    rig.settle(&app).await;
    assert_eq!(planfix.comments(tasks[0].id).len(), 1);

    assert_eq!(invoke(&app, "meta-status-delivered.json").await.0, 200);
    rig.settle(&app).await;
    assert_eq!(invoke(&app, "meta-verify-handshake.json").await, (200, "1158201444".to_string()));
    assert!(planfix.violations().is_empty(), "{:?}", planfix.violations());
}

/// The planfix-webhook function's "task status changed" event: the demo conversation's task,
/// completed in Planfix, is marked closed on its link once the worker has read it back; the
/// provider function does not serve the route.
#[tokio::test]
async fn the_task_status_event_through_the_planfix_webhook_function() {
    let (app, planfix, _spec_guard, rig) = demo_app().await;
    assert_eq!(invoke(&app, "meta-text-message.json").await.0, 200);
    rig.settle(&app).await;
    let task = planfix.tasks()[0].id;
    assert_eq!(task, 101, "the event names the demo conversation's first task");
    assert!(planfix.complete_task(task));

    let through = |surface| {
        let app = app.clone();
        async move {
            let request = lambda_http::request::from_str(&event("planfix-task-status.json")).expect("a valid event");
            lambda_adapter::handle(&app, surface, request).await.status().as_u16()
        }
    };
    assert_eq!(through(bridge_http::Surface::ProviderWebhooks).await, 404);
    assert_eq!(through(bridge_http::Surface::PlanfixWebhooks).await, 200);
    rig.settle(&app).await;
    let account = AccountId::parse("demo").unwrap();
    let phone = bridge_core::domain::Phone::parse("79051234567").unwrap();
    let link = app.store.get_link(&account, &phone).await.unwrap().and_then(|r| r.link).unwrap();
    assert_eq!((link.task_id, link.task_closed), (task, true));
    assert!(planfix.violations().is_empty(), "{:?}", planfix.violations());
}

/// The worker function's other event: the sweep's EventBridge schedule. A message recorded in
/// the store and its inbox whose work item never reached the queue (the enqueue after the store
/// write failed) is commented once the scheduled event is handled and the worker drains the
/// queue; the function still takes its SQS batches, and refuses an event of neither kind.
#[tokio::test]
async fn the_scheduled_sweep_requeues_an_inbox_whose_work_was_lost() {
    use bridge_core::domain::{InboundMessage, MessageContent, Phone};
    use bridge_core::ports::{InboxEntry, RecordOutcome};
    let (app, planfix, _spec_guard, rig) = demo_app().await;
    let demo = AccountId::parse("demo").unwrap();
    let message = InboundMessage {
        id: "wamid.lost-poke".into(),
        from: Phone::parse("79051234567").unwrap(),
        profile_name: Some("Ivan".into()),
        timestamp: 1_700_000_000,
        content: MessageContent::Text { body: "is anyone there?".into() },
        origin: Default::default(),
        reply_to: None,
    };
    let now = bridge_core::domain::unix_now();
    assert_eq!(app.store.record_message(&demo, &message, now).await.unwrap(), RecordOutcome::New);
    app.store.add_to_inbox(&demo, &InboxEntry::new(message, 0)).await.unwrap();
    assert_eq!(rig.pending().await, 0, "no work item was queued");

    let queue = bridge_aws::SqsWorkQueue::new(rig.sqs.clone(), rig.url.clone());
    let scheduled: serde_json::Value = serde_json::from_str(&event("sweep.json")).unwrap();
    // The deployed threshold (15 minutes): a message recorded a moment ago is left alone.
    let deployed = worker::SweepConfig::from_env();
    let answer = worker::handle_event(&app, &queue, &rig.cfg, &deployed, scheduled.clone(), None).await.unwrap();
    assert_eq!(answer["poked"], 0, "{answer}");
    assert_eq!(rig.pending().await, 0);

    let now_stale = worker::SweepConfig { stale_after: std::time::Duration::ZERO };
    let answer = worker::handle_event(&app, &queue, &rig.cfg, &now_stale, scheduled, None).await.unwrap();
    assert_eq!((answer["swept_accounts"].as_u64(), answer["poked"].as_u64()), (Some(1), Some(1)), "{answer}");
    assert!(planfix.requests().is_empty(), "the sweep only queues");
    rig.settle(&app).await;
    let tasks = planfix.tasks();
    assert_eq!(tasks.len(), 1);
    let comments: Vec<String> = planfix.comments(tasks[0].id).into_iter().map(|c| c.description).collect();
    assert_eq!(comments, ["is anyone there?"]);

    // The SQS batch through the same entry point: a poke for the drained inbox does nothing.
    let sqs: serde_json::Value = serde_json::from_str(&event("sqs-work-conversation.json")).unwrap();
    let answer = worker::handle_event(&app, &queue, &rig.cfg, &now_stale, sqs, None).await.unwrap();
    assert_eq!(answer["batchItemFailures"], serde_json::json!([]), "{answer}");
    assert_eq!(planfix.comments(tasks[0].id).len(), 1, "exactly once");

    let unknown = serde_json::json!({ "source": "aws.s3", "detail-type": "Object Created", "detail": {} });
    let refused = worker::handle_event(&app, &queue, &rig.cfg, &now_stale, unknown, None).await.unwrap_err();
    assert!(refused.contains("neither an SQS event"), "{refused}");
}
