//! The measurements. Each opens its own copy of the pre-filled file, so none sees another's
//! rows or queue items.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::domain::{unix_now, InboundMessage, MessageContent, Origin};
use bridge_core::ports::{ClaimOutcome, ConversationLink, LinkLock, RecordOutcome, Store, TaskConversation};
use bridge_embedded::sqlite::{SqliteStore, Synchronous};
use futures_util::{StreamExt, TryStreamExt};
use planfix_sim::Failure;

use crate::counting::Pacing;
use crate::machine::WriterCpu;
use crate::rig::{
    account_id, customer_phone, open_db, phone, webhook, Answer, Poster, Rig, Webhook, Worker, WorkerStats,
    BASELINE_PATH, WEBHOOK_PATH,
};
use crate::Plan;

/// Store operations in flight at once while pre-filling (the writer's batch size).
pub(crate) const PREFILL_CONCURRENCY: usize = 256;
/// The longest the worker may take to comment every message of the throughput run.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(600);

/// Scenario digits of the customers' numbers (each scenario its own conversations).
const PREFILL: u8 = 1;
const ACKS: u8 = 2;
const INTAKE: u8 = 3;
const FLOW: u8 = 4;

#[derive(Clone, Debug)]
pub struct SizeReport {
    pub messages: usize,
    pub prefill_secs: f64,
    /// Bytes of the database file and of its `-wal` right after the pre-fill…
    pub db_bytes: u64,
    pub wal_bytes: u64,
    /// …and after `PRAGMA wal_checkpoint(TRUNCATE)`.
    pub db_bytes_checkpointed: u64,
    pub wal_bytes_checkpointed: u64,
}

impl SizeReport {
    pub fn per_100k(&self, bytes: u64) -> f64 {
        bytes as f64 * 100_000.0 / self.messages.max(1) as f64
    }
}

/// p50 / p99 / max of a set of answers (nearest rank).
#[derive(Clone, Copy, Debug)]
pub struct Latencies {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    fn of(answers: &[Answer]) -> Self {
        let mut v: Vec<Duration> = answers.iter().map(|a| a.latency).collect();
        v.sort();
        let rank =
            |q: f64| v.get(((q * v.len() as f64).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
        Self { p50: rank(0.50), p99: rank(0.99), max: v.last().copied().unwrap_or_default() }
    }
}

/// The median of each statistic over the rounds, and the range of the p99s.
#[derive(Clone, Copy, Debug)]
pub struct RoundStats {
    pub median: Latencies,
    pub p99_min: Duration,
    pub p99_max: Duration,
}

impl RoundStats {
    fn of(rounds: &[Latencies]) -> Self {
        let median = |f: fn(&Latencies) -> Duration| {
            let mut v: Vec<Duration> = rounds.iter().map(f).collect();
            v.sort();
            v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or_default()
        };
        let p99s = rounds.iter().map(|l| l.p99);
        Self {
            median: Latencies { p50: median(|l| l.p50), p99: median(|l| l.p99), max: median(|l| l.max) },
            p99_min: p99s.clone().min().unwrap_or_default(),
            p99_max: p99s.max().unwrap_or_default(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AckReport {
    /// Webhooks per burst, and bursts.
    pub deliveries: usize,
    pub rounds: usize,
    /// Answers that were a 200, of the webhooks and of the baseline (all rounds).
    pub acks_ok: usize,
    pub baseline_ok: usize,
    /// Messages of the bursts found recorded in the store afterwards.
    pub recorded: usize,
    /// Each round's latencies.
    pub webhook_rounds: Vec<Latencies>,
    pub baseline_rounds: Vec<Latencies>,
    /// Planfix requests the worker had made (each answered after the delay) when the first
    /// burst began, and when the last ended.
    pub planfix_requests_before: usize,
    pub planfix_requests_after: usize,
    /// Wall time of the webhook bursts (first send → last answer, summed over the rounds) and
    /// what the SQLite writer thread used meanwhile.
    pub bursts_secs: f64,
    pub writer: WriterCpu,
}

impl AckReport {
    pub fn webhook(&self) -> RoundStats {
        RoundStats::of(&self.webhook_rounds)
    }

    pub fn baseline(&self) -> RoundStats {
        RoundStats::of(&self.baseline_rounds)
    }

    /// Every webhook sent (all rounds).
    pub fn total(&self) -> usize {
        self.deliveries * self.rounds
    }
}

#[derive(Clone, Debug)]
pub struct IntakeReport {
    pub messages: usize,
    pub acks_ok: usize,
    pub secs: f64,
    pub store_writes: usize,
    /// What the SQLite writer thread used meanwhile.
    pub writer: WriterCpu,
}

impl IntakeReport {
    pub fn acks_per_sec(&self) -> f64 {
        self.messages as f64 / self.secs
    }
}

#[derive(Clone, Debug)]
pub struct FlowReport {
    pub pacing: Pacing,
    pub messages: usize,
    pub customers: usize,
    pub acks_ok: usize,
    /// First POST → last ack.
    pub intake_secs: f64,
    /// First POST → the last comment reached Planfix.
    pub secs: f64,
    /// First POST → the work queue empty (every message's poke handled).
    pub drained_secs: f64,
    /// Distinct messages found as comments in Planfix, and comments beyond one per message.
    pub comments_found: usize,
    pub duplicate_comments: usize,
    pub planfix_requests: usize,
    pub retried: usize,
    pub dead_lettered: usize,
    /// Store operations of the whole run (intake and worker, until the queue was empty): reads,
    /// writes besides pacing, pacing reservations.
    pub store_reads: usize,
    pub store_writes: usize,
    pub pacing_reservations: usize,
    /// Work items the worker received, and the receives that handed them out.
    pub work_received: usize,
    pub work_receives: usize,
}

impl FlowReport {
    pub fn messages_per_sec(&self) -> f64 {
        self.messages as f64 / self.secs
    }

    pub fn per_message(&self, n: usize) -> f64 {
        n as f64 / self.messages.max(1) as f64
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal_of(path: &Path) -> std::path::PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    wal.into()
}

/// Checkpoints the WAL into the database and truncates it, from a connection of our own (as the
/// admin CLI would from a second process); retried while the server's connections hold it.
async fn checkpoint(path: &Path) -> Result<(), String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let conn = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(|e| e.to_string())?;
        for _ in 0..50 {
            let busy: i64 = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                .map_err(|e| format!("checkpoint: {e}"))?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("checkpoint: the WAL stayed busy".to_owned())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// A processed text message of the pre-fill (a typical length of a chat line).
fn prefill_message(i: usize, customers: usize, base_ts: i64) -> InboundMessage {
    let c = i % customers;
    InboundMessage {
        id: format!("wamid.HBgLNzkwNTEyMzQ1NjcVAgASGBQzQTk{i:012}"),
        from: phone(&customer_phone(PREFILL, c)),
        profile_name: Some(format!("Customer {c}")),
        timestamp: base_ts + i as i64,
        content: MessageContent::Text {
            body: format!("Hello, this is message {i} of customer {c}: could you tell me when my order ships?"),
        },
        origin: Origin::Customer,
        reply_to: None,
    }
}

/// Fills the store through its API with `plan.prefill` processed messages (recorded, claimed,
/// completed — what a message leaves behind once commented) of `plan.prefill_customers`
/// conversations with their links, then measures the file before and after a checkpoint.
pub async fn prefill(plan: &Plan, mode: Synchronous, path: &Path) -> Result<SizeReport, String> {
    let db = open_db(path, mode).await?;
    let store = Arc::new(SqliteStore::new(db.clone()));
    let account = account_id();
    let (customers, now) = (plan.prefill_customers.max(1), unix_now());
    let base_ts = now - plan.prefill as i64 - 60;
    let started = Instant::now();
    futures_util::stream::iter(0..plan.prefill)
        .map(|i| {
            let (store, account) = (store.clone(), account.clone());
            async move {
                let msg = prefill_message(i, customers, base_ts);
                let owner = format!("prefill-{i}");
                let fail = |e: bridge_core::ports::StoreError| format!("pre-fill message {i}: {e}");
                if store.record_message(&account, &msg, now).await.map_err(fail)? != RecordOutcome::New {
                    return Err(format!("pre-fill message {i} was not new"));
                }
                match store.claim_message(&account, &msg.id, &owner, now, 60).await.map_err(fail)? {
                    ClaimOutcome::Claimed { .. } => {}
                    other => return Err(format!("pre-fill message {i}: claim {other:?}")),
                }
                let (task, comment) = (1_000_000 + (i % customers) as i64, 10_000_000 + i as i64);
                store.complete_message(&account, &msg.id, &owner, task, comment).await.map_err(fail)
            }
        })
        .buffer_unordered(PREFILL_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    futures_util::stream::iter(0..customers)
        .map(|c| {
            let (store, account) = (store.clone(), account.clone());
            async move {
                let phone = phone(&customer_phone(PREFILL, c));
                let owner = format!("prefill-link-{c}");
                let fail = |e: bridge_core::ports::StoreError| format!("pre-fill link {c}: {e}");
                match store.lock_link(&account, &phone, None, &owner, now, 60).await.map_err(fail)? {
                    LinkLock::Acquired { .. } => {}
                    LinkLock::Contended(r) => return Err(format!("pre-fill link {c}: contended {r:?}")),
                }
                let (contact_id, task_id) = (500_000 + c as i64, 1_000_000 + c as i64);
                let link = ConversationLink { contact_id, task_id, task_count: 1, updated_at: now, task_closed: false };
                store.commit_link(&account, &phone, &owner, &link).await.map_err(fail)?;
                let conv = TaskConversation { phone, contact_id };
                store.put_task_conversation(&account, task_id, &conv).await.map_err(fail)
            }
        })
        .buffer_unordered(PREFILL_CONCURRENCY)
        .try_collect::<()>()
        .await?;
    let prefill_secs = started.elapsed().as_secs_f64();
    let (db_bytes, wal_bytes) = (file_len(path), file_len(&wal_of(path)));
    checkpoint(path).await?;
    let (db_bytes_checkpointed, wal_bytes_checkpointed) = (file_len(path), file_len(&wal_of(path)));
    drop(store);
    drop(db);
    Ok(SizeReport {
        messages: plan.prefill,
        prefill_secs,
        db_bytes,
        wal_bytes,
        db_bytes_checkpointed,
        wal_bytes_checkpointed,
    })
}

/// `per_customer` distinct messages of each of `customers` customers, in send order across
/// customers (message 0 of everyone, then message 1, …), starting at message `first`. The text
/// carries a fixed-width token the Planfix check finds again.
fn messages(scenario: u8, customers: usize, first: usize, per_customer: usize) -> Vec<Webhook> {
    let base_ts = unix_now() - 3_600;
    let mut hooks = Vec::with_capacity(customers * per_customer);
    for m in first..first + per_customer {
        for c in 0..customers {
            let from = customer_phone(scenario, c);
            let wamid = format!("wamid.bench{scenario}.{c:06}.{m:06}");
            let text = format!("Order question {} {}", token(c, m), "— when will it arrive?");
            hooks.push(webhook(&from, &wamid, base_ts + m as i64, &text));
        }
    }
    hooks
}

fn token(customer: usize, message: usize) -> String {
    format!("msg-c{customer:06}-m{message:06}")
}

fn ok(answers: &[Answer]) -> usize {
    answers.iter().filter(|a| a.status == 200).count()
}

/// Opens `n` pooled connections (baseline requests, all at once) so no measurement pays for
/// the TCP handshakes.
async fn warm_connections(poster: &Arc<Poster>, n: usize) -> Result<(), String> {
    let hooks = Arc::new(messages(9, n, 0, 1));
    let answers = poster.burst(BASELINE_PATH, hooks).await;
    if ok(&answers) != n {
        return Err(format!("warm-up: {} of {n} baseline requests answered 200", ok(&answers)));
    }
    Ok(())
}

/// Ack latency: the burst of `plan.ack_messages()` webhooks at once on a store of
/// `plan.prefill` messages, the worker busy with the same conversations against a Planfix that
/// answers every request after `plan.ack_planfix_delay`; the baseline burst first.
pub async fn ack_latency(plan: &Plan, mode: Synchronous, path: &Path) -> Result<AckReport, String> {
    let rig = Rig::start(path, mode, Pacing::Store).await?;
    rig.planfix.fail_next(100_000, Failure::Delay(plan.ack_planfix_delay));
    let worker = Worker::start(rig.app.clone(), rig.work.clone(), plan.worker_concurrency);
    let poster = Arc::new(Poster::new(&rig.base_url)?);
    let n = plan.ack_messages();
    warm_connections(&poster, n).await?;

    // Every conversation starts first (message 0), so the worker is in the middle of them —
    // leases held, Planfix calls pending — when the bursts come.
    let opening = messages(ACKS, plan.ack_customers, 0, 1);
    let answers = poster.stream(WEBHOOK_PATH, &opening, plan.ack_customers).await;
    if ok(&answers) != opening.len() {
        return Err(format!("ack warm-up: {} of {} webhooks answered 200", ok(&answers), opening.len()));
    }
    let waiting = Instant::now();
    while rig.planfix.requests().len() < plan.ack_customers {
        if waiting.elapsed() > Duration::from_secs(30) {
            return Err("ack warm-up: the worker did not start the conversations".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let planfix_requests_before = rig.planfix.requests().len();

    let (mut acks_ok, mut baseline_ok) = (0, 0);
    let (mut webhook_rounds, mut baseline_rounds) = (Vec::new(), Vec::new());
    let (mut bursts_secs, mut writer) = (0.0, WriterCpu::default());
    for round in 0..plan.ack_rounds {
        let first = 1 + round * plan.ack_per_customer;
        let burst = Arc::new(messages(ACKS, plan.ack_customers, first, plan.ack_per_customer));
        let baseline = poster.burst(BASELINE_PATH, burst.clone()).await;
        let (cpu, wall) = (WriterCpu::now(), Instant::now());
        let answers = poster.burst(WEBHOOK_PATH, burst).await;
        bursts_secs += wall.elapsed().as_secs_f64();
        writer = writer.plus(WriterCpu::now().since(cpu));
        baseline_ok += ok(&baseline);
        acks_ok += ok(&answers);
        baseline_rounds.push(Latencies::of(&baseline));
        webhook_rounds.push(Latencies::of(&answers));
        // The previous burst's work reaches the worker (after its hold-back) during the next.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let planfix_requests_after = rig.planfix.requests().len();

    // Every acknowledged message must be in the store (recording it again finds it).
    let account = account_id();
    let mut recorded = 0;
    for m in 1..=plan.ack_rounds * plan.ack_per_customer {
        for c in 0..plan.ack_customers {
            let msg = InboundMessage {
                id: format!("wamid.bench{ACKS}.{c:06}.{m:06}"),
                from: phone(&customer_phone(ACKS, c)),
                profile_name: None,
                timestamp: 0,
                content: MessageContent::Text { body: String::new() },
                origin: Origin::Customer,
                reply_to: None,
            };
            let outcome = rig.store.record_message(&account, &msg, unix_now()).await.map_err(|e| e.to_string())?;
            recorded += usize::from(outcome != RecordOutcome::New);
        }
    }
    worker.stop().await;
    drop(poster);
    rig.stop().await;
    Ok(AckReport {
        deliveries: n,
        rounds: plan.ack_rounds,
        acks_ok,
        baseline_ok,
        recorded,
        webhook_rounds,
        baseline_rounds,
        planfix_requests_before,
        planfix_requests_after,
        bursts_secs,
        writer,
    })
}

/// Intake alone: the throughput run's webhooks, no worker, acknowledged webhooks per second.
pub async fn intake_only(plan: &Plan, mode: Synchronous, path: &Path) -> Result<IntakeReport, String> {
    let rig = Rig::start(path, mode, Pacing::Store).await?;
    let poster = Arc::new(Poster::new(&rig.base_url)?);
    warm_connections(&poster, plan.post_concurrency).await?;
    let hooks = messages(INTAKE, plan.flow_customers, 0, plan.flow_per_customer);
    let writes_before = rig.counts.snapshot().1;
    let (cpu, started) = (WriterCpu::now(), Instant::now());
    let answers = poster.stream(WEBHOOK_PATH, &hooks, plan.post_concurrency).await;
    let secs = started.elapsed().as_secs_f64();
    let writer = WriterCpu::now().since(cpu);
    let store_writes = rig.counts.snapshot().1 - writes_before;
    drop(poster);
    rig.stop().await;
    Ok(IntakeReport { messages: hooks.len(), acks_ok: ok(&answers), secs, store_writes, writer })
}

/// Intake and processing: from the first POST until the last message's comment reached the
/// Planfix simulator (no delay, no rate limit), then every message checked in Planfix.
pub async fn throughput(plan: &Plan, mode: Synchronous, path: &Path, pacing: Pacing) -> Result<FlowReport, String> {
    let rig = Rig::start(path, mode, pacing).await?;
    let worker = Worker::start(rig.app.clone(), rig.work.clone(), plan.worker_concurrency);
    let poster = Arc::new(Poster::new(&rig.base_url)?);
    warm_connections(&poster, plan.post_concurrency).await?;
    let hooks = messages(FLOW, plan.flow_customers, 0, plan.flow_per_customer);
    let n = hooks.len();
    let (reads_before, writes_before, slots_before) = rig.counts.snapshot();

    let started = Instant::now();
    let answers = poster.stream(WEBHOOK_PATH, &hooks, plan.post_concurrency).await;
    let intake_secs = started.elapsed().as_secs_f64();
    while WorkerStats::get(&worker.stats.processed) < n {
        if started.elapsed() > DRAIN_TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The work queue still holds a poke per message of a conversation drained meanwhile:
    // each is received, finds the inbox empty and is deleted.
    while rig.work.counts().await.map_err(|e| e.to_string())?.queued > 0 {
        if started.elapsed() > DRAIN_TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let drained_secs = started.elapsed().as_secs_f64();
    let requests = rig.planfix.requests();
    let is_comment = |r: &&planfix_sim::RecordedRequest| {
        r.method == "POST" && r.path.starts_with("/task/") && r.path.ends_with("/comments/")
    };
    let last_comment = requests.iter().filter(is_comment).map(|r| r.at).max();
    let secs = last_comment.map_or(f64::INFINITY, |at| at.saturating_duration_since(started).as_secs_f64());

    // Every message once in Planfix, found by its token.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for task in rig.planfix.tasks() {
        for comment in rig.planfix.comments(task.id) {
            if let Some(at) = comment.description.find("msg-c") {
                let tok: String = comment.description[at..].chars().take(token(0, 0).len()).collect();
                *seen.entry(tok).or_default() += 1;
            }
        }
    }
    let expected: Vec<String> =
        (0..plan.flow_per_customer).flat_map(|m| (0..plan.flow_customers).map(move |c| token(c, m))).collect();
    let comments_found = expected.iter().filter(|t| seen.contains_key(*t)).count();
    let duplicate_comments = seen.values().map(|&k| k.saturating_sub(1)).sum();
    let (reads, writes, slots) = rig.counts.snapshot();
    let stats = &worker.stats;
    let (retried, dead_lettered) = (WorkerStats::get(&stats.retried), WorkerStats::get(&stats.dead_lettered));
    let (work_received, work_receives) = (WorkerStats::get(&stats.received), WorkerStats::get(&stats.receives));
    worker.stop().await;
    drop(poster);
    rig.stop().await;
    Ok(FlowReport {
        pacing,
        messages: n,
        customers: plan.flow_customers,
        acks_ok: ok(&answers),
        intake_secs,
        secs,
        drained_secs,
        comments_found,
        duplicate_comments,
        planfix_requests: requests.len(),
        retried,
        dead_lettered,
        store_reads: reads - reads_before,
        store_writes: writes - writes_before,
        pacing_reservations: slots - slots_before,
        work_received,
        work_receives,
    })
}
