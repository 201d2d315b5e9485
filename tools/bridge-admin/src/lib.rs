//! Operator tool for the bridge: accounts in SSM, per-account settings, conversation links and
//! dead letters in the store, and the SQS dead-letter queues (file jobs, work).
//!
//! The logic lives here so the tests drive it directly against moto; `main.rs` only parses,
//! connects and prints. Every command returns its output as text and fails with a plain message
//! (a CLI has nothing to do with an error but show it). No output ever holds a secret, and
//! nothing beyond ids is printed about customers.

mod accounts;
mod dead_letters;
mod links;
mod settings;
mod target;

use clap::{Parser, Subcommand};

pub use accounts::AccountsCmd;
pub use dead_letters::{DeadLettersCmd, QueueKind};
pub use settings::SettingsCmd;
pub use target::{Target, TargetArgs};

pub type Result<T> = std::result::Result<T, String>;

/// Printed instead of every secret.
pub const MASK: &str = "***";

#[derive(Debug, Parser)]
#[command(name = "bridge-admin", version, about = "Operate a Planfix ⇄ WhatsApp bridge deployment")]
pub struct Cli {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Accounts: SSM SecureString parameters `{prefix}/accounts/{id}` (or `--config`, read-only).
    #[command(subcommand)]
    Accounts(AccountsCmd),
    /// Per-account settings kept in the store.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// The conversation (contact, task) a phone number is linked to in an account.
    Link {
        account: String,
        /// Any provider spelling: `79051234567`, `+7 905 123-45-67`, `whatsapp:+7…`.
        phone: String,
    },
    /// Work that failed every try: an account's dead letters in the store (`--account`), or the
    /// SQS dead-letter queues (`--queue files`: `--dlq-url`; `--queue work`: `--work-dlq-url`).
    #[command(subcommand)]
    DeadLetters(DeadLettersCmd),
}

/// Parses a command line (first item: the program name) without exiting on errors.
pub fn parse<I, T>(args: I) -> Result<Cli>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args).map_err(|e| e.to_string())
}

pub async fn run(command: Command, target: &Target) -> Result<String> {
    match command {
        Command::Accounts(cmd) => accounts::run(cmd, target).await,
        Command::Settings(cmd) => settings::run(cmd, target).await,
        Command::Link { account, phone } => links::show(target, &account, &phone).await,
        Command::DeadLetters(cmd) => dead_letters::run(cmd, target).await,
    }
}

fn account_id(raw: &str) -> Result<bridge_core::domain::AccountId> {
    bridge_core::domain::AccountId::parse(raw)
}

/// `2024-05-01T12:00:00Z` for Unix seconds (UTC; proleptic Gregorian, days-from-civil inverse),
/// so operators read times without a date library in the tree.
pub(crate) fn utc(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    #[test]
    fn dead_letter_flags_combine_only_sensibly() {
        let ok = |args: &str| {
            super::parse(format!("bridge-admin {args}").split_whitespace())
                .map(|_| ())
                .map_err(|e| format!("{args}: {e}"))
        };
        ok("dead-letters list").unwrap();
        ok("dead-letters list --queue work").unwrap();
        ok("dead-letters list --account acme").unwrap();
        ok("dead-letters replay --all --queue work").unwrap();
        ok("dead-letters replay --id m1").unwrap();
        ok("dead-letters replay --account acme --all").unwrap();
        ok("dead-letters replay --account acme --key acme#msg#1").unwrap();
        for bad in [
            "dead-letters list --queue other",
            "dead-letters list --account acme --queue files",
            "dead-letters replay",
            "dead-letters replay --account acme",
            "dead-letters replay --key k",
            "dead-letters replay --account acme --key k --all",
            "dead-letters replay --account acme --id m1",
            "dead-letters replay --account acme --all --queue work",
        ] {
            assert!(ok(bad).is_err(), "{bad} accepted");
        }
    }

    /// The documented example is a working config: it parses as the local run reads it, holds an
    /// account of every provider (in the order the docs present them), each passes the rules
    /// `accounts put` enforces without a warning, and each names its own webhook route.
    #[test]
    fn example_config_parses() {
        use bridge_core::config::ProviderConfig;

        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bridge.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let config = bridge_app::local_config::load_file(&path).unwrap();
        let kinds: Vec<&str> = config.accounts.iter().map(|a| a.provider.kind()).collect();
        assert_eq!(kinds, ["meta", "twilio", "green-api", "360dialog", "wazzup"]);
        let mut seen = [false; 5];
        for account in &config.accounts {
            // Exhaustive on purpose: a new provider does not compile here until the example has
            // an account of it.
            let slot = match &account.provider {
                ProviderConfig::Meta(_) => 0,
                ProviderConfig::Twilio(_) => 1,
                ProviderConfig::GreenApi(_) => 2,
                ProviderConfig::Dialog360(_) => 3,
                ProviderConfig::Wazzup(_) => 4,
            };
            seen[slot] = true;
            if let Err(problems) = account.validate() {
                panic!("example account {} is invalid: {problems:?}", account.id);
            }
            assert!(account.warnings().is_empty(), "{}: {:?}", account.id, account.warnings());
            let route = format!("/webhooks/{}/{}", account.provider.kind(), account.id);
            assert!(text.contains(&route), "the example does not say where {} is registered ({route})", account.id);
        }
        assert_eq!(seen, [true; 5], "an account of every provider");
        let mut ids: Vec<&str> = config.accounts.iter().map(|a| a.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), config.accounts.len(), "account ids are unique");
        assert!(config.public_url.is_none(), "the example leaves public_url commented out");
    }

    #[test]
    fn formats_utc() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
