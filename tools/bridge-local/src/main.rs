//! `bridge-local`: see the library's documentation ([`bridge_local`]).

use bridge_local::{cli, commands, server};
use clap::Parser;

#[tokio::main]
async fn main() {
    bridge_app::telemetry::init_pretty_logs();
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => server::serve(args).await,
        cli::Command::Send(args) => commands::send(args).await,
        cli::Command::Show(args) => commands::show(args).await,
        cli::Command::Reply(args) => commands::reply(args).await,
        cli::Command::Complete(args) => commands::complete(args).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
