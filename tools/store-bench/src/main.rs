//! `cargo run --release -p store-bench [-- --quick] [-- --only full|normal]` — measures the
//! SQLite store of the local run on this machine (see the library's documentation) and prints
//! a markdown report. `--quick`: a smaller smoke run (10,000 messages stored, 50 acks).

use bridge_embedded::sqlite::Synchronous;
use store_bench::{markdown, run, Machine, Plan};

const USAGE: &str = "usage: store-bench [--quick] [--only full|normal]";

fn plan_from_args() -> Result<Plan, String> {
    let mut plan = Plan::full();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => plan = Plan { modes: plan.modes, ..Plan::quick() },
            "--only" => {
                plan.modes = match args.next().as_deref() {
                    Some("full") => vec![Synchronous::Full],
                    Some("normal") => vec![Synchronous::Normal],
                    _ => return Err(USAGE.into()),
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(plan)
}

#[tokio::main]
async fn main() {
    let plan = match plan_from_args() {
        Ok(plan) => plan,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let machine = Machine::detect();
    eprintln!("store-bench: {} run on {} CPUs ({}), this takes a while…", plan.name, machine.cpus, machine.cpu_model);
    let reports = match run(&plan).await {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("store-bench: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", markdown(&plan, &machine, &reports));
    if reports.iter().any(|r| !r.problems().is_empty()) {
        std::process::exit(1);
    }
}
