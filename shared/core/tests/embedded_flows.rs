//! The core's conversation, inbound, outbound and worker logic, end to end on the embedded
//! SQLite store and queues (a database file in a temp dir), against the Planfix simulator (every
//! request checked against Planfix's OpenAPI spec) and the Meta Graph API simulator on loopback.
//! No AWS emulator: `cargo test -p bridge-core` runs this in seconds.
//!
//! Webhooks go through the one route table (`bridge_http::handle`), signed as Meta signs them;
//! the test plays the queue's consumer, calling `bridge_core::worker::handle` with the delivery
//! count SQS would report, so retries and dead letters are exercised exactly.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_core::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings};
use bridge_core::domain::{unix_now, AccountId, InboundMessage, MessageContent, Phone, Work};
use bridge_core::lease::LeaseTiming;
use bridge_core::outbound::ReplyOutcome;
use bridge_core::ports::{DrainNext, DrainStart, RecordOutcome, SentRecord, Store};
use bridge_core::retry::RetryPolicy;
use bridge_core::worker::{self, Delivery, WorkOutcome};
use bridge_core::Bridge;
use bridge_embedded::sqlite::QueueOptions;
use bridge_embedded::{SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};
use bridge_http::Surface;
use bytes::Bytes;
use meta_sim::webhook::{text_message, Business, Sender};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{Failure, PlanfixSim, PlanfixSimConfig, SpecValidator};
use serde_json::{json, Value};

const ACCOUNT: &str = "acme";
const APP_SECRET: &str = "core-test-app-secret";
const PLANFIX_TOKEN: &str = "core-test-planfix-token";
const HOOK_SECRET: &str = "core-test-hook-secret";
const GRAPH_TOKEN: &str = "core-test-graph-token";
const PHONE_NUMBER_ID: &str = "1122334455667";

const CUSTOMER: &str = "4915112345678";
const CUSTOMER_NAME: &str = "Anna Schmidt";
const EMPLOYEE: i64 = 5;
const T0: i64 = 1_700_000_000;

/// Statuses of the simulator's process 1: 1 "New" (active, the reopen target), 3 "Completed".
const NEW: i64 = 1;
const COMPLETED: i64 = 3;

/// Compiled once per test binary (every test checks its requests against it).
fn spec() -> Arc<SpecValidator> {
    static SPEC: OnceLock<Arc<SpecValidator>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = planfix_sim::spec_path();
        Arc::new(SpecValidator::from_file(&path).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display())))
    })
    .clone()
}

fn account() -> AccountId {
    AccountId::parse(ACCOUNT).unwrap()
}

fn customer() -> Phone {
    Phone::parse(CUSTOMER).unwrap()
}

fn business() -> Business {
    Business {
        phone_number_id: PHONE_NUMBER_ID.into(),
        display_phone_number: "15550001111".into(),
        waba_id: "200300400500600".into(),
    }
}

/// A text webhook from the customer, as Meta builds it.
fn text(wamid: &str, ts: i64, body: &str) -> Value {
    let sender = Sender { wa_id: CUSTOMER.into(), profile_name: CUSTOMER_NAME.into() };
    text_message(&business(), &sender, wamid, ts, body)
}

/// One try of one piece of work, as the queue's consumer saw it.
#[derive(Debug)]
struct Try {
    work: Work,
    attempt: u32,
    result: Result<WorkOutcome, String>,
}

/// The bridge as `bridge_app::bootstrap::build_app` assembles it, on the embedded store and
/// queues, with both simulators on loopback.
struct Rig {
    app: Arc<Bridge>,
    store: Arc<SqliteStore>,
    planfix: PlanfixSim,
    graph: GraphSim,
    work: SqliteWorkQueue,
    files: SqliteFileJobQueue,
    dir: PathBuf,
}

impl Rig {
    async fn start(settings: Settings) -> Self {
        Self::start_with_wait(settings, Duration::from_secs(2)).await
    }

    /// `wait`: how long a worker waits for another worker's lease on the same message or link.
    async fn start_with_wait(settings: Settings, wait: Duration) -> Self {
        let planfix = PlanfixSim::new(PlanfixSimConfig { token: PLANFIX_TOKEN.into(), spec: Some(spec()) });
        let planfix_url = planfix.serve(None).await.expect("planfix sim starts");
        let graph =
            GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
        let graph_url = graph.serve(None).await.expect("graph sim starts");

        let dir = std::env::temp_dir().join(format!("bridge-core-test-{}", uuid::Uuid::new_v4()));
        let db = SqliteDb::open(dir.join("bridge.db")).expect("the database opens");
        let store = Arc::new(SqliteStore::new(db.clone()));
        // Neither hold-back nor dedupe: the test is the consumer, and a repeated webhook must
        // reach the worker, whose own idempotency is under test (the queue dedupes only within
        // its window, as SQS does within five minutes).
        let work = SqliteWorkQueue::with_options(
            db.clone(),
            QueueOptions { hold_back: Duration::ZERO, dedupe_window: Duration::ZERO, ..QueueOptions::work() },
        );
        let files = SqliteFileJobQueue::new(db);
        let infra = Infra {
            store: store.clone(),
            work: Arc::new(work.clone()),
            file_jobs: Arc::new(files.clone()),
            blob: None,
        };
        let tuning = Tuning {
            timing: LeaseTiming { lease_secs: 30, wait, poll: Duration::from_millis(20) },
            message_lease_secs: 30,
            send_retry: RetryPolicy {
                attempts: 2,
                min_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(10),
                max_pause: Duration::from_millis(10),
            },
            config_settings_override: true,
            http_timeout: Duration::from_secs(5),
            public_url: None,
        };
        let cfg = AccountConfig {
            id: account(),
            planfix: PlanfixConfig {
                base_url: planfix_url,
                token: Secret::new(PLANFIX_TOKEN),
                webhook_secret: Secret::new(HOOK_SECRET),
                // Paced through the store as in production, at a rate that keeps the test fast.
                requests_per_second: 1000.0,
            },
            provider: ProviderConfig::Meta(MetaConfig {
                app_secret: Secret::new(APP_SECRET),
                verify_token: Secret::new("core-test-verify-token"),
                access_token: Secret::new(GRAPH_TOKEN),
                phone_number_id: PHONE_NUMBER_ID.into(),
                graph_base_url: graph_url,
                graph_api_version: "v21.0".into(),
            }),
            settings: Some(settings),
        };
        let app = build_app(vec![cfg], infra, tuning).await.expect("app builds");
        Self { app: Arc::new(app), store, planfix, graph, work, files, dir }
    }

    async fn request(&self, req: http::Request<Bytes>) -> (u16, Value) {
        let resp = bridge_http::handle(&self.app, Surface::All, req).await;
        (resp.status().as_u16(), serde_json::from_slice(resp.body()).unwrap_or(Value::Null))
    }

    /// POSTs a webhook signed with the account's app secret (`X-Hub-Signature-256`), as Meta
    /// does; the worker does not run.
    async fn post_meta(&self, payload: &Value) -> Value {
        let (body, signature) = meta_sim::webhook::signed_body(APP_SECRET.as_bytes(), payload);
        let req = http::Request::post(format!("/webhooks/meta/{ACCOUNT}"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(Bytes::from(body))
            .unwrap();
        let (status, answer) = self.request(req).await;
        assert_eq!((status, answer["status"].as_str()), (200, Some("accepted")), "{answer}");
        answer
    }

    /// What the Planfix scenario sends when a comment is added; the worker does not run.
    async fn planfix_hook(&self, task: i64, comment: i64) {
        let body = json!({ "task": task.to_string(), "comment": comment.to_string() }).to_string();
        let req = http::Request::post(format!("/planfix/{ACCOUNT}"))
            .header("content-type", "application/json")
            .header("x-bridge-token", HOOK_SECRET)
            .body(Bytes::from(body))
            .unwrap();
        let (status, answer) = self.request(req).await;
        assert_eq!((status, answer["status"].as_str()), (200, Some("accepted")), "{answer}");
    }

    /// Plays the work queue's consumer until the queue is empty: each piece of work is handled
    /// with delivery count 1, 2, … while it answers RetryLater, up to `max_attempts` (the queue
    /// then redrives it). Returns every try, in order.
    async fn drain(&mut self, max_attempts: u32) -> Vec<Try> {
        let mut tries = Vec::new();
        while let Some(work) = self.next_work().await {
            for attempt in 1..=max_attempts {
                let delivery = Delivery { attempts: attempt, max_attempts, deadline: None };
                let result = worker::handle(&self.app, &work, delivery).await.map_err(|e| e.reason);
                let retry = result.is_err();
                tries.push(Try { work: work.clone(), attempt, result });
                if !retry {
                    break;
                }
            }
        }
        tries
    }

    /// The next piece of work on the queue, taken off it (the next of its conversation becomes
    /// deliverable).
    async fn next_work(&self) -> Option<Work> {
        let item = self.work.receive(1, Duration::from_secs(60)).await.unwrap().pop()?;
        assert!(self.work.delete(item.receipt).await.unwrap());
        Some(item.body)
    }

    /// Drains with the default budget; every piece of work must end in an outcome.
    async fn settle(&mut self) -> Vec<WorkOutcome> {
        let tries = self.drain(5).await;
        tries
            .into_iter()
            .map(|t| t.result.unwrap_or_else(|e| panic!("{:?} (try {}) still failing: {e}", t.work, t.attempt)))
            .collect()
    }

    fn only_task(&self) -> planfix_sim::Task {
        let tasks = self.planfix.tasks();
        assert_eq!(tasks.len(), 1, "{tasks:#?}");
        tasks.into_iter().next().unwrap()
    }

    fn texts(&self, task: i64) -> Vec<String> {
        self.planfix.comments(task).into_iter().map(|c| c.description).collect()
    }

    async fn link(&self) -> bridge_core::ports::ConversationLink {
        let record = self.store.get_link(&account(), &customer()).await.unwrap().expect("a link exists");
        assert_eq!(record.lease_until, None, "no link lease left behind");
        record.link.expect("the link points at a task")
    }

    async fn inbox_is_empty(&self) -> bool {
        self.store.inbox(&account(), &customer(), 10).await.unwrap().is_empty()
    }

    /// A conversation with one message commented: (task id, contact id).
    async fn with_conversation(&mut self) -> (i64, i64) {
        self.post_meta(&text("wamid.open", T0, "Hello")).await;
        self.settle().await;
        let task = self.only_task();
        (task.id, contact_of(&task))
    }
}

/// Every test ends by checking that the bridge made no request the Planfix spec does not allow
/// (unless it is already failing), and removes its store.
impl Drop for Rig {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::fs::remove_dir_all(&self.dir).ok();
            return;
        }
        // Drop cannot await: the count is read on a runtime of its own.
        let files = self.files.clone();
        let counts = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(files.counts())
        })
        .join()
        .expect("the count is read");
        std::fs::remove_dir_all(&self.dir).ok();
        let violations = self.planfix.violations();
        assert!(violations.is_empty(), "requests the Planfix spec does not allow: {violations:#?}");
        assert_eq!(counts.expect("the file-job queue answers").queued, 0, "no file job for text messages");
    }
}

fn contact_of(task: &planfix_sim::Task) -> i64 {
    task.assigner.strip_prefix("contact:").and_then(|id| id.parse().ok()).expect("the requester is a contact")
}

#[tokio::test]
async fn first_message_creates_a_contact_a_task_and_a_comment() {
    let mut rig = Rig::start(Settings::default()).await;
    let answer = rig.post_meta(&text("wamid.first", T0, "Hello, my order has not arrived")).await;
    assert_eq!((answer["messages"].as_u64(), answer["duplicates"].as_u64()), (Some(1), Some(0)), "{answer}");
    assert!(rig.planfix.requests().is_empty(), "the webhook itself never calls Planfix");
    assert_eq!(rig.settle().await, vec![WorkOutcome::Drained { processed: 1 }]);

    let contacts = rig.planfix.contacts();
    assert_eq!(contacts.len(), 1, "{contacts:#?}");
    assert_eq!(contacts[0].name, CUSTOMER_NAME, "named after the WhatsApp profile");
    assert_eq!(contacts[0].phones, vec![format!("+{CUSTOMER}")]);
    let task = rig.only_task();
    assert_eq!(task.assigner, format!("contact:{}", contacts[0].id), "the contact is the requester");
    assert!(task.name.starts_with(&format!("WhatsApp: {CUSTOMER_NAME} (+49")), "{}", task.name);
    let comments = rig.planfix.comments(task.id);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].description, "Hello, my order has not arrived");
    assert_eq!(comments[0].owner, format!("contact:{}", contacts[0].id), "written as the customer");
    assert!(comments[0].source_object_id.is_some(), "the comment carries its idempotency key");

    // The store: the link, the task → conversation record for replies, the message done.
    let link = rig.link().await;
    assert_eq!((link.contact_id, link.task_id, link.task_count), (contacts[0].id, task.id, 1));
    let conv = rig.store.get_task_conversation(&account(), task.id).await.unwrap().expect("task → conversation");
    assert_eq!((conv.phone, conv.contact_id), (customer(), contacts[0].id));
    assert!(rig.inbox_is_empty().await);
    let redelivered = InboundMessage {
        id: "wamid.first".into(),
        from: customer(),
        profile_name: None,
        timestamp: T0,
        content: MessageContent::Text { body: String::new() },
        origin: Default::default(),
        reply_to: None,
    };
    assert_eq!(rig.store.record_message(&account(), &redelivered, T0).await.unwrap(), RecordOutcome::AlreadyDone);
}

#[tokio::test]
async fn an_existing_contact_with_that_phone_is_reused() {
    let mut rig = Rig::start(Settings::default()).await;
    // Planfix's phone filter matches substrings: the decoy (older, so the lower id) contains the
    // same last 10 digits and is the first hit; the bridge confirms every hit digit by digit.
    let decoy = rig.planfix.add_contact("Decoy", "+14915112345678");
    // Written without the plus, as typed in by hand.
    let existing = rig.planfix.add_contact("Known Customer", CUSTOMER);
    rig.post_meta(&text("wamid.known", T0, "hello again")).await;
    rig.settle().await;
    assert_eq!(rig.planfix.contacts().len(), 2, "no contact created");
    let task = rig.only_task();
    assert_eq!(contact_of(&task), existing);
    assert_ne!(contact_of(&task), decoy);
    assert_eq!(rig.link().await.contact_id, existing);
    assert_eq!(rig.texts(task.id), vec!["hello again"]);
}

#[tokio::test]
async fn later_messages_are_comments_on_the_same_task_in_send_order_whatever_the_arrival_order() {
    let mut rig = Rig::start(Settings::default()).await;
    rig.post_meta(&text("wamid.open", T0, "first")).await;
    rig.settle().await;
    // Meta delivers out of order: the webhooks arrive 4, 2, 3 while the worker is behind.
    rig.post_meta(&text("wamid.4", T0 + 40, "fourth")).await;
    rig.post_meta(&text("wamid.2", T0 + 20, "second")).await;
    rig.post_meta(&text("wamid.3", T0 + 30, "third")).await;
    let outcomes = rig.settle().await;
    // The first poke drains the whole inbox in send order; the later pokes find it empty.
    assert_eq!(
        outcomes,
        vec![
            WorkOutcome::Drained { processed: 3 },
            WorkOutcome::Drained { processed: 0 },
            WorkOutcome::Drained { processed: 0 }
        ]
    );
    rig.post_meta(&text("wamid.5", T0 + 50, "fifth")).await;
    rig.settle().await;

    assert_eq!(rig.planfix.contacts().len(), 1);
    let task = rig.only_task();
    assert_eq!(rig.texts(task.id), vec!["first", "second", "third", "fourth", "fifth"]);
    assert_eq!(rig.link().await.task_count, 1);
    assert!(rig.inbox_is_empty().await);
}

#[tokio::test]
async fn a_completed_task_makes_the_next_message_open_a_new_task() {
    let mut rig = Rig::start(Settings::default()).await;
    let (first, contact) = rig.with_conversation().await;
    rig.planfix.set_task_status(first, COMPLETED);

    rig.post_meta(&text("wamid.after", T0 + 100, "it broke again")).await;
    rig.settle().await;
    let tasks = rig.planfix.tasks();
    assert_eq!(tasks.len(), 2, "{tasks:#?}");
    let second = tasks.iter().find(|t| t.id != first).unwrap();
    assert_eq!(contact_of(second), contact, "the same contact");
    assert_eq!(rig.planfix.contacts().len(), 1);
    assert_ne!(second.source_object_id, tasks.iter().find(|t| t.id == first).unwrap().source_object_id);
    assert_eq!(rig.texts(first), vec!["Hello"]);
    assert_eq!(rig.texts(second.id), vec!["it broke again"]);
    let link = rig.link().await;
    assert_eq!((link.task_id, link.task_count, link.contact_id), (second.id, 2, contact));
    assert!(rig.store.get_task_conversation(&account(), second.id).await.unwrap().is_some());

    // The link moved: the next message follows it.
    rig.post_meta(&text("wamid.later", T0 + 200, "still broken")).await;
    rig.settle().await;
    assert_eq!(rig.texts(second.id), vec!["it broke again", "still broken"]);
    assert_eq!(rig.planfix.tasks().len(), 2);
}

#[tokio::test]
async fn single_task_setting_reopens_the_completed_task() {
    let mut rig = Rig::start(Settings { single_task: true, ..Settings::default() }).await;
    let (task, _) = rig.with_conversation().await;
    rig.planfix.set_task_status(task, COMPLETED);
    rig.post_meta(&text("wamid.after", T0 + 100, "one more thing")).await;
    rig.settle().await;
    let reopened = rig.only_task();
    assert_eq!(reopened.id, task, "no new task");
    assert_eq!(reopened.status_id, NEW, "reopened with the process's first active status");
    assert_eq!(rig.texts(task), vec!["Hello", "one more thing"]);
    let link = rig.link().await;
    assert_eq!((link.task_id, link.task_count), (task, 1));
}

#[tokio::test]
async fn a_redelivered_webhook_adds_no_second_comment() {
    let mut rig = Rig::start(Settings::default()).await;
    let payload = text("wamid.dup", T0, "only once");
    // Twice before the worker runs (both recorded as pending), once after it is done.
    rig.post_meta(&payload).await;
    rig.post_meta(&payload).await;
    rig.settle().await;
    let answer = rig.post_meta(&payload).await;
    assert_eq!((answer["messages"].as_u64(), answer["duplicates"].as_u64()), (Some(0), Some(1)), "{answer}");
    assert!(rig.settle().await.is_empty(), "a duplicate of done work queues nothing");
    let task = rig.only_task();
    assert_eq!(rig.texts(task.id), vec!["only once"]);
    let comment_posts = rig
        .planfix
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("/task/{}/comments/", task.id))
        .count();
    assert_eq!(comment_posts, 1, "the second poke found the message done without asking Planfix to comment");
}

fn planfix_down(error: &str) -> Failure {
    Failure::Status { http: 500, body: json!({ "result": "fail", "code": 0, "error": error }) }
}

#[tokio::test]
async fn a_planfix_500_on_the_comment_is_retried_and_comments_exactly_once() {
    let mut rig = Rig::start(Settings::default()).await;
    let (task, _) = rig.with_conversation().await;
    rig.planfix.fail_matching("POST", &format!("/task/{task}/comments/"), 1, planfix_down("comment store down"));
    rig.post_meta(&text("wamid.retry", T0 + 10, "please retry me")).await;
    let tries = rig.drain(5).await;
    assert_eq!(tries.len(), 2, "{tries:#?}");
    assert_eq!(tries[0].attempt, 1);
    let reason = tries[0].result.as_ref().expect_err("the first try answers RetryLater");
    assert!(reason.contains("comment store down") || reason.contains("500"), "{reason}");
    assert_eq!((tries[1].attempt, &tries[1].result), (2, &Ok(WorkOutcome::Drained { processed: 1 })));
    assert_eq!(rig.planfix.fired_faults().len(), 1, "the fault hit the comment creation");
    assert_eq!(rig.planfix.pending_faults(), 0);
    assert_eq!(rig.texts(task), vec!["Hello", "please retry me"], "exactly one comment for the message");
    assert!(rig.store.list_dead_letters(&account()).await.unwrap().is_empty());
    assert!(rig.inbox_is_empty().await);

    // A 500 after Planfix did create the comment (the answer was lost): the retry finds that
    // comment by its sourceObjectId instead of adding a second one.
    let lost_answer =
        Failure::AfterHandling { http: 500, body: json!({ "result": "fail", "code": 0, "error": "lost" }) };
    rig.planfix.fail_matching("POST", &format!("/task/{task}/comments/"), 1, lost_answer);
    rig.post_meta(&text("wamid.lost-answer", T0 + 20, "created, answer lost")).await;
    let tries = rig.drain(5).await;
    assert_eq!(tries.len(), 2, "{tries:#?}");
    assert!(tries[0].result.is_err(), "{:?}", tries[0].result);
    assert_eq!(tries[1].result, Ok(WorkOutcome::Drained { processed: 1 }));
    assert_eq!(rig.texts(task), vec!["Hello", "please retry me", "created, answer lost"], "still one comment each");
}

#[tokio::test]
async fn a_failure_past_the_last_try_becomes_a_dead_letter() {
    let mut rig = Rig::start(Settings::default()).await;
    let (task, _) = rig.with_conversation().await;
    // Both tries fail: the first at the comment, the retry at its look for an earlier comment.
    rig.planfix.fail_matching("POST", &format!("/task/{task}/comments/"), 2, planfix_down("still down"));
    rig.post_meta(&text("wamid.lost", T0 + 10, "will not make it")).await;
    let tries = rig.drain(2).await;
    assert_eq!(tries.len(), 2, "{tries:#?}");
    assert!(tries[0].result.is_err(), "the first of two tries asks for a retry: {:?}", tries[0].result);
    let expected_key =
        Work::Conversation { account: account(), phone: customer(), message_id: "wamid.lost".into() }.key();
    match &tries[1].result {
        Ok(WorkOutcome::DeadLettered { key, reason }) => {
            assert_eq!(key, &expected_key);
            assert!(reason.contains("still down") || reason.contains("500"), "{reason}");
        }
        other => panic!("the last try dead-letters the message, got {other:?}"),
    }
    let letters = rig.store.list_dead_letters(&account()).await.unwrap();
    assert_eq!(letters.len(), 1, "{letters:#?}");
    assert_eq!(letters[0].key, expected_key);
    assert_eq!(letters[0].attempts, 2);
    let entry = letters[0].entry.as_ref().expect("the letter keeps the message");
    assert_eq!(entry.message.id, "wamid.lost");
    assert!(rig.inbox_is_empty().await, "the conversation is free to go on");
    // The message never became a comment; the task got a note saying so.
    let texts = rig.texts(task);
    assert_eq!(texts.len(), 2, "{texts:#?}");
    assert_eq!(texts[0], "Hello");
    assert!(texts[1].contains("could not be added to this task"), "{}", texts[1]);
    assert!(!texts.iter().any(|t| t.contains("will not make it")));

    // The operator replays it: back in the inbox, queued again, with a fresh retry budget (one
    // more failure is retried, not dead-lettered at once), and then commented.
    assert_eq!(worker::replay(&rig.app, &account(), &expected_key).await, Ok(true));
    assert!(rig.store.list_dead_letters(&account()).await.unwrap().is_empty());
    rig.planfix.fail_matching("POST", &format!("/task/{task}/comments/"), 1, planfix_down("down once more"));
    let tries = rig.drain(2).await;
    assert_eq!(tries.len(), 2, "{tries:#?}");
    assert!(tries[0].result.is_err(), "the replay's first failure is retried: {:?}", tries[0].result);
    assert_eq!(tries[1].result, Ok(WorkOutcome::Drained { processed: 1 }));
    assert_eq!(rig.texts(task)[2], "will not make it");
    assert_eq!(rig.texts(task).len(), 3);
    assert!(rig.store.list_dead_letters(&account()).await.unwrap().is_empty());
}

/// A delivery may carry several messages: each has its own retry budget, so a message first tried
/// in a delivery's last receive is retried (by its own poke), not dead-lettered.
#[tokio::test]
async fn a_messages_retry_budget_is_its_own_whatever_delivery_carries_it() {
    let mut rig = Rig::start_with_wait(Settings::default(), Duration::from_millis(100)).await;
    let (task, _) = rig.with_conversation().await;
    let poke_a = Work::Conversation { account: account(), phone: customer(), message_id: "wamid.a".into() };
    rig.post_meta(&text("wamid.a", T0 + 10, "a")).await;
    assert_eq!(rig.next_work().await, Some(poke_a.clone()));
    // Another delivery is draining the conversation: this one gives up and comes back later.
    let other = rig.store.begin_drain(&account(), &customer(), "other-delivery", unix_now(), 60).await.unwrap();
    assert!(matches!(other, DrainStart::Acquired { .. }), "{other:?}");
    let first = worker::handle(&rig.app, &poke_a, Delivery { attempts: 1, max_attempts: 2, deadline: None }).await;
    assert!(first.is_err(), "{first:?}");
    // The other delivery commented a; meanwhile b arrived, and Planfix fails b's comment once.
    let entry_a = rig.store.inbox(&account(), &customer(), 10).await.unwrap().remove(0);
    rig.store
        .finish_message(&account(), &entry_a, "other-delivery", Some((task, 999_999)), DrainNext::Release)
        .await
        .unwrap();
    rig.post_meta(&text("wamid.b", T0 + 20, "b")).await;
    rig.planfix.fail_matching("POST", &format!("/task/{task}/comments/"), 1, planfix_down("b failed"));
    // Poke a's last receive finds a done and tries b for the first time: b is not dead-lettered.
    let last = worker::handle(&rig.app, &poke_a, Delivery { attempts: 2, max_attempts: 2, deadline: None }).await;
    assert!(last.is_err(), "b's first failure asks for a retry: {last:?}");
    assert!(rig.store.list_dead_letters(&account()).await.unwrap().is_empty());
    // Poke a goes to the queue's dead-letter queue; b's own poke, with a full budget, comments b.
    assert_eq!(
        rig.drain(2).await.into_iter().map(|t| t.result).collect::<Vec<_>>(),
        vec![Ok(WorkOutcome::Drained { processed: 1 })]
    );
    assert_eq!(rig.texts(task), vec!["Hello", "b"]);
    assert!(rig.inbox_is_empty().await);
}

#[tokio::test]
async fn an_employee_comment_that_notifies_the_contact_reaches_whatsapp_once() {
    let mut rig = Rig::start(Settings::default()).await;
    let (task, contact) = rig.with_conversation().await;
    let comment =
        rig.planfix.add_employee_comment(task, EMPLOYEE, "<p>Hello <b>Anna</b>, it ships today</p>", &[contact]);
    rig.planfix_hook(task, comment).await;
    let outcomes = rig.settle().await;
    let ids = match outcomes.as_slice() {
        [WorkOutcome::Reply(ReplyOutcome::Sent { provider_message_ids })] => provider_message_ids.clone(),
        other => panic!("one reply sent, got {other:?}"),
    };
    let sent = rig.graph.sent();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].to, CUSTOMER);
    assert_eq!(sent[0].text(), Some("Hello *Anna*, it ships today"));
    assert_eq!(ids, vec![sent[0].wamid.clone()]);
    let record = rig.store.get_sent(&account(), &sent[0].wamid).await.unwrap();
    assert_eq!(
        record,
        Some(SentRecord {
            comment_id: comment,
            task_id: task,
            author: Some(format!("user:{EMPLOYEE}")),
            excerpt: Some("Hello *Anna*, it ships today".into()),
        })
    );

    // Planfix repeats the scenario request: the comment is not sent twice.
    rig.planfix_hook(task, comment).await;
    assert_eq!(rig.settle().await, vec![WorkOutcome::Reply(ReplyOutcome::AlreadyDone)]);
    assert_eq!(rig.graph.sent().len(), 1);
}

#[tokio::test]
async fn a_comment_that_does_not_notify_the_contact_stays_in_planfix() {
    let mut rig = Rig::start(Settings::default()).await;
    let (task, _) = rig.with_conversation().await;
    let comment = rig.planfix.add_employee_comment(task, EMPLOYEE, "note for colleagues", &[]);
    rig.planfix_hook(task, comment).await;
    assert_eq!(
        rig.settle().await,
        vec![WorkOutcome::Reply(ReplyOutcome::Ignored("comment does not notify the WhatsApp contact"))]
    );
    assert!(rig.graph.sent().is_empty());
    assert!(rig.graph.requests().is_empty(), "WhatsApp was not called at all");
    // The customer's own message (written by the bridge as the contact) is never echoed either.
    let inbound = rig.planfix.comments(task)[0].id;
    rig.planfix_hook(task, inbound).await;
    assert_eq!(
        rig.settle().await,
        vec![WorkOutcome::Reply(ReplyOutcome::Ignored("comment was not written by an employee"))]
    );
    assert!(rig.graph.requests().is_empty());
}
