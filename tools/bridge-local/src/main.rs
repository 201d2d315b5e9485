//! The whole bridge in one local process.
//!
//! `bridge-local serve` serves every webhook route on 127.0.0.1 with the embedded file store.
//! Without `--config` it runs in simulation mode: built-in Planfix and WhatsApp (Meta Graph)
//! simulators on loopback, one account `demo` wired to them, so `bridge-local send "Hi"` shows a
//! contact, a task and a comment appear (`GET /sim/planfix` or `bridge-local show`).

mod cli;
mod server;
mod simulation;

use clap::Parser;

#[tokio::main]
async fn main() {
    bridge_app::telemetry::init_pretty_logs();
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => server::serve(args).await,
        cli::Command::Send(args) => simulation::send(args).await,
        cli::Command::Show(args) => simulation::show(args).await,
        cli::Command::Reply(args) => simulation::reply(args).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
