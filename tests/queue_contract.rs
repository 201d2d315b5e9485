//! The durable SQLite queues' contract — what the local run relies on the way the Lambdas rely
//! on SQS: the work queue is FIFO per group (one item of a group in flight, in order, other
//! groups go on), deduplicates within its window and holds new work back; both queues hide a
//! received item for its visibility timeout and hand it out again with its receive count
//! raised, delay it on request (retry later), move it to the dead letters past its receives
//! (and replay it from there), and keep everything not deleted across a reopening of the
//! database and between two handles (two processes) on one file.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bridge_core::domain::{AccountId, FileJob, Phone, Work};
use bridge_core::ports::{FileJobQueue, WorkQueue};
use bridge_embedded::sqlite::{QueueOptions, Received, SqliteDb, SqliteFileJobQueue, SqliteWorkQueue};
use tokio::time::Instant;

/// A database file in a temp dir of its own, removed when the test ends.
struct TempDb {
    dir: std::path::PathBuf,
}

impl TempDb {
    fn new() -> Self {
        Self { dir: std::env::temp_dir().join(format!("bridge-queue-{}", uuid::Uuid::new_v4())) }
    }

    fn open(&self) -> SqliteDb {
        SqliteDb::open(self.dir.join("bridge.db")).expect("the database opens")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The work queue without hold-back (the scenarios that test it set their own).
fn options() -> QueueOptions {
    QueueOptions { hold_back: Duration::ZERO, ..QueueOptions::work() }
}

fn work_queue(db: &SqliteDb) -> SqliteWorkQueue {
    SqliteWorkQueue::with_options(db.clone(), options())
}

fn acct() -> AccountId {
    AccountId::parse("acme").unwrap()
}

/// A conversation poke: group = the phone.
fn poke(phone: &str, id: &str) -> Work {
    Work::Conversation { account: acct(), phone: Phone::parse(phone).unwrap(), message_id: id.into() }
}

fn file_job(file_id: i64) -> FileJob {
    FileJob::Outbound {
        account: acct(),
        phone: Phone::parse("79051234567").unwrap(),
        task_id: 70,
        comment_id: 700,
        file_id,
        author: None,
    }
}

fn message_id(work: &Work) -> &str {
    match work {
        Work::Conversation { message_id, .. } => message_id,
        other => panic!("not a poke: {other:?}"),
    }
}

fn ids(items: &[Received<Work>]) -> Vec<&str> {
    items.iter().map(|r| message_id(&r.body)).collect()
}

const A: &str = "79050000001";
const B: &str = "79050000002";
const LONG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn fifo_per_group_one_in_flight_other_groups_proceed() {
    let tmp = TempDb::new();
    let q = work_queue(&tmp.open());
    q.enqueue(&[poke(A, "a1"), poke(A, "a2"), poke(B, "b1"), poke(A, "a3"), poke(B, "b2")]).await.unwrap();
    assert_eq!(q.counts().await.unwrap().queued, 5);

    // One item per group, each group's oldest.
    let first = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&first), ["a1", "b1"]);
    assert!(first.iter().all(|r| r.receive_count == 1));
    assert_eq!(first[0].group.as_deref(), Some(poke(A, "x").group().as_str()));
    // Both groups are in flight: nothing more until one is acknowledged.
    assert!(q.receive(10, LONG).await.unwrap().is_empty());

    // Group A is held by a slow item; group B goes on without it.
    assert!(q.delete(first[1].receipt).await.unwrap());
    let b2 = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&b2), ["b2"]);
    assert!(q.delete(b2[0].receipt).await.unwrap());
    assert!(q.receive(10, LONG).await.unwrap().is_empty(), "a2 waits behind a1");

    assert!(q.delete(first[0].receipt).await.unwrap());
    let a2 = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&a2), ["a2"]);
    assert!(q.delete(a2[0].receipt).await.unwrap());
    let a3 = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&a3), ["a3"]);
    assert!(q.delete(a3[0].receipt).await.unwrap());
    assert_eq!(q.counts().await.unwrap().queued, 0);
}

#[tokio::test]
async fn dedupe_within_the_window_and_replays_are_not_duplicates() {
    let tmp = TempDb::new();
    let db = tmp.open();
    let window = Duration::from_millis(400);
    let q = SqliteWorkQueue::with_options(db, QueueOptions { dedupe_window: window, ..options() });
    assert_eq!(q.send(&[poke(A, "m1"), poke(A, "m1"), poke(A, "m2")]).await.unwrap(), 2);
    // The same work again (a webhook delivered twice): dropped, even once the first is done.
    let got = q.receive(10, LONG).await.unwrap();
    assert!(q.delete(got[0].receipt).await.unwrap());
    q.enqueue(&[poke(A, "m1")]).await.unwrap();
    assert_eq!(q.counts().await.unwrap().queued, 1, "only m2 is queued");
    // A replay gets a fresh identity.
    q.enqueue_again(&[poke(A, "m1")]).await.unwrap();
    assert_eq!(q.counts().await.unwrap().queued, 2);
    // Past the window the id is new again.
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    assert_eq!(q.send(&[poke(A, "m1")]).await.unwrap(), 1);
}

#[tokio::test]
async fn new_work_is_held_back_before_its_first_delivery() {
    let tmp = TempDb::new();
    let hold_back = Duration::from_millis(400);
    let q = SqliteWorkQueue::with_options(tmp.open(), QueueOptions { hold_back, ..options() });
    assert_eq!(QueueOptions::work().hold_back, Duration::from_secs(1), "the default is the AWS stack's");
    let queued = Instant::now();
    q.enqueue(&[poke(A, "m1")]).await.unwrap();
    assert!(q.receive(10, LONG).await.unwrap().is_empty(), "held back");
    let got = q.receive_wait(10, LONG, Duration::from_secs(5)).await.unwrap();
    let waited = queued.elapsed();
    assert_eq!(ids(&got), ["m1"]);
    assert!(waited >= hold_back, "delivered after the hold-back ({waited:?})");
    assert!(waited < hold_back + Duration::from_millis(900), "and soon after it ({waited:?})");
}

#[tokio::test]
async fn an_expired_visibility_redelivers_with_the_receive_count_raised() {
    let tmp = TempDb::new();
    let q = work_queue(&tmp.open());
    q.enqueue(&[poke(A, "m1"), poke(A, "m2")]).await.unwrap();
    let visibility = Duration::from_millis(300);
    let first = q.receive(10, visibility).await.unwrap();
    assert_eq!((ids(&first), first[0].receive_count), (vec!["m1"], 1));
    assert!(q.receive(10, visibility).await.unwrap().is_empty(), "hidden while in flight");
    // The consumer died without deleting: the item comes back, and before m2.
    tokio::time::sleep(visibility + Duration::from_millis(100)).await;
    let second = q.receive(10, LONG).await.unwrap();
    assert_eq!((ids(&second), second[0].receive_count), (vec!["m1"], 2));
    assert_eq!(second[0].id(), first[0].id());
    // The first receipt is stale now: it deletes nothing.
    assert!(!q.delete(first[0].receipt).await.unwrap());
    assert!(!q.retry_later(first[0].receipt, Duration::ZERO).await.unwrap());
    assert!(q.delete(second[0].receipt).await.unwrap());
    assert!(!q.delete(second[0].receipt).await.unwrap(), "gone");
    assert_eq!(ids(&q.receive(10, LONG).await.unwrap()), ["m2"]);
}

#[tokio::test]
async fn retry_later_delays_the_item_and_its_group() {
    let tmp = TempDb::new();
    let q = work_queue(&tmp.open());
    q.enqueue(&[poke(A, "a1"), poke(A, "a2"), poke(B, "b1")]).await.unwrap();
    let got = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&got), ["a1", "b1"]);
    let delay = Duration::from_millis(300);
    assert!(q.retry_later(got[0].receipt, delay).await.unwrap());
    assert!(q.delete(got[1].receipt).await.unwrap());
    assert!(q.receive(10, LONG).await.unwrap().is_empty(), "a1 is delayed and a2 waits behind it");
    let started = Instant::now();
    let again = q.receive_wait(10, LONG, Duration::from_secs(5)).await.unwrap();
    assert!(started.elapsed() < delay + Duration::from_millis(900), "{:?}", started.elapsed());
    assert_eq!((ids(&again), again[0].receive_count), (vec!["a1"], 2));
    // The core's retry maps to this delivery as the Lambda maps an SQS record.
    let delivery = again[0].delivery(8, None);
    assert_eq!((delivery.attempts, delivery.max_attempts), (2, 8));
    // No delay: back at once.
    assert!(q.retry_later(again[0].receipt, Duration::ZERO).await.unwrap());
    let third = q.receive(10, LONG).await.unwrap();
    assert_eq!((ids(&third), third[0].receive_count), (vec!["a1"], 3));
}

/// What a starting consumer does about the items a dead one had received: in flight or put off
/// for a retry, they are deliverable at once, in their groups' order; items never received and
/// items still held back stay as they are.
#[tokio::test]
async fn release_received_hands_out_again_what_a_dead_consumer_held() {
    let tmp = TempDb::new();
    let q = work_queue(&tmp.open());
    q.enqueue(&[poke(A, "a1"), poke(A, "a2"), poke(B, "b1")]).await.unwrap();
    let got = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&got), ["a1", "b1"]);
    // a1 in flight for an hour, b1 put off for an hour: the consumer dies.
    assert!(q.retry_later(got[1].receipt, Duration::from_secs(3600)).await.unwrap());
    let held = SqliteWorkQueue::with_options(tmp.open(), QueueOptions { hold_back: LONG, ..options() });
    held.enqueue(&[poke("79050000003", "c1")]).await.unwrap();
    assert!(q.receive(10, LONG).await.unwrap().is_empty());

    let restarted = work_queue(&tmp.open());
    assert_eq!(restarted.release_received().await.unwrap(), 2);
    let again = restarted.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&again), ["a1", "b1"], "a2 still waits behind a1; c1 is still held back");
    assert_eq!(again.iter().map(|r| r.receive_count).collect::<Vec<_>>(), [2, 2], "a receive is a try");
    assert_eq!(restarted.release_received().await.unwrap(), 2, "what is in flight now");
}

#[tokio::test]
async fn past_its_receives_an_item_is_dead_lettered_and_replayed_from_there() {
    let tmp = TempDb::new();
    let q = SqliteWorkQueue::with_options(tmp.open(), QueueOptions { max_receives: 2, ..options() });
    q.enqueue(&[poke(A, "poison"), poke(A, "next")]).await.unwrap();
    for receive in 1..=2 {
        let got = q.receive(10, LONG).await.unwrap();
        assert_eq!((ids(&got), got[0].receive_count), (vec!["poison"], receive));
        q.retry_later(got[0].receipt, Duration::ZERO).await.unwrap();
    }
    // The third receive moves it to the dead letters; the group goes on with the next item.
    assert!(q.receive(10, LONG).await.unwrap().is_empty());
    let next = q.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&next), ["next"]);
    let dead = q.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].decode::<Work>().unwrap(), poke(A, "poison"));
    assert_eq!(dead[0].receive_count, 2);
    assert!(dead[0].reason.contains("received 2 times"), "{}", dead[0].reason);
    assert_eq!(q.counts().await.unwrap().dead, 1);

    // Replayed: at the end of its group, with a fresh receive count.
    let new_id = q.replay_dead(dead[0].id).await.unwrap().expect("replayed");
    assert_ne!(new_id, dead[0].id);
    assert_eq!(q.replay_dead(dead[0].id).await.unwrap(), None, "once");
    assert!(q.dead_letters().await.unwrap().is_empty());
    assert!(q.receive(10, LONG).await.unwrap().is_empty(), "behind the item in flight");
    assert!(q.delete(next[0].receipt).await.unwrap());
    let replayed = q.receive(10, LONG).await.unwrap();
    assert_eq!((ids(&replayed), replayed[0].receive_count, replayed[0].id()), (vec!["poison"], 1, new_id));
}

#[tokio::test]
async fn the_file_job_queue_is_a_standard_queue() {
    let tmp = TempDb::new();
    let q = SqliteFileJobQueue::new(tmp.open());
    assert_eq!(q.options(), &QueueOptions::file_jobs());
    for file_id in [1, 2, 1] {
        q.enqueue(&file_job(file_id)).await.unwrap();
    }
    // No groups, no dedupe: all three at once, in order.
    let got = q.receive(10, Duration::from_millis(300)).await.unwrap();
    assert_eq!(got.iter().map(|r| r.body.clone()).collect::<Vec<_>>(), [file_job(1), file_job(2), file_job(1)]);
    assert!(got.iter().all(|r| r.group.is_none() && r.receive_count == 1));
    assert!(q.delete(got[0].receipt).await.unwrap());
    assert!(q.retry_later(got[1].receipt, LONG).await.unwrap());
    // The third one's visibility runs out: back with receive count 2; the delayed one is not.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = q.receive(10, LONG).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id(), again[0].receive_count), (got[2].id(), 2));
    // Past max_receives (5) it is dead-lettered.
    let mut receipt = again[0].receipt;
    for _ in 3..=5 {
        q.retry_later(receipt, Duration::ZERO).await.unwrap();
        receipt = q.receive(10, LONG).await.unwrap()[0].receipt;
    }
    q.retry_later(receipt, Duration::ZERO).await.unwrap();
    assert!(q.receive(10, LONG).await.unwrap().is_empty());
    assert_eq!(q.dead_letters().await.unwrap().len(), 1);
    assert_eq!(q.counts().await.unwrap().queued, 1, "the delayed job is still queued");
}

#[tokio::test]
async fn everything_not_deleted_survives_reopening_the_database() {
    let tmp = TempDb::new();
    let visibility = Duration::from_millis(300);
    let in_flight = {
        let db = tmp.open();
        let q = work_queue(&db);
        q.enqueue(&[poke(A, "a1"), poke(A, "a2"), poke(B, "b1")]).await.unwrap();
        let files = SqliteFileJobQueue::new(db.clone());
        files.enqueue(&file_job(1)).await.unwrap();
        let got = q.receive(10, visibility).await.unwrap();
        assert!(q.delete(got[1].receipt).await.unwrap(), "b1 done");
        got[0].clone()
        // The process "crashes" with a1 in flight.
    };
    let db = tmp.open();
    let q = work_queue(&db);
    assert_eq!(q.counts().await.unwrap().queued, 2);
    assert!(q.receive(10, LONG).await.unwrap().is_empty(), "a1 is still in flight");
    let again = q.receive_wait(10, LONG, Duration::from_secs(5)).await.unwrap();
    assert_eq!((ids(&again), again[0].receive_count), (vec!["a1"], 2));
    assert!(!q.delete(in_flight.receipt).await.unwrap(), "the old receipt is stale");
    assert!(q.delete(again[0].receipt).await.unwrap());
    assert_eq!(ids(&q.receive(10, LONG).await.unwrap()), ["a2"]);
    let files = SqliteFileJobQueue::new(db);
    assert_eq!(files.receive(10, LONG).await.unwrap()[0].body, file_job(1));
}

#[tokio::test]
async fn two_handles_on_one_file_share_the_queue() {
    let tmp = TempDb::new();
    let (server, admin) = (work_queue(&tmp.open()), work_queue(&tmp.open()));
    server.enqueue(&[poke(A, "a1"), poke(A, "a2")]).await.unwrap();
    let got = admin.receive(10, LONG).await.unwrap();
    assert_eq!(ids(&got), ["a1"]);
    assert!(server.receive(10, LONG).await.unwrap().is_empty(), "the group is in flight in the other process");
    assert!(server.delete(got[0].receipt).await.unwrap());
    // The other handle is not notified, but its long poll looks again on its own.
    let next = admin.receive_wait(10, LONG, Duration::from_secs(5)).await.unwrap();
    assert_eq!(ids(&next), ["a2"]);
}

/// Consumers on two handles drain many groups at once: every item is delivered exactly once,
/// each group in order, never two of a group at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_consumers_on_two_handles_deliver_each_item_once_in_group_order() {
    const GROUPS: usize = 20;
    const PER_GROUP: usize = 10;
    let tmp = TempDb::new();
    let handles = [work_queue(&tmp.open()), work_queue(&tmp.open())];
    let phone = |g: usize| format!("7905{g:07}");
    for i in 0..PER_GROUP {
        let batch: Vec<Work> = (0..GROUPS).map(|g| poke(&phone(g), &format!("{g}-{i}"))).collect();
        handles[i % 2].enqueue(&batch).await.unwrap();
    }
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let in_flight = Arc::new(std::sync::Mutex::new(HashSet::<String>::new()));
    let mut consumers = Vec::new();
    for c in 0..4 {
        let (q, seen, in_flight) = (handles[c % 2].clone(), seen.clone(), in_flight.clone());
        consumers.push(tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while seen.lock().unwrap().len() < GROUPS * PER_GROUP && Instant::now() < deadline {
                for item in q.receive_wait(5, LONG, Duration::from_millis(200)).await.unwrap() {
                    let group = item.group.clone().unwrap();
                    assert!(in_flight.lock().unwrap().insert(group.clone()), "two items of {group} in flight");
                    seen.lock().unwrap().push(message_id(&item.body).to_owned());
                    tokio::task::yield_now().await;
                    in_flight.lock().unwrap().remove(&group);
                    assert!(q.delete(item.receipt).await.unwrap());
                }
            }
        }));
    }
    for c in consumers {
        c.await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), GROUPS * PER_GROUP);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len(), "each item once");
    let mut per_group: HashMap<&str, Vec<usize>> = HashMap::new();
    for id in &seen {
        let (g, i) = id.split_once('-').unwrap();
        per_group.entry(g).or_default().push(i.parse().unwrap());
    }
    for (g, order) in per_group {
        assert_eq!(order, (0..PER_GROUP).collect::<Vec<_>>(), "group {g} in order");
    }
}

/// A waiting consumer wakes when work arrives, not at the end of its wait.
#[tokio::test]
async fn a_long_poll_wakes_on_enqueue() {
    let tmp = TempDb::new();
    let q = work_queue(&tmp.open());
    let producer = q.clone();
    let started = Instant::now();
    let (got, ()) = tokio::join!(q.receive_wait(10, LONG, Duration::from_secs(10)), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        producer.enqueue(&[poke(A, "m1")]).await.unwrap();
    });
    assert_eq!(ids(&got.unwrap()), ["m1"]);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // And an empty wait ends on time.
    let started = Instant::now();
    assert!(q.receive_wait(10, LONG, Duration::from_millis(300)).await.unwrap().is_empty());
    assert!(started.elapsed() >= Duration::from_millis(300));
}
