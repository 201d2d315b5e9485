//! The JSON shapes of the Planfix answers the adapter reads.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(crate) struct Created {
    pub(crate) id: i64,
}

#[derive(Deserialize)]
pub(crate) struct FileEnvelope {
    pub(crate) file: FileItem,
}

#[derive(Deserialize)]
pub(crate) struct FileItem {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) size: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct ContactList {
    #[serde(default)]
    pub(crate) contacts: Vec<ContactItem>,
}

#[derive(Deserialize)]
pub(crate) struct ContactItem {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) phones: Vec<PhoneItem>,
}

#[derive(Deserialize)]
pub(crate) struct PhoneItem {
    #[serde(default)]
    pub(crate) number: String,
}

#[derive(Deserialize)]
pub(crate) struct TaskEnvelope {
    pub(crate) task: TaskItem,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskItem {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) status: Option<StatusItem>,
    #[serde(default)]
    pub(crate) process_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusItem {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) is_active: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct StatusList {
    #[serde(default)]
    pub(crate) statuses: Vec<StatusItem>,
}

#[derive(Deserialize)]
pub(crate) struct CommentList {
    #[serde(default)]
    pub(crate) comments: Vec<CommentItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommentItem {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) source_object_id: Option<String>,
    #[serde(default)]
    pub(crate) source_data_version: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) is_deleted: Option<bool>,
}

#[derive(Deserialize)]
pub(crate) struct CommentEnvelope {
    pub(crate) comment: FullComment,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FullComment {
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) task: Option<IdRef>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) owner: Option<PersonRef>,
    #[serde(default)]
    pub(crate) recipients: Option<Recipients>,
    #[serde(default)]
    pub(crate) from_type: Option<String>,
    #[serde(default)]
    pub(crate) is_deleted: Option<bool>,
    #[serde(default)]
    pub(crate) is_hidden: Option<bool>,
    #[serde(default)]
    pub(crate) files: Vec<IdRef>,
}

#[derive(Deserialize)]
pub(crate) struct IdRef {
    pub(crate) id: i64,
}

/// People come back with prefixed string ids (`user:5`); tolerate bare numbers too.
#[derive(Deserialize)]
pub(crate) struct PersonRef {
    pub(crate) id: Value,
}

impl PersonRef {
    pub(crate) fn id_string(&self) -> String {
        match &self.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Recipients {
    #[serde(default)]
    pub(crate) users: Vec<PersonRef>,
}

/// `POST /task/{id}` answers 200 with `failures` (array per schema, single object in the
/// example) when it accepted the request but did not change a field.
#[derive(Deserialize)]
pub(crate) struct UpdateResult {
    #[serde(default)]
    pub(crate) failures: Option<Value>,
}

#[derive(Deserialize)]
pub(crate) struct TaskList {
    #[serde(default)]
    pub(crate) tasks: Vec<SourcedItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourcedItem {
    pub(crate) id: i64,
    pub(crate) source_object_id: Option<String>,
}
