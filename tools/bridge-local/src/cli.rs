use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Play the WhatsApp user: send one provider's webhook (signed, or with its token) with a
    /// text or a file to the local bridge; with --from-phone, play an employee writing to the
    /// customer on the company's WhatsApp phone instead.
    Send(SendArgs),
    /// Print what the simulated Planfix holds (tasks and their comments) and what each simulated
    /// WhatsApp user received.
    Show(ShowArgs),
    /// Play a Planfix employee: add a comment that notifies the task's contact, and let the
    /// simulated Planfix scenario call the bridge, as a real one would.
    Reply(ReplyArgs),
    /// Play a Planfix employee completing a task, and let the simulated Planfix scenario "task
    /// status changed" call the bridge (`/planfix/<account>/task-status`), as a real one would:
    /// the customer's next message opens a new task (or reopens it, with `single_task`).
    Complete(CompleteArgs),
}

/// The WhatsApp providers simulation mode runs a demo account on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Provider {
    /// Meta WhatsApp Cloud API (account `demo`).
    Meta,
    /// Twilio Programmable Messaging (account `demo-twilio`).
    Twilio,
    /// Green-API (account `demo-green`).
    GreenApi,
    /// 360dialog, Meta's Cloud API on 360dialog's host (account `demo-360dialog`).
    #[value(name = "360dialog")]
    Dialog360,
    /// Wazzup (account `demo-wazzup`).
    Wazzup,
}

impl Provider {
    pub const ALL: [Provider; 5] =
        [Provider::Meta, Provider::Twilio, Provider::GreenApi, Provider::Dialog360, Provider::Wazzup];

    /// The provider's segment in webhook URLs and its name on the command line.
    pub fn kind(self) -> &'static str {
        match self {
            Provider::Meta => "meta",
            Provider::Twilio => "twilio",
            Provider::GreenApi => "green-api",
            Provider::Dialog360 => "360dialog",
            Provider::Wazzup => "wazzup",
        }
    }

    /// The provider's name for people.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Meta => "Meta",
            Provider::Twilio => "Twilio",
            Provider::GreenApi => "Green-API",
            Provider::Dialog360 => "360dialog",
            Provider::Wazzup => "Wazzup",
        }
    }

    /// Whether the provider reports what the company writes on its own WhatsApp phone (Meta and
    /// 360dialog: coexistence echoes; Green-API: `outgoingMessageReceived`; Wazzup: `isEcho`).
    pub fn reports_phone_messages(self) -> bool {
        self != Provider::Twilio
    }

    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.kind() == kind)
    }
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// TOML config (accounts, store); see README. Without it: simulation mode on embedded defaults.
    #[arg(long, env = "BRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Simulation mode: serve only this provider's demo account (default: all five at once).
    #[arg(long, value_enum)]
    pub provider: Option<Provider>,
    /// Simulation mode: where the Planfix simulator listens (one, shared by every demo account).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub planfix_sim: SocketAddr,
    /// Simulation mode: where the Meta Graph API simulator listens.
    #[arg(long, default_value = "127.0.0.1:8082")]
    pub graph_sim: SocketAddr,
    /// Simulation mode: where the Twilio API simulator listens (its media store takes a free port
    /// beside it).
    #[arg(long, default_value = "127.0.0.1:8083")]
    pub twilio_sim: SocketAddr,
    /// Simulation mode: where the Green-API simulator listens.
    #[arg(long, default_value = "127.0.0.1:8084")]
    pub green_api_sim: SocketAddr,
    /// Simulation mode: where the 360dialog API simulator listens.
    #[arg(long, default_value = "127.0.0.1:8085")]
    pub dialog360_sim: SocketAddr,
    /// Simulation mode: where the Wazzup API simulator listens (it also serves the customers'
    /// files, as Wazzup's store does).
    #[arg(long, default_value = "127.0.0.1:8086")]
    pub wazzup_sim: SocketAddr,
    /// Simulation mode: Planfix OpenAPI spec to validate the bridge's requests against (optional).
    #[arg(long, env = "PLANFIX_SWAGGER")]
    pub planfix_spec: Option<PathBuf>,
    /// Simulation mode: the embedded SQLite database (store and queues; wiped at start, as the
    /// simulators start empty).
    #[arg(long, default_value = ".bridge-data/sim.db")]
    pub sim_store: PathBuf,
}

#[derive(Args, Clone)]
pub struct SendArgs {
    /// Message text (the caption when --file is given).
    #[arg(default_value = "")]
    pub text: String,
    /// Which provider's webhook to send, to its demo account (default: Meta when the bridge
    /// serves it, else the one provider it serves).
    #[arg(long, value_enum)]
    pub provider: Option<Provider>,
    /// Send this file as a media message (image, video, audio, document by its type).
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    /// Sender's WhatsApp number (E.164 digits); with --from-phone, the customer written to.
    #[arg(long, default_value = "79051234567")]
    pub from: String,
    /// Sender's WhatsApp profile name.
    #[arg(long, default_value = "Ivan Petrov")]
    pub name: String,
    /// Play an employee writing the text to the customer (--from) on the company's WhatsApp
    /// phone, as the provider reports it (Meta and 360dialog: `smb_message_echoes`; Green-API:
    /// `outgoingMessageReceived`; Wazzup: `isEcho`). Not on Twilio, which reports no such thing.
    #[arg(long, conflicts_with = "file")]
    pub from_phone: bool,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}

#[derive(Args, Clone)]
pub struct ReplyArgs {
    /// Comment text (HTML allowed, as in Planfix: <b>, <i>, <ul><li>, <br>).
    pub text: String,
    /// Task number (default: the most recent task, whichever provider's it is).
    #[arg(long)]
    pub task: Option<i64>,
    /// Write the comment without notifying the contact (stays internal).
    #[arg(long)]
    pub internal: bool,
    /// Open the comment with a quote of the customer's words, as Planfix's quote button does:
    /// the answer goes as a WhatsApp reply to that message (where the provider carries replies).
    #[arg(long)]
    pub quote: Option<String>,
    /// Attach this file to the comment.
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}

#[derive(Args, Clone)]
pub struct CompleteArgs {
    /// Task number (default: the most recent task, whichever provider's it is).
    #[arg(long)]
    pub task: Option<i64>,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}

#[derive(Args, Clone)]
pub struct ShowArgs {
    /// Print the simulators' raw state as JSON instead.
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub bridge: String,
}
