//! Real implementations of the ports.

pub mod file_store;
pub mod local_queue;
pub mod sqs_queue;
pub mod dir_blob;
pub mod dynamo_store;
pub mod meta;
pub mod planfix_rest;
pub mod s3_blob;

pub use dir_blob::DirBlobStore;
pub use dynamo_store::DynamoStore;
pub use file_store::FileStore;
pub use local_queue::LocalQueue;
pub use sqs_queue::{SqsQueue, SqsWorkQueue};
pub use planfix_rest::PlanfixRest;
pub use s3_blob::{s3_client, S3BlobStore};
