//! The local run (`bridge-local serve --config`) on its embedded SQLite database — the store and
//! the durable work and file-job queues — behind the real local server (`bridge_local::server`):
//! the worker retries and keeps each conversation's order; holds new work back as the AWS queue
//! does, so ten simultaneous first messages make one contact, one task and ten comments in send
//! order; resumes queued work after a restart, exactly once; takes work `bridge-admin` replays
//! into the running server's database; imports a JSON file store of an earlier version once. And
//! the local run on every provider at once (Meta, Twilio, Green-API, 360dialog and Wazzup in one
//! config), with the providers' simulators calling back over HTTP by themselves and fetching
//! reply files from the presigned `/blobs` URLs of the folder blob store.

use std::path::PathBuf;
use std::time::Duration;

use bridge_app::local_config::{FilesConfig, LocalConfig, StoreConfig, WorkerConfig};
use bridge_core::config::{AccountConfig, Settings};
use bridge_core::domain::{AccountId, Phone};
use bridge_core::ports::BlobStore;
use bridge_core::retry::RetryPolicy;
use bridge_embedded::local_worker::WorkerOptions;
use bridge_local::server::{self, Serving, Started};
use e2e_tests::providers::{
    Driver, Kind, D360_KEY, D360_SECRET, GREEN_HOOK_TOKEN, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, WAZZUP_CRM_KEY,
    WAZZUP_KEY,
};
use e2e_tests::{
    account_config, checked_planfix, meta_sample, text_from_sample, SpecGuard, APP_SECRET, GRAPH_TOKEN,
    PHONE_NUMBER_ID, PLANFIX_HOOK_SECRET, PLANFIX_TOKEN,
};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{Failure, PlanfixSim};

struct Local {
    planfix: PlanfixSim,
    config: LocalConfig,
    dir: PathBuf,
    /// Fails the test at its end if a request broke the Planfix spec.
    _spec_guard: SpecGuard,
}

impl Drop for Local {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// One account `acme` (Meta) on the Planfix and Graph simulators; the database in a temp dir;
/// the worker holds new work back `hold_back_ms`.
async fn local(hold_back_ms: u64) -> Local {
    let (planfix, spec_guard) = checked_planfix(PLANFIX_TOKEN);
    let pf_url = planfix.serve(None).await.unwrap();
    let graph =
        GraphSim::new(GraphSimConfig { access_token: GRAPH_TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
    let g_url = graph.serve(None).await.unwrap();
    let dir = std::env::temp_dir().join(format!("bridge-local-test-{}", uuid::Uuid::new_v4()));
    let config = LocalConfig {
        store: StoreConfig::Sqlite { path: dir.join("bridge.db") },
        accounts: vec![account_config("acme", &pf_url, &g_url, Settings::default())],
        files: FilesConfig { dir: dir.join("files") },
        public_url: None,
        worker: WorkerConfig { hold_back_ms, ..WorkerConfig::default() },
    };
    Local { planfix, config, dir, _spec_guard: spec_guard }
}

impl Local {
    /// `bridge-local serve --config` on this configuration, with quick retries.
    async fn serve(&self) -> Serving {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let started = server::start_config(listener, self.config.clone(), quick).await.expect("the local run starts");
        server::spawn(started)
    }

    /// The configuration as a file, as `bridge-admin --config` reads it (its `[store]` only).
    fn config_file(&self) -> PathBuf {
        let StoreConfig::Sqlite { path } = &self.config.store else { panic!("a SQLite store") };
        let file = self.dir.join("bridge.toml");
        std::fs::create_dir_all(&self.dir).unwrap();
        std::fs::write(&file, format!("[store]\nkind = \"sqlite\"\npath = {:?}\n", path.to_str().unwrap())).unwrap();
        file
    }
}

/// A text from `phone`, signed as Meta signs it.
fn meta_text(id: &str, phone: &str, ts: i64, text: &str) -> (String, String) {
    let payload = text_from_sample(&meta_sample("inbound_text.json"), id, phone, ts, text);
    let body = payload.to_string();
    let signature = meta_sim::webhook::sign(APP_SECRET.as_bytes(), body.as_bytes());
    (body, signature)
}

/// POSTs a text to the local server's `acme` route, as Meta does.
async fn post_text(url: &str, id: &str, phone: &str, ts: i64, text: &str) -> u16 {
    let (body, signature) = meta_text(id, phone, ts, text);
    let resp = reqwest::Client::new()
        .post(format!("{url}/webhooks/meta/acme"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .expect("the local server answers");
    resp.status().as_u16()
}

fn texts(planfix: &PlanfixSim) -> Vec<String> {
    planfix
        .tasks()
        .first()
        .map(|t| planfix.comments(t.id).into_iter().map(|c| c.description).collect())
        .unwrap_or_default()
}

async fn wait_for_comments(planfix: &PlanfixSim, n: usize) -> Vec<String> {
    for _ in 0..300 {
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

/// Quick retries for the tests (the defaults wait minutes, to outlast a crashed process's leases).
fn quick(workers: &mut WorkerOptions) {
    workers.work_retry = QUICK;
    workers.file_retry = QUICK;
}

#[tokio::test]
async fn local_worker_retries_and_keeps_order() {
    let l = local(200).await;
    let serving = l.serve().await;
    l.planfix.fail_next(
        2,
        Failure::Status { http: 500, body: serde_json::json!({"result":"fail","code":0,"error":"down"}) },
    );
    let phone = Phone::parse("972555555555").unwrap();
    for i in 0..5 {
        let status =
            post_text(&serving.url, &format!("wamid.local-{i}"), phone.digits(), 1_700_000_000 + i, &format!("l{i}"))
                .await;
        assert_eq!(status, 200);
    }
    let first_five: Vec<String> = (0..5).map(|i| format!("l{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 5).await, first_five);
    wait_until_processed(&serving, &phone).await;
    // A later message of the same conversation: its work runs after all of the work queued
    // before it, retries included, so once it is processed any duplicate of l0..l4 would
    // already be in the task.
    assert_eq!(post_text(&serving.url, "wamid.local-5", phone.digits(), 1_700_000_005, "l5").await, 200);
    let all: Vec<String> = (0..6).map(|i| format!("l{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 6).await, all, "once each, in order");
    wait_until_processed(&serving, &phone).await;
    assert_eq!(texts(&l.planfix), all, "once each, in order");
    serving.stop().await;
}

/// Waits (bounded) until the conversation's inbox is empty and nothing is left on the work
/// queue: every message recorded so far has been processed and marked done.
async fn wait_until_processed(serving: &Serving, phone: &Phone) {
    let acme = AccountId::parse("acme").unwrap();
    for _ in 0..300 {
        let inbox = serving.app().store.inbox(&acme, phone, 10).await.unwrap();
        if inbox.is_empty() && serving.local().work.counts().await.unwrap().queued == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the inbox of {phone} did not drain");
}

/// Hold-back parity with the AWS path: ten first messages of a new number, sent one after the
/// other and arriving in a shuffled order within a few hundred milliseconds (posted at once,
/// each held up by the network a little longer), are all in the conversation's inbox when the
/// worker takes its first piece of work (1 s after the first, as the AWS work queue's
/// `DelaySeconds`): one contact, one task, ten comments in send order. Without the hold-back
/// the first to arrive would be commented before the earlier ones came in.
#[tokio::test]
async fn ten_simultaneous_first_messages_make_one_contact_one_task_and_ten_comments_in_send_order() {
    let l = local(WorkerConfig::default().hold_back_ms).await;
    assert_eq!(l.config.worker.hold_back(), Duration::from_secs(1), "the default hold-back, as on AWS");
    let serving = l.serve().await;
    let phone = "4915100000077";
    let arrival = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    let posts = arrival.into_iter().enumerate().map(|(slot, i)| {
        let url = serving.url.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(40) * slot as u32).await;
            post_text(&url, &format!("wamid.burst-{i}"), phone, 1_700_000_000 + i, &format!("m{i}")).await
        }
    });
    let statuses = futures_util::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    let sent: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    assert_eq!(wait_for_comments(&l.planfix, 10).await, sent, "in send order");
    wait_until_processed(&serving, &Phone::parse(phone).unwrap()).await;
    assert_eq!(l.planfix.contacts().len(), 1, "{:#?}", l.planfix.contacts());
    assert_eq!(l.planfix.tasks().len(), 1, "{:#?}", l.planfix.tasks());
    assert_eq!(texts(&l.planfix), sent, "ten comments, once each");
    serving.stop().await;
}

/// Work acknowledged to the provider but not yet done when the server stops is in the database:
/// started again, the server does it, once.
#[tokio::test]
async fn a_restart_resumes_queued_work_exactly_once() {
    // A hold-back long enough to stop the server before the worker takes the work.
    let l = local(3000).await;
    let serving = l.serve().await;
    let phone = "972566666666";
    for i in 0..3 {
        assert_eq!(
            post_text(&serving.url, &format!("wamid.restart-{i}"), phone, 1_700_000_000 + i, &format!("r{i}")).await,
            200
        );
    }
    serving.stop().await;
    assert!(l.planfix.requests().is_empty(), "stopped before it worked on anything");

    let serving = l.serve().await;
    assert_eq!(serving.local().work.counts().await.unwrap().queued, 3, "all three pokes survived the restart");
    assert_eq!(wait_for_comments(&l.planfix, 3).await, ["r0", "r1", "r2"]);
    wait_until_processed(&serving, &Phone::parse(phone).unwrap()).await;
    assert_eq!(texts(&l.planfix), ["r0", "r1", "r2"], "once each");
    serving.stop().await;
}

/// `bridge-admin --config bridge.toml dead-letters replay` against the running server: the
/// message Planfix refused is back in its conversation, on the server's own work queue (in the
/// database both opened), and the server comments it without a restart.
#[tokio::test]
async fn admin_replay_reaches_the_running_server() {
    let l = local(200).await;
    let serving = l.serve().await;
    let acme = AccountId::parse("acme").unwrap();
    // Planfix refuses the first request for good (a validation error): the worker dead-letters.
    l.planfix.fail_next(
        1,
        Failure::Status { http: 400, body: serde_json::json!({"result":"fail","code":7000,"error":"refused"}) },
    );
    assert_eq!(post_text(&serving.url, "wamid.refused", "4915100000088", 1_700_000_000, "try again").await, 200);
    let mut letters = Vec::new();
    for _ in 0..200 {
        letters = serving.app().store.list_dead_letters(&acme).await.unwrap();
        if !letters.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(letters.len(), 1, "the refused message is a dead letter");
    assert!(l.planfix.tasks().is_empty());

    // The operator, in another terminal, as the CLI runs it.
    let config = l.config_file();
    let argv =
        ["bridge-admin", "--config", config.to_str().unwrap(), "dead-letters", "replay", "--account", "acme", "--all"];
    let cli = bridge_admin::parse(argv).unwrap();
    let target = bridge_admin::Target::connect(&cli.target).await.unwrap();
    let out = bridge_admin::run(cli.command, &target).await.unwrap();
    assert!(out.starts_with("replayed 1 dead letter(s) of acme to the local work queue"), "{out}");

    assert_eq!(wait_for_comments(&l.planfix, 1).await, ["try again"], "commented by the running server");
    assert!(serving.app().store.list_dead_letters(&acme).await.unwrap().is_empty());
    serving.stop().await;
}

/// A JSON file store of an earlier version (`store.json` beside the database) is imported when
/// the server starts: the messages that were waiting in it are commented.
#[tokio::test]
async fn a_json_store_of_an_earlier_version_is_imported_at_start() {
    let l = local(200).await;
    std::fs::create_dir_all(&l.dir).unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/embedded/src/testdata/store-json-v1.json");
    std::fs::copy(fixture, l.dir.join("store.json")).unwrap();
    let serving = l.serve().await;
    assert!(l.dir.join("store.json.imported").exists() && !l.dir.join("store.json").exists());
    assert_eq!(wait_for_comments(&l.planfix, 2).await, ["first waiting", "second waiting"]);
    let acme = AccountId::parse("acme").unwrap();
    let letters = serving.app().store.list_dead_letters(&acme).await.unwrap();
    assert_eq!(letters.iter().map(|l| l.key.as_str()).collect::<Vec<_>>(), ["acme#reply#5002"], "and the rest");
    serving.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Every provider in one local run.

const EMPLOYEE: i64 = 5;

/// One provider's account in the shared local run.
struct Line {
    driver: Driver,
    account: &'static str,
    /// The customer writing through it.
    customer: &'static str,
}

impl Line {
    fn name(&self) -> &'static str {
        self.account
    }

    fn path(&self) -> String {
        format!("/webhooks/{}/{}", self.driver.provider_config().kind(), self.account)
    }

    /// The customer's message (text, or a file stored in the simulator first) as the provider
    /// POSTs it to the local server at `front`: signed or with its token or secret header, as the
    /// provider does. The driver builds it (for its `acme` route); here it goes to this line's.
    fn webhook(&self, front: &str, text: &str, file: Option<(&[u8], &str, &str)>) -> reqwest::RequestBuilder {
        let id = self.driver.new_id();
        let ts = 1_700_000_000;
        let url = format!("{front}{}", self.path());
        if let Driver::Twilio(twilio) = &self.driver {
            // Twilio signs the URL it calls: the local public URL plus the route.
            return twilio_webhook(twilio, &url, self.customer, &id, text, file);
        }
        let request = match file {
            None => self.driver.text(self.customer, "Anna Schmidt", &id, ts, text),
            Some((bytes, mime, name)) => self.driver.media(self.customer, &id, ts, bytes.to_vec(), mime, name, text),
        };
        let mut out = reqwest::Client::new().post(url);
        for (name, value) in request.headers() {
            out = out.header(name.as_str(), value.as_bytes());
        }
        out.body(request.into_body())
    }
}

fn twilio_webhook(
    twilio: &twilio_sim::TwilioSim,
    url: &str,
    customer: &str,
    sid: &str,
    text: &str,
    file: Option<(&[u8], &str, &str)>,
) -> reqwest::RequestBuilder {
    let inbound = twilio_sim::webhook::Inbound {
        account_sid: TWILIO_SID.into(),
        from: format!("+{customer}"),
        to: TWILIO_FROM.into(),
        profile_name: Some("Anna Schmidt".into()),
    };
    let params = match file {
        None => twilio_sim::webhook::text(&inbound, sid, text),
        Some((bytes, mime, _)) => {
            let sid = twilio_sim::webhook::message_sid(true);
            let media = twilio.add_message_media(&sid, bytes.to_vec(), mime);
            twilio_sim::webhook::media(&inbound, &sid, text, &[(media, mime.to_owned())])
        }
    };
    let signature = twilio_sim::webhook::sign(TWILIO_TOKEN, url, &params);
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(twilio_sim::webhook::encode(&params))
}

/// Polls `probe` every 50 ms for at most 30 s; the panic says what never happened.
async fn eventually<T>(what: impl std::fmt::Display, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(found) = probe() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up after 30 s waiting for {what}");
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(seed) % 251) as u8).collect()
}

/// The Planfix scenario "comment added → HTTP request", for the account whose task it is.
async fn scenario(front: &str, account: &str, task: i64, comment: i64) {
    let resp = reqwest::Client::new()
        .post(format!("{front}/planfix/{account}"))
        .header("x-bridge-token", PLANFIX_HOOK_SECRET)
        .json(&serde_json::json!({ "task": task.to_string(), "comment": comment.to_string() }))
        .send()
        .await
        .expect("the local server answers");
    assert_eq!(resp.status(), 200, "{account}: the scenario's call is accepted: {:?}", resp.text().await);
}

/// Lets each simulator call the bridge by itself, set up as an operator sets up the provider:
/// Twilio posts to the status URL each send names; Green-API to the instance's webhook URL with
/// its token; 360dialog to the URL and headers registered with `POST /v1/configs/webhook`;
/// Wazzup to the `webhooksUri` registered with `PATCH /v3/webhooks` (which first probes it: the
/// bridge must answer `{"test": true}` with 200) with the crmKey as Bearer.
async fn connect(line: &Line, front: &str) {
    let url = format!("{front}{}", line.path());
    let client = reqwest::Client::new();
    match &line.driver {
        Driver::Meta(_) => {}
        Driver::Twilio(twilio) => twilio.deliver_callbacks(true),
        Driver::GreenApi(green) => green.deliver_webhooks(Some((url, Some(GREEN_HOOK_TOKEN.to_owned())))),
        Driver::Dialog360(d360) => {
            let resp = client
                .post(format!("{}/v1/configs/webhook", d360.base_url().unwrap()))
                .header("D360-API-KEY", D360_KEY)
                .json(&serde_json::json!({ "url": url, "headers": { "X-Bridge-Secret": D360_SECRET } }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "360dialog takes the webhook URL: {:?}", resp.text().await);
            d360.deliver_webhooks(true);
        }
        Driver::Wazzup(wazzup) => {
            let resp = client
                .patch(format!("{}/v3/webhooks", wazzup.base_url().unwrap()))
                .bearer_auth(WAZZUP_KEY)
                .json(&serde_json::json!({
                    "webhooksUri": url,
                    "subscriptions": { "messagesAndStatuses": true },
                    "crmKey": WAZZUP_CRM_KEY,
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "Wazzup's probe of the bridge passes: {:?}", resp.text().await);
            assert_eq!(wazzup.webhook_target(), Some((url, Some(WAZZUP_CRM_KEY.to_owned()))));
            wazzup.deliver_webhooks(wazzup.webhook_target());
        }
    }
}

/// The provider message id of the first send, which the provider's own status webhooks name.
fn first_send_id(driver: &Driver) -> Option<String> {
    match driver {
        Driver::Meta(_) => None,
        Driver::Twilio(twilio) => Some(twilio.sent()[0].sid.clone()),
        Driver::GreenApi(green) => Some(green.sent()[0].id_message.clone()),
        Driver::Dialog360(d360) => Some(d360.sent()[0].wamid.clone()),
        Driver::Wazzup(wazzup) => Some(wazzup.sent()[0].message_id.clone()),
    }
}

#[tokio::test]
async fn one_local_config_runs_every_provider_end_to_end() {
    // One Planfix for every account, as one company with five WhatsApp numbers.
    let (planfix, _spec_guard): (PlanfixSim, SpecGuard) = checked_planfix(PLANFIX_TOKEN);
    let planfix_url = planfix.serve(None).await.unwrap();
    let lines = [
        Line { driver: Driver::start(Kind::Meta).await, account: "acme-meta", customer: "4915100000010" },
        Line { driver: Driver::start(Kind::Twilio).await, account: "acme-twilio", customer: "4915100000011" },
        Line { driver: Driver::start(Kind::GreenApi).await, account: "acme-green", customer: "4915100000012" },
        Line { driver: Driver::start(Kind::Dialog360).await, account: "acme-360dialog", customer: "4915100000013" },
        Line { driver: Driver::start(Kind::Wazzup).await, account: "acme-wazzup", customer: "4915100000014" },
    ];
    let accounts: Vec<AccountConfig> = lines
        .iter()
        .map(|line| {
            let mut account = account_config(line.account, &planfix_url, "unused", Settings::default());
            account.provider = line.driver.provider_config();
            account
        })
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dir = std::env::temp_dir().join(format!("bridge-local-providers-{}", uuid::Uuid::new_v4()));
    let config = LocalConfig {
        store: StoreConfig::Sqlite { path: dir.join("bridge.db") },
        accounts,
        files: FilesConfig { dir: dir.join("files") },
        // The listen URL is the public URL: Twilio signs it, presigned links point at it.
        public_url: None,
        worker: WorkerConfig { hold_back_ms: 200, ..WorkerConfig::default() },
    };
    // The real local server (`bridge-local serve` with `--config`): every route, and `/blobs`.
    let started: Started = server::start_config(listener, config, quick).await.expect("the local run starts");
    let front_url = started.url.clone();
    let (app, blobs) = (started.server.app.clone(), started.server.blobs.clone());
    let sqlite = started.local.sqlite.clone().expect("the SQLite store");
    let serving = server::spawn(started);
    for line in &lines {
        connect(line, &front_url).await;
    }

    for line in &lines {
        let who = line.name();
        let account = AccountId::parse(line.account).unwrap();

        // The customer's first message: a contact, a task (this account's), a comment.
        let hello = format!("Hello from {who}");
        let resp = line.webhook(&front_url, &hello, None).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{who}: {:?}", resp.text().await);
        let task = eventually(format!("{who}: the message as a comment"), || {
            planfix.tasks().into_iter().find(|t| planfix.comments(t.id).iter().any(|c| c.description.contains(&hello)))
        })
        .await;
        let conv = app.store.get_task_conversation(&account, task.id).await.unwrap();
        assert_eq!(conv.map(|c| c.phone.digits().to_owned()).as_deref(), Some(line.customer), "{who}: its task");
        let contact_id: i64 = task.assigner.trim_start_matches("contact:").parse().expect("the requester is a contact");
        let contact = planfix.contacts().into_iter().find(|c| c.id == contact_id).expect("the contact exists");
        assert!(contact.phones.iter().any(|p| p.contains(line.customer)), "{who}: {:?}", contact.phones);

        // An employee's notifying reply reaches the customer through this account's provider.
        let text = format!("Your order from {who} <b>ships</b> today");
        let comment = planfix.add_employee_comment(task.id, EMPLOYEE, &text, &[contact_id]);
        scenario(&front_url, line.account, task.id, comment).await;
        let expected = (line.customer.to_owned(), format!("Your order from {who} *ships* today"));
        eventually(format!("{who}: the reply on WhatsApp"), || {
            line.driver.sent_texts().contains(&expected).then_some(())
        })
        .await;

        // The customer's file reaches Planfix with the same bytes.
        let pdf = pattern(180_000, 7);
        let resp =
            line.webhook(&front_url, "signed", Some((&pdf, "application/pdf", "contract.pdf"))).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{who}: {:?}", resp.text().await);
        let file = eventually(format!("{who}: the customer's file in Planfix"), || {
            let comments = planfix.comments(task.id);
            comments.iter().find(|c| c.description.contains("signed") && !c.files.is_empty()).map(|c| c.files[0])
        })
        .await;
        let (_, bytes) = planfix.file(file).expect("the file is in Planfix");
        assert!(bytes == pdf, "{who}: the customer's file arrives whole ({} of {} bytes)", bytes.len(), pdf.len());

        // A file on a reply reaches the customer; Twilio, Green-API and Wazzup fetch it by its
        // presigned `/blobs` URL from the local server, Meta and 360dialog get it uploaded.
        let invoice = pattern(140_000, 13);
        let planfix_file = planfix.add_file("invoice 42.pdf", invoice.clone());
        let comment =
            planfix.add_employee_comment_with_files(task.id, EMPLOYEE, "Your invoice", &[contact_id], &[planfix_file]);
        scenario(&front_url, line.account, task.id, comment).await;
        let sent =
            eventually(format!("{who}: the reply's file on WhatsApp"), || line.driver.sent_files().into_iter().next())
                .await;
        assert_eq!(sent.to, line.customer, "{who}");
        assert!(
            sent.bytes == invoice,
            "{who}: the reply's file arrives whole ({} of {} bytes)",
            sent.bytes.len(),
            invoice.len()
        );
        assert_eq!(sent.name.as_deref(), Some("invoice 42.pdf"), "{who}");
        match &line.driver {
            Driver::Twilio(twilio) => {
                let media = twilio.sent().into_iter().find_map(|m| m.media).unwrap();
                assert!(media.url.starts_with(&format!("{front_url}/blobs/")), "{who}: fetched from {}", media.url);
                assert_eq!(media.http_status, Some(200), "{who}");
            }
            Driver::GreenApi(green) => {
                let file = green.sent().into_iter().find_map(|m| m.file).unwrap();
                assert_eq!(file.via, "url", "{who}: sendFileByUrl, fetched from the local server");
            }
            Driver::Dialog360(d360) => {
                assert_eq!(d360.uploaded_media().len(), 1, "{who}: uploaded once with POST /media");
            }
            _ => {}
        }
        // No warning notes: nothing failed on the way.
        let notes: Vec<_> = planfix.comments(task.id).into_iter().filter(|c| c.description.contains('⚠')).collect();
        assert!(notes.is_empty(), "{who}: {notes:?}");
    }

    // The delivery statuses the simulators posted by themselves reached the store.
    for line in &lines {
        let Some(id) = first_send_id(&line.driver) else { continue };
        let account = AccountId::parse(line.account).unwrap();
        let mut status = None;
        for _ in 0..600 {
            status = sqlite.delivery_status(&account, &id).await.unwrap();
            if status.as_deref() == Some("delivered") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status.as_deref(), Some("delivered"), "{}: the provider's own `delivered` status", line.name());
    }
    // Everything the simulators queued was accepted, Wazzup's echoes of the bridge's own sends
    // included, and none of those echoes was taken for a message written on the phone.
    for line in &lines {
        let pending = || match &line.driver {
            Driver::GreenApi(green) => green.pending_webhooks(),
            Driver::Dialog360(d360) => d360.pending_webhooks(),
            Driver::Wazzup(wazzup) => wazzup.pending_webhooks(),
            _ => 0,
        };
        eventually(format!("{}: every webhook the simulator queued delivered", line.name()), || {
            (pending() == 0).then_some(())
        })
        .await;
    }
    let mirrored: Vec<String> = planfix
        .tasks()
        .into_iter()
        .flat_map(|t| planfix.comments(t.id))
        .map(|c| c.description)
        .filter(|d| d.contains("Sent from the company's WhatsApp phone"))
        .collect();
    assert!(mirrored.is_empty(), "echoes of the bridge's own sends mirrored as phone messages: {mirrored:?}");
    assert_eq!(planfix.tasks().len(), lines.len(), "one task per account's customer");

    // A presigned link with a wrong signature, or none, is refused; a missing file is a 404.
    let url = blobs.presign_get("acme-twilio/missing.pdf", Duration::from_secs(60), None).await.unwrap();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    let forged = url.replace("sig=", "sig=00");
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 403);
    serving.stop().await;
    std::fs::remove_dir_all(dir).ok();
}
