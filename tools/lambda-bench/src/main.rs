//! `lambda-bench [--runs N] [--only NAME]... [--bin-dir DIR] [--compare LABEL=DIR]... [--moto URL] [--verbose]`
//!
//! Cold start of each Lambda function binary against a mock of the Lambda Runtime API, beside
//! two baselines built with the same profile: `hello-lambda` (lambda_http hello world) and
//! `ssm-probe` (aws-config + one SSM GetParametersByPath). Per run: exec → ready (first
//! `/next`), exec → first response, idle RSS (VmRSS once the function waits for its second
//! event); per binary: its size. Runs are interleaved (run 1 of every binary, then run 2, …) so
//! a noisy neighbour hits all of them alike; the table shows medians and ratios to the probe.
//! Needs moto at `--moto` (default `$BRIDGE_TEST_AWS_ENDPOINT`); scripts/bench.sh runs it all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bridge_aws::aws_sdk_dynamodb;
use bridge_aws::aws_sdk_sqs;
use bridge_aws::aws_sdk_sqs::types::QueueAttributeName;
use bridge_aws::DynamoStore;
use bridge_core::domain::{AccountId, FileJob, InboundMessage, MediaRef, MessageContent, Phone};
use bridge_core::ports::{InboxEntry, Store};
use lambda_bench::{fresh_meta_event, median, sqs_event_with_body, vm_rss_kib, MockRuntime, Seen, REQUEST_ID};
use planfix_sim::{PlanfixSim, PlanfixSimConfig};

const APP_SECRET: &str = "demo-meta-app-secret";
const RUN_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("{0}")]
    Usage(String),
    #[error("setup: {0}")]
    Setup(String),
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> BenchError {
    move |e| BenchError::Setup(format!("{what}: {e}"))
}

struct Args {
    runs: usize,
    only: Vec<String>,
    bin_dir: PathBuf,
    /// Earlier builds of the functions, measured in the same run as `<name>@<label>`.
    compare: Vec<(String, PathBuf)>,
    moto: String,
    events: PathBuf,
    verbose: bool,
}

fn parse_args() -> Result<Args, BenchError> {
    let exe_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)).unwrap_or_default();
    let mut args = Args {
        runs: 20,
        only: Vec::new(),
        bin_dir: exe_dir,
        compare: Vec::new(),
        moto: std::env::var("BRIDGE_TEST_AWS_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5055".into()),
        events: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events"),
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| BenchError::Usage(format!("{name} needs a value")));
        match a.as_str() {
            "--runs" => {
                args.runs = value("--runs")?.parse().map_err(|_| BenchError::Usage("--runs takes a number".into()))?
            }
            "--only" => args.only.extend(value("--only")?.split(',').map(str::to_owned)),
            "--bin-dir" => args.bin_dir = value("--bin-dir")?.into(),
            "--compare" => {
                let v = value("--compare")?;
                let (label, dir) =
                    v.split_once('=').ok_or_else(|| BenchError::Usage("--compare takes LABEL=DIR".into()))?;
                args.compare.push((label.to_owned(), dir.into()));
            }
            "--moto" => args.moto = value("--moto")?,
            "--events" => args.events = value("--events")?.into(),
            "--verbose" => args.verbose = true,
            other => return Err(BenchError::Usage(format!("unknown argument {other}"))),
        }
    }
    if args.runs == 0 {
        return Err(BenchError::Usage("--runs must be at least 1".into()));
    }
    Ok(args)
}

/// The binaries measured: the two baselines first, then the functions.
const BINARIES: [&str; 6] =
    ["hello-lambda", "ssm-probe", "provider-webhook", "planfix-webhook", "worker", "file-relay"];

const BASELINES: [&str; 2] = ["hello-lambda", "ssm-probe"];

/// The moto resources of one bench run, shared by every binary as one deployment's would be.
struct Deployment {
    table: String,
    prefix: String,
    work_queue: String,
    file_queue: String,
    store: DynamoStore,
    _planfix: PlanfixSim,
}

async fn deploy(aws: &aws_config::SdkConfig) -> Result<Deployment, BenchError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let id = &id[..12];
    let planfix = PlanfixSim::new(PlanfixSimConfig { token: "bench-planfix-token".into(), spec: None });
    let planfix_url = planfix.serve(None).await.map_err(setup("planfix simulator"))?;

    let ddb = aws_sdk_dynamodb::Client::new(aws);
    let table = format!("lambda-bench-{id}");
    DynamoStore::create_table(&ddb, &table).await.map_err(setup("create table"))?;

    let sqs = aws_sdk_sqs::Client::new(aws);
    let work_queue = sqs
        .create_queue()
        .queue_name(format!("lambda-bench-{id}.fifo"))
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false")
        .send()
        .await
        .map_err(setup("create work queue"))?
        .queue_url
        .unwrap_or_default();
    let file_queue = sqs
        .create_queue()
        .queue_name(format!("lambda-bench-files-{id}"))
        .send()
        .await
        .map_err(setup("create file queue"))?
        .queue_url
        .unwrap_or_default();

    // One Meta account, the demo account the sample events are signed for; its Graph API is
    // unreachable (only the file relay would call it), Planfix is the simulator.
    let prefix = format!("/lambda-bench-{id}");
    let account = serde_json::json!({
        "id": "demo",
        "planfix": { "base_url": planfix_url, "token": "bench-planfix-token",
                     "webhook_secret": "demo-planfix-hook-secret", "requests_per_second": 1000.0 },
        "provider": { "kind": "meta", "app_secret": APP_SECRET, "verify_token": "demo-verify-token",
                      "access_token": "bench-graph-token", "phone_number_id": "100200300400500",
                      "graph_base_url": "http://127.0.0.1:9" },
        "settings": { "single_task": false }
    });
    aws_sdk_ssm::Client::new(aws)
        .put_parameter()
        .name(format!("{prefix}/accounts/demo"))
        .value(account.to_string())
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .map_err(setup("put SSM parameter"))?;
    let store = DynamoStore::new(ddb, &table);
    Ok(Deployment { table, prefix, work_queue, file_queue, store, _planfix: planfix })
}

/// The environment Lambda gives the function (template.yaml's globals plus its own variables).
fn lambda_env(name: &str, mock: &MockRuntime, moto: &str, dep: &Deployment) -> Vec<(String, String)> {
    let mut env: Vec<(&str, String)> = vec![
        ("AWS_LAMBDA_RUNTIME_API", mock.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_ENDPOINT_URL", moto.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "bench".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench".into()),
        ("AWS_SESSION_TOKEN", "bench".into()),
        ("BRIDGE_TABLE", dep.table.clone()),
        ("BRIDGE_SSM_PREFIX", dep.prefix.clone()),
        ("BRIDGE_EMF", "1".into()),
        ("RUST_LOG", "info".into()),
        ("BRIDGE_PUBLIC_URL", "https://bench.execute-api.us-east-1.amazonaws.com".into()),
    ];
    match name {
        "provider-webhook" | "planfix-webhook" => env.push(("BRIDGE_WORK_QUEUE_URL", dep.work_queue.clone())),
        "worker" => env.extend([
            ("BRIDGE_FILE_QUEUE_URL", dep.file_queue.clone()),
            ("BRIDGE_WORK_QUEUE_URL", dep.work_queue.clone()),
            ("BRIDGE_WORK_MAX_RECEIVES", "5".into()),
            ("BRIDGE_WORK_RETRY_BASE_SECS", "2".into()),
            ("BRIDGE_WORK_RETRY_MAX_SECS", "300".into()),
            ("BRIDGE_WORK_DAILY_LIMIT_PAUSE_SECS", "900".into()),
        ]),
        "file-relay" => env.extend([
            ("BRIDGE_FILE_QUEUE_URL", dep.file_queue.clone()),
            ("BRIDGE_BUCKET", "lambda-bench-files".into()),
            ("BRIDGE_S3_PATH_STYLE", "true".into()),
            ("BRIDGE_RELAY_MAX_RECEIVES", "5".into()),
        ]),
        _ => {}
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn read_event(dir: &Path, file: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(dir.join(file)).map_err(|e| BenchError::Setup(format!("{}: {e}", dir.join(file).display())))
}

/// The event of run `run` for `name`, exercising the function's real path; for the worker, the
/// message it drains is recorded in its inbox first (what provider-webhook did before it).
async fn event_for(name: &str, run: usize, args: &Args, dep: &Deployment) -> Result<String, BenchError> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    // A conversation of its own per run: 7 + 10 digits.
    let phone = format!("7{:010}", (u64::from_str_radix(&unique[..8], 16).unwrap_or(0) % 10_000_000_000));
    let message_id = format!("wamid.bench-{unique}");
    let bad = |e: serde_json::Error| BenchError::Setup(format!("event: {e}"));
    match name {
        // A signed Meta text message: verify, parse, record (dedupe + inbox), enqueue.
        "provider-webhook" | "hello-lambda" | "ssm-probe" => {
            fresh_meta_event(&read_event(&args.events, "meta-text-message.json")?, APP_SECRET, &message_id, &phone)
                .map_err(bad)
        }
        // "Task status changed": verify the secret, look the task up, enqueue.
        "planfix-webhook" => read_event(&args.events, "planfix-task-status.json"),
        // A conversation's work item: the inbox's message becomes a Planfix contact, task, comment.
        "worker" => {
            let account = AccountId::parse("demo").map_err(setup("account id"))?;
            let message = InboundMessage {
                id: message_id.clone(),
                from: Phone::parse(&phone).map_err(setup("phone"))?,
                profile_name: Some(format!("Bench {run}")),
                timestamp: bridge_core::domain::unix_now(),
                content: MessageContent::Text { body: "Hello! My order has not arrived.".into() },
                origin: Default::default(),
                reply_to: None,
            };
            let now = bridge_core::domain::unix_now();
            dep.store.record_message(&account, &message, now).await.map_err(setup("record message"))?;
            dep.store.add_to_inbox(&account, &InboxEntry::new(message, 0)).await.map_err(setup("add to inbox"))?;
            let body = serde_json::json!({ "kind": "conversation", "account": "demo", "phone": phone, "message_id": message_id });
            sqs_event_with_body(&read_event(&args.events, "sqs-work-conversation.json")?, &body.to_string())
                .map_err(bad)
        }
        // An inbound media job: the relay claims it in the table and asks the provider for the
        // media (unreachable here: the job is handed back to SQS for a later try).
        "file-relay" => {
            let job = FileJob::Inbound {
                account: AccountId::parse("demo").map_err(setup("account id"))?,
                phone: Phone::parse(&phone).map_err(setup("phone"))?,
                message_id,
                task_id: 101,
                comment_id: 1,
                caption_html: String::new(),
                media: MediaRef::Id(format!("media-{unique}")),
                media_kind: "image".into(),
                mime_type: Some("image/jpeg".into()),
                filename: None,
            };
            let body = serde_json::to_string(&job).map_err(bad)?;
            sqs_event_with_body(&read_event(&args.events, "sqs-work-conversation.json")?, &body).map_err(bad)
        }
        other => Err(BenchError::Usage(format!("no event for {other}"))),
    }
}

#[derive(Default)]
struct Samples {
    ready_ms: Vec<f64>,
    first_ms: Vec<f64>,
    rss_mib: Vec<f64>,
    errors: usize,
    failures: Vec<String>,
}

/// One cold start of `bin`: spawn it against a fresh mock, wait for ready, the first answer and
/// the idle `next`, read its RSS, kill it.
async fn run_once(name: &str, bin: &Path, event: String, args: &Args, dep: &Deployment, out: &mut Samples) {
    let mut mock = match MockRuntime::start(event).await {
        Ok(m) => m,
        Err(e) => return out.failures.push(format!("mock: {e}")),
    };
    let mut cmd = tokio::process::Command::new(bin);
    cmd.env_clear().envs(lambda_env(name, &mock, &args.moto, dep)).stdin(Stdio::null()).kill_on_drop(true);
    if !args.verbose {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return out.failures.push(format!("spawn {}: {e}", bin.display())),
    };
    let pid = child.id().unwrap_or(0);
    let ms = |at: Instant| at.duration_since(start).as_secs_f64() * 1000.0;
    let (mut ready, mut first) = (None, None);
    let deadline = Instant::now() + RUN_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match mock.seen(left).await {
            Some(Seen::Next { at, n: 0 }) => ready = Some(ms(at)),
            Some(Seen::Response { at, request_id, error, body }) => {
                if request_id != REQUEST_ID {
                    out.failures.push(format!("answered unknown request {request_id}"));
                }
                if error {
                    out.errors += 1;
                    if args.verbose {
                        eprintln!("{name}: error response {}", String::from_utf8_lossy(&body));
                    }
                }
                first = Some(ms(at));
            }
            Some(Seen::Next { .. }) => break,
            Some(Seen::InitError { body, .. }) => {
                out.failures.push(format!("init error: {}", String::from_utf8_lossy(&body)));
                break;
            }
            None => {
                out.failures.push(format!("no idle `next` within {RUN_TIMEOUT:?}"));
                break;
            }
        }
    }
    if let (Some(r), Some(f)) = (ready, first) {
        match vm_rss_kib(pid) {
            Some(kib) => {
                out.ready_ms.push(r);
                out.first_ms.push(f);
                out.rss_mib.push(kib as f64 / 1024.0);
            }
            None => out.failures.push("process gone before its RSS was read".into()),
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

fn ratio(v: Option<f64>, base: Option<f64>) -> String {
    match (v, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}×", v / b),
        _ => "—".into(),
    }
}

fn print_table(names: &[&str], samples: &BTreeMap<&str, Samples>, sizes: &BTreeMap<&str, Option<f64>>, runs: usize) {
    let med = |name: &str, f: fn(&Samples) -> &Vec<f64>| samples.get(name).and_then(|s| median(f(s)));
    let probe = |f: fn(&Samples) -> &Vec<f64>| med("ssm-probe", f);
    let probe_size = sizes.get("ssm-probe").copied().flatten();
    println!("## Lambda cold start, idle RSS, binary size (medians of {runs} interleaved runs)\n");
    println!("| binary | exec → ready (ms) | × probe | exec → first response (ms) | × probe | idle RSS (MiB) | × probe | stripped size (MB) | × probe | ok runs |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &name in names {
        let Some(s) = samples.get(name) else { continue };
        let size = sizes.get(name).copied().flatten();
        let (ready, first, rss) = (med(name, |s| &s.ready_ms), med(name, |s| &s.first_ms), med(name, |s| &s.rss_mib));
        let ok = s.ready_ms.len() - s.errors.min(s.ready_ms.len());
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {ok}/{runs} |",
            fmt(ready, 1),
            ratio(ready, probe(|s| &s.ready_ms)),
            fmt(first, 1),
            ratio(first, probe(|s| &s.first_ms)),
            fmt(rss, 1),
            ratio(rss, probe(|s| &s.rss_mib)),
            fmt(size, 2),
            ratio(size, probe_size),
        );
    }
    println!("\nGoals: each function's ready ≤ 1.0× the probe, idle RSS ≤ the probe's, stripped size < 8 MB.");
    for &name in names {
        if let Some(s) = samples.get(name) {
            if s.errors > 0 {
                println!("- {name}: {} run(s) answered with an invocation error", s.errors);
            }
            let mut failures = s.failures.clone();
            failures.dedup();
            for f in failures.iter().take(3) {
                println!("- {name}: failed run: {f}");
            }
        }
    }
}

async fn bench(args: Args) -> Result<(), BenchError> {
    if let Some(unknown) = args.only.iter().find(|o| !BINARIES.contains(&o.as_str())) {
        return Err(BenchError::Usage(format!("unknown binary {unknown}; one of {}", BINARIES.join(", "))));
    }
    let selected = || BINARIES.iter().copied().filter(|n| args.only.is_empty() || args.only.iter().any(|o| o == n));
    // (row label, binary name, its folder): this build's, then each earlier build's functions.
    let mut rows: Vec<(String, &str, PathBuf)> = selected().map(|n| (n.to_owned(), n, args.bin_dir.clone())).collect();
    for (label, dir) in &args.compare {
        rows.extend(selected().filter(|n| !BASELINES.contains(n)).map(|n| (format!("{n}@{label}"), n, dir.clone())));
    }
    let names: Vec<&str> = rows.iter().map(|(row, _, _)| row.as_str()).collect();
    let binary_of: BTreeMap<&str, &str> = rows.iter().map(|(row, bin, _)| (row.as_str(), *bin)).collect();
    let mut bins = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    for (row, _, dir) in &rows {
        let (name, path) = (row.as_str(), dir.join(binary_of[row.as_str()]));
        let meta = std::fs::metadata(&path)
            .map_err(|e| BenchError::Setup(format!("{}: {e} (build it with cargo build --release)", path.display())))?;
        // The release profile strips (`strip = true`): the file is the stripped binary.
        sizes.insert(name, Some(meta.len() as f64 / 1e6));
        bins.insert(name, path);
    }
    // What a process pays on its first phone number (a static calling-code check), and on the
    // first task title (`Phone::display`, which loads libphonenumber's metadata, once per process).
    let timed = |f: &dyn Fn() -> usize| {
        let start = Instant::now();
        std::hint::black_box(f());
        start.elapsed().as_secs_f64() * 1000.0
    };
    let parse = || usize::from(Phone::parse("79051234567").is_ok());
    let phone = Phone::parse("79051234567").map_err(setup("phone"))?;
    let display = || phone.display().len();
    let (first_parse_ms, first_display_ms, second_display_ms) = (timed(&parse), timed(&display), timed(&display));
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&args.moto)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new("bench", "bench", None, None, "lambda-bench"))
        .load()
        .await;
    let dep = deploy(&aws).await?;
    let mut samples: BTreeMap<&str, Samples> = names.iter().map(|&n| (n, Samples::default())).collect();
    // One warm-up round (moto loads its backends on first use), not counted.
    for &name in &names {
        let event = event_for(binary_of[name], 0, &args, &dep).await?;
        run_once(binary_of[name], &bins[name], event, &args, &dep, &mut Samples::default()).await;
    }
    for run in 0..args.runs {
        // Rotate the order so no binary always runs right after the same neighbour.
        for i in 0..names.len() {
            let name = names[(i + run) % names.len()];
            let event = event_for(binary_of[name], run + 1, &args, &dep).await?;
            let out = samples.get_mut(name).expect("every name has samples");
            run_once(binary_of[name], &bins[name], event, &args, &dep, out).await;
        }
        if args.verbose {
            eprintln!("run {}/{} done", run + 1, args.runs);
        }
    }
    print_table(&names, &samples, &sizes, args.runs);
    println!(
        "- first `Phone::parse` in this (release) process: {first_parse_ms:.3} ms; first `Phone::display` (task titles, the worker's new conversations), which loads the phonenumber metadata: {first_display_ms:.1} ms, a second one: {second_display_ms:.3} ms"
    );
    Ok(())
}

#[tokio::main]
async fn main() {
    let result = match parse_args() {
        Ok(args) => bench(args).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        eprintln!("lambda-bench: {e}");
        std::process::exit(2);
    }
}
