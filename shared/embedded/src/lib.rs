//! The local run's adapters of the bridge's ports — the embedded store (SQLite, or the older
//! JSON file), a folder as blob store, queues (durable ones in SQLite, or in-process channels) —
//! and the workers that drain those queues with the same core code the Lambda functions run.

pub mod dir_blob;
pub mod file_store;
pub mod local_queue;
pub mod local_worker;
pub mod sqlite;

pub use dir_blob::DirBlobStore;
pub use file_store::JsonFileStore;
pub use local_queue::LocalQueue;
pub use sqlite::{SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};
