//! The traits the core depends on. Each has a real adapter and a local one in [`crate::adapters`].

pub mod planfix;
pub mod provider;
pub mod store;

pub use planfix::{CommentInfo, NewComment, NewContact, NewTask, PlanfixApi, PlanfixContact, PlanfixError, TaskInfo, TaskStatusInfo};
pub use provider::{ProviderSender, ProviderWebhook, SendFailure, WebhookError};
pub use store::{ClaimOutcome, ConversationLink, LinkLock, LinkRecord, RecordOutcome, SentRecord, Store, StoreError, TaskConversation};
