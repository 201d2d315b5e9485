//! `flow-bench`: requests per inbound message, per flow, counted through the real entry points
//! over moto (`BRIDGE_TEST_AWS_ENDPOINT`) and the simulators. See the crate docs.
//!
//! The bridge prints its CloudWatch metrics (EMF) on stdout when `BRIDGE_EMF=1`, as in
//! production; to count those bytes without mixing them into the report, the run happens in a
//! child process whose stdout this one reads (unless `--no-emf`).

use std::process::{Command, ExitCode, Stdio};

use clap::Parser;
use flow_bench::probe::Probe;
use flow_bench::{parse_kind, report, run, Flow, Options, MARKER};
use serde_json::Value;

/// Set in the child run (which prints markers, EMF lines and then its JSON report).
const CHILD_VAR: &str = "FLOW_BENCH_EMF_CHILD";

#[derive(Parser, Debug)]
#[command(about = "Counts Planfix, provider, DynamoDB, SQS and S3 requests per message, per flow")]
struct Args {
    /// Print a Markdown table (the default).
    #[arg(long)]
    markdown: bool,
    /// Print JSON instead.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// The WhatsApp provider: meta, twilio, green-api, 360dialog, wazzup.
    #[arg(long, default_value = "meta")]
    provider: String,
    /// Measured messages per flow, after one warm-up.
    #[arg(long, default_value_t = 10)]
    messages: usize,
    /// Planfix pacing (requests per second per account): 1 is Planfix's limit and production's.
    #[arg(long, default_value_t = 1.0)]
    planfix_rps: f64,
    /// Flows to run, comma-separated: new-conversation, known-text, photo, reply, status.
    #[arg(long, value_delimiter = ',')]
    flows: Vec<String>,
    /// Measure without the Planfix "task status changed" scenario (the fallback: every text in
    /// a known conversation reads its task's status first).
    #[arg(long)]
    no_status_scenario: bool,
    /// Run in this process and leave the metric (EMF) lines uncounted.
    #[arg(long)]
    no_emf: bool,
}

fn print(args: &Args, report: &Value) {
    if args.json {
        println!("{report}");
    } else {
        print!("{}", report::markdown(report));
    }
}

/// Runs the bench again as a child with `BRIDGE_EMF=1`, reads its stdout and attributes the
/// metric lines to the flows between the child's markers.
fn run_child(args: &Args) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("flow-bench: cannot find its own executable: {error}");
            return ExitCode::FAILURE;
        }
    };
    let output = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(CHILD_VAR, "1")
        .env("BRIDGE_EMF", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("flow-bench: the measuring run failed ({})", o.status);
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("flow-bench: cannot start the measuring run: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed = stdout
        .split_once(&format!("{MARKER}report\n"))
        .and_then(|(lines, json)| serde_json::from_str::<Value>(json.trim()).ok().map(|r| (lines, r)));
    let Some((lines, mut report)) = parsed else {
        eprintln!("flow-bench: the measuring run printed no report");
        return ExitCode::FAILURE;
    };
    report::attach_emf(&mut report, lines);
    print(args, &report);
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args = Args::parse();
    let child = std::env::var_os(CHILD_VAR).is_some();
    let Some(provider) = parse_kind(&args.provider) else {
        eprintln!("unknown provider {:?}: meta, twilio, green-api, 360dialog, wazzup", args.provider);
        return ExitCode::from(2);
    };
    let mut flows = Vec::new();
    for name in &args.flows {
        match Flow::parse(name) {
            Some(f) => flows.push(f),
            None => {
                eprintln!("unknown flow {name:?}: new-conversation, known-text, photo, reply, status");
                return ExitCode::from(2);
            }
        }
    }
    if flows.is_empty() {
        flows = Flow::ALL.to_vec();
    }
    if !(args.planfix_rps.is_finite() && args.planfix_rps > 0.0) {
        eprintln!("--planfix-rps must be a positive number");
        return ExitCode::from(2);
    }
    if !child && !args.no_emf {
        return run_child(&args);
    }
    let opts = Options {
        provider,
        flows,
        messages: args.messages.max(1),
        planfix_rps: args.planfix_rps,
        task_status_webhook: !args.no_status_scenario,
        markers: child,
    };
    let probe = Probe::default();
    let installed = probe.install();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&opts, &probe)) {
        Ok(results) => {
            let report = report::json(&opts, &results, installed);
            if child {
                println!("{MARKER}report");
                println!("{report}");
            } else {
                print(&args, &report);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("flow-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
