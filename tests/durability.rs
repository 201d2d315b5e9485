//! Step 4 end to end: webhooks are only recorded and queued (SQS FIFO on moto), workers drain
//! the queue through the worker Lambda's handler; the Planfix simulator injects failures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::config::Settings;
use bridge_core::domain::AccountId;
use bridge_core::ports::Store;
use e2e_tests::{fresh_dynamo_store, meta_sample, text_from_sample, Harness};
use futures_util::StreamExt;
use planfix_sim::{Failure, FiredFault, RecordedRequest};
use serde_json::{json, Value};

fn sample() -> Value {
    meta_sample("inbound_text.json")
}

fn acme() -> AccountId {
    AccountId::parse("acme").unwrap()
}

/// Comment texts of a task, in the order Planfix holds them, without the bridge's notes.
fn texts(h: &Harness, task: i64) -> Vec<String> {
    h.planfix.comments(task).into_iter().map(|c| c.description).filter(|d| !d.contains('⚠')).collect()
}

/// The task whose contact has this phone (digits).
fn task_of(h: &Harness, phone: &str) -> i64 {
    let contact = h
        .planfix
        .contacts()
        .into_iter()
        .find(|c| c.phones.iter().any(|p| p.chars().filter(char::is_ascii_digit).collect::<String>() == phone))
        .unwrap_or_else(|| panic!("no contact for {phone}"))
        .id;
    let tasks: Vec<_> = h.planfix.tasks().into_iter().filter(|t| t.assigner == format!("contact:{contact}")).collect();
    assert_eq!(tasks.len(), 1, "one task per conversation");
    tasks[0].id
}

/// Posts every payload (signed, through the webhook handler) with `concurrency` in flight, and
/// checks each was acknowledged.
async fn post_all(h: &Arc<Harness>, payloads: Vec<Value>, concurrency: usize) {
    let answers: Vec<(u16, Value)> = futures_util::stream::iter(payloads)
        .map(|p| {
            let h = h.clone();
            async move { h.post_meta_only(&p).await }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
    }
}

/// `n` worker instances draining the queue at once.
async fn settle_with(h: &Arc<Harness>, n: usize) {
    let workers: Vec<_> = (0..n)
        .map(|_| {
            let (h, rig) = (h.clone(), h.worker.sharing());
            tokio::spawn(async move { rig.settle(&h.app).await })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_messages_delivered_five_times_concurrently_are_commented_once_each() {
    let sample = sample();
    let h = Arc::new(Harness::start(Settings::default()).await);
    let phones: Vec<String> = (0..20).map(|i| format!("9725000000{i:02}")).collect();
    let mut payloads = Vec::new();
    for (p, phone) in phones.iter().enumerate() {
        for m in 0..10 {
            let payload = text_from_sample(
                &sample,
                &format!("wamid.load-{p}-{m}"),
                phone,
                1_700_000_000 + m,
                &format!("{phone} m{m}"),
            );
            payloads.extend(std::iter::repeat_n(payload, 5));
        }
    }
    // Interleave so the five copies of a message arrive together, as concurrent redeliveries.
    post_all(&h, payloads, 25).await;
    settle_with(&h, 4).await;
    assert_eq!(h.planfix.contacts().len(), 20);
    assert_eq!(h.planfix.tasks().len(), 20);
    for phone in &phones {
        let want: Vec<String> = (0..10).map(|m| format!("{phone} m{m}")).collect();
        assert_eq!(texts(&h, task_of(&h, phone)), want, "each message once, in send order");
    }
    let total: usize = h.planfix.tasks().iter().map(|t| h.planfix.comments(t.id).len()).sum();
    assert_eq!(total, 200, "0 duplicates");
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty());
    h.assert_spec_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_simultaneous_messages_from_a_new_number_make_one_task_with_comments_in_send_order() {
    let sample = sample();
    let h = Arc::new(Harness::start(Settings::default()).await);
    let phone = "972511111111";
    // Arrival order is the reverse of the send order.
    let payloads: Vec<Value> = (0..10)
        .rev()
        .map(|i| text_from_sample(&sample, &format!("wamid.same-{i}"), phone, 1_700_000_000 + i, &format!("burst {i}")))
        .collect();
    post_all(&h, payloads, 10).await;
    settle_with(&h, 3).await;
    assert_eq!(h.planfix.contacts().len(), 1);
    assert_eq!(h.planfix.tasks().len(), 1);
    assert_eq!(texts(&h, task_of(&h, phone)), (0..10).map(|i| format!("burst {i}")).collect::<Vec<_>>());
    h.assert_spec_clean();
}

/// How long the bridge waits for Planfix in the lost-answer tests (ample, so that only the
/// injected faults time out), and when a late answer comes.
const WAIT: Duration = Duration::from_secs(2);
const LATE: Duration = Duration::from_secs(5);

fn fired(method: &str, path: &str, failure: Failure) -> FiredFault {
    FiredFault { method: method.into(), path: path.into(), failure }
}

/// Positions in the simulator's request log of the calls with this method and path.
fn calls(h: &Harness, method: &str, path: &str) -> Vec<usize> {
    let requests = h.planfix.requests();
    requests.iter().enumerate().filter(|(_, r)| r.method == method && r.path == path).map(|(i, _)| i).collect()
}

/// Planfix handles the lookup, then answers that it holds nothing (`{"<list>": []}`): what a
/// bridge that skipped the lookup would go on with.
fn blind_lookup(list: &str) -> Failure {
    let mut body = json!({ "result": "success" });
    body[list] = json!([]);
    Failure::AfterHandling { http: 200, body }
}

/// Messages `numbers` of each phone (text "{phone} m{number}"), as Meta sends them.
fn messages(sample: &Value, phones: &[&str], numbers: std::ops::Range<i64>) -> Vec<Value> {
    let mut out = Vec::new();
    for (p, phone) in phones.iter().enumerate() {
        for m in numbers.clone() {
            let (id, text) = (format!("wamid.fault-{p}-{m}"), format!("{phone} m{m}"));
            out.push(text_from_sample(sample, &id, phone, 1_700_000_000 + m, &text));
        }
    }
    out
}

/// The first comment of `task` created at or after position `from` of the request log lost its
/// answer: Planfix had created it all the same, the retry looked it up instead of sending it
/// again, and it is there once, with `text`.
fn assert_lost_comment_found(h: &Harness, from: usize, task: i64, text: &str) {
    let requests = h.planfix.requests();
    let (create, list) = (format!("/task/{task}/comments/"), format!("/task/{task}/comments/list"));
    let lost = (from..requests.len())
        .find(|&i| requests[i].method == "POST" && requests[i].path == create)
        .unwrap_or_else(|| panic!("no POST {create}"));
    assert_eq!(requests[lost].status, 201, "Planfix created the comment although the bridge got no answer");
    let source = |r: &RecordedRequest| r.body.as_ref().and_then(|b| b["sourceObjectId"].as_str()).map(str::to_owned);
    let key = source(&requests[lost]).expect("the creation carries its sourceObjectId");
    let sent = requests.iter().filter(|r| r.path == create && source(r).as_deref() == Some(key.as_str())).count();
    assert_eq!(sent, 1, "{text:?}: created once, never sent again");
    assert!(
        requests[lost + 1..].iter().any(|r| r.method == "POST" && r.path == list),
        "{text:?}: the retry did not look for the comment ({list})"
    );
    let found: Vec<String> = h
        .planfix
        .comments(task)
        .into_iter()
        .filter(|c| c.source_object_id.as_deref() == Some(key.as_str()))
        .map(|c| c.description)
        .collect();
    assert_eq!(found, [text], "the comment of the lost answer, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planfix_errors_timeouts_and_rate_limits_then_recovery_deliver_everything_once_in_order() {
    let sample = sample();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let mut h = Harness::custom(Settings::default(), store, |tuning, _| tuning.http_timeout = WAIT).await;
    // Backoff shaped as in production, test-sized.
    h.worker.cfg.retry_base = Duration::from_millis(250);
    h.worker.cfg.retry_max = Duration::from_millis(500);
    // Planfix's "daily limit spent" (code 22) waits longer than other failures.
    h.worker.cfg.daily_limit_pause = Duration::from_secs(2);
    let h = Arc::new(h);
    let phones = ["972522222221", "972522222222"];

    // 1. Both conversations start while Planfix fails: two errors, the daily limit, a rate
    //    limit, each on whichever call comes next. Each must have hit a call the bridge then
    //    made again, successfully.
    let fail = |http: u16, code: i64| Failure::Status {
        http,
        body: json!({"result": "fail", "code": code, "error": "injected"}),
    };
    let statuses = [fail(500, 0), fail(500, 0), fail(403, 22), fail(429, 0)];
    for failure in &statuses {
        h.planfix.fail_next(1, failure.clone());
    }
    post_all(&h, messages(&sample, &phones, 0..2), 4).await;
    settle_with(&h, 2).await;
    assert_eq!(h.planfix.pending_faults(), 0, "every injected failure fired");
    let fired_statuses = h.planfix.fired_faults();
    assert_eq!(fired_statuses.iter().map(|f| f.failure.clone()).collect::<Vec<_>>(), statuses);
    let requests = h.planfix.requests();
    for fault in &fired_statuses {
        let Failure::Status { http, .. } = fault.failure else { unreachable!() };
        let (method, path) = (&fault.method, &fault.path);
        let same = |r: &&RecordedRequest| r.method == *method && r.path == *path;
        let hit = requests
            .iter()
            .position(|r| same(&r) && r.status == http)
            .unwrap_or_else(|| panic!("{method} {path}: no answer {http} in the log"));
        assert!(
            requests[hit + 1..].iter().filter(same).any(|r| (200..300).contains(&r.status)),
            "{method} {path} failed with {http} and never succeeded afterwards"
        );
    }

    // 2. Each conversation's next comment is created, but its answer is lost: one connection
    //    drops, the other answer comes after the bridge stopped waiting. Every message of this
    //    round is on its first try, so the first comment call of each task is the creation.
    let (task_a, task_b) = (task_of(&h, phones[0]), task_of(&h, phones[1]));
    let (create_a, create_b) = (format!("/task/{task_a}/comments/"), format!("/task/{task_b}/comments/"));
    h.planfix.fail_matching("POST", &create_a, 1, Failure::DropAfterCommit);
    h.planfix.fail_matching("POST", &create_b, 1, Failure::AnswerLate(LATE));
    let round = h.planfix.requests().len();
    post_all(&h, messages(&sample, &phones, 2..4), 4).await;
    settle_with(&h, 2).await;
    assert_eq!(h.planfix.pending_faults(), 0, "both lost answers fired");
    let lost = h.planfix.fired_faults().split_off(statuses.len());
    assert_eq!(lost.len(), 2, "{lost:?}");
    assert!(lost.contains(&fired("POST", &create_a, Failure::DropAfterCommit)), "{lost:?}");
    assert!(lost.contains(&fired("POST", &create_b, Failure::AnswerLate(LATE))), "{lost:?}");
    assert_lost_comment_found(&h, round, task_a, &format!("{} m2", phones[0]));
    assert_lost_comment_found(&h, round, task_b, &format!("{} m2", phones[1]));

    for phone in phones {
        let task = task_of(&h, phone);
        let want: Vec<String> = (0..4).map(|m| format!("{phone} m{m}")).collect();
        assert_eq!(texts(&h, task), want, "every message once, in order");
        assert_eq!(h.planfix.comments(task).len(), 4, "and nothing else: no duplicate, no note");
    }
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty(), "recovered within the retry budget");
    assert_eq!(h.planfix.contacts().len(), 2);
    assert_eq!(h.planfix.tasks().len(), 2);
    h.assert_spec_clean();
}

/// A first message whose task Planfix creates while the answer is lost (`loss`). Checks what
/// that first try left, then lets the retries run; returns the harness and the task of the
/// first try. `blind`: Planfix answers the retry's lookup with an empty list.
async fn first_task_answer_lost(loss: Failure, blind: bool) -> (Harness, i64) {
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Harness::custom(Settings::default(), store, |tuning, _| tuning.http_timeout = WAIT).await;
    h.planfix.fail_matching("POST", "/task/", 1, loss.clone());
    if blind {
        h.planfix.fail_matching("POST", "/task/list", 1, blind_lookup("tasks"));
    }
    let message = text_from_sample(&sample(), "wamid.lost-task", "972566666666", 1_700_000_000, "hello");
    assert_eq!(h.post_meta_only(&message).await.0, 200);
    h.worker.run_once(&h.app).await.expect("the message was queued");
    assert_eq!(h.worker.pending().await, 1, "the first try failed and is to be retried");
    assert_eq!(h.planfix.fired_faults(), [fired("POST", "/task/", loss)]);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "Planfix created the task although the bridge got no answer");
    assert!(tasks[0].source_object_id.is_some(), "with its idempotency key");
    assert!(h.planfix.comments(tasks[0].id).is_empty());
    h.settle().await;
    assert_eq!(h.planfix.pending_faults(), 0, "every fault fired (the blinded lookup only if the retry looked)");
    (h, tasks[0].id)
}

/// After a lost task answer: the retry looked the task up and used it; one contact, one task,
/// the message once.
async fn assert_task_found(h: &Harness, task: i64) {
    let creations = calls(h, "POST", "/task/");
    assert_eq!(creations.len(), 1, "the task was created once, never sent again");
    assert!(calls(h, "POST", "/task/list").iter().any(|&i| i > creations[0]), "the retry looked for the task");
    assert_eq!(h.planfix.contacts().len(), 1);
    let tasks: Vec<i64> = h.planfix.tasks().iter().map(|t| t.id).collect();
    assert_eq!(tasks, [task], "found by its sourceObjectId, not created again");
    let comments: Vec<String> = h.planfix.comments(task).into_iter().map(|c| c.description).collect();
    assert_eq!(comments, ["hello"]);
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty());
    h.assert_spec_clean();
}

#[tokio::test]
async fn a_task_created_after_the_bridge_stopped_waiting_is_found_not_created_twice() {
    let (h, task) = first_task_answer_lost(Failure::AnswerLate(LATE), false).await;
    assert_task_found(&h, task).await;
}

#[tokio::test]
async fn a_task_whose_answer_was_cut_off_is_found_not_created_twice() {
    let (h, task) = first_task_answer_lost(Failure::DropAfterCommit, false).await;
    assert_task_found(&h, task).await;
}

/// The control of the two tests above: when the retry's lookup finds nothing — as for a bridge
/// that skipped it — the same lost answer yields a second task, which those tests would catch.
#[tokio::test]
async fn control_a_task_lookup_that_finds_nothing_makes_a_second_task() {
    let (h, task) = first_task_answer_lost(Failure::AnswerLate(LATE), true).await;
    assert_eq!(h.planfix.tasks().len(), 2, "{:?}", h.planfix.tasks());
    assert_eq!(calls(&h, "POST", "/task/").len(), 2);
    assert!(h.planfix.comments(task).is_empty(), "the message went to the second task");
}

/// The control of the lost comments in the fault test: when the retry's lookup finds nothing —
/// as for a bridge that skipped it — the comment of a dropped answer is added twice, which that
/// test would catch.
#[tokio::test]
async fn control_a_comment_lookup_that_finds_nothing_adds_the_comment_twice() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    let phone = "972577777777";
    let message =
        |m: i64| text_from_sample(&sample, &format!("wamid.ctl-{m}"), phone, 1_700_000_000 + m, &format!("m{m}"));
    assert_eq!(h.post_meta(&message(0)).await.0, 200);
    let task = task_of(&h, phone);
    h.planfix.fail_matching("POST", &format!("/task/{task}/comments/"), 1, Failure::DropAfterCommit);
    h.planfix.fail_matching("POST", "/comments/list", 1, blind_lookup("comments"));
    assert_eq!(h.post_meta(&message(1)).await.0, 200);
    assert_eq!(h.planfix.pending_faults(), 0, "both faults fired: the retry looked the comment up");
    assert_eq!(texts(&h, task), ["m0", "m1", "m1"]);
}

#[tokio::test]
async fn past_the_retry_budget_a_message_is_dead_lettered_noted_and_replay_delivers_it() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    let phone = "972533333333";
    // The first message's comment fails on every try (the worker allows 5).
    h.planfix.fail_matching(
        "POST",
        "/comments/",
        5,
        Failure::Status { http: 500, body: json!({"result":"fail","code":0,"error":"down"}) },
    );
    for m in 0..3 {
        assert_eq!(
            h.post_meta_only(&text_from_sample(
                &sample,
                &format!("wamid.dead-{m}"),
                phone,
                1_700_000_000 + m,
                &format!("m{m}")
            ))
            .await
            .0,
            200
        );
    }
    h.settle().await;
    let task = task_of(&h, phone);
    assert_eq!(texts(&h, task), ["m1", "m2"], "the conversation went on without it");
    let letters = h.store.list_dead_letters(&acme()).await.unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].attempts, 5);
    assert!(letters[0].error.contains("500"), "{}", letters[0].error);
    let notes: Vec<String> =
        h.planfix.comments(task).into_iter().map(|c| c.description).filter(|d| d.contains('⚠')).collect();
    assert_eq!(notes.len(), 1, "the task says a message is missing");
    assert!(notes[0].contains("could not be added") && !notes[0].contains("m0"), "{}", notes[0]);

    // The operator replays it (Planfix still hiccups once: a replay has a fresh retry budget):
    // delivered once, the letter gone.
    h.planfix.fail_matching(
        "POST",
        "/comments/",
        1,
        Failure::Status { http: 500, body: json!({"result":"fail","code":0,"error":"again"}) },
    );
    assert!(bridge_core::worker::replay(&h.app, &acme(), &letters[0].key).await.unwrap());
    h.settle().await;
    assert_eq!(texts(&h, task), ["m1", "m2", "m0"]);
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty());
    // The provider redelivering it later changes nothing.
    assert_eq!(h.post_meta(&text_from_sample(&sample, "wamid.dead-0", phone, 1_700_000_000, "m0")).await.0, 200);
    assert_eq!(texts(&h, task), ["m1", "m2", "m0"]);
    h.assert_spec_clean();
}

#[tokio::test]
async fn a_reply_that_cannot_be_read_from_planfix_is_dead_lettered_and_replayed() {
    let sample = sample();
    let h = Harness::start(Settings::default()).await;
    assert_eq!(h.post_meta(&sample).await.0, 200);
    let task = h.planfix.tasks()[0].clone();
    let contact: i64 = task.assigner.trim_start_matches("contact:").parse().unwrap();
    let comment = h.planfix.add_employee_comment(task.id, 5, "answer", &[contact]);
    h.planfix.fail_matching(
        "GET",
        &format!("/comment/{comment}"),
        5,
        Failure::Status { http: 502, body: json!({"result":"fail","code":0,"error":"bad gateway"}) },
    );
    let (status, body) = h.planfix_hook(task.id, comment, Some(e2e_tests::PLANFIX_HOOK_SECRET)).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("dead_letter")), "{body}");
    assert!(h.graph.sent().is_empty());
    let letters = h.store.list_dead_letters(&acme()).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert!(h
        .planfix
        .comments(task.id)
        .iter()
        .any(|c| c.description.contains(&format!("Comment #{comment} could not be sent"))));
    assert!(bridge_core::worker::replay(&h.app, &acme(), &letters[0].key).await.unwrap());
    h.settle().await;
    assert_eq!(h.graph.sent().len(), 1, "sent once after the replay");
}

/// Planfix allows 1 request/s: a burst of 30 messages from a new user against a simulator that
/// refuses anything faster. Nothing may fail for it; how close the run comes to the allowance
/// (Planfix calls ÷ 1/s) is printed as a ratio — a figure for the notes, not an assertion.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_thirty_against_one_request_per_second_loses_nothing() {
    let sample = sample();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let h = Arc::new(
        Harness::custom(Settings::default(), store, |_, account| account.planfix.requests_per_second = 1.0).await,
    );
    h.planfix.enforce_min_interval(Duration::from_secs(1));
    let phone = "972544444444";
    let payloads: Vec<Value> = (0..30)
        .map(|i| text_from_sample(&sample, &format!("wamid.burst30-{i}"), phone, 1_700_000_000 + i, &format!("b{i}")))
        .collect();
    let started = Instant::now();
    post_all(&h, payloads, 30).await;
    let acked = started.elapsed();
    settle_with(&h, 2).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(texts(&h, task_of(&h, phone)), (0..30).map(|i| format!("b{i}")).collect::<Vec<_>>());
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty(), "no rate-limit error became a dead letter");
    let requests = h.planfix.requests();
    let calls = requests.len();
    let rejected = h.planfix.rate_rejections();
    let gaps: Vec<u128> = requests.windows(2).map(|w| w[1].at.duration_since(w[0].at).as_millis()).collect();
    println!(
        "gaps between Planfix calls (ms): {gaps:?}; first call {:.2} s after the first webhook",
        requests[0].at.duration_since(started).as_secs_f64()
    );
    println!(
        "burst of 30 at 1 req/s: all 30 webhooks acknowledged in {:.2} s; {calls} Planfix calls ({rejected} refused as too fast) in {elapsed:.1} s; \
         ratio to calls ÷ 1/s = {:.3}",
        acked.as_secs_f64(),
        elapsed / calls as f64
    );
}

/// A table of its own with its client, for tests that touch items as DynamoDB's TTL would.
async fn dynamo_table() -> (aws_sdk_dynamodb::Client, String, Arc<dyn Store>) {
    let client = aws_sdk_dynamodb::Client::new(&e2e_tests::aws_config().await);
    let table = format!("bridge-test-{}", uuid::Uuid::new_v4());
    bridge_aws::DynamoStore::create_table(&client, &table).await.expect("create table in moto");
    let store: Arc<dyn Store> = Arc::new(bridge_aws::DynamoStore::new(client.clone(), table.clone()));
    (client, table, store)
}

/// The embedded store on a database file of its own (removed with the returned dir).
fn sqlite_store() -> (std::path::PathBuf, Arc<dyn Store>) {
    let dir = std::env::temp_dir().join(format!("bridge-durability-{}", uuid::Uuid::new_v4()));
    let db = bridge_embedded::SqliteDb::open(dir.join("bridge.db")).expect("the database opens");
    (dir, Arc::new(bridge_embedded::SqliteStore::new(db)))
}

/// A message dead-lettered long ago whose message record is gone (expired and deleted, as
/// DynamoDB's TTL and the SQLite purge do; the letter itself never expires): the replay records
/// it again, so it becomes a comment exactly once, and a later redelivery finds its mark.
async fn replay_without_the_message_record(store: Arc<dyn Store>) {
    use bridge_core::domain::{InboundMessage, MessageContent, Phone, Work};
    use bridge_core::ports::{DeadLetter, InboxEntry};
    let h = Harness::with_store(Settings::default(), store).await;
    let phone = "972588888888";
    let message = InboundMessage {
        id: "wamid.long-ago".into(),
        from: Phone::parse(phone).unwrap(),
        profile_name: Some("Customer".into()),
        timestamp: 1_690_000_000,
        content: MessageContent::Text { body: "from long ago".into() },
        origin: Default::default(),
        reply_to: None,
    };
    let work = Work::Conversation { account: acme(), phone: message.from.clone(), message_id: message.id.clone() };
    let letter = DeadLetter {
        key: work.key(),
        work,
        entry: Some(InboxEntry::new(message, 0)),
        error: "planfix down".into(),
        attempts: 5,
        failed_at: 1_690_000_100,
    };
    h.store.put_dead_letter(&acme(), &letter).await.unwrap();
    assert!(bridge_core::worker::replay(&h.app, &acme(), &letter.key).await.unwrap());
    h.settle().await;
    let task = task_of(&h, phone);
    assert_eq!(texts(&h, task), ["from long ago"]);
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty(), "not dead-lettered again");
    // The provider delivering it once more changes nothing: the replay recorded its mark.
    let again = text_from_sample(&sample(), "wamid.long-ago", phone, 1_690_000_000, "from long ago");
    assert_eq!(h.post_meta(&again).await.0, 200);
    assert_eq!(h.planfix.comments(task).len(), 1, "exactly once, and no note");
    h.assert_spec_clean();
}

#[tokio::test]
async fn dynamodb_replay_of_a_dead_letter_whose_message_item_is_gone_comments_it_once() {
    replay_without_the_message_record(Arc::new(fresh_dynamo_store().await)).await;
}

#[tokio::test]
async fn sqlite_replay_of_a_dead_letter_whose_message_row_is_gone_comments_it_once() {
    let (dir, store) = sqlite_store();
    replay_without_the_message_record(store).await;
    std::fs::remove_dir_all(dir).ok();
}

/// The message's comment fails on every try: one dead letter (the worker allows 5 tries).
async fn dead_letter_one(h: &Harness, id: &str, phone: &str, text: &str) -> bridge_core::ports::DeadLetter {
    h.planfix.fail_matching(
        "POST",
        "/comments/",
        5,
        Failure::Status { http: 500, body: json!({"result":"fail","code":0,"error":"down"}) },
    );
    assert_eq!(h.post_meta(&text_from_sample(&sample(), id, phone, 1_700_000_000, text)).await.0, 200);
    let mut letters = h.store.list_dead_letters(&acme()).await.unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    letters.remove(0)
}

/// DynamoDB deletes an expired item only within days: until then it is still there. A replay
/// then replaces it with a fresh record, so the mark lives another 400 days.
#[tokio::test]
async fn dynamodb_replay_of_a_dead_letter_whose_message_item_expired_renews_it() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let (client, table, store) = dynamo_table().await;
    let h = Harness::with_store(Settings::default(), store).await;
    let (id, phone) = ("wamid.expired", "972599999999");
    let letter = dead_letter_one(&h, id, phone, "expired").await;
    let key = || {
        [("pk", AttributeValue::S(format!("acme#MSG#{id}"))), ("sk", AttributeValue::S("MSG".into()))]
            .map(|(k, v)| (k.to_owned(), v))
            .into()
    };
    client
        .update_item()
        .table_name(&table)
        .set_key(Some(key()))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();

    assert!(bridge_core::worker::replay(&h.app, &acme(), &letter.key).await.unwrap());
    h.settle().await;
    let task = task_of(&h, phone);
    assert_eq!(texts(&h, task), ["expired"]);
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty());
    let item = client.get_item().table_name(&table).set_key(Some(key())).send().await.unwrap().item.unwrap();
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert!(expires > bridge_core::domain::unix_now() + 399 * 24 * 3600, "the mark was renewed: {expires}");
    assert_eq!(item["done"].as_bool().ok(), Some(&true));
}

/// The provider delivered a dead-lettered message again and it was commented then: replaying
/// the letter afterwards drops it, queues nothing and comments nothing.
#[tokio::test]
async fn a_dead_letter_commented_meanwhile_is_dropped_by_the_replay() {
    use bridge_core::worker::{replay_letter, Replayed};
    let h = Harness::start(Settings::default()).await;
    let (id, phone) = ("wamid.meanwhile", "972511112222");
    let letter = dead_letter_one(&h, id, phone, "meanwhile").await;
    assert_eq!(h.post_meta(&text_from_sample(&sample(), id, phone, 1_700_000_000, "meanwhile")).await.0, 200);
    let task = task_of(&h, phone);
    assert_eq!(texts(&h, task), ["meanwhile"]);

    let replayed = replay_letter(h.store.as_ref(), h.app.work.as_ref(), &acme(), &letter).await;
    assert_eq!(replayed, Ok(Replayed::AlreadyDone));
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty(), "the letter is gone");
    assert_eq!(h.worker.pending().await, 0, "nothing queued");
    let inbox = h.store.inbox(&acme(), &bridge_core::domain::Phone::parse(phone).unwrap(), 10).await.unwrap();
    assert!(inbox.is_empty(), "nothing back in the inbox");
    assert_eq!(texts(&h, task), ["meanwhile"]);
}

/// The local run sweeps like the worker Lambda's schedule: a message recorded in its inbox
/// whose work item never reached the queue is commented, once, by the local workers alone.
#[tokio::test]
async fn the_local_run_sweeps_inboxes_whose_work_was_lost() {
    use bridge_app::local_config::{FilesConfig, LocalConfig, StoreConfig, WorkerConfig};
    use bridge_core::domain::{InboundMessage, MessageContent, Phone};
    use bridge_core::ports::{InboxEntry, RecordOutcome};
    let (planfix, _spec_guard) = e2e_tests::checked_planfix(e2e_tests::PLANFIX_TOKEN);
    let pf_url = planfix.serve(None).await.unwrap();
    let dir = std::env::temp_dir().join(format!("bridge-sweep-{}", uuid::Uuid::new_v4()));
    let db = dir.join("bridge.db");
    let phone = Phone::parse("972512345678").unwrap();
    {
        // What intake leaves when the enqueue after the store write is lost.
        let store = bridge_embedded::SqliteStore::new(bridge_embedded::SqliteDb::open(&db).unwrap());
        let message = InboundMessage {
            id: "wamid.unqueued".into(),
            from: phone.clone(),
            profile_name: None,
            timestamp: 1_700_000_000,
            content: MessageContent::Text { body: "lost work".into() },
            origin: Default::default(),
            reply_to: None,
        };
        assert_eq!(
            store.record_message(&acme(), &message, bridge_core::domain::unix_now()).await.unwrap(),
            RecordOutcome::New
        );
        store.add_to_inbox(&acme(), &InboxEntry::new(message, 0)).await.unwrap();
    }
    let config = LocalConfig {
        store: StoreConfig::Sqlite { path: db },
        accounts: vec![e2e_tests::account_config("acme", &pf_url, "http://127.0.0.1:9", Settings::default())],
        files: FilesConfig { dir: dir.join("files") },
        public_url: None,
        worker: WorkerConfig { hold_back_ms: 0, ..WorkerConfig::default() },
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = bridge_local::server::start_config(listener, config, |w| {
        w.sweep_every = Duration::from_millis(200);
        w.sweep_stale_after = Duration::ZERO;
    })
    .await
    .expect("the local run starts");
    let serving = bridge_local::server::spawn(started);
    assert_eq!(serving.local().work.counts().await.unwrap().queued, 0, "no work was queued for it");
    let deadline = Instant::now() + Duration::from_secs(30);
    while planfix.tasks().is_empty() || planfix.comments(planfix.tasks()[0].id).is_empty() {
        assert!(Instant::now() < deadline, "the sweep did not bring the message to Planfix");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Several more sweeps: the inbox is empty, nothing more happens.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let task = planfix.tasks()[0].id;
    let comments: Vec<String> = planfix.comments(task).into_iter().map(|c| c.description).collect();
    assert_eq!(comments, ["lost work"], "exactly once");
    assert!(serving.app().store.inbox(&acme(), &phone, 10).await.unwrap().is_empty());
    serving.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
