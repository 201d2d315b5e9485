//! `cargo run --release -p relay-bench [-- <MiB>]` — relays one file of <MiB> (default 100)
//! WhatsApp → Planfix and one Planfix → WhatsApp with the production relay code and reports
//! the relay process's peak resident memory (VmHWM from /proc/self/status) and throughput.
//! The simulators, which hold the files in memory by design, run in a child process so their
//! memory is not counted.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use bridge_app::bootstrap::{build_app, Infra, Tuning};
use bridge_aws::{s3_client, S3BlobStore};
use bridge_core::config::{AccountConfig, MetaConfig, PlanfixConfig, ProviderConfig, Secret};
use bridge_core::domain::{AccountId, FileJob, Phone};
use bridge_core::file_relay::{handle_job, RelayError, RelayOutcome};
use bridge_core::ports::{BlobStore, NewComment, NewTask};
use bridge_core::Bridge;
use bridge_embedded::{DirBlobStore, SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};
use meta_sim::{GraphSim, GraphSimConfig};
use planfix_sim::{PlanfixSim, PlanfixSimConfig};

const TOKEN: &str = "bench";
const PHONE_NUMBER_ID: &str = "100";

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Child mode: serve both simulators with one file of `size` bytes each, print their URLs and ids.
async fn serve_simulators(size: usize) {
    let planfix = PlanfixSim::new(PlanfixSimConfig { token: TOKEN.into(), spec: None });
    let graph = GraphSim::new(GraphSimConfig { access_token: TOKEN.into(), phone_number_id: PHONE_NUMBER_ID.into() });
    let body: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let media_id = graph.add_media(body.clone(), "application/pdf");
    let contact = planfix.add_contact("Bench", "+79051234567");
    let _ = contact;
    let file_id = planfix.add_file("bench.pdf", body);
    let planfix_url = planfix.serve(None).await.expect("planfix sim");
    let graph_url = graph.serve(None).await.expect("graph sim");
    println!(
        "{}",
        serde_json::json!({ "planfix": planfix_url, "graph": graph_url, "media": media_id, "file": file_id })
    );
    // Live until the parent closes our stdin.
    let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
}

/// Parent mode, step 1: start the simulators in a child process (`--simulators <MiB>`) and read
/// the line with their URLs and the ids of the file each serves.
fn start_simulators(mib: usize) -> (Child, serde_json::Value) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--simulators", &mib.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start simulators");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("simulator URLs");
    let info: serde_json::Value = serde_json::from_str(&line).expect("simulator info");
    (child, info)
}

/// The one account, pointed at the simulators.
fn bench_account(info: &serde_json::Value) -> AccountConfig {
    AccountConfig {
        id: AccountId::parse("bench").expect("id"),
        planfix: PlanfixConfig {
            base_url: info["planfix"].as_str().unwrap_or_default().into(),
            token: Secret::new(TOKEN),
            webhook_secret: Secret::new("relay-bench-hook-secret"),
            requests_per_second: 1000.0,
        },
        provider: ProviderConfig::Meta(MetaConfig {
            app_secret: Secret::new("relay-bench-app-secret"),
            verify_token: Secret::new("relay-bench-verify-token"),
            access_token: Secret::new(TOKEN),
            phone_number_id: PHONE_NUMBER_ID.into(),
            graph_base_url: info["graph"].as_str().unwrap_or_default().into(),
            graph_api_version: "v21.0".into(),
        }),
        settings: None,
    }
}

/// S3 at `BRIDGE_TEST_AWS_ENDPOINT` when set, else a local folder under `dir`.
async fn blob_store(dir: &Path) -> Arc<dyn BlobStore> {
    // With an AWS endpoint (e.g. moto from scripts/test.sh) the files go through real S3 calls:
    // the multipart upload's part buffer is what bounds memory on Lambda.
    match std::env::var("BRIDGE_TEST_AWS_ENDPOINT") {
        Ok(endpoint) => {
            let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "bench"))
                .load()
                .await;
            let client = s3_client(&cfg, true);
            let bucket = format!("relay-bench-{}", uuid::Uuid::new_v4());
            S3BlobStore::create_bucket_with_lifecycle(&client, &bucket, 1).await.expect("bucket");
            println!("blob store: S3 bucket {bucket} at the configured endpoint");
            Arc::new(S3BlobStore::new(client, bucket))
        }
        Err(_) => {
            println!("blob store: local folder (set BRIDGE_TEST_AWS_ENDPOINT to use S3)");
            Arc::new(DirBlobStore::new(dir.to_path_buf(), "http://127.0.0.1:1".into(), b"k".to_vec()))
        }
    }
}

/// The production app over the embedded infrastructure: the SQLite store and queues in one
/// database file under `dir` (the queues are filled but not drained: files only here).
struct BenchApp {
    app: Bridge,
}

/// Parent mode, step 2: build the relay the way production does, for the one account.
async fn setup_app(info: &serde_json::Value, dir: &Path) -> BenchApp {
    let account = bench_account(info);
    let db_path = dir.join("bench.db");
    let db = tokio::task::spawn_blocking(move || SqliteDb::open(db_path)).await.expect("open").expect("database");
    let blob = blob_store(dir).await;
    let infra = Infra {
        store: Arc::new(SqliteStore::new(db.clone())),
        work: Arc::new(SqliteWorkQueue::new(db.clone())),
        file_jobs: Arc::new(SqliteFileJobQueue::new(db)),
        blob: Some(blob),
    };
    let app = build_app(vec![account], infra, Tuning::default()).await.expect("app");
    BenchApp { app }
}

/// The task and comment the inbound file is attached to, made through the REST adapter.
async fn create_task_and_comment(app: &Bridge) -> (i64, i64) {
    let acct = app.accounts.any().await.expect("account");
    let task_id = acct
        .planfix
        .create_task(&NewTask {
            name: "bench".into(),
            description_html: String::new(),
            assigner_contact_id: 1,
            assignee_user_ids: vec![],
            template_id: None,
            source_object_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect("task");
    let comment_id = acct
        .planfix
        .add_comment(
            task_id,
            &NewComment {
                description_html: "file follows".into(),
                owner: bridge_core::ports::CommentOwner::Contact(1),
                source_object_id: uuid::Uuid::new_v4().to_string(),
                source_message_id: None,
            },
        )
        .await
        .expect("comment");
    (task_id, comment_id)
}

/// WhatsApp → Planfix: the simulated Meta media onto the comment.
fn inbound_job(info: &serde_json::Value, phone: Phone, task_id: i64, comment_id: i64) -> FileJob {
    FileJob::Inbound {
        account: AccountId::parse("bench").expect("id"),
        phone,
        message_id: "wamid.bench".into(),
        task_id,
        comment_id,
        caption_html: String::new(),
        media: bridge_core::domain::MediaRef::Id(info["media"].as_str().unwrap_or_default().into()),
        media_kind: "document".into(),
        mime_type: Some("application/pdf".into()),
        filename: Some("bench.pdf".into()),
    }
}

/// Planfix → WhatsApp: the simulated Planfix file to the phone.
fn outbound_job(info: &serde_json::Value, phone: Phone, task_id: i64, comment_id: i64) -> FileJob {
    FileJob::Outbound {
        account: AccountId::parse("bench").expect("id"),
        phone,
        task_id,
        comment_id,
        file_id: info["file"].as_i64().unwrap_or_default(),
        author: None,
    }
}

/// One relay run: its result, its wall time, and the process's peak RSS right after it.
struct Measurement {
    result: Result<RelayOutcome, RelayError>,
    secs: f64,
    peak_kib: u64,
}

/// Parent mode, step 3: run one job through the production relay and measure it.
async fn run_measured(app: &Bridge, job: &FileJob) -> Measurement {
    let started = Instant::now();
    let result = handle_job(app, job, true).await;
    let secs = started.elapsed().as_secs_f64();
    Measurement { result, secs, peak_kib: vm_hwm_kib() }
}

/// Stop the simulators (they live until their stdin closes) and remove the local blob folder.
fn teardown(mut child: Child, dir: &Path) {
    drop(child.stdin.take());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

/// Parent mode, step 4: throughput of each direction and the peak RSS before and after each.
fn report(mib: usize, baseline_kib: u64, inbound: &Measurement, outbound: &Measurement) {
    let (inbound_secs, inbound_result) = (inbound.secs, &inbound.result);
    let (outbound_secs, outbound_result) = (outbound.secs, &outbound.result);
    let mb = mib as f64;
    println!("file size: {mib} MiB");
    println!("inbound  (Meta download → blob store → Planfix upload): {inbound_secs:.2} s, {:.0} MiB/s, result {inbound_result:?}", mb / inbound_secs);
    println!("outbound (Planfix download → blob store → Meta upload + send): {outbound_secs:.2} s, {:.0} MiB/s, result {outbound_result:?}", mb / outbound_secs);
    println!(
        "relay process peak RSS (VmHWM): before {:.1} MiB, after inbound {:.1} MiB, after outbound {:.1} MiB",
        baseline_kib as f64 / 1024.0,
        inbound.peak_kib as f64 / 1024.0,
        outbound.peak_kib as f64 / 1024.0
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mib: usize = args.iter().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100);
    if args.get(1).map(String::as_str) == Some("--simulators") {
        return serve_simulators(mib * 1024 * 1024).await;
    }
    let (child, info) = start_simulators(mib);
    let dir = std::env::temp_dir().join(format!("relay-bench-{}", uuid::Uuid::new_v4()));
    let bench = setup_app(&info, &dir).await;
    let phone = Phone::parse("79051234567").expect("phone");
    let (task_id, comment_id) = create_task_and_comment(&bench.app).await;
    let baseline = vm_hwm_kib();

    let inbound = run_measured(&bench.app, &inbound_job(&info, phone.clone(), task_id, comment_id)).await;
    let outbound = run_measured(&bench.app, &outbound_job(&info, phone, task_id, comment_id)).await;

    teardown(child, &dir);
    report(mib, baseline, &inbound, &outbound);
}
