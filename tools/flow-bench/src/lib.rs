//! Requests per inbound message, counted rather than estimated: the flows run through the real
//! entry points exactly as the end-to-end tests drive them ([`e2e_tests::Harness`]: the provider
//! webhook route, the worker and file-relay Lambda handlers on moto, the Planfix scenario
//! route), with every AWS request passing a counting proxy ([`proxy`]), Planfix calls read from
//! the Planfix simulator's request log and provider calls from the provider's simulator.
//!
//! Each flow runs once to warm up (caches that fill once per process, a first conversation),
//! then `messages` times; the figures are the measured run's totals divided by its units.

pub mod probe;
pub mod proxy;
pub mod report;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::config::Settings;
use bridge_core::ports::Store;
use e2e_tests::providers::{Driver, Kind};
use e2e_tests::{fresh_dynamo_store, Harness, PLANFIX_HOOK_SECRET};

use crate::probe::{Probe, ProbeReading};
use crate::proxy::{CountingProxy, Counts};

pub const ENDPOINT_VAR: &str = "BRIDGE_TEST_AWS_ENDPOINT";

const CUSTOMER: &str = "4915112345678";
const NAME: &str = "Anna Schmidt";
const EMPLOYEE: i64 = 5;
const T0: i64 = 1_700_000_000;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{ENDPOINT_VAR} is not set: point it at the moto server (e.g. http://127.0.0.1:5055)")]
    NoEndpoint,
    #[error(transparent)]
    Proxy(#[from] proxy::ProxyError),
    #[error("flow {flow}: {problem}")]
    Flow { flow: &'static str, problem: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// (a) a text from a number the bridge has not seen: contact, task, comment.
    NewConversation,
    /// (b) a text in a conversation that has its task.
    KnownText,
    /// (c) a photo in a known conversation: fetched from the provider, kept in S3, uploaded.
    Photo,
    /// (d) an employee's comment that notifies the contact: sent through the provider.
    Reply,
    /// (e) a delivery status callback for a reply.
    Status,
}

impl Flow {
    pub const ALL: [Flow; 5] = [Flow::NewConversation, Flow::KnownText, Flow::Photo, Flow::Reply, Flow::Status];

    pub fn name(self) -> &'static str {
        match self {
            Flow::NewConversation => "new conversation (text)",
            Flow::KnownText => "known conversation (text)",
            Flow::Photo => "photo",
            Flow::Reply => "reply (text)",
            Flow::Status => "status callback",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Flow::NewConversation => "new_conversation",
            Flow::KnownText => "known_text",
            Flow::Photo => "photo",
            Flow::Reply => "reply",
            Flow::Status => "status",
        }
    }

    pub fn parse(name: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.key() == name || f.key().replace('_', "-") == name)
    }
}

pub fn parse_kind(name: &str) -> Option<Kind> {
    Some(match name {
        "meta" => Kind::Meta,
        "twilio" => Kind::Twilio,
        "green-api" | "green_api" => Kind::GreenApi,
        "360dialog" | "dialog360" => Kind::Dialog360,
        "wazzup" => Kind::Wazzup,
        _ => return None,
    })
}

#[derive(Clone, Debug)]
pub struct Options {
    pub provider: Kind,
    pub flows: Vec<Flow>,
    /// Measured messages per flow (after one warm-up).
    pub messages: usize,
    /// The account's Planfix pacing rate: 1.0 is what Planfix allows (and what production
    /// runs); higher keeps a smoke run fast but hides the pacing sleep.
    pub planfix_rps: f64,
    /// The account has the Planfix "task status changed" scenario set up (the recommended
    /// setup): a text in a known conversation costs its comment only, not a status read first.
    pub task_status_webhook: bool,
    /// Print [`MARKER`] lines on stdout around each measured run, so a parent process reading
    /// this one's stdout can attribute the metric lines the bridge prints there (EMF) to flows.
    pub markers: bool,
}

/// Starts the marker lines of [`Options::markers`]: `{MARKER}begin:{flow}`, `{MARKER}end:{flow}`,
/// and `{MARKER}report` before the JSON report.
pub const MARKER: &str = "\u{1e}flow-bench:";

/// One flow's measured run: totals over `units` (messages, replies or callbacks).
#[derive(Clone, Debug)]
pub struct FlowResult {
    pub flow: Flow,
    pub units: usize,
    pub planfix: usize,
    pub provider: usize,
    pub aws: Counts,
    /// The part of `aws` made by the webhook handler (provider or Planfix webhook).
    pub webhook_aws: Counts,
    pub probe: ProbeReading,
    /// Wall time in the webhook handler (HTTP route, intake, enqueue) and in the worker and
    /// relay handlers (including the harness's own SQS polling), over loopback moto.
    pub webhook: Duration,
    pub worker: Duration,
}

impl FlowResult {
    pub fn per_unit(&self, total: u64) -> f64 {
        total as f64 / self.units.max(1) as f64
    }
}

/// SQS operations the harness performs in the Lambda service's place (the event source's
/// receive and delete, the test's queue polling and setup), told apart from the bridge's own.
pub fn harness_sqs_operation(op: &str) -> bool {
    matches!(op, "ReceiveMessage" | "DeleteMessage" | "DeleteMessageBatch" | "GetQueueAttributes" | "CreateQueue")
}

struct Snapshot {
    aws: Counts,
    planfix: usize,
    provider: usize,
    probe: ProbeReading,
}

struct Bench {
    h: Harness,
    driver: Driver,
    proxy: CountingProxy,
    probe: Probe,
    next_ts: i64,
    next_customer: u32,
    conversation: Option<(i64, i64)>,
    markers: bool,
    /// AWS requests made inside the webhook handlers (the rest: worker and relay).
    webhook_aws: Counts,
    webhook: Duration,
    worker: Duration,
}

/// Starts the proxy in front of moto, points the harness at it and runs the flows in order on
/// one bridge (one table, one conversation), returning one result per flow.
pub async fn run(opts: &Options, probe: &Probe) -> Result<Vec<FlowResult>, BenchError> {
    let upstream = std::env::var(ENDPOINT_VAR).map_err(|_| BenchError::NoEndpoint)?;
    let proxy = CountingProxy::start(&upstream).await?;
    // The harness reads the endpoint whenever it builds a client: from here on, through the proxy.
    std::env::set_var(ENDPOINT_VAR, proxy.url());
    let driver = Driver::start(opts.provider).await;
    let provider = driver.provider_config();
    let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
    let rps = opts.planfix_rps;
    let settings = Settings { task_status_webhook: opts.task_status_webhook, ..Settings::default() };
    let h = Harness::custom(settings, store, move |_, account| {
        account.provider = provider;
        account.planfix.requests_per_second = rps;
    })
    .await;
    let mut bench = Bench {
        h,
        driver,
        proxy,
        probe: probe.clone(),
        next_ts: T0,
        next_customer: 0,
        conversation: None,
        markers: opts.markers,
        webhook_aws: Counts::default(),
        webhook: Duration::ZERO,
        worker: Duration::ZERO,
    };
    let mut results = Vec::new();
    for flow in &opts.flows {
        results.push(bench.measure(*flow, opts.messages).await?);
    }
    Ok(results)
}

fn fail(flow: Flow, problem: impl Into<String>) -> BenchError {
    BenchError::Flow { flow: flow.name(), problem: problem.into() }
}

impl Bench {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            aws: self.proxy.counts(),
            planfix: self.h.planfix.requests().len(),
            provider: self.driver.provider_requests(),
            probe: self.probe.read(),
        }
    }

    fn ts(&mut self) -> i64 {
        self.next_ts += 1;
        self.next_ts
    }

    async fn webhook(&mut self, flow: Flow, req: http::Request<bytes::Bytes>) -> Result<(), BenchError> {
        let started = Instant::now();
        let before = self.proxy.counts();
        let (status, body) = self.h.post_webhook(req).await;
        self.webhook_aws.add(&self.proxy.counts().since(&before));
        self.webhook += started.elapsed();
        if status != 200 {
            return Err(fail(flow, format!("the webhook answered {status}: {body}")));
        }
        Ok(())
    }

    async fn settle(&mut self) {
        let started = Instant::now();
        self.h.settle().await;
        self.worker += started.elapsed();
    }

    /// The conversation of [`CUSTOMER`], opened on first use (outside any measurement).
    async fn conversation(&mut self, flow: Flow) -> Result<(i64, i64), BenchError> {
        if let Some(c) = self.conversation {
            return Ok(c);
        }
        let id = self.driver.new_id();
        let ts = self.ts();
        self.webhook(flow, self.driver.text(CUSTOMER, NAME, &id, ts, "Hello, I need help")).await?;
        self.settle().await;
        let task = self
            .h
            .planfix
            .tasks()
            .into_iter()
            .find(|t| self.h.planfix.comments(t.id).iter().any(|c| c.description.contains("Hello, I need help")))
            .ok_or_else(|| fail(flow, "the first message opened no task"))?;
        let contact = task
            .assigner
            .trim_start_matches("contact:")
            .parse()
            .map_err(|_| fail(flow, format!("the task's requester is not a contact: {}", task.assigner)))?;
        self.conversation = Some((task.id, contact));
        Ok((task.id, contact))
    }

    async fn new_conversation(&mut self, flow: Flow) -> Result<(), BenchError> {
        self.next_customer += 1;
        let from = format!("4915123{:06}", self.next_customer);
        let tasks = self.h.planfix.tasks().len();
        let id = self.driver.new_id();
        let ts = self.ts();
        self.webhook(flow, self.driver.text(&from, "New Customer", &id, ts, "First message")).await?;
        self.settle().await;
        if self.h.planfix.tasks().len() != tasks + 1 {
            return Err(fail(flow, "a new customer's text did not open a task"));
        }
        Ok(())
    }

    async fn known_text(&mut self, flow: Flow) -> Result<(), BenchError> {
        let (task, _) = self.conversation(flow).await?;
        let comments = self.h.planfix.comments(task).len();
        let id = self.driver.new_id();
        let ts = self.ts();
        self.webhook(flow, self.driver.text(CUSTOMER, NAME, &id, ts, "Any news on my order?")).await?;
        self.settle().await;
        if self.h.planfix.comments(task).len() != comments + 1 {
            return Err(fail(flow, "the text did not become a comment on the conversation's task"));
        }
        Ok(())
    }

    async fn photo(&mut self, flow: Flow) -> Result<(), BenchError> {
        let (task, _) = self.conversation(flow).await?;
        let id = self.driver.new_id();
        let ts = self.ts();
        let req = self.driver.media(CUSTOMER, &id, ts, photo_bytes(), "image/jpeg", "photo.jpg", "");
        self.webhook(flow, req).await?;
        self.settle().await;
        let started = Instant::now();
        self.h.drain_file_relay(3).await;
        self.worker += started.elapsed();
        let last = self.h.planfix.comments(task).into_iter().last();
        if last.is_none_or(|c| c.files.len() != 1) {
            return Err(fail(flow, "the photo did not reach the task as a file"));
        }
        Ok(())
    }

    async fn reply(&mut self, flow: Flow) -> Result<(), BenchError> {
        let (task, contact) = self.conversation(flow).await?;
        let comment = self.h.planfix.add_employee_comment(task, EMPLOYEE, "Your order ships today", &[contact]);
        let started = Instant::now();
        let before = self.proxy.counts();
        let (status, body) = self.h.planfix_hook_only(task, comment, Some(PLANFIX_HOOK_SECRET)).await;
        self.webhook_aws.add(&self.proxy.counts().since(&before));
        self.webhook += started.elapsed();
        if status != 200 {
            return Err(fail(flow, format!("the Planfix webhook answered {status}: {body}")));
        }
        let started = Instant::now();
        let outcomes = self.h.settle().await;
        self.worker += started.elapsed();
        match e2e_tests::reply_result(&outcomes, comment) {
            Some("sent") => Ok(()),
            other => Err(fail(flow, format!("the reply was not sent: {other:?}"))),
        }
    }

    fn reset_timers(&mut self) {
        self.webhook_aws = Counts::default();
        self.webhook = Duration::ZERO;
        self.worker = Duration::ZERO;
    }

    async fn measure(&mut self, flow: Flow, messages: usize) -> Result<FlowResult, BenchError> {
        let messages = messages.max(1);
        // Warm-up (and what the flow needs first), outside the measurement.
        let mut callbacks = Vec::new();
        match flow {
            Flow::NewConversation => self.new_conversation(flow).await?,
            Flow::KnownText => self.known_text(flow).await?,
            Flow::Photo => self.photo(flow).await?,
            Flow::Reply => self.reply(flow).await?,
            Flow::Status => {
                // Callbacks of earlier flows' replies are not this flow's.
                drop(self.driver.callbacks(self.driver.sent_ids().len()));
                self.reply(flow).await?;
                let warm = self.driver.callbacks(self.driver.sent_ids().len().saturating_sub(1));
                let mut warm = warm.into_iter();
                if let Some(first) = warm.next() {
                    self.webhook(flow, first).await?;
                    self.settle().await;
                }
                // The rest of the warm-up reply's callbacks are measured with the others.
                callbacks.extend(warm);
                let sent_before = self.driver.sent_ids().len();
                for _ in 0..messages {
                    self.reply(flow).await?;
                }
                callbacks.extend(self.driver.callbacks(sent_before));
                if callbacks.is_empty() {
                    return Err(fail(flow, "the provider reported nothing on the replies"));
                }
            }
        }
        self.reset_timers();
        if self.markers {
            println!("{MARKER}begin:{}", flow.key());
        }
        let before = self.snapshot();
        let units = match flow {
            Flow::Status => {
                let n = callbacks.len();
                for cb in callbacks {
                    self.webhook(flow, cb).await?;
                    self.settle().await;
                }
                n
            }
            _ => {
                for _ in 0..messages {
                    match flow {
                        Flow::NewConversation => self.new_conversation(flow).await?,
                        Flow::KnownText => self.known_text(flow).await?,
                        Flow::Photo => self.photo(flow).await?,
                        Flow::Reply => self.reply(flow).await?,
                        Flow::Status => unreachable!("measured above"),
                    }
                }
                messages
            }
        };
        let after = self.snapshot();
        if self.markers {
            println!("{MARKER}end:{}", flow.key());
        }
        Ok(FlowResult {
            flow,
            units,
            planfix: after.planfix - before.planfix,
            provider: after.provider - before.provider,
            aws: after.aws.since(&before.aws),
            webhook_aws: self.webhook_aws.clone(),
            probe: after.probe.since(&before.probe),
            webhook: self.webhook,
            worker: self.worker,
        })
    }
}

/// A small JPEG-looking photo (SOI/APP0 marker, then filler, then EOI): 24 KB.
fn photo_bytes() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
    bytes.extend((0..24_000u32).map(|i| (i * 31 % 251) as u8));
    bytes.extend([0xFF, 0xD9]);
    bytes
}
