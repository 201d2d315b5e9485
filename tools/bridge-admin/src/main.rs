//! `bridge-admin`: parse, connect, run, print. Everything else is in the library.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = bridge_admin::Cli::parse();
    let result = match bridge_admin::Target::connect(&cli.target).await {
        Ok(target) => bridge_admin::run(cli.command, &target).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => println!("{}", out.trim_end()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
