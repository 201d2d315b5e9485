//! Fresh identifiers: `messageId`s are UUIDs v4 (W1: "String (uuid4)"), `requestId`s 32 hex
//! digits like the docs' (`7ca68797d127735e72b066b0080e2cc0`), store links random too.

pub(crate) fn message_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// 40 hex digits, like the hashes in `store.wazzup24.com` links.
pub(crate) fn store_id() -> String {
    let hex = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    hex[..40].to_owned()
}
