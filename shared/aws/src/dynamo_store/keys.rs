//! The `pk` / `sk` of every item kind (see the table in the module doc); the account id leads
//! every partition key.

use aws_sdk_dynamodb::types::AttributeValue;

use bridge_core::domain::{AccountId, Phone};

use super::attrs::s;

pub(super) fn msg_key(account: &AccountId, id: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#MSG#{id}")), s("MSG"))
}
pub(super) fn link_key(account: &AccountId, phone: &Phone) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#PHONE#{}", phone.digits())), s("LINK"))
}
pub(super) fn task_key(account: &AccountId, task_id: i64) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#TASK#{task_id}")), s("TASK"))
}
pub(super) fn job_key(account: &AccountId, job: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#JOB#{job}")), s("JOB"))
}
pub(super) fn sent_key(account: &AccountId, id: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#SENT#{id}")), s("SENT"))
}
pub(super) fn reaction_key(account: &AccountId, key: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#REACT#{key}")), s("REACT"))
}
pub(super) fn rate_key(account: &AccountId, key: &str) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#RATE#{key}")), s("RATE"))
}

pub(super) fn inbox_pk(account: &AccountId, phone: &Phone) -> AttributeValue {
    s(format!("{account}#INBOX#{}", phone.digits()))
}
pub(super) fn dead_pk(account: &AccountId) -> AttributeValue {
    s(format!("{account}#DEAD"))
}

pub(super) fn settings_key(account: &AccountId) -> (AttributeValue, AttributeValue) {
    (s(format!("{account}#SETTINGS")), s("SETTINGS"))
}
