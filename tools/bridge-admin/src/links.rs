//! The store's link of one phone: which contact and task its messages go to. Only ids and
//! times are printed; the number itself is the operator's input and is not echoed.

use bridge_core::domain::Phone;

use crate::target::Target;
use crate::{now, utc, Result};

pub async fn show(target: &Target, account: &str, phone: &str) -> Result<String> {
    let account = crate::account_id(account)?;
    let phone = Phone::parse(phone).map_err(|e| e.to_string())?;
    let record = target.store()?.get_link(&account, &phone).await.map_err(|e| e.to_string())?;
    let Some(record) = record else {
        return Ok("no conversation".into());
    };
    let lease = match record.lease_until {
        None => "none".to_owned(),
        Some(until) if until < now() => format!("expired {}", utc(until)),
        Some(until) => format!("held until {}", utc(until)),
    };
    Ok(match record.link {
        // The item exists with a lease but no link: a first message is creating the conversation
        // (or its worker failed and the lease will expire).
        None => format!("no conversation\nlease: {lease}"),
        Some(l) => format!(
            "contact_id: {}\ntask_id: {}\ntask_count: {}\nupdated_at: {} ({})\nlease: {lease}",
            l.contact_id,
            l.task_id,
            l.task_count,
            utc(l.updated_at),
            l.updated_at
        ),
    })
}
