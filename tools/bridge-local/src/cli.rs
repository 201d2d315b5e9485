use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "bridge-local", about = "Run the Planfix <-> WhatsApp bridge locally")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the webhook routes (simulation mode unless --config is given).
    Serve(ServeArgs),
    /// Play the WhatsApp user: send a signed Meta webhook with a text message to the local bridge.
    Send(SendArgs),
    /// Print what the simulated Planfix holds (contacts, tasks, comments) and what the
    /// simulated WhatsApp received.
    Show(ShowArgs),
    /// Play a Planfix employee: add a comment that notifies the task's contact, and let the
    /// simulated Planfix scenario call the bridge, as a real one would.
    Reply(ReplyArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// TOML config (accounts, store); see README. Without it: simulation mode on embedded defaults.
    #[arg(long, env = "BRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Simulation mode: where the Planfix simulator listens.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub planfix_sim: SocketAddr,
    /// Simulation mode: where the Meta Graph API simulator listens.
    #[arg(long, default_value = "127.0.0.1:8082")]
    pub graph_sim: SocketAddr,
    /// Simulation mode: Planfix OpenAPI spec to validate the bridge's requests against (optional).
    #[arg(long, env = "PLANFIX_SWAGGER")]
    pub planfix_spec: Option<PathBuf>,
    /// Simulation mode: the embedded store's file (wiped at start, as the simulators start empty).
    #[arg(long, default_value = ".bridge-data/sim-store.json")]
    pub sim_store: PathBuf,
}

#[derive(Args)]
pub struct SendArgs {
    /// Message text (the caption when --file is given).
    #[arg(default_value = "")]
    pub text: String,
    /// Send this file as a media message (image, video, audio, document by its type).
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    /// Sender's WhatsApp number (E.164 digits).
    #[arg(long, default_value = "79051234567")]
    pub from: String,
    /// Sender's WhatsApp profile name.
    #[arg(long, default_value = "Ivan Petrov")]
    pub name: String,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}

#[derive(Args)]
pub struct ReplyArgs {
    /// Comment text (HTML allowed, as in Planfix: <b>, <i>, <ul><li>, <br>).
    pub text: String,
    /// Task number (default: the most recent task).
    #[arg(long)]
    pub task: Option<i64>,
    /// Write the comment without notifying the contact (stays internal).
    #[arg(long)]
    pub internal: bool,
    /// Attach this file to the comment.
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}

#[derive(Args)]
pub struct ShowArgs {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}
