//! The local run's adapters of the bridge's ports — the embedded store, a folder as blob
//! store, in-process queues — and the workers that drain those queues with the same core code
//! the Lambda functions run.

pub mod dir_blob;
pub mod file_store;
pub mod local_queue;
pub mod local_worker;

pub use dir_blob::DirBlobStore;
pub use file_store::JsonFileStore;
pub use local_queue::LocalQueue;
