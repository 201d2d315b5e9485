//! `flow-bench`: requests per inbound message, per flow, counted through the real entry points
//! over moto (`BRIDGE_TEST_AWS_ENDPOINT`) and the simulators. See the crate docs.

use clap::Parser;
use flow_bench::probe::Probe;
use flow_bench::{parse_kind, report, run, Flow, Options};

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
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let Some(provider) = parse_kind(&args.provider) else {
        eprintln!("unknown provider {:?}: meta, twilio, green-api, 360dialog, wazzup", args.provider);
        return std::process::ExitCode::from(2);
    };
    let mut flows = Vec::new();
    for name in &args.flows {
        match Flow::parse(name) {
            Some(f) => flows.push(f),
            None => {
                eprintln!("unknown flow {name:?}: new-conversation, known-text, photo, reply, status");
                return std::process::ExitCode::from(2);
            }
        }
    }
    if flows.is_empty() {
        flows = Flow::ALL.to_vec();
    }
    if !(args.planfix_rps.is_finite() && args.planfix_rps > 0.0) {
        eprintln!("--planfix-rps must be a positive number");
        return std::process::ExitCode::from(2);
    }
    let opts = Options { provider, flows, messages: args.messages.max(1), planfix_rps: args.planfix_rps };
    let probe = Probe::default();
    let installed = probe.install();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("tokio runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&opts, &probe)) {
        Ok(results) => {
            if args.json {
                println!("{}", report::json(&opts, &results, installed));
            } else {
                print!("{}", report::markdown(&opts, &results, installed));
            }
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("flow-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
