//! Step 4 end to end: webhooks are only recorded and queued (SQS FIFO on moto), workers drain
//! the queue through the worker Lambda's handler; the Planfix simulator injects failures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::config::Settings;
use bridge_core::domain::AccountId;
use bridge_core::ports::Store;
use e2e_tests::{fresh_dynamo_store, meta_sample, text_from_sample, Harness};
use futures_util::StreamExt;
use planfix_sim::Failure;
use serde_json::{json, Value};

fn sample() -> Option<Value> {
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
    let Some(sample) = sample() else { return };
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
    let Some(sample) = sample() else { return };
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planfix_errors_timeouts_and_rate_limits_then_recovery_deliver_everything_once_in_order() {
    let Some(sample) = sample() else { return };
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let mut h =
        Harness::custom(Settings::default(), store, |tuning, _| tuning.http_timeout = Duration::from_millis(300)).await;
    // Retries come back after 0.5–1 s, later than a timed-out call takes to land in Planfix.
    h.worker.cfg.retry_base = Duration::from_secs(1);
    h.worker.cfg.retry_max = Duration::from_secs(1);
    // Planfix's "daily limit spent" (code 22) waits longer than other failures.
    h.worker.cfg.daily_limit_pause = Duration::from_secs(2);
    let h = Arc::new(h);
    let fail = |code: i64| json!({"result": "fail", "code": code, "error": "injected"});
    h.planfix.fail_next(2, Failure::Status { http: 500, body: fail(0) });
    h.planfix.fail_next(1, Failure::Status { http: 403, body: fail(22) });
    h.planfix.fail_next(1, Failure::Status { http: 429, body: fail(0) });
    // A comment that lands after the bridge stopped waiting: the retry must find it.
    h.planfix.fail_matching("POST", "/comments/", 1, Failure::Delay(Duration::from_millis(600)));
    let phones = ["972522222221", "972522222222"];
    let mut payloads = Vec::new();
    for (p, phone) in phones.iter().enumerate() {
        for m in 0..4 {
            payloads.push(text_from_sample(
                &sample,
                &format!("wamid.fault-{p}-{m}"),
                phone,
                1_700_000_000 + m,
                &format!("{phone} m{m}"),
            ));
        }
    }
    post_all(&h, payloads, 8).await;
    settle_with(&h, 2).await;
    for phone in phones {
        let want: Vec<String> = (0..4).map(|m| format!("{phone} m{m}")).collect();
        assert_eq!(texts(&h, task_of(&h, phone)), want, "every message once, in order");
    }
    assert!(h.store.list_dead_letters(&acme()).await.unwrap().is_empty(), "recovered within the retry budget");
    assert_eq!(h.planfix.contacts().len(), 2);
    h.assert_spec_clean();
}

#[tokio::test]
async fn a_task_created_after_the_bridge_stopped_waiting_is_found_not_created_twice() {
    let Some(sample) = sample() else { return };
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let mut h =
        Harness::custom(Settings::default(), store, |tuning, _| tuning.http_timeout = Duration::from_millis(300)).await;
    // The retry comes 1–2 s later, after the slow creation has landed.
    h.worker.cfg.retry_base = Duration::from_secs(2);
    h.worker.cfg.retry_max = Duration::from_secs(2);
    h.planfix.fail_matching("POST", "/task/", 1, Failure::Delay(Duration::from_millis(600)));
    assert_eq!(h.post_meta(&sample).await.0, 200);
    assert_eq!(h.planfix.contacts().len(), 1);
    let tasks = h.planfix.tasks();
    assert_eq!(tasks.len(), 1, "found by its sourceObjectId, not created again");
    assert_eq!(h.planfix.comments(tasks[0].id).len(), 1);
    assert!(h.planfix.requests().iter().any(|r| r.path == "/task/list"), "looked for it");
    h.assert_spec_clean();
}

#[tokio::test]
async fn past_the_retry_budget_a_message_is_dead_lettered_noted_and_replay_delivers_it() {
    let Some(sample) = sample() else { return };
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
    let Some(sample) = sample() else { return };
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
    let Some(sample) = sample() else { return };
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
