//! Per-account settings in the store. `set` changes only the flags given, on top of what is
//! stored (or the defaults), so one flag never silently resets the others.

use bridge_core::config::Settings;
use bridge_core::domain::AccountId;
use clap::{Args, Subcommand};

use crate::target::Target;
use crate::Result;

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// The settings stored for an account.
    Get { id: String },
    /// Change some settings (running functions pick them up within a minute).
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    pub id: String,
    /// true: one task per customer, reopened when completed; false: a new task after completion.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set, value_parser = clap::value_parser!(bool))]
    pub single_task: Option<bool>,
    /// Planfix task template for new tasks, or `none`.
    #[arg(long, value_name = "ID|none", value_parser = id_or_none)]
    pub task_template_id: Option<Clearable>,
    /// Planfix contact template for new contacts, or `none`.
    #[arg(long, value_name = "ID|none", value_parser = id_or_none)]
    pub contact_template_id: Option<Clearable>,
    /// Status set when a completed task is reopened, or `none` (first active status).
    #[arg(long, value_name = "ID|none", value_parser = id_or_none)]
    pub reopen_status_id: Option<Clearable>,
    /// Planfix user ids assigned to new tasks, comma-separated, or `none`.
    #[arg(long, value_name = "1,2|none", value_parser = id_list)]
    pub assignee_user_ids: Option<IdList>,
    /// The employee shown as author of what the company writes from its WhatsApp phone, or
    /// `none` (the bridge's own Planfix user).
    #[arg(long, value_name = "ID|none", value_parser = id_or_none)]
    pub phone_author_user_id: Option<Clearable>,
    /// true: the Planfix scenario "task status changed" is set up (docs/planfix-setup.md), so a
    /// message's task is not read from Planfix first; false: read it before each comment.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set, value_parser = clap::value_parser!(bool))]
    pub task_status_webhook: Option<bool>,
}

/// An id, or `none` to clear it.
#[derive(Debug, Clone, Copy)]
pub struct Clearable(Option<i64>);

#[derive(Debug, Clone)]
pub struct IdList(Vec<i64>);

fn positive_id(s: &str) -> std::result::Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{s:?} is not a Planfix id (a positive integer)")),
    }
}

fn id_or_none(s: &str) -> std::result::Result<Clearable, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(Clearable(None));
    }
    positive_id(s).map(|n| Clearable(Some(n)))
}

fn id_list(s: &str) -> std::result::Result<IdList, String> {
    if s.trim().is_empty() || s.eq_ignore_ascii_case("none") {
        return Ok(IdList(Vec::new()));
    }
    s.split(',').map(positive_id).collect::<std::result::Result<_, _>>().map(IdList)
}

pub async fn run(cmd: SettingsCmd, target: &Target) -> Result<String> {
    match cmd {
        SettingsCmd::Get { id } => {
            let id = crate::account_id(&id)?;
            target.store()?; // `show` may omit settings without a store; `get` exists to read them.
            describe_stored(target, &id).await
        }
        SettingsCmd::Set(args) => set(target, args).await,
    }
}

async fn set(target: &Target, args: SetArgs) -> Result<String> {
    let id = crate::account_id(&args.id)?;
    let store = target.store()?;
    let changes_nothing = args.single_task.is_none()
        && args.task_template_id.is_none()
        && args.contact_template_id.is_none()
        && args.reopen_status_id.is_none()
        && args.assignee_user_ids.is_none()
        && args.phone_author_user_id.is_none()
        && args.task_status_webhook.is_none();
    if changes_nothing {
        return Err("nothing to set: pass --single-task, --task-template-id, --contact-template-id, --reopen-status-id, --assignee-user-ids, --phone-author-user-id or --task-status-webhook".into());
    }
    let mut s = store.get_settings(&id).await.map_err(|e| e.to_string())?.unwrap_or_default();
    if let Some(v) = args.single_task {
        s.single_task = v;
    }
    if let Some(Clearable(v)) = args.task_template_id {
        s.task_template_id = v;
    }
    if let Some(Clearable(v)) = args.contact_template_id {
        s.contact_template_id = v;
    }
    if let Some(Clearable(v)) = args.reopen_status_id {
        s.reopen_status_id = v;
    }
    if let Some(IdList(v)) = args.assignee_user_ids {
        s.assignee_user_ids = v;
    }
    if let Some(Clearable(v)) = args.phone_author_user_id {
        s.phone_author_user_id = v;
    }
    if let Some(v) = args.task_status_webhook {
        s.task_status_webhook = v;
    }
    store.put_settings(&id, &s).await.map_err(|e| e.to_string())?;
    Ok(format!("settings of {id} saved (running functions pick them up within a minute):\n{}", json(&s)))
}

/// The account's settings in the store, or why they cannot be shown.
pub(crate) async fn describe_stored(target: &Target, id: &AccountId) -> Result<String> {
    if !target.has_store() {
        return Ok("settings: pass --table or --local to read them from the store".into());
    }
    Ok(match target.store()?.get_settings(id).await.map_err(|e| e.to_string())? {
        Some(s) => format!("settings of {id} in the store:\n{}", json(&s)),
        None => format!("no settings stored for {id}: defaults apply\n{}", json(&Settings::default())),
    })
}

fn json(s: &Settings) -> String {
    serde_json::to_string_pretty(s).unwrap_or_default()
}
