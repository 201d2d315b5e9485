//! Shared fixtures of the end-to-end tests: the AWS emulator (moto, started by
//! `scripts/test.sh`), the reference material beside the checkout, and a bridge wired to the
//! Planfix simulator through the real adapters.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_aws::DynamoStore;
use bridge_aws::{SqsFileJobQueue, SqsWorkQueue};
use bridge_core::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret, Settings};
use bridge_core::domain::AccountId;
use bridge_core::domain::Work;
use bridge_core::lease::LeaseTiming;
use bridge_core::outbound::ReplyOutcome;
use bridge_core::ports::{BlobStore, Store};
use bridge_core::retry::RetryPolicy;
use bridge_core::worker::WorkOutcome;
use bridge_core::Bridge;
use bytes::Bytes;
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{PlanfixSim, PlanfixSimConfig, SpecValidator};
use serde_json::Value;

pub mod providers;

/// The emulator's endpoint. Tests that need AWS fail loudly without it rather than skip:
/// run them through `scripts/test.sh`, which starts moto and sets this variable.
pub fn aws_endpoint() -> String {
    std::env::var("BRIDGE_TEST_AWS_ENDPOINT")
        .expect("BRIDGE_TEST_AWS_ENDPOINT is not set: run the suite with scripts/test.sh (it starts the moto server)")
}

pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(aws_endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

/// An SQS queue of its own on moto (the file-job queue).
pub async fn fresh_queue() -> (aws_sdk_sqs::Client, String) {
    let client = aws_sdk_sqs::Client::new(&aws_config().await);
    let name = format!("bridge-test-{}", uuid::Uuid::new_v4());
    let url = client.create_queue().queue_name(name).send().await.expect("create queue").queue_url.expect("queue url");
    (client, url)
}

/// An SQS FIFO queue of its own on moto (the work queue), as template.yaml declares it.
pub async fn fresh_fifo_queue() -> (aws_sdk_sqs::Client, String) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let client = aws_sdk_sqs::Client::new(&aws_config().await);
    let name = format!("bridge-test-{}.fifo", uuid::Uuid::new_v4());
    let url = client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .attributes(QueueAttributeName::VisibilityTimeout, "60")
        .send()
        .await
        .expect("create fifo queue")
        .queue_url
        .expect("queue url");
    (client, url)
}

/// The work queue on moto plus the worker Lambda played by the test: what the SQS event source
/// does (receive one record — BatchSize 1 — with its attributes, invoke the handler, delete it
/// unless reported failed). Retries come back at once (backoff base 0) so tests stay fast.
pub struct WorkerRig {
    pub sqs: aws_sdk_sqs::Client,
    pub url: String,
    pub cfg: worker::WorkerConfig,
    queue: SqsWorkQueue,
}

impl WorkerRig {
    pub async fn new() -> Self {
        let (sqs, url) = fresh_fifo_queue().await;
        let cfg = worker::WorkerConfig {
            max_receives: 5,
            retry_base: Duration::ZERO,
            retry_max: Duration::ZERO,
            daily_limit_pause: Duration::ZERO,
        };
        Self { queue: SqsWorkQueue::new(sqs.clone(), url.clone()), sqs, url, cfg }
    }

    /// Another worker instance on the same queue (a second concurrent Lambda).
    pub fn sharing(&self) -> Self {
        Self {
            sqs: self.sqs.clone(),
            url: self.url.clone(),
            cfg: self.cfg.clone(),
            queue: SqsWorkQueue::new(self.sqs.clone(), self.url.clone()),
        }
    }

    /// The queue as the webhooks see it.
    pub fn queue(&self) -> Arc<SqsWorkQueue> {
        Arc::new(SqsWorkQueue::new(self.sqs.clone(), self.url.clone()))
    }

    /// One invocation; None when nothing was receivable.
    pub async fn run_once(&self, app: &Bridge) -> Option<Vec<(Work, WorkOutcome)>> {
        let (messages, event) = receive_as_lambda(&self.sqs, &self.url, 1).await;
        if messages.is_empty() {
            return None;
        }
        let report = worker::handle_batch(app, &self.queue, &self.cfg, event, None).await;
        let failed: Vec<String> =
            report.response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
        for m in &messages {
            // Failed records stay: the handler already set their retry delay.
            if !failed.contains(&m.message_id.clone().unwrap_or_default()) {
                let handle = m.receipt_handle.clone().unwrap_or_default();
                self.sqs.delete_message().queue_url(&self.url).receipt_handle(handle).send().await.expect("delete");
            }
        }
        Some(report.outcomes)
    }

    /// Messages on the queue, visible or in flight.
    pub async fn pending(&self) -> usize {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes");
        let attrs = out.attributes.unwrap_or_default();
        [A::ApproximateNumberOfMessages, A::ApproximateNumberOfMessagesNotVisible]
            .iter()
            .map(|a| attrs.get(a).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0))
            .sum()
    }

    /// Runs the worker until the queue is empty, also waiting out work another caller has in
    /// flight (bounded: a stuck queue fails the test).
    pub async fn settle(&self, app: &Bridge) -> Vec<(Work, WorkOutcome)> {
        let mut outcomes = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
        loop {
            assert!(tokio::time::Instant::now() < deadline, "the work queue did not drain");
            match self.run_once(app).await {
                Some(done) => outcomes.extend(done),
                None if self.pending().await == 0 => return outcomes,
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

/// What the Lambda service does for an SQS event source: receive up to `max` messages with
/// their system attributes and hand them over as the records of one event.
async fn receive_as_lambda(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    max: i32,
) -> (Vec<aws_sdk_sqs::types::Message>, aws_lambda_events::event::sqs::SqsEvent) {
    use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receive");
    let messages = out.messages.unwrap_or_default();
    let mut event = SqsEvent::default();
    for m in &messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id.clone();
        record.body = m.body.clone();
        record.receipt_handle = m.receipt_handle.clone();
        for (k, v) in m.attributes.clone().unwrap_or_default() {
            record.attributes.insert(k.as_str().to_owned(), v);
        }
        event.records.push(record);
    }
    (messages, event)
}

/// What a reply's work came to, in the words the scenario-level tests use.
pub fn reply_result(outcomes: &[(Work, WorkOutcome)], comment: i64) -> Option<&'static str> {
    outcomes.iter().find_map(|(work, outcome)| match (work, outcome) {
        (Work::Reply { comment_id, .. }, outcome) if *comment_id == comment => Some(match outcome {
            WorkOutcome::Reply(ReplyOutcome::Sent { .. }) => "sent",
            WorkOutcome::Reply(ReplyOutcome::Ignored(_)) => "ignored",
            WorkOutcome::Reply(ReplyOutcome::NotDelivered(_)) => "not_delivered",
            WorkOutcome::Reply(ReplyOutcome::AlreadyDone) => "duplicate",
            WorkOutcome::DeadLettered { .. } => "dead_letter",
            _ => "other",
        }),
        _ => None,
    })
}

/// A private S3 bucket of its own on moto, with the retention lifecycle.
pub async fn fresh_blob_store() -> (aws_sdk_s3::Client, String, Arc<dyn BlobStore>) {
    let client = bridge_aws::s3_client(&aws_config().await, true);
    let bucket = format!("bridge-test-{}", uuid::Uuid::new_v4());
    bridge_aws::S3BlobStore::create_bucket_with_lifecycle(&client, &bucket, 30).await.expect("bucket");
    let store = Arc::new(bridge_aws::S3BlobStore::new(client.clone(), bucket.clone()));
    (client, bucket, store)
}

/// A DynamoDB store on a table of its own, so tests run in parallel without interfering.
pub async fn fresh_dynamo_store() -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(&aws_config().await);
    let table = format!("bridge-test-{}", uuid::Uuid::new_v4());
    DynamoStore::create_table(&client, &table).await.expect("create table in moto");
    DynamoStore::new(client, table)
}

/// `$BRIDGE_REFERENCE_DIR`, else `../shared/reference` beside the checkout (the folder next to
/// the workspace root). Panics, naming the path and how to point elsewhere, when it is not there:
/// a test that passed without the reference material would prove nothing.
pub fn reference_dir() -> PathBuf {
    let set = std::env::var_os("BRIDGE_REFERENCE_DIR").filter(|value| !value.is_empty());
    let (dir, from) = match set {
        Some(dir) => (PathBuf::from(dir), "BRIDGE_REFERENCE_DIR"),
        // <workspace>/tests → <workspace>/../shared/reference
        None => {
            let around_checkout =
                Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("the crate sits at <workspace>/tests");
            (around_checkout.join("shared/reference"), "the default location")
        }
    };
    let problem = match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => return dir,
        Ok(_) => "not a folder".to_owned(),
        Err(error) => error.to_string(),
    };
    panic!(
        "the reference material (planfix/swagger.json, providers/meta/*.json) must be at {} ({from}): \
         {problem}. Put the reference folder there, or set BRIDGE_REFERENCE_DIR to a reference folder \
         holding planfix/swagger.json and providers/meta/.",
        dir.display()
    );
}

/// A file of the reference material; panics, naming the path, when it is missing.
fn reference_file(relative: &str) -> PathBuf {
    let path = reference_dir().join(relative);
    assert!(
        path.is_file(),
        "the reference material lacks {} (needed by this test): set BRIDGE_REFERENCE_DIR to a complete \
         reference folder",
        path.display()
    );
    path
}

/// A real Meta webhook sample from the reference material (panics when it is missing).
pub fn meta_sample(name: &str) -> Value {
    let path = reference_file(&format!("providers/meta/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The Planfix OpenAPI spec validator (panics when the spec is missing).
pub fn planfix_spec() -> Arc<SpecValidator> {
    let path = reference_file("planfix/swagger.json");
    Arc::new(SpecValidator::from_file(&path).unwrap_or_else(|e| panic!("{} loads: {e}", path.display())))
}

/// A Planfix simulator that checks every request against the spec, for the tests that set up
/// their own instead of using [`Harness`]; keep the [`SpecGuard`] alive for the whole test.
pub fn checked_planfix(token: &str) -> (PlanfixSim, SpecGuard) {
    let planfix = PlanfixSim::new(PlanfixSimConfig { token: token.into(), spec: Some(planfix_spec()) });
    let guard = SpecGuard(planfix.clone());
    (planfix, guard)
}

/// Fails the test when dropped if the simulator saw a request the Planfix spec does not allow
/// (unless the test is already failing: no second panic over the first).
pub struct SpecGuard(PlanfixSim);

impl Drop for SpecGuard {
    fn drop(&mut self) {
        fail_on_violations(&self.0);
    }
}

fn fail_on_violations(planfix: &PlanfixSim) {
    if std::thread::panicking() {
        return;
    }
    let v = planfix.violations();
    assert!(v.is_empty(), "requests the Planfix spec does not allow: {v:#?}");
}

pub const APP_SECRET: &str = "test-meta-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const PLANFIX_TOKEN: &str = "test-planfix-token";
/// The phone_number_id of the Meta samples.
pub const PHONE_NUMBER_ID: &str = "1122334455667";

/// Where the providers would call the bridge (never dialled: tests call the route table).
pub const PUBLIC_URL: &str = "https://bridge.example.test/prod";

pub const PLANFIX_HOOK_SECRET: &str = "test-planfix-hook-secret";
pub const GRAPH_TOKEN: &str = "test-graph-token";

pub fn account_config(id: &str, planfix_url: &str, graph_url: &str, settings: Settings) -> AccountConfig {
    AccountConfig {
        id: AccountId::parse(id).unwrap(),
        planfix: PlanfixConfig {
            base_url: planfix_url.to_owned(),
            token: Secret::new(PLANFIX_TOKEN),
            webhook_secret: Secret::new(PLANFIX_HOOK_SECRET),
            // Paced as in production, at a rate that keeps the suite fast; tests of the pacing
            // itself set their own.
            requests_per_second: 200.0,
        },
        provider: ProviderConfig::Meta(MetaConfig {
            app_secret: Secret::new(APP_SECRET),
            verify_token: Secret::new(VERIFY_TOKEN),
            access_token: Secret::new(GRAPH_TOKEN),
            phone_number_id: PHONE_NUMBER_ID.into(),
            graph_base_url: graph_url.to_owned(),
            graph_api_version: "v21.0".into(),
        }),
        settings: Some(settings),
    }
}

/// A bridge (real adapters, DynamoDB on moto) for account `acme`, talking to a Planfix
/// simulator and a Meta Graph API simulator.
pub struct Harness {
    pub app: Arc<Bridge>,
    pub planfix: PlanfixSim,
    /// The simulator's REST base URL (`http://127.0.0.1:port/rest`), for requests made as a
    /// Planfix user would.
    pub planfix_url: String,
    pub graph: GraphSim,
    pub store: Arc<dyn Store>,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub worker: WorkerRig,
}

impl Harness {
    pub async fn start(settings: Settings) -> Self {
        let store: Arc<dyn Store> = Arc::new(fresh_dynamo_store().await);
        Self::with_store(settings, store).await
    }

    pub async fn with_store(settings: Settings, store: Arc<dyn Store>) -> Self {
        Self::custom(settings, store, |_, _| {}).await
    }

    /// A harness whose tuning and account the test adjusts.
    pub async fn custom(
        settings: Settings,
        store: Arc<dyn Store>,
        adjust: impl FnOnce(&mut Tuning, &mut AccountConfig),
    ) -> Self {
        let planfix = PlanfixSim::new(PlanfixSimConfig { token: PLANFIX_TOKEN.into(), spec: Some(planfix_spec()) });
        let url = planfix.serve(None).await.expect("planfix sim starts");
        let graph =
            GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
        let graph_url = graph.serve(None).await.expect("graph sim starts");
        let tuning = Tuning {
            timing: LeaseTiming { lease_secs: 30, wait: Duration::from_secs(15), poll: Duration::from_millis(50) },
            message_lease_secs: 30,
            // Real backoff shape, test-sized delays.
            send_retry: RetryPolicy {
                attempts: 3,
                min_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(40),
                max_pause: Duration::from_millis(40),
            },
            config_settings_override: true,
            http_timeout: Duration::from_secs(15),
            public_url: Some(PUBLIC_URL.into()),
        };
        let mut account = account_config("acme", &url, &graph_url, settings);
        let planfix_url = url;
        let mut tuning = tuning;
        adjust(&mut tuning, &mut account);
        let (sqs, queue_url) = fresh_queue().await;
        let (s3, bucket, blob) = fresh_blob_store().await;
        let worker = WorkerRig::new().await;
        let infra = Infra {
            store: store.clone(),
            work: worker.queue(),
            file_jobs: Arc::new(SqsFileJobQueue::new(sqs.clone(), queue_url.clone())),
            blob: Some(blob),
        };
        let app = build_app(vec![account], infra, tuning).await.expect("app builds");
        Self { app: Arc::new(app), planfix, planfix_url, graph, store, sqs, queue_url, s3, bucket, worker }
    }

    /// Runs the worker until the work queue is empty.
    pub async fn settle(&self) -> Vec<(Work, WorkOutcome)> {
        self.worker.settle(&self.app).await
    }

    /// Plays the Lambda service for the file-relay function: receives what is on the file queue,
    /// invokes the function's handler with an SQS event, deletes what succeeded and makes the
    /// batch item failures visible again (what the visibility timeout does, without the wait).
    /// Returns the number of records handled.
    pub async fn run_file_relay(&self, max_receives: u32) -> usize {
        let (messages, event) = receive_as_lambda(&self.sqs, &self.queue_url, 10).await;
        if messages.is_empty() {
            return 0;
        }
        // The relay's own backoff at zero: the test plays the redelivery at once.
        let cfg = file_relay::RelayConfig { max_receives, retry_base: Duration::ZERO, retry_max: Duration::ZERO };
        let queue = SqsFileJobQueue::new(self.sqs.clone(), self.queue_url.clone());
        let response = file_relay::handle(&self.app, Some(&queue), &cfg, event).await;
        let failed: Vec<String> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
        for m in &messages {
            let handle = m.receipt_handle.clone().unwrap_or_default();
            if failed.contains(&m.message_id.clone().unwrap_or_default()) {
                self.sqs
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .expect("visibility");
            } else {
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
        }
        messages.len()
    }

    /// Runs the relay until the queue is empty (bounded).
    pub async fn drain_file_relay(&self, max_receives: u32) {
        for _ in 0..20 {
            if self.run_file_relay(max_receives).await == 0 {
                return;
            }
        }
        panic!("the file queue did not drain");
    }

    /// What a Planfix scenario does when a comment is added: POST the ids with the secret; then
    /// the worker runs, and `result` in the returned body says what became of the comment
    /// (absent when another caller's worker handled it).
    pub async fn planfix_hook(&self, task: i64, comment: i64, secret: Option<&str>) -> (u16, Value) {
        let (status, mut body) = self.planfix_hook_only(task, comment, secret).await;
        if status == 200 {
            let outcomes = self.settle().await;
            if let (Some(result), Some(obj)) = (reply_result(&outcomes, comment), body.as_object_mut()) {
                obj.insert("result".into(), result.into());
            }
        }
        (status, body)
    }

    /// The scenario's request alone (the worker does not run).
    pub async fn planfix_hook_only(&self, task: i64, comment: i64, secret: Option<&str>) -> (u16, Value) {
        let body = serde_json::json!({ "task": task.to_string(), "comment": comment.to_string() }).to_string();
        let mut req = http::Request::post("/planfix/acme").header("content-type", "application/json");
        if let Some(s) = secret {
            req = req.header("x-bridge-token", s);
        }
        let resp =
            bridge_http::handle(&self.app, bridge_http::Surface::PlanfixWebhooks, req.body(Bytes::from(body)).unwrap())
                .await;
        (resp.status().as_u16(), serde_json::from_slice(resp.body()).unwrap_or(Value::Null))
    }

    /// One provider webhook request through the route table, as the provider-webhook function
    /// serves it: (status, body as text).
    pub async fn post_webhook(&self, req: http::Request<Bytes>) -> (u16, String) {
        let resp = bridge_http::handle(&self.app, bridge_http::Surface::ProviderWebhooks, req).await;
        (resp.status().as_u16(), String::from_utf8_lossy(resp.body()).into_owned())
    }

    /// POST a body to the Meta webhook route, signed (or not) as given.
    pub async fn post_meta_raw(&self, account: &str, body: &[u8], signature: Option<&str>) -> (u16, Value) {
        let mut req =
            http::Request::post(format!("/webhooks/meta/{account}")).header("content-type", "application/json");
        if let Some(sig) = signature {
            req = req.header("x-hub-signature-256", sig);
        }
        let resp = bridge_http::handle(
            &self.app,
            bridge_http::Surface::ProviderWebhooks,
            req.body(Bytes::copy_from_slice(body)).unwrap(),
        )
        .await;
        let status = resp.status().as_u16();
        let value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        (status, value)
    }

    /// POST a payload signed with the account's app secret, as Meta does, then let the worker
    /// do what the webhook queued.
    pub async fn post_meta(&self, payload: &Value) -> (u16, Value) {
        let answer = self.post_meta_only(payload).await;
        self.settle().await;
        answer
    }

    /// The webhook alone: the worker does not run.
    pub async fn post_meta_only(&self, payload: &Value) -> (u16, Value) {
        let body = payload.to_string();
        let sig = meta_sim::webhook::sign(APP_SECRET.as_bytes(), body.as_bytes());
        self.post_meta_raw("acme", body.as_bytes(), Some(&sig)).await
    }

    /// Every request the bridge made so far was allowed by the Planfix spec (also checked for
    /// every test when the harness is dropped).
    pub fn assert_spec_clean(&self) {
        let v = self.planfix.violations();
        assert!(v.is_empty(), "requests the Planfix spec does not allow: {v:#?}");
    }
}

/// Every test on a harness checks the spec: a request the Planfix spec does not allow fails it
/// at the end, whether or not the test called [`Harness::assert_spec_clean`].
impl Drop for Harness {
    fn drop(&mut self) {
        fail_on_violations(&self.planfix);
    }
}

/// A copy of a Meta sample with a new message id, sender, time and (for text) body.
pub fn text_from_sample(sample: &Value, wamid: &str, from: &str, ts: i64, text: &str) -> Value {
    meta_sim::webhook::retarget_sample(sample, wamid, from, ts, Some(text))
}
