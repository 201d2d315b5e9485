//! The traits the core depends on. Each has a real adapter and a local one in [`crate::adapters`].

pub mod blob;
pub mod planfix;
pub mod provider;
pub mod queue;
pub mod store;

pub use blob::{BlobError, BlobMeta, BlobStore, ByteStream};
pub use planfix::{
    CommentInfo, CommentOwner, FileInfo, NewComment, NewContact, NewTask, PlanfixApi, PlanfixContact, PlanfixError,
    PlanfixFiles, TaskInfo, TaskStatusInfo, Throttle,
};
pub use provider::{
    Ack, Capabilities, FileSend, FileSource, MediaDownload, MediaKind, MediaLimits, OutgoingFile, Parsed,
    ProviderMedia, ProviderSender, ProviderWebhook, Rejected, SendFailure, WebhookError, WebhookRequest, WebhookRoute,
};
pub use queue::{FileJobQueue, QueueError, WorkQueue};
pub use store::{
    ClaimOutcome, ConversationLink, DeadLetter, DrainNext, DrainStart, InboxEntry, LinkLock, LinkRecord, ReactionNote,
    RecordOutcome, SentRecord, SlotGrant, Store, StoreError, TaskConversation,
};
