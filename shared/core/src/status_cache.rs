//! Status lists of Planfix processes, read once per instance per process: status ids and their
//! active/inactive kind differ per account and process but rarely change.

use std::collections::HashMap;

use tokio::sync::Mutex;

use crate::domain::AccountId;
use crate::ports::{PlanfixApi, PlanfixError, TaskStatusInfo};

#[derive(Default)]
pub struct StatusCache {
    entries: Mutex<HashMap<(AccountId, i64), Vec<TaskStatusInfo>>>,
}

impl StatusCache {
    pub async fn statuses(
        &self,
        account: &AccountId,
        planfix: &dyn PlanfixApi,
        process_id: i64,
    ) -> Result<Vec<TaskStatusInfo>, PlanfixError> {
        let key = (account.clone(), process_id);
        if let Some(list) = self.entries.lock().await.get(&key) {
            return Ok(list.clone());
        }
        let list = planfix.process_statuses(process_id).await?;
        self.entries.lock().await.insert(key, list.clone());
        Ok(list)
    }
}
